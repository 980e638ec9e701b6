"""Every Tajik and Russian translation of a glossary term uses the approved word (docs/GLOSSARY.md)
and none of the rejected ones; a string that breaks it fails with its file and line."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings

from mha_portal import glossary

ROOT = Path(settings.BASE_DIR)
CATALOGUES = sorted(p for language in glossary.LANGUAGES
                    for p in ROOT.glob(f"*/locale/{language}/LC_MESSAGES/django.po") if ".venv" not in p.parts) + [
    ROOT / "locale" / language / "LC_MESSAGES" / "django.po" for language in glossary.LANGUAGES]
TERMS = glossary.load()


def _violations(po_path: Path) -> list[str]:
    language = po_path.parts[-3]
    with po_path.open("rb") as handle:
        catalogue = read_po(handle)
    found = []
    for message in catalogue:
        if not message.id or message.fuzzy:
            continue
        msgid = " ".join(message.id) if isinstance(message.id, tuple) else message.id
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        for form in forms:
            for problem in glossary.problems(TERMS, language, msgid, form):
                found.append(f"{po_path.relative_to(ROOT)}:{message.lineno}: {problem} in “{form}”")
    return found


def test_the_glossary_defines_every_programme_term_in_three_languages():
    names = {term.name for term in TERMS}
    required = {"household", "member", "migrant", "trip", "work patent", "registration", "entry ban", "MHA",
                "contribution", "receipt", "ledger", "fund", "reversal", "disbursement", "transfer",
                "exchange rate", "EU match", "eligible contributions", "release", "jamoat", "village", "region",
                "resource centre", "training session", "attendance", "consultation", "campaign", "indicator",
                "target", "actual", "period"}
    assert required <= names, required - names
    for term in TERMS:
        assert term.definition and term.approved["tg"] and term.approved["ru"], term.name
        assert term.stems["tg"] and term.stems["ru"], term.name


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_translations_use_the_glossary_terms(po_path):
    found = _violations(po_path)
    assert not found, f"{len(found)} string(s) break docs/GLOSSARY.md:\n" + "\n".join(found)


def test_a_rejected_word_fails_with_its_file_and_line(tmp_path):
    po = tmp_path / "tg" / "LC_MESSAGES" / "django.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                  '#: views.py:1\nmsgid "EU match (EUR)"\nmsgstr "Ҳамоҳангсозии ИА (EUR)"\n', encoding="utf-8")
    found = glossary.problems(TERMS, "tg", "EU match (EUR)", "Ҳамоҳангсозии ИА (EUR)")
    assert any("ҳаммаблағгузорӣ" in problem for problem in found)
    assert any("Ҳамоҳангсоз" in problem for problem in found)
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert re.match(r"tg/LC_MESSAGES/django\.po:6: ", _violations(po)[0])
    finally:
        ROOT = saved


def test_inflected_forms_of_the_approved_word_pass():
    assert glossary.problems(TERMS, "ru", "%(counter)s households", "%(counter)s домохозяйствами") == []
    assert glossary.problems(TERMS, "tg", "Households", "Хонаводаҳо") == []
    assert glossary.problems(TERMS, "ru", "Ledger", "Журнал") != []


COUNTED = [
    ("The project benefits %(n)s household; the window requires at least %(min)s.",
     "The project benefits %(n)s households; the window requires at least %(min)s.",
     {"n": "{n}", "min": 10}, ("домохозяйство", "домохозяйства", "домохозяйств")),
    ("%(p)s person", "%(p)s people", {"p": "{n}"}, ("человек", "человека", "человек")),
    ("%(h)s household, %(people)s", "%(h)s households, %(people)s", {"h": "{n}", "people": "…"},
     ("домохозяйство", "домохозяйства", "домохозяйств")),
    ("%(d)s: %(h)s household and %(people)s reached", "%(d)s: %(h)s households and %(people)s reached",
     {"d": "01.12.2026", "h": "{n}", "people": "…"}, ("домохозяйство", "домохозяйства", "домохозяйств")),
    ("No %(currency)s exchange rate for %(date)s or the %(days)d day before it. "
     "Ask a programme officer to enter the National Bank rate.",
     "No %(currency)s exchange rate for %(date)s or the %(days)d days before it. "
     "Ask a programme officer to enter the National Bank rate.",
     {"currency": "RUB", "date": "01.12.2026", "days": "{n}"}, ("день", "дня", "дней")),
    ("The report stopped %(n)d time while being built; it was not retried again.",
     "The report stopped %(n)d times while being built; it was not retried again.",
     {"n": "{n}"}, ("раз", "раза", "раз")),
    ("%(interviews)s; %(r)s household received remittances (%(pct)s%%).",
     "%(interviews)s; %(r)s households received remittances (%(pct)s%%).",
     {"interviews": "…", "r": "{n}", "pct": "50"}, ("домохозяйство", "домохозяйства", "домохозяйств")),
]


@pytest.mark.parametrize("singular, plural, values, words", COUNTED, ids=lambda v: v[:30] if isinstance(v, str) else "")
@pytest.mark.parametrize("n, form", [(1, 0), (2, 1), (4, 1), (5, 2), (11, 2), (21, 0), (22, 1), (25, 2)])
def test_russian_numbers_agree_with_their_noun(singular, plural, values, words, n, form):
    from django.utils import translation

    filled = {key: (int(n) if value == "{n}" else value) for key, value in values.items()}
    with translation.override("ru"):
        text = translation.ngettext(singular, plural, n) % filled
    assert re.search(rf"\b{n}\b", text), text
    assert re.search(rf"\b{words[form]}\b", text), text


@pytest.mark.parametrize("po_path", CATALOGUES + sorted(ROOT.glob("*/locale/en/LC_MESSAGES/django.po")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_plural_entries_have_as_many_forms_as_the_language(po_path):
    with po_path.open("rb") as handle:
        catalogue = read_po(handle)
    wrong = [f"{po_path.relative_to(ROOT)}:{m.lineno}" for m in catalogue
             if isinstance(m.id, tuple) and len(m.string) != catalogue.num_plurals]
    assert not wrong, f"plural entries without {catalogue.num_plurals} forms: {wrong}"


def _po_fill(tmp_path, rows: str, *flags: str):
    import subprocess
    import sys

    for language in ("tg", "ru"):
        po = tmp_path / "app" / "locale" / language / "LC_MESSAGES" / "django.po"
        po.parent.mkdir(parents=True, exist_ok=True)
        po.write_text('msgid ""\nmsgstr ""\n\nmsgid "EU match (EUR)"\nmsgstr ""\n', encoding="utf-8")
    tsv = tmp_path / "new.tsv"
    tsv.write_text(rows, encoding="utf-8")
    script = ROOT / "scripts" / "po_fill.py"
    return subprocess.run([sys.executable, str(script), *flags, str(tsv), str(tmp_path / "app")],
                          capture_output=True, text=True, check=False)


def test_po_fill_warns_with_the_tsv_line_when_a_string_breaks_the_glossary(tmp_path):
    result = _po_fill(tmp_path, "# header\nEU match (EUR)\tҲамоҳангсозии ИА (EUR)\tСофинансирование ЕС (EUR)\n")
    assert result.returncode == 0
    assert "new.tsv:2: tg:" in result.stderr and "ҳаммаблағгузорӣ" in result.stderr
    assert "ru:" not in result.stderr


def test_po_fill_strict_fills_nothing_when_a_string_breaks_the_glossary(tmp_path):
    result = _po_fill(tmp_path, "EU match (EUR)\tҲамоҳангсозии ИА (EUR)\tСофинансирование ЕС (EUR)\n", "--strict")
    assert result.returncode == 1
    assert 'msgstr ""' in (tmp_path / "app/locale/ru/LC_MESSAGES/django.po").read_text(encoding="utf-8")


def test_po_fill_fills_a_string_that_follows_the_glossary(tmp_path):
    result = _po_fill(tmp_path, "EU match (EUR)\tҲаммаблағгузории ИА (EUR)\tСофинансирование ЕС (EUR)\n", "--strict")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    tg = (tmp_path / "app/locale/tg/LC_MESSAGES/django.po").read_text(encoding="utf-8")
    assert 'msgstr "Ҳаммаблағгузории ИА (EUR)"' in tg


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_translation_shown_follows_the_glossary_too(po_path):
    """Django merges every catalogue and the first app listed wins: a msgid that Django itself or an
    earlier app also translates (“Sessions” is Django's login sessions, «Сессияҳо») shows that other
    text. Checked on what gettext returns, not only on what this file says."""
    from django.utils import translation

    language = po_path.parts[-3]
    with po_path.open("rb") as handle:
        catalogue = read_po(handle)
    found = []
    with translation.override(language):
        for message in catalogue:
            if not message.id or message.fuzzy or isinstance(message.id, tuple) or not message.string:
                continue
            shown = (translation.pgettext(message.context, message.id) if message.context
                     else translation.gettext(message.id))
            for problem in glossary.problems(TERMS, language, message.id, shown):
                found.append(f"{po_path.relative_to(ROOT)}:{message.lineno}: shows “{shown}”: {problem}")
    assert not found, "\n".join(found)


@pytest.mark.django_db
def test_the_tajik_project_pages_call_the_eu_money_hammablaghguzori(world, client_for, settings):
    from tests.projects.factories import appraised, make_window

    project = appraised(world.staff_a, world.treasurer_a, world.association_a, world.village_a,
                        make_window(min_households=1))
    client = client_for(world.officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "tg"
    for path in (f"/projects/{project.pk}/", "/projects/", "/projects/windows/", "/projects/queue/"):
        html = client.get(path).content.decode()
        assert "ҳамоҳангсоз" not in html.lower(), path
    detail = client.get(f"/projects/{project.pk}/").content.decode().lower()
    assert "ҳаммаблағгузор" in detail


def test_po_fill_replace_corrects_an_existing_translation(tmp_path):
    good = "EU match (EUR)\tҲаммаблағгузории ИА (EUR)\tСофинансирование ЕС (EUR)\n"
    _po_fill(tmp_path, "EU match (EUR)\tҲамоҳангсозии ИА (EUR)\tСофинансирование ЕС (EUR)\n")
    tg = tmp_path / "app/locale/tg/LC_MESSAGES/django.po"
    subprocess_result = _po_fill_existing(tmp_path, good)
    assert "Ҳамоҳангсозии" in tg.read_text(encoding="utf-8"), subprocess_result.stdout
    _po_fill_existing(tmp_path, good, "--replace", "--strict")
    assert 'msgstr "Ҳаммаблағгузории ИА (EUR)"' in tg.read_text(encoding="utf-8")


def _po_fill_existing(tmp_path, rows: str, *flags: str):
    import subprocess
    import sys

    tsv = tmp_path / "fix.tsv"
    tsv.write_text(rows, encoding="utf-8")
    script = ROOT / "scripts" / "po_fill.py"
    return subprocess.run([sys.executable, str(script), *flags, str(tsv), str(tmp_path / "app")],
                          capture_output=True, text=True, check=False)
