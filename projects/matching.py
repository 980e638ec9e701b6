"""The EU matching rule as plain Decimal arithmetic, with no database: easy to test exhaustively.

match = min(ratio × eligible contributions, cap per project, remaining programme budget),
rounded down to the cent so that a match never exceeds any of its three limits.
"""

from collections.abc import Iterable
from decimal import ROUND_DOWN, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0")


def eu_match(*, contributions: Iterable[Decimal], ratio: Decimal, cap: Decimal, remaining: Decimal) -> Decimal:
    """The EU match for a project, in EUR.

    `contributions` are the community's eligible contributions in EUR (each ≥ 0); `ratio` is EU
    money per unit contributed; `cap` the per-project cap; `remaining` what is left of the
    programme's EU budget. Never negative, never above any limit.
    """
    eligible = sum((Decimal(c) for c in contributions), ZERO)
    if eligible < 0 or ratio < 0:
        raise ValueError("contributions and ratio must not be negative")
    matched = min(ratio * eligible, cap, remaining)
    return max(matched, ZERO).quantize(CENT, rounding=ROUND_DOWN)


def followed_match(*, current: Decimal, eligible: Decimal, ratio: Decimal, cap: Decimal) -> Decimal:
    """An approved project's match once its eligible contributions changed.

    min(ratio × eligible now, cap, what was committed): it can only go down after approval, the
    difference returning to the window. Rounded down like `eu_match`.
    """
    return eu_match(contributions=[max(eligible, ZERO)], ratio=ratio, cap=cap, remaining=current)
