"""Amounts in words on receipts: known values in Tajik, Russian and English, and properties that
must hold for every amount."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mha_portal.words import amount_in_words, russian_form, tajik_cardinal

KNOWN = [
    # amount, currency, Tajik, Russian, English
    ("0", "TJS", "Сифр сомонӣ 00 дирам", "Ноль сомони 00 дирамов", "Zero somoni 00 dirams"),
    ("1", "RUB", "Як рубл 00 копейк", "Один рубль 00 копеек", "One rouble 00 kopeks"),
    ("11", "USD", "Ёздаҳ доллари ИМА 00 сент", "Одиннадцать долларов США 00 центов", "Eleven US dollars 00 cents"),
    ("21", "RUB", "Бисту як рубл 00 копейк", "Двадцать один рубль 00 копеек", "Twenty-one roubles 00 kopeks"),
    ("100", "TJS", "Сад сомонӣ 00 дирам", "Сто сомони 00 дирамов", "One hundred somoni 00 dirams"),
    ("101", "EUR", "Саду як евро 00 сент", "Сто один евро 00 евроцентов", "One hundred and one euros 00 cents"),
    ("1000", "RUB", "Як ҳазор рубл 00 копейк", "Одна тысяча рублей 00 копеек", "One thousand roubles 00 kopeks"),
    ("1000000", "TJS", "Як миллион сомонӣ 00 дирам", "Один миллион сомони 00 дирамов",
     "One million somoni 00 dirams"),
    ("1.01", "RUB", "Як рубл 01 копейк", "Один рубль 01 копейка", "One rouble 01 kopek"),
    ("2.22", "RUB", "Ду рубл 22 копейк", "Два рубля 22 копейки", "Two roubles 22 kopeks"),
    ("1234.50", "TJS", "Як ҳазору дусаду сию чор сомонӣ 50 дирам",
     "Одна тысяча двести тридцать четыре сомони 50 дирамов",
     "One thousand two hundred and thirty-four somoni 50 dirams"),
    ("398234.50", "RUB", "Сесаду наваду ҳашт ҳазору дусаду сию чор рубл 50 копейк",
     "Триста девяносто восемь тысяч двести тридцать четыре рубля 50 копеек",
     "Three hundred and ninety-eight thousand two hundred and thirty-four roubles 50 kopeks"),
    ("15.11", "USD", "Понздаҳ доллари ИМА 11 сент", "Пятнадцать долларов США 11 центов",
     "Fifteen US dollars 11 cents"),
]


@pytest.mark.parametrize(("amount", "currency", "tg", "ru", "en"), KNOWN)
def test_known_amounts_in_three_languages(amount, currency, tg, ru, en):
    assert amount_in_words(Decimal(amount), currency, "tg") == tg
    assert amount_in_words(Decimal(amount), currency, "ru") == ru
    assert amount_in_words(Decimal(amount), currency, "en") == en


@pytest.mark.parametrize(("number", "words"), [
    (0, "сифр"), (1, "як"), (11, "ёздаҳ"), (19, "нуздаҳ"), (20, "бист"), (21, "бисту як"), (30, "сӣ"),
    (31, "сию як"), (99, "наваду нӯҳ"), (100, "сад"), (101, "саду як"), (110, "саду даҳ"), (200, "дусад"),
    (999, "нӯҳсаду наваду нӯҳ"), (1000, "як ҳазор"), (1001, "як ҳазору як"), (2000, "ду ҳазор"),
    (21000, "бисту як ҳазор"), (1000000, "як миллион"), (2500000, "ду миллиону панҷсад ҳазор"),
    (1000000000, "як миллиард"),
])
def test_tajik_cardinals(number, words):
    assert tajik_cardinal(number) == words


@pytest.mark.parametrize(("number", "form"), [(1, "рубль"), (2, "рубля"), (4, "рубля"), (5, "рублей"),
                                              (11, "рублей"), (14, "рублей"), (21, "рубль"), (22, "рубля"),
                                              (111, "рублей"), (101, "рубль")])
def test_russian_plural_forms(number, form):
    assert russian_form(number, ("рубль", "рубля", "рублей")) == form


TAJIK_WORDS = {"сифр", "як", "ду", "се", "чор", "панҷ", "шаш", "ҳафт", "ҳашт", "нӯҳ", "даҳ", "ёздаҳ", "дувоздаҳ",
               "сенздаҳ", "чордаҳ", "понздаҳ", "шонздаҳ", "ҳабдаҳ", "ҳаждаҳ", "нуздаҳ", "бист", "сӣ", "чил",
               "панҷоҳ", "шаст", "ҳафтод", "ҳаштод", "навад", "сад", "ҳазор", "миллион", "миллиард"}


def _tajik_value(text: str) -> int:
    """Read Tajik number words back (the inverse of the speller), to check it round-trips."""
    values = {word: n for n, word in enumerate(["сифр", "як", "ду", "се", "чор", "панҷ", "шаш", "ҳафт", "ҳашт",
                                                 "нӯҳ", "даҳ", "ёздаҳ", "дувоздаҳ", "сенздаҳ", "чордаҳ",
                                                 "понздаҳ", "шонздаҳ", "ҳабдаҳ", "ҳаждаҳ", "нуздаҳ"])}
    values.update({"бист": 20, "сӣ": 30, "чил": 40, "панҷоҳ": 50, "шаст": 60, "ҳафтод": 70, "ҳаштод": 80,
                   "навад": 90})
    scales = {"ҳазор": 1000, "миллион": 10 ** 6, "миллиард": 10 ** 9}
    total, group = 0, 0
    for raw in text.split():
        word = raw[:-2] + "ӣ" if raw.endswith("ию") else (raw[:-1] if raw[-1] in "ую" and raw[:-1] in
                                                          TAJIK_WORDS | {h + "сад" for h in values} else raw)
        if word in scales:
            total += (group or 1) * scales[word]
            group = 0
        elif word == "сад":
            group += 100
        elif word.endswith("сад"):
            group += values[word[:-3]] * 100
        else:
            group += values[word]
    return total + group


@given(st.integers(min_value=0, max_value=999_999_999_999))
def test_tajik_speller_round_trips(number):
    assert _tajik_value(tajik_cardinal(number)) == number


@given(st.decimals(min_value=0, max_value=10_000_000, places=2, allow_nan=False, allow_infinity=False),
       st.sampled_from(["TJS", "RUB", "USD", "EUR"]), st.sampled_from(["tg", "ru", "en"]))
def test_every_amount_has_words_and_its_minor_units_in_figures(amount, currency, language):
    text = amount_in_words(amount, currency, language)
    assert text[0].isupper()
    assert f" {int(amount * 100) % 100:02d} " in text
    assert not any(char.isdigit() for char in text.split(f" {int(amount * 100) % 100:02d} ")[0])
