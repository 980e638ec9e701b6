"""Numbers as people at the centres type them."""

import re

# Thousands separators: space, no-break space, narrow no-break space, thin space, apostrophe.
_SEPARATORS = re.compile(r"[\s\u00a0\u202f\u2009']")


def normalise_decimal_text(text) -> str:
    """ "1 234,50" -> "1234.50": drops thousands separators and reads a lone comma as the decimal
    point (Russian and Tajik users write one). The result still has to be validated."""
    cleaned = _SEPARATORS.sub("", str(text or ""))
    if any(c.isdigit() and not c.isascii() for c in cleaned):
        # Python's Decimal reads "١٠٠" and "１００" as 100: refuse them rather than record an
        # amount the user never saw written the way the receipt will print it.
        return "invalid"
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    return cleaned
