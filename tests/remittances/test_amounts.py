"""Amounts as Russian and Tajik users type them: space or NBSP thousands, comma decimals."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from remittances.money import parse_amount


def _typed(value: Decimal, separator: str, decimal_mark: str) -> str:
    whole, cents = f"{value:.2f}".split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return separator.join(groups) + decimal_mark + cents


@given(value=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2),
       separator=st.sampled_from(["", " ", "\u00a0", "\u202f"]), decimal_mark=st.sampled_from([",", "."]))
def test_any_amount_typed_with_local_separators_reads_back_exactly(value, separator, decimal_mark):
    assert parse_amount(_typed(value, separator, decimal_mark)) == value


@pytest.mark.parametrize("typed", ["", "abc", "1,2,3", "1.234,50", "12,345", "1e5", "NaN", "--5", "0", "-1"])
def test_ambiguous_or_non_numeric_text_is_refused(typed):
    with pytest.raises(ValidationError):
        parse_amount(typed)
