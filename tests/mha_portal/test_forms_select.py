"""`LongSelect` writes the HTML Django's select template writes, in one pass."""

import pytest
from django import forms

from communities.models import Jamoat
from mha_portal.forms import LongSelect
from tests.factories import JamoatFactory

pytestmark = pytest.mark.django_db


def _pair(**field):
    class Plain(forms.Form):
        jamoat = forms.ModelChoiceField(queryset=Jamoat.objects.order_by("name"), **field)

    class Long(forms.Form):
        jamoat = forms.ModelChoiceField(queryset=Jamoat.objects.order_by("name"), widget=LongSelect, **field)

    return Plain, Long


@pytest.mark.parametrize("field, data", [
    ({"required": False, "empty_label": "All my jamoats"}, None),
    ({"help_text": "For the jamoat report."}, "selected"),
    ({"required": False, "disabled": True}, "selected"),
    ({}, {"jamoat": "not a number"}),
])
def test_a_long_select_is_the_html_of_djangos_select(field, data):
    jamoats = [JamoatFactory(name=name) for name in ('Askalon "A" <north> & co', "Chubek", "Uzun")]
    if data == "selected":
        data = {"jamoat": str(jamoats[1].pk)}
    plain, long = _pair(**field)
    made = str(long(data)["jamoat"])
    assert made == str(plain(data)["jamoat"])
    assert "&lt;north&gt; &amp; co" in made and made.count("<option") == 4  # and the empty choice


def test_choices_in_groups_are_left_to_django():
    class Grouped(forms.Form):
        place = forms.ChoiceField(choices=[("Rasht", [("1", "Askalon")]), ("Khatlon", [("2", "Chubek")])])

    class GroupedLong(forms.Form):
        place = forms.ChoiceField(choices=[("Rasht", [("1", "Askalon")]), ("Khatlon", [("2", "Chubek")])],
                                  widget=LongSelect)

    assert str(GroupedLong()["place"]) == str(Grouped()["place"])
    assert "<optgroup" in str(GroupedLong()["place"])
