"""The receipt a household keeps: amount in figures and words in the receipt's language, payer
and treasurer by name, signature lines, the verification code, and the receipt number."""

import io

import pytest
from django.conf import settings
from pypdf import PdfReader

from tests.remittances.factories import contribute, make_household, make_rates

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(world):
    make_rates(days=5)
    payer = make_household(world.village_a, member_of=world.association_a)
    payer.head = payer.members.get()
    payer.save()
    world.treasurer_a.first_name, world.treasurer_a.last_name = "Саодат", "Бобоева"
    world.treasurer_a.save()
    return contribute(world.treasurer_a, world.association_a, payer, "1 234,50", "TJS")


def _text(client, entry, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(f"/ledger/entries/{entry.pk}/receipt.pdf")
    assert response.status_code == 200
    # Words wrapped at a hyphen ("thirty-\nfour") are joined back.
    return " ".join(PdfReader(io.BytesIO(response.content)).pages[0].extract_text().split()).replace("- ", "-")


@pytest.mark.parametrize(("language", "words"), [
    ("tg", "Як ҳазору дусаду сию чор сомонӣ 50 дирам"),
    ("ru", "Одна тысяча двести тридцать четыре сомони 50 дирамов"),
    ("en", "One thousand two hundred and thirty-four somoni 50 dirams"),
])
def test_receipt_has_amount_in_words_names_signatures_and_code(world, entry, client_for, language, words):
    text = _text(client_for(world.treasurer_a), entry, language)
    assert words in text
    assert "Раҳимов Ҷамшед" in text  # the payer household's head, by name
    assert "Саодат Бобоева" in text and "treasurer-a" not in text
    assert text.count("____") >= 2
    assert entry.verification_code in text
    assert str(entry.receipt_number) in text


def test_people_are_shown_by_name_not_username(world):
    world.staff_a.first_name, world.staff_a.last_name = "Нигина", "Каримова"
    assert str(world.staff_a) == "Нигина Каримова"
    world.outsider.first_name = ""
    assert str(world.outsider) == "outsider"
