"""Fill msgstr entries of .po files from a tab-separated file: msgid <TAB> tg <TAB> ru.

Usage: python scripts/po_fill.py [--strict] [--replace] TRANSLATIONS.tsv APP_OR_PROJECT_DIR
Fills <dir>/locale/tg and <dir>/locale/ru (and copies msgid to msgstr in en is unnecessary:
English is the source language). Only empty msgstr entries are filled (with `--replace`, the listed
singular entries are overwritten too, to correct translations in bulk); fuzzy flags are cleared
for the entries it fills. "\\n" in the TSV stands for a newline.

Each translation is checked against the glossary (docs/GLOSSARY.md) first: a string that uses a
rejected word, or not the approved one, is reported with its TSV line. `--strict` then fills
nothing and exits with status 1, so the fix is made in the TSV before it reaches a .po file.
"""

import ast
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from mha_portal import glossary  # noqa: E402


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def fill(po_path: Path, translations: dict[str, str], replace: bool = False) -> int:
    lines = po_path.read_text(encoding="utf-8").splitlines()
    out: list[str] = []
    filled = 0
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("msgid "):
            msgid_lines = [line]
            j = i + 1
            while j < len(lines) and lines[j].startswith('"'):
                msgid_lines.append(lines[j])
                j += 1
            msgid = "".join(ast.literal_eval(part.split(" ", 1)[1] if k == 0 else part)
                            for k, part in enumerate(msgid_lines))
            if j < len(lines) and lines[j].startswith("msgstr "):
                k = j + 1
                while k < len(lines) and lines[k].startswith('"'):
                    k += 1
                current = "".join(ast.literal_eval(p.split(" ", 1)[1] if n == 0 else p)
                                  for n, p in enumerate(lines[j:k]))
                if msgid and (replace or not current) and msgid in translations and current != translations[msgid]:
                    if out and out[-1].startswith("#, fuzzy"):
                        out.pop()
                    out.extend(msgid_lines)
                    out.append("msgstr " + quote(translations[msgid]))
                    filled += 1
                else:
                    out.extend(lines[i:k])
                i = k
                continue
        out.append(line)
        i += 1
    po_path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return filled


def glossary_warnings(tsv: Path, by_language: dict[str, dict[str, str]], rows: dict[str, int]) -> list[str]:
    terms = glossary.load()
    return [f"{tsv}:{rows[msgid]}: {language}: {problem} in “{text}”"
            for language, translations in by_language.items()
            for msgid, text in translations.items()
            for problem in glossary.problems(terms, language, msgid, text)]


def main() -> None:
    args = [arg for arg in sys.argv[1:] if arg not in ("--strict", "--replace")]
    tsv, target = Path(args[0]), Path(args[1])
    by_language: dict[str, dict[str, str]] = {"tg": {}, "ru": {}}
    rows: dict[str, int] = {}
    for number, row in enumerate(tsv.read_text(encoding="utf-8").splitlines(), start=1):
        if not row.strip() or row.startswith("#"):
            continue
        msgid, tg, ru = (cell.replace("\\n", "\n") for cell in row.split("\t"))
        by_language["tg"][msgid] = tg
        by_language["ru"][msgid] = ru
        rows[msgid] = number
    warnings = glossary_warnings(tsv, by_language, rows)
    for warning in warnings:
        print(f"glossary: {warning}", file=sys.stderr)
    if warnings and "--strict" in sys.argv[1:]:
        sys.exit(1)
    for language, translations in by_language.items():
        po = target / "locale" / language / "LC_MESSAGES" / "django.po"
        if po.exists():
            print(f"{po}: filled {fill(po, translations, replace='--replace' in sys.argv[1:])}")


if __name__ == "__main__":
    main()
