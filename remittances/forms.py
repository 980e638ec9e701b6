from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from associations.models import Meeting
from households.models import Household
from households.picker import PersonPicker
from mha_portal.idempotency import IdempotentFormMixin
from remittances.models import CURRENCIES, Fund, LedgerEntry, PostingRequest
from remittances.money import parse_amount


class AmountField(forms.CharField):
    """Accepts "1 234,50" as typed on a phone; the service validates again."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})

    def clean(self, value):
        return parse_amount(super().clean(value))


class ContributionForm(IdempotentFormMixin):
    payer = forms.ModelChoiceField(label=_("Paying household"), queryset=Household.objects.none(),
                                   widget=PersonPicker(kind="household"))
    amount = AmountField(label=_("Amount"), help_text=_("For example 1 234,50"))
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCIES, initial="RUB")
    entry_date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    channel = forms.ChoiceField(label=_("Paid by"), choices=LedgerEntry.Channel.choices)
    fund = forms.ModelChoiceField(label=_("Purpose (fund)"), queryset=Fund.objects.none(), empty_label=None)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args, association, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["payer"].queryset = (Household.objects.filter(
            memberships__association=association, memberships__left__isnull=True).distinct()
            .select_related("head").order_by("code"))
        self.fields["payer"].widget.jamoat_id = association.jamoat_id
        self.fields["payer"].widget.association_id = association.pk
        funds = Fund.objects.filter(association=association, active=True)
        self.fields["fund"].queryset = funds
        self.fields["fund"].initial = funds.filter(kind=Fund.Kind.GENERAL).values_list("pk", flat=True).first()
        self.fields["entry_date"].initial = today
        self.fields["entry_date"].widget.attrs["max"] = today.isoformat()


class DisbursementForm(IdempotentFormMixin):
    fund = forms.ModelChoiceField(label=_("From fund"), queryset=Fund.objects.none(), empty_label=None)
    kind = forms.ChoiceField(label=_("Kind"), choices=PostingRequest.Kind.choices)
    amount = AmountField(label=_("Amount"))
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCIES, initial="TJS")
    entry_date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    channel = forms.ChoiceField(label=_("Paid by"), choices=LedgerEntry.Channel.choices, initial="bank")
    counterparty = forms.CharField(label=_("Paid to / received from"), max_length=200)
    purpose = forms.CharField(label=_("Purpose"), max_length=500)

    def __init__(self, *args, association, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fund"].queryset = Fund.objects.filter(association=association, active=True)
        self.fields["entry_date"].initial = timezone.localdate()


class ReversalForm(IdempotentFormMixin):
    reason = forms.CharField(label=_("Reason for the correction"), max_length=500)


class CashCountForm(IdempotentFormMixin):
    """The cash box counted at a meeting: the expected amount of each currency is shown first,
    then one counted amount (and a reason for any difference) per currency."""

    count_date = forms.DateField(label=_("Date of the count"), widget=forms.DateInput(attrs={"type": "date"}))
    meeting = forms.ModelChoiceField(label=_("Meeting"), queryset=Meeting.objects.none(), required=False)

    def __init__(self, *args, association, expected: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = association.meetings.all()
        self.fields["count_date"].initial = timezone.localdate()
        self.fields["count_date"].widget = forms.HiddenInput()
        self.expected = expected
        for currency, amount in expected.items():
            self.fields[f"counted_{currency}"] = forms.CharField(
                label=_("Counted %(currency)s (expected %(amount)s)") % {"currency": currency, "amount": amount},
                max_length=40, required=False,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
            self.fields[f"reason_{currency}"] = forms.CharField(
                label=_("Reason for a %(currency)s difference") % {"currency": currency}, max_length=500,
                required=False)

    def counts(self) -> dict[str, tuple]:
        data = self.cleaned_data
        return {currency: (data[f"counted_{currency}"], data[f"reason_{currency}"])
                for currency in self.expected if (data.get(f"counted_{currency}") or "").strip()}


class CashThresholdForm(forms.Form):
    threshold = forms.CharField(label=_("Difference needing a second person (TJS)"), max_length=40,
                                widget=forms.TextInput(attrs={"inputmode": "decimal"}))


class PeriodCloseForm(forms.Form):
    closed_through = forms.DateField(label=_("Close the books through"),
                                     widget=forms.DateInput(attrs={"type": "date"}))


class LedgerFilterForm(forms.Form):
    fund = forms.ModelChoiceField(label=_("Fund"), queryset=Fund.objects.none(), required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("All kinds"))] + LedgerEntry.Kind.choices,
                             required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    q = forms.CharField(label=_("Search"), required=False, max_length=100)

    def __init__(self, *args, association, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fund"].queryset = Fund.objects.filter(association=association)


class RateImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file (date, currency, rate)"),
                           help_text=_("One line per rate, e.g. 2026-01-05,RUB,0.1391"))


class RateEntryForm(IdempotentFormMixin):
    currency = forms.ChoiceField(label=_("Currency"), choices=[("RUB", "RUB"), ("USD", "USD"), ("EUR", "EUR")])
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    rate = forms.CharField(label=_("TJS per unit"), max_length=20,
                           widget=forms.TextInput(attrs={"inputmode": "decimal"}))


class TransferForm(IdempotentFormMixin):
    source = forms.ModelChoiceField(label=_("From fund"), queryset=Fund.objects.none(), empty_label=None)
    target = forms.ModelChoiceField(label=_("To fund"), queryset=Fund.objects.none(), empty_label=None)
    amount = AmountField(label=_("Amount"))
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCIES, initial="TJS")
    entry_date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Reason"), max_length=500)

    def __init__(self, *args, association, **kwargs):
        super().__init__(*args, **kwargs)
        funds = Fund.objects.filter(association=association, active=True)
        self.fields["source"].queryset = funds
        self.fields["target"].queryset = funds
        self.fields["entry_date"].initial = timezone.localdate()


class ConversionForm(IdempotentFormMixin):
    fund = forms.ModelChoiceField(label=_("Fund"), queryset=Fund.objects.none(), empty_label=None)
    sold_amount = AmountField(label=_("Amount sold"))
    sold_currency = forms.ChoiceField(label=_("Currency sold"), choices=CURRENCIES, initial="RUB")
    bought_amount = AmountField(label=_("Amount received"))
    bought_currency = forms.ChoiceField(label=_("Currency received"), choices=CURRENCIES, initial="TJS")
    entry_date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    counterparty = forms.CharField(label=_("Exchanged with (money changer or bank)"), max_length=200)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, association, **kwargs):
        super().__init__(*args, **kwargs)
        funds = Fund.objects.filter(association=association, active=True)
        self.fields["fund"].queryset = funds
        self.fields["fund"].initial = funds.filter(kind=Fund.Kind.GENERAL).values_list("pk", flat=True).first()
        self.fields["entry_date"].initial = timezone.localdate()
