"""Amounts in words for receipts, in the receipt's language: Tajik (our own speller: no library
covers it), Russian and English (num2words, with the currency nouns declined here).

`amount_in_words(Decimal("1234.50"), "TJS", "tg")` → "Як ҳазору дусаду сию чор сомонӣ 50 дирам".
The minor unit is written in figures, as on Tajik and Russian payment documents.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from num2words import num2words

# Tajik ----------------------------------------------------------------------------------------

TG_ONES = ["", "як", "ду", "се", "чор", "панҷ", "шаш", "ҳафт", "ҳашт", "нӯҳ", "даҳ", "ёздаҳ", "дувоздаҳ",
           "сенздаҳ", "чордаҳ", "понздаҳ", "шонздаҳ", "ҳабдаҳ", "ҳаждаҳ", "нуздаҳ"]
TG_TENS = ["", "", "бист", "сӣ", "чил", "панҷоҳ", "шаст", "ҳафтод", "ҳаштод", "навад"]
TG_SCALES = [(10 ** 12, "триллион"), (10 ** 9, "миллиард"), (10 ** 6, "миллион"), (1000, "ҳазор")]
TG_VOWELS = set("аеёиӣоуӯэюя")


def _tg_join(words: list[str]) -> str:
    """Parts of a Tajik number are joined by the conjunction "-у" (after a vowel "-ю"):
    бисту як (21), сию ду (32), саду як (101), як ҳазору як (1001)."""
    joined = []
    for index, word in enumerate(words):
        if index < len(words) - 1:
            # a final "ӣ" shortens before the conjunction: сӣ → сию
            word = word[:-1] + "ию" if word.endswith("ӣ") else word + ("ю" if word[-1] in TG_VOWELS else "у")
        joined.append(word)
    return " ".join(joined)


def _tg_below_thousand(number: int) -> list[str]:
    parts = []
    hundreds, rest = divmod(number, 100)
    if hundreds:
        parts.append("сад" if hundreds == 1 else f"{TG_ONES[hundreds]}сад")
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        parts.append(TG_TENS[tens])
        if ones:
            parts.append(TG_ONES[ones])
    elif rest:
        parts.append(TG_ONES[rest])
    return parts


def tajik_cardinal(number: int) -> str:
    """A whole number in Tajik words: 0 сифр, 21 бисту як, 1000 як ҳазор, 1 000 000 як миллион."""
    if number < 0:
        return f"минус {tajik_cardinal(-number)}"
    if number == 0:
        return "сифр"
    groups = []  # each group: the words of one scale ("ду ҳазор"), joined by "-у" between groups
    for scale, name in TG_SCALES:
        count, number = divmod(number, scale)
        if count:
            groups.append(f"{_tg_join(_tg_below_thousand(count))} {name}")
    parts = groups + _tg_below_thousand(number)
    return _tg_join(parts)


# Currency nouns ---------------------------------------------------------------------------------

# Russian: forms for 1, 2–4 and 5–20 (рубль, рубля, рублей). Every major unit is masculine (or
# indeclinable), so num2words' masculine "один", "два" agree; minor units are in figures.
RU_UNITS = {
    "TJS": (("сомони", "сомони", "сомони"), ("дирам", "дирама", "дирамов")),
    "RUB": (("рубль", "рубля", "рублей"), ("копейка", "копейки", "копеек")),
    "USD": (("доллар США", "доллара США", "долларов США"), ("цент", "цента", "центов")),
    "EUR": (("евро", "евро", "евро"), ("евроцент", "евроцента", "евроцентов")),
}
EN_UNITS = {
    "TJS": (("somoni", "somoni"), ("diram", "dirams")),
    "RUB": (("rouble", "roubles"), ("kopek", "kopeks")),
    "USD": (("US dollar", "US dollars"), ("cent", "cents")),
    "EUR": (("euro", "euros"), ("cent", "cents")),
}
# Tajik nouns stay singular after a numeral.
TG_UNITS = {"TJS": ("сомонӣ", "дирам"), "RUB": ("рубл", "копейк"), "USD": ("доллари ИМА", "сент"),
            "EUR": ("евро", "сент")}


def russian_form(number: int, forms: tuple[str, str, str]) -> str:
    last_two, last = number % 100, number % 10
    if 11 <= last_two <= 19:
        return forms[2]
    if last == 1:
        return forms[0]
    if 2 <= last <= 4:
        return forms[1]
    return forms[2]


def _split(amount: Decimal) -> tuple[int, int]:
    cents = int((abs(Decimal(amount)) * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    return divmod(cents, 100)


def amount_in_words(amount, currency: str, language: str) -> str:
    """The amount as written on a receipt, first letter capitalised; minor units in figures."""
    whole, minor = _split(Decimal(amount))
    language = (language or "en").split("-")[0].lower()
    if language == "tg":
        unit, sub = TG_UNITS.get(currency, (currency, ""))
        text = f"{tajik_cardinal(whole)} {unit} {minor:02d} {sub}".strip()
    elif language == "ru":
        units, subunits = RU_UNITS.get(currency, ((currency,) * 3, ("",) * 3))
        text = (f"{num2words(whole, lang='ru')} {russian_form(whole, units)} "
                f"{minor:02d} {russian_form(minor, subunits)}").strip()
    else:
        units, subunits = EN_UNITS.get(currency, ((currency, currency), ("", "")))
        text = (f"{num2words(whole, lang='en').replace(',', '')} {units[0] if whole == 1 else units[1]} "
                f"{minor:02d} {subunits[0] if minor == 1 else subunits[1]}").strip()
    return text[:1].upper() + text[1:]
