"""The programme's glossary (docs/GLOSSARY.md) as data, and the one check of a translation against
it. Used by tests/mha_portal/test_glossary.py (every .po file) and scripts/po_fill.py (each string
it fills). Pure Python with no Django import, so the script runs without settings."""

import re
from dataclasses import dataclass, field
from pathlib import Path

GLOSSARY = Path(__file__).resolve().parent.parent / "docs" / "GLOSSARY.md"
LANGUAGES = ("tg", "ru")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|\{[^{}]*\}")


@dataclass(frozen=True)
class Term:
    name: str
    english: re.Pattern
    approved: dict[str, str]
    stems: dict[str, list[re.Pattern]]
    rejected: dict[str, list[re.Pattern]]
    definition: str
    exceptions: frozenset[str] = field(default_factory=frozenset)


def _cells(line: str) -> list[str]:
    # Table cells split on "|" but not on "\|", which a regular expression may need.
    cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
    return [cell.strip().replace("\\|", "|") for cell in cells]


def _code(cell: str) -> str:
    return cell[1:-1] if cell.startswith("`") and cell.endswith("`") else cell


def _patterns(cell: str) -> list[re.Pattern]:
    if cell in ("—", ""):
        return []
    return [re.compile(_code(part.strip()), re.IGNORECASE) for part in cell.split(";")]


def _tables(text: str) -> list[list[list[str]]]:
    tables, rows = [], []
    for line in text.splitlines():
        if line.startswith("|"):
            rows.append(_cells(line))
        elif rows:
            tables.append(rows)
            rows = []
    if rows:
        tables.append(rows)
    return [table[2:] for table in tables]  # drop the header and the |---| line


def load(path: Path = GLOSSARY) -> list[Term]:
    terms_table, exceptions_table = _tables(path.read_text(encoding="utf-8"))
    exceptions: dict[str, set[str]] = {}
    for name, msgid, _why in exceptions_table:
        exceptions.setdefault(name, set()).add(_code(msgid))
    terms = []
    for name, english, tg, tg_stems, tg_rejected, ru, ru_stems, ru_rejected, definition in terms_table:
        terms.append(Term(
            name=name, english=re.compile(_code(english), re.IGNORECASE), approved={"tg": tg, "ru": ru},
            stems={"tg": _patterns(tg_stems), "ru": _patterns(ru_stems)},
            rejected={"tg": _patterns(tg_rejected), "ru": _patterns(ru_rejected)},
            definition=definition, exceptions=frozenset(exceptions.get(name, ()))))
    return terms


def problems(terms: list[Term], language: str, msgid: str, msgstr: str) -> list[str]:
    """What is wrong with one translation; an empty list when it follows the glossary."""
    if language not in LANGUAGES or not msgstr:
        return []
    found = []
    text = PLACEHOLDER.sub(" ", msgid)  # "%(jamoat)s" names a value, it is not the word
    for term in terms:
        if msgid in term.exceptions or not term.english.search(text):
            continue
        if not any(stem.search(msgstr) for stem in term.stems[language]):
            found.append(f"“{term.name}” should be “{term.approved[language]}”")
        for rejected in term.rejected[language]:
            hit = rejected.search(msgstr)
            if hit:
                found.append(f"“{term.name}” must not be “{hit.group(0)}”")
    return found
