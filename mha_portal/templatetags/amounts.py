"""{% load amounts %} {{ entry.amount|in_words:LANGUAGE_CODE }}: an amount in words on receipts."""

from django import template

from mha_portal.words import amount_in_words

register = template.Library()


@register.filter
def in_words(money, language: str = "en") -> str:
    """A djmoney Money (or anything with .amount and .currency) in words, in `language`."""
    try:
        return amount_in_words(money.amount, str(money.currency), language)
    except (AttributeError, ValueError, ArithmeticError):
        return ""
