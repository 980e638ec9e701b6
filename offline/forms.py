"""The records a phone sends from its outbox, read like any form: scoped choices, typed values.

Only reading happens here; the services of each app decide (the same ones the pages call)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from associations.models import Association
from communities.models import Jamoat, Village
from households.models import Household, Member
from mha_portal.scoping import scope_for
from remittances.models import CURRENCIES, Fund, LedgerEntry
from training.models import Consultation, MigrationTopic, TrainingSession


class ContributionRecord(forms.Form):
    association = forms.ModelChoiceField(queryset=Association.objects.none())
    fund = forms.ModelChoiceField(queryset=Fund.objects.none())
    payer = forms.ModelChoiceField(queryset=Household.objects.none(), error_messages={
        "required": _("Choose the paying household."),
        "invalid_choice": _("This household is not a member of the association on that date.")})
    amount = forms.CharField(max_length=40)
    currency = forms.ChoiceField(choices=CURRENCIES)
    entry_date = forms.DateField()
    channel = forms.ChoiceField(choices=LedgerEntry.Channel.choices)
    note = forms.CharField(max_length=500, required=False)
    recorded_at = forms.DateTimeField(required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        ids = scope_for(user).association_ids
        self.fields["association"].queryset = Association.objects.filter(pk__in=ids)
        self.fields["fund"].queryset = Fund.objects.filter(association_id__in=ids)
        self.fields["payer"].queryset = Household.objects.filter(memberships__association_id__in=ids).distinct()


class AttendanceRecord(forms.Form):
    session = forms.ModelChoiceField(queryset=TrainingSession.objects.none())
    members = forms.ModelMultipleChoiceField(queryset=Member.objects.none(), error_messages={
        "required": _("Tick the people who were present.")})

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = TrainingSession.objects.editable_by(user)
        self.fields["members"].queryset = Member.objects.visible_to(user)


class HouseholdRecord(forms.Form):
    village = forms.ModelChoiceField(queryset=Village.objects.none())
    address = forms.CharField(max_length=255, required=False)
    phone = forms.CharField(max_length=40, required=False)
    notes = forms.CharField(required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = Village.objects.filter(jamoat_id__in=scope_for(user).jamoat_ids)


class MemberRecord(forms.Form):
    last_name = forms.CharField(max_length=80)
    first_name = forms.CharField(max_length=80)
    patronymic = forms.CharField(max_length=80, required=False)
    sex = forms.ChoiceField(choices=Member.Sex.choices)
    birth_year = forms.IntegerField(min_value=1900)
    relation = forms.ChoiceField(choices=Member.Relation.choices)
    education = forms.ChoiceField(choices=[("", "")] + Member.Education.choices, required=False)
    phone = forms.CharField(max_length=40, required=False)


class HouseholdEditRecord(forms.Form):
    household = forms.ModelChoiceField(queryset=Household.objects.none())
    address = forms.CharField(max_length=255, required=False)
    notes = forms.CharField(required=False)
    status = forms.ChoiceField(choices=Household.Status.choices)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["household"].queryset = Household.objects.editable_by(user)


class ConsultationRecord(forms.Form):
    jamoat = forms.ModelChoiceField(queryset=Jamoat.objects.none())
    member = forms.ModelChoiceField(queryset=Member.objects.none(), required=False)
    person_name = forms.CharField(max_length=160, required=False)
    date = forms.DateField()
    topic = forms.ChoiceField(choices=MigrationTopic.choices)
    outcome = forms.ChoiceField(choices=Consultation.Outcome.choices)
    referral = forms.CharField(max_length=160, required=False)
    notes = forms.CharField(required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["jamoat"].queryset = Jamoat.objects.filter(pk__in=scope_for(user).jamoat_ids)
        self.fields["member"].queryset = Member.objects.visible_to(user)
