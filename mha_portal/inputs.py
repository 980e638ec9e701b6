"""Reading ids and numbers from query strings without ever raising.

`"²".isdigit()` is True and `int("²")` fails; `int("٣")` is 3; a 20-digit id overflows the
database's bigint. Every query parameter that names a row goes through `parse_id`.
"""

MAX_ID = 2**63 - 1


def parse_id(value) -> int | None:
    """A positive id from ASCII digits within the database's range, else None."""
    text = str(value or "").strip()
    if not text or not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
