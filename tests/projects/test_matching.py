"""The EU matching arithmetic: exact Decimal, each of its three limits, and random contributions."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from projects.matching import eu_match

D = Decimal


def test_one_to_one_matches_the_contributions_exactly():
    assert eu_match(contributions=[D("1200.50"), D("799.50")], ratio=D("1"), cap=D("10000"),
                    remaining=D("50000")) == D("2000.00")


def test_cap_per_project_limits_the_match():
    assert eu_match(contributions=[D("8000")], ratio=D("2"), cap=D("10000"), remaining=D("50000")) == D("10000.00")


def test_remaining_budget_limits_the_match():
    assert eu_match(contributions=[D("8000")], ratio=D("1"), cap=D("10000"), remaining=D("3000.01")) == D("3000.01")


def test_exhausted_budget_matches_nothing():
    assert eu_match(contributions=[D("8000")], ratio=D("1"), cap=D("10000"), remaining=D("0")) == D("0.00")


def test_no_contributions_match_nothing():
    assert eu_match(contributions=[], ratio=D("3"), cap=D("10000"), remaining=D("50000")) == D("0.00")


def test_fractional_ratio_rounds_down_to_the_cent():
    # 0.33 × 0.05 = 0.0165: the match never exceeds the ratio's product.
    assert eu_match(contributions=[D("0.05")], ratio=D("0.33"), cap=D("10"), remaining=D("10")) == D("0.01")


def test_three_for_one_ratio_like_mexico():
    assert eu_match(contributions=[D("100.10")], ratio=D("3"), cap=D("1000"), remaining=D("1000")) == D("300.30")


def test_limits_at_exactly_the_product_give_the_product():
    assert eu_match(contributions=[D("500")], ratio=D("2"), cap=D("1000"), remaining=D("1000")) == D("1000.00")


def test_negative_contribution_is_refused():
    with pytest.raises(ValueError):
        eu_match(contributions=[D("-1")], ratio=D("1"), cap=D("10"), remaining=D("10"))


cents = st.decimals(min_value=D("0"), max_value=D("100000"), places=2, allow_nan=False, allow_infinity=False)
ratios = st.decimals(min_value=D("0.01"), max_value=D("5"), places=2, allow_nan=False, allow_infinity=False)


@given(contributions=st.lists(cents, max_size=30), ratio=ratios, cap=cents, remaining=cents)
def test_match_never_exceeds_any_limit_and_is_exact(contributions, ratio, cap, remaining):
    match = eu_match(contributions=contributions, ratio=ratio, cap=cap, remaining=remaining)
    product = ratio * sum(contributions, D("0"))
    assert isinstance(match, Decimal)
    assert match.as_tuple().exponent == -2
    assert D("0") <= match <= min(product, cap, remaining)
    # Rounded down by less than a cent: nothing lost beyond the cent.
    assert min(product, cap, remaining) - match < D("0.01")


@given(contributions=st.lists(cents, min_size=1, max_size=30), ratio=ratios)
def test_match_does_not_depend_on_the_order_of_contributions(contributions, ratio):
    forward = eu_match(contributions=contributions, ratio=ratio, cap=D("1e9"), remaining=D("1e9"))
    backward = eu_match(contributions=list(reversed(contributions)), ratio=ratio, cap=D("1e9"), remaining=D("1e9"))
    assert forward == backward
