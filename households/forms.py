from django import forms
from django.forms import inlineformset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.models import Village
from households.models import ConsentRecord, Household, Member, MigrationEpisode
from households.selectors import SORTS
from households.services import MEMBER_FIELDS
from mha_portal.forms import LongSelect
from mha_portal.scoping import in_writable_jamoats


def writable_villages(user):
    return in_writable_jamoats(Village.objects.select_related("jamoat").order_by("jamoat__name", "name"), user)


class VillageChoiceField(forms.ModelChoiceField):
    widget = LongSelect  # a national list has 400 villages

    def label_from_instance(self, village):
        return f"{village.jamoat} — {village}"


class HouseholdForm(forms.ModelForm):
    village = VillageChoiceField(queryset=Village.objects.none(), label=_("village"))

    class Meta:
        model = Household
        fields = ["village", "address", "phone", "status", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3}), "phone": forms.TextInput(attrs={"type": "tel"})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        villages = writable_villages(user)
        if self.instance.pk:
            # An officer or a colleague may open it; the current village always stays selectable.
            villages = villages | Village.objects.filter(pk=self.instance.village_id)
        self.fields["village"].queryset = villages.distinct()


class MemberForm(forms.ModelForm):
    class Meta:
        model = Member
        fields = ["last_name", "first_name", "patronymic", "sex", "birth_year", "relation", "education", "phone"]
        widgets = {"phone": forms.TextInput(attrs={"type": "tel"}),
                   "birth_year": forms.NumberInput(attrs={"min": 1900, "inputmode": "numeric"})}


class BaseMemberFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(form.errors for form in self.forms):
            return
        filled = [form for form in self.forms if form.cleaned_data and (form.instance.pk or form.has_changed())]
        if not filled:
            raise forms.ValidationError(_("A household needs at least one member."))
        heads = [form for form in filled if form.cleaned_data.get("relation") == Member.Relation.HEAD]
        if len(heads) != 1:
            raise forms.ValidationError(_("Exactly one member must be the head of the household."))

    def member_data(self) -> list[dict]:
        rows = []
        for form in self.forms:
            if not form.cleaned_data or not (form.instance.pk or form.has_changed()):
                continue
            data = {name: form.cleaned_data[name] for name in MEMBER_FIELDS}
            if form.instance.pk:
                data["id"] = form.instance.pk
            rows.append(data)
        return rows


MemberFormSet = inlineformset_factory(Household, Member, form=MemberForm, formset=BaseMemberFormSet, extra=2,
                                      can_delete=False)


class EpisodeForm(forms.ModelForm):
    class Meta:
        model = MigrationEpisode
        fields = ["destination_country", "destination_city", "sector", "departure_date", "return_date",
                  "legal_status", "remittance_channel"]
        widgets = {"departure_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                   "return_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class ReturnForm(forms.Form):
    return_date = forms.DateField(label=_("return date"), initial=timezone.localdate,
                                  widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class HouseholdFilterForm(forms.Form):
    YES_NO = [("", _("Any")), ("yes", _("Yes")), ("no", _("No"))]

    q = forms.CharField(label=_("Name, code or phone"), required=False)
    village = VillageChoiceField(queryset=Village.objects.none(), required=False, label=_("village"),
                                 empty_label=_("All villages"))
    abroad = forms.ChoiceField(label=_("Migrant abroad now"), choices=YES_NO, required=False)
    returned = forms.ChoiceField(label=_("Returned migrant"), choices=YES_NO, required=False)
    destination = forms.ChoiceField(label=_("Destination"), required=False,
                                    choices=[("", _("Any country"))] + list(MigrationEpisode.Country.choices))
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=[
        ("code", _("Code")), ("head", _("Head of household")), ("village", _("Village")),
        ("-size", _("Largest first")), ("newest", _("Newest first"))])

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = Village.objects.visible_to(user).select_related("jamoat").order_by(
            "jamoat__name", "name")

    def filters(self):
        from households.selectors import HouseholdFilters

        data = self.cleaned_data if self.is_valid() else {}
        flag = {"yes": True, "no": False}
        village = data.get("village")
        sort = data.get("sort") or "code"
        return HouseholdFilters(search=data.get("q", ""), village=village.pk if village else None,
                                abroad=flag.get(data.get("abroad")), returned=flag.get(data.get("returned")),
                                destination=data.get("destination", ""), sort=sort if sort in SORTS else "code")


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Spreadsheet (.xlsx or .csv)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}))


class ConsentForm(forms.ModelForm):
    class Meta:
        model = ConsentRecord
        fields = ["purpose", "given_by", "given_on"]
        widgets = {"given_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, household: Household, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["given_by"].queryset = Member.objects.filter(household=household).order_by("id")
        self.fields["given_on"].initial = timezone.localdate
