"""Forms parse what people type; the services decide whether it is allowed."""

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from associations.models import Association
from communities.models import Programme, Village
from communities.selectors import programmes_decided_by
from households.models import Household
from households.picker import PersonPicker
from mha_portal.idempotency import IdempotentFormMixin
from mha_portal.money import normalise_decimal_text
from mha_portal.scoping import in_writable_jamoats
from projects.models import BUDGET_CURRENCIES, Attachment, Category, Enterprise, FundingWindow, Grant

# Above any jamoat's population: a typo, and beyond what the database column can hold.
MAX_COUNT = 1_000_000
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AmountField(forms.CharField):
    """An amount as Russian and Tajik users type it: "12 500,50" as well as "12500.50"."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 24)
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")

    def clean(self, value):
        text = super().clean(value)
        if text in (None, ""):
            return None
        cleaned = normalise_decimal_text(text)
        if not re.fullmatch(r"-?\d{1,12}(\.\d{1,2})?", cleaned):
            raise ValidationError(_("Enter an amount such as 12 500,50 (digits, at most two decimals)."))
        try:
            return Decimal(cleaned)
        except InvalidOperation:
            raise ValidationError(_("Enter a valid amount.")) from None


def writable_associations(user):
    return in_writable_jamoats(Association.objects.select_related("jamoat").order_by("jamoat__name", "name"), user)


def writable_villages(user):
    return in_writable_jamoats(Village.objects.select_related("jamoat").order_by("jamoat__name", "name"), user)


class ProjectForm(forms.Form):
    association = forms.ModelChoiceField(label=_("Association (MHA)"), queryset=Association.objects.none())
    window = forms.ModelChoiceField(label=_("Funding window"), queryset=FundingWindow.objects.none())
    village = forms.ModelChoiceField(label=_("Village"), queryset=Village.objects.none())
    title = forms.CharField(label=_("Title"), max_length=200)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    currency = forms.ChoiceField(label=_("Currency"), choices=BUDGET_CURRENCIES)
    budget = AmountField(label=_("Budget"))
    community_share = AmountField(label=_("Community share pledged"),
                                  help_text=_("Approval needs this amount earmarked to the project in the ledger."))
    other_funds = AmountField(label=_("Other funds"), required=False)
    beneficiary_households = forms.IntegerField(label=_("Beneficiary households"), min_value=0, max_value=MAX_COUNT)
    beneficiary_people = forms.IntegerField(label=_("Beneficiary people"), min_value=0, max_value=MAX_COUNT)
    start_date = forms.DateField(label=_("Start date"), widget=DATE)
    end_date = forms.DateField(label=_("End date"), widget=DATE)

    def __init__(self, *args, user, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["association"].queryset = writable_associations(user)
        self.fields["village"].queryset = writable_villages(user)
        self.fields["window"].queryset = FundingWindow.objects.visible_to(user).filter(opens_on__lte=today,
                                                                                        closes_on__gte=today)
        if editing:
            for name in ("association", "window", "currency"):
                del self.fields[name]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                             max_length=2000)


class CompleteForm(forms.Form):
    completed_on = forms.DateField(label=_("Completed on"), widget=DATE)
    households_reached = forms.IntegerField(label=_("Households reached"), min_value=0, max_value=MAX_COUNT)
    people_reached = forms.IntegerField(label=_("People reached"), min_value=0, max_value=MAX_COUNT)


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("Milestone"), max_length=200)
    planned_date = forms.DateField(label=_("Planned date"), widget=DATE)
    actual_date = forms.DateField(label=_("Actual date"), required=False, widget=DATE)
    progress_percent = forms.IntegerField(label=_("Progress (%)"), min_value=0, max_value=100, initial=0)


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("Photo or PDF"),
                           widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,"
                                                                            "application/pdf"}))
    kind = forms.ChoiceField(label=_("Kind"), choices=Attachment.Kind.choices)
    caption = forms.CharField(label=_("Caption"), max_length=200, required=False)


class ReleaseForm(IdempotentFormMixin, forms.Form):
    amount_eur = AmountField(label=_("Amount to release (EUR)"))
    date = forms.DateField(label=_("Date"), widget=DATE)
    note = forms.CharField(label=_("Note"), max_length=400, required=False)
    cofunder = forms.ChoiceField(label=_("Co-funder"), required=False, choices=[])

    def __init__(self, *args, cofunders=(), **kwargs):
        super().__init__(*args, **kwargs)
        cofunders = list(cofunders)
        if len(cofunders) > 1:
            self.fields["cofunder"].choices = [(c.code, str(c)) for c in cofunders]
            self.fields["amount_eur"].label = _("Amount (in the co-funder's currency)")
        else:
            del self.fields["cofunder"]


class WindowForm(forms.Form):
    programme = forms.ModelChoiceField(label=_("Programme"), queryset=Programme.objects.none())
    name = forms.CharField(label=_("Name"), max_length=160)
    code = forms.SlugField(label=_("Code"), max_length=40)
    match_ratio = AmountField(label=_("Match ratio"), help_text=_("EUR of EU money per EUR contributed: 1 for 1:1."))
    cap_per_project_eur = AmountField(label=_("Cap per project (EUR)"))
    total_budget_eur = AmountField(label=_("Total EU budget (EUR)"))
    eligible_categories = forms.MultipleChoiceField(label=_("Eligible categories"), choices=Category.choices,
                                                    widget=forms.CheckboxSelectMultiple)
    min_beneficiary_households = forms.IntegerField(label=_("Minimum beneficiary households"), min_value=0,
                                                    max_value=MAX_COUNT)
    opens_on = forms.DateField(label=_("Opens on"), widget=DATE)
    closes_on = forms.DateField(label=_("Closes on"), widget=DATE)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes_decided_by(user)


class EnterpriseForm(forms.Form):
    association = forms.ModelChoiceField(label=_("Association (MHA)"), queryset=Association.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=Enterprise.Kind.choices)
    name = forms.CharField(label=_("Name"), max_length=200)
    sector = forms.ChoiceField(label=_("Sector"), choices=Enterprise.Sector.choices)
    founded = forms.DateField(label=_("Founded"), widget=DATE)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, user, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["association"].queryset = writable_associations(user)
        if editing:
            del self.fields["association"]
            self.fields["status"] = forms.ChoiceField(label=_("Status"), choices=Enterprise.Status.choices)


class MemberForm(forms.Form):
    household = forms.ModelChoiceField(label=_("Household"), queryset=Household.objects.none(),
                                       widget=PersonPicker(kind="household"))
    share_percent = AmountField(label=_("Share (%)"), required=False,
                                help_text=_("Cooperatives only: the member's share of the capital."))
    joined_on = forms.DateField(label=_("Joined on"), widget=DATE)

    def __init__(self, *args, enterprise, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["household"].queryset = Household.objects.filter(
            village__jamoat_id=enterprise.jamoat_id).select_related("head").order_by("code")
        self.fields["household"].widget.jamoat_id = enterprise.jamoat_id
        if enterprise.kind != Enterprise.Kind.COOPERATIVE:
            del self.fields["share_percent"]


class GrantForm(forms.Form):
    amount = AmountField(label=_("Amount"))
    currency = forms.ChoiceField(label=_("Currency"), choices=BUDGET_CURRENCIES)
    granted_on = forms.DateField(label=_("Date"), widget=DATE)
    conditions = forms.CharField(label=_("Conditions"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    repayable = forms.BooleanField(label=_("To be repaid"), required=False)


class RepaymentForm(IdempotentFormMixin, forms.Form):
    amount = AmountField(label=_("Amount repaid"))
    date = forms.DateField(label=_("Date"), widget=DATE)


class GrantStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=Grant.Status.choices)


class ReportForm(forms.Form):
    period_start = forms.DateField(label=_("Period start"), widget=DATE)
    period_end = forms.DateField(label=_("Period end"), widget=DATE)
    revenue = AmountField(label=_("Revenue (TJS)"))
    costs = AmountField(label=_("Costs (TJS)"))
    jobs_created = forms.IntegerField(label=_("Jobs created"), min_value=0, max_value=MAX_COUNT, initial=0)
    members_earnings = AmountField(label=_("Members' earnings (TJS)"))

