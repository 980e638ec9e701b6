from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from associations.models import Association
from communities.models import Jamoat
from mha_portal.forms import LongSelect
from reports.kinds import REPORTS

LANGUAGE_CHOICES = [("en", _("English")), ("ru", _("Russian")), ("tg", _("Tajik"))]


def last_quarter(today: date) -> tuple[date, date]:
    quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    end = quarter_start - timedelta(days=1)
    return date(end.year, 3 * ((end.month - 1) // 3) + 1, 1), end


class ReportRequestForm(forms.Form):
    """Shapes the request; the rules (period order, kind, scope) are in the service."""

    kind = forms.ChoiceField(label=_("Report"))
    start = forms.DateField(label=_("Period start"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Period end"), widget=forms.DateInput(attrs={"type": "date"}))
    jamoat = forms.ModelChoiceField(label=_("Jamoat"), queryset=Jamoat.objects.none(), required=False,
                                    help_text=_("For the jamoat report."), widget=LongSelect)
    association = forms.ModelChoiceField(label=_("Association"), queryset=Association.objects.none(),
                                         required=False, help_text=_("For the MHA financial statement."),
                                         widget=LongSelect)
    language = forms.ChoiceField(label=_("Language of the report"), choices=LANGUAGE_CHOICES, initial="en")
    narrative = forms.CharField(
        label=_("Narrative"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Printed in the report's summary: what happened in the period, in the report's language."))

    def __init__(self, *args, user, kinds: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(key, REPORTS[key].verbose_name) for key in kinds]
        self.fields["jamoat"].queryset = Jamoat.objects.visible_to(user).order_by("name")
        self.fields["association"].queryset = Association.objects.visible_to(user).order_by("name")

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["jamoat"] = data["jamoat"].pk if data.get("jamoat") else None
        data["association"] = data["association"].pk if data.get("association") else None
        return data


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    jamoat = forms.ModelChoiceField(label=_("Jamoat"), queryset=Jamoat.objects.none(), required=False,
                                    empty_label=_("All my jamoats"), widget=LongSelect)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["jamoat"].queryset = Jamoat.objects.visible_to(user).order_by("name")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start") and cleaned.get("end") and cleaned["end"] < cleaned["start"]:
            self.add_error("end", _("The end of the period cannot be before its start."))
        return cleaned


class TargetForm(forms.Form):
    jamoat = forms.ModelChoiceField(label=_("Jamoat"), queryset=Jamoat.objects.all().order_by("name"),
                                    required=False, empty_label=_("Programme (or every community)"))
    low = forms.DecimalField(label=_("Target (at least)"), min_value=0, max_digits=14, decimal_places=2,
                             localize=True)
    high = forms.DecimalField(label=_("Target (at most)"), min_value=0, max_digits=14, decimal_places=2,
                              required=False, localize=True, help_text=_("Leave empty for a single value."))
    reason = forms.CharField(label=_("Reason for the change"), widget=forms.Textarea(attrs={"rows": 3}))
