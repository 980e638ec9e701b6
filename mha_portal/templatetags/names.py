"""Names stored in a language other than the page's carry a `lang` attribute, so that a screen
reader pronounces «Раҳимов Ҷамшед» as Tajik on an English page, and a jamoat with no Tajik
spelling in its English/Latin name on a Tajik page (WCAG 3.1.2, language of parts)."""

from django import template
from django.utils.html import format_html
from django.utils.translation import get_language

register = template.Library()


def _in_language(text, language: str):
    if text in (None, ""):
        return ""
    if language == (get_language() or "en")[:2]:
        return text
    return format_html('<span lang="{}">{}</span>', language, text)


@register.filter
def place(value):
    """A region, district, jamoat or village in the spelling of the page's language, marked with
    the language of the spelling actually shown (the English/Latin name when no local one is stored)."""
    if value is None:
        return ""
    return _in_language(value.local_name, value.local_name_language)


@register.filter
def person(name):
    """A person's name as typed at registration, in Tajik (Cyrillic)."""
    return _in_language(name, "tg")
