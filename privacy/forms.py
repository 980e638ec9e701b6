from django import forms
from django.utils.translation import gettext_lazy as _

from privacy.models import AccessEvent


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=20, strip=True,
                           help_text=_("The 6 digits shown by your authenticator app, or a recovery code."),
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text",
                                                         "autofocus": True}))


class SetupForm(forms.Form):
    code = forms.CharField(label=_("Code from the app"), max_length=8, strip=True,
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))


class ResetForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500,
                             help_text=_("E.g. \"phone lost, identity checked in person on 2 December\"."))


class AccessLogFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), required=False,
                             choices=[("", _("All"))] + list(AccessEvent.Kind.choices))
    user = forms.CharField(label=_("Username"), required=False, max_length=150)


class PurposeForm(forms.Form):
    """The stated purpose of an export of personal data (kept in the access log)."""

    purpose = forms.CharField(label=_("Purpose of the export"), min_length=5, max_length=500,
                              help_text=_("Why these personal data leave the portal; kept in the access log."))
