"""Fill msgstr entries of .po files from a tab-separated file: msgid <TAB> tg <TAB> ru.

Usage: python scripts/po_fill.py TRANSLATIONS.tsv APP_OR_PROJECT_DIR
Fills <dir>/locale/tg and <dir>/locale/ru (and copies msgid to msgstr in en is unnecessary:
English is the source language). Only empty msgstr entries are filled; fuzzy flags are cleared
for the entries it fills. "\\n" in the TSV stands for a newline.
"""

import ast
import sys
from pathlib import Path


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def fill(po_path: Path, translations: dict[str, str]) -> int:
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
                if msgid and not current and msgid in translations:
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


def main() -> None:
    tsv, target = Path(sys.argv[1]), Path(sys.argv[2])
    by_language: dict[str, dict[str, str]] = {"tg": {}, "ru": {}}
    for row in tsv.read_text(encoding="utf-8").splitlines():
        if not row.strip() or row.startswith("#"):
            continue
        msgid, tg, ru = (cell.replace("\\n", "\n") for cell in row.split("\t"))
        by_language["tg"][msgid] = tg
        by_language["ru"][msgid] = ru
    for language, translations in by_language.items():
        po = target / "locale" / language / "LC_MESSAGES" / "django.po"
        if po.exists():
            print(f"{po}: filled {fill(po, translations)}")


if __name__ == "__main__":
    main()
