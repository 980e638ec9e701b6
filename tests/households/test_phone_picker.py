"""The person picker: one search key for every script, scoped, in Tajik alphabetical order."""

import pytest
from django.urls import reverse

from households.picker import people_search, tajik_key
from tests.households.factories import make_household

pytestmark = pytest.mark.django_db


def _ids(results):
    return [choice.id for choice in results]


@pytest.fixture
def hasanov(world):
    household = make_household(world.staff_a, world.village_a, head=("Ҳасанов", "Фарҳод"),
                               others=[("Каримова", "Зарина")])
    return household.members.get(last_name="Ҳасанов")


@pytest.mark.parametrize("query", ["Hasanov", "Ҳасанов", "Хасанов", "hasanov farhod", "Khasanov"])
def test_every_spelling_finds_the_same_person(world, hasanov, query):
    results, _ = people_search(user=world.staff_a, query=query, jamoat_id=world.jamoat_a.pk)
    assert _ids(results) == [hasanov.pk]


def test_a_members_own_name_is_matched_not_the_whole_household(world, hasanov):
    results, _ = people_search(user=world.staff_a, query="Karimova", jamoat_id=None)
    assert [choice.label for choice in results] == ["Каримова Зарина"]


def test_out_of_scope_people_never_appear(world, hasanov, client_for):
    make_household(world.staff_b, world.village_b, head=("Ҳасанов", "Бахтиёр"))
    results, _ = people_search(user=world.staff_a, query="Hasanov", jamoat_id=world.jamoat_b.pk)
    assert results == []
    results, _ = people_search(user=world.staff_a, query="Hasanov", jamoat_id=None)
    assert _ids(results) == [hasanov.pk]
    body = client_for(world.staff_a).get(reverse("person-picker"), {
        "q": "Hasanov", "jamoat": "", "format": "json"}).json()
    assert [row["id"] for row in body["results"]] == [hasanov.pk]
    assert client_for(world.outsider).get(reverse("person-picker"), {"q": "Hasanov"}).status_code == 403
    assert people_search(user=world.outsider, query="Hasanov")[0] == []


def test_results_follow_the_tajik_alphabet(world):
    names = ["Юсупов", "Ҷалолов", "Шарипов", "Ӯрунов", "Чориев", "Ҳакимов", "Хол", "Қодиров", "Каримов",
             "Ёқубов", "Ерматов", "Ғаниев", "Гулов", "Абдуллоев", "Исоев", "Ӣлхомов"]
    for name in names:
        make_household(world.staff_a, world.village_a, head=(name, "Али"))
    results, _ = people_search(user=world.staff_a, jamoat_id=world.jamoat_a.pk)
    assert [choice.label.split()[0] for choice in results] == [
        "Абдуллоев", "Гулов", "Ғаниев", "Ерматов", "Ёқубов", "Исоев", "Ӣлхомов", "Каримов", "Қодиров",
        "Ӯрунов", "Хол", "Ҳакимов", "Чориев", "Ҷалолов", "Шарипов", "Юсупов"]
    assert sorted(["я", "ҳ", "х", "ё", "е"], key=tajik_key) == ["е", "ё", "х", "ҳ", "я"]


def test_staff_jamoat_is_preselected_and_the_no_js_page_sends_the_choice_back(world, hasanov, client_for):
    client = client_for(world.staff_a)
    form_page = reverse("training:consultation-create")
    page = client.get(reverse("person-picker"), {"kind": "member", "field": "member", "q": "Hasanov",
                                                 "next": form_page})
    html = page.content.decode()
    assert f'<option value="{world.jamoat_a.pk}" selected>' in html
    back = f"{form_page}?member={hasanov.pk}"
    assert f'href="{back}"' in html
    form = client.get(back).content.decode()
    assert f'<option value="{hasanov.pk}" selected>' in form
    # The form no longer carries every person of the jamoat.
    assert form.count("<option") < 40


def test_consultation_saved_with_a_picked_person(world, hasanov, client_for):
    from training.models import Consultation

    response = client_for(world.staff_a).post(reverse("training:consultation-create"), {
        "jamoat": world.jamoat_a.pk, "member": hasanov.pk, "date": "2026-01-05", "topic": "work_patent",
        "outcome": "informed"})
    assert response.status_code == 302
    assert Consultation.objects.get().member == hasanov
