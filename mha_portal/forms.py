from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    # One message whatever was wrong, so it gives no hint whether the username exists.
    error_messages = {
        "invalid_login": _("The username or password is not correct. Both are case-sensitive."),
        "inactive": _("The username or password is not correct. Both are case-sensitive."),
    }

    username = forms.CharField(label=_("Username"), max_length=150,
                               widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username",
                                                             "autocapitalize": "none"}))
    password = forms.CharField(label=_("Password"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


def show_service_error(form: forms.Form, error: ValidationError) -> None:
    """Show a service's refusal on the form: on the field it names, or above the form."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class LongSelect(forms.Select):
    """A select of hundreds of options (a national officer's 400 jamoats or MHAs) written in one
    pass: the same HTML as Django's template (tests/mha_portal/test_forms_select.py holds them
    equal), without a dictionary and a template loop per option. Option groups and per-option
    attributes, which these lists never have, go through Django's rendering."""

    def render(self, name, value, attrs=None, renderer=None):
        context = self.get_context(name, value, attrs)["widget"]
        options = []
        for group_name, group, _index in context["optgroups"]:
            if group_name or any(option["attrs"].keys() - {"selected"} for option in group):
                return super().render(name, value, attrs, renderer)
            options += group
        lines = [format_html('<select name="{}"', name), _attributes(context["attrs"]), mark_safe(">")]
        for option in options:
            selected = " selected" if option["selected"] else ""
            lines.append(f'\n  <option value="{escape(str(option["value"]))}"{selected}>'
                         f'{conditional_escape(option["label"])}</option>')
        lines.append(mark_safe("\n</select>"))
        return mark_safe("".join(lines))


def _attributes(attrs: dict) -> str:
    """Django's attrs.html, in its order: False leaves an attribute out, True writes its name alone."""
    return "".join(format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value)
                   for name, value in attrs.items() if value is not False)
