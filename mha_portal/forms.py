from django import forms
from django.contrib.auth.forms import AuthenticationForm
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
