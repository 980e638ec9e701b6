from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from households.models import Household
from mha_portal.idempotency import IdempotentFormMixin


class MembershipForm(forms.Form):
    household = forms.ModelChoiceField(label=_("Household"), queryset=Household.objects.none())
    joined = forms.DateField(label=_("Joined on"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, association, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["household"].queryset = (
            Household.objects.filter(village__jamoat_id=association.jamoat_id)
            .exclude(memberships__association=association, memberships__left__isnull=True)
            .select_related("head").order_by("code"))
        self.fields["joined"].initial = timezone.localdate()


class LeaveForm(forms.Form):
    left = forms.DateField(label=_("Left on"), widget=forms.DateInput(attrs={"type": "date"}))


class MeetingForm(IdempotentFormMixin):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    attendees = forms.ModelMultipleChoiceField(label=_("Households present"), queryset=Household.objects.none(),
                                               widget=forms.CheckboxSelectMultiple, required=False)
    minutes = forms.CharField(label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    decisions = forms.CharField(label=_("Decisions"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, association, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = (
            Household.objects.filter(memberships__association=association, memberships__left__isnull=True)
            .select_related("head").order_by("code"))
        self.fields["date"].initial = timezone.localdate()
