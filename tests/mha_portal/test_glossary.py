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
