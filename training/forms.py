"""Forms of the training pages. They check types and offer only the rows the user may write in;
the rules live in the services, whose errors `add_service_errors` puts back on the form."""

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.models import Facility, Jamoat
from households.models import Household, Member
from households.picker import PersonPicker
from mha_portal.scoping import in_writable_jamoats
from training.models import (
    SHARE_FIELDS,
    Audience,
    Campaign,
    Consultation,
    Language,
    ModuleMaterial,
    SurveyResponse,
    SurveyRound,
    TrainingModule,
    TrainingSession,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def writable_jamoats(user):
    return in_writable_jamoats(Jamoat.objects.order_by("name"), user, path="pk")


class ModuleForm(forms.ModelForm):
    audiences = forms.MultipleChoiceField(label=_("Audiences"), choices=Audience.choices,
                                          widget=forms.CheckboxSelectMultiple)
    languages = forms.MultipleChoiceField(label=_("Languages"), choices=Language.choices,
                                          widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = TrainingModule
        fields = ["code", "title", "title_tg", "title_ru", "category", "description", "audiences", "languages",
                  "sessions_required", "developed_on", "published_on"]
        widgets = {"developed_on": DATE, "published_on": DATE, "description": forms.Textarea(attrs={"rows": 4})}


class MaterialForm(forms.ModelForm):
    class Meta:
        model = ModuleMaterial
        fields = ["title", "language", "file"]
        widgets = {"file": forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"})}


class SessionForm(forms.ModelForm):
    class Meta:
        model = TrainingSession
        fields = ["module", "jamoat", "date", "trainer", "venue", "notes"]
        widgets = {"date": DATE, "notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["jamoat"].queryset = writable_jamoats(user)
        if self.fields["jamoat"].queryset.count() == 1:
            self.fields["jamoat"].initial = self.fields["jamoat"].queryset.get()
        self.fields["module"].queryset = TrainingModule.objects.order_by("code")


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, member):
        return f"{member.full_name} ({member.household.code})"


class ConsultationForm(forms.ModelForm):
    member = MemberChoiceField(label=_("Registered person"), queryset=Member.objects.none(), required=False,
                               widget=PersonPicker(kind="member"))

    class Meta:
        model = Consultation
        fields = ["jamoat", "member", "person_name", "date", "topic", "outcome", "referral", "notes"]
        widgets = {"date": DATE, "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        jamoats = writable_jamoats(user)
        self.fields["jamoat"].queryset = jamoats
        self.fields["member"].queryset = (Member.objects.filter(household__village__jamoat__in=jamoats)
                                          .select_related("household").order_by("last_name", "first_name"))
        if not self.instance.pk and len(jamoats) == 1:
            self.fields["jamoat"].initial = jamoats[0].pk
        self.fields["date"].initial = timezone.localdate()


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["jamoat", "date", "place", "topic", "people_reached", "materials"]
        widgets = {"date": DATE, "materials": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["jamoat"].queryset = writable_jamoats(user)


class FacilityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, facility):
        return f"{facility.centre.jamoat} — {facility.get_kind_display()}"


class UsageForm(forms.Form):
    facility = FacilityChoiceField(label=_("Facility"), queryset=Facility.objects.none())
    month = forms.DateField(label=_("Month"), input_formats=["%Y-%m"],
                            widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
                            help_text=_("Recording a month again corrects it."))
    count = forms.IntegerField(label=_("Uses"), min_value=0,
                               help_text=_("Sessions (internet café) or calls (telephony)."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = (Facility.objects.filter(centre__jamoat__in=writable_jamoats(user))
                                            .select_related("centre__jamoat").order_by("centre__jamoat__name", "kind"))


class FacilityStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Facility.Status.choices)


class SurveyRoundForm(forms.ModelForm):
    class Meta:
        model = SurveyRound
        fields = ["name", "region", "start_date", "end_date", "published_on"]
        widgets = {"start_date": DATE, "end_date": DATE, "published_on": DATE}


class HouseholdChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, household):
        return f"{household.code} — {household.village}"


class SurveyResponseForm(forms.ModelForm):
    household = HouseholdChoiceField(label=_("Household"), queryset=Household.objects.none())
    amount = forms.DecimalField(label=_("Amount received in the last 12 months"), max_digits=14,
                                decimal_places=2, min_value=0, required=False, localize=True)
    currency = forms.ChoiceField(label=_("Currency"), choices=settings.CURRENCY_CHOICES, initial="RUB")

    class Meta:
        model = SurveyResponse
        fields = ["household", "interview_date", "received_remittances", "amount", "currency", "frequency",
                  "channel", "sender_relation", *SHARE_FIELDS, "investment_intention"]
        widgets = {"interview_date": DATE}

    def __init__(self, *args, user, survey_round: SurveyRound, **kwargs):
        super().__init__(*args, **kwargs)
        self.survey_round = survey_round
        self.instance.round = survey_round
        self.fields["household"].queryset = (
            Household.objects.filter(village__jamoat__in=writable_jamoats(user),
                                     village__jamoat__district__region=survey_round.region)
            .select_related("village").order_by("code"))
        for name in SHARE_FIELDS:
            self.fields[name].widget.attrs.update({"min": 0, "max": 100, "data-share": ""})
        if self.instance.pk and self.instance.amount_12m is not None:
            self.initial["amount"] = self.instance.amount_12m.amount
            self.initial["currency"] = str(self.instance.amount_12m.currency)
        if not self.instance.pk:
            self.initial.setdefault("interview_date", timezone.localdate())

    def service_fields(self) -> dict:
        from djmoney.money import Money

        data = {k: v for k, v in self.cleaned_data.items() if k not in ("amount", "currency")}
        amount = self.cleaned_data.get("amount")
        data["amount_12m"] = Money(amount, self.cleaned_data["currency"]) if amount else None
        return data
