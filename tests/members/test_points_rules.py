"""Points, growth and tiers: earned once on completion, taken back pro rata on returns."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.members.rules import (
    Standing,
    Tier,
    award_for,
    discount_for,
    reversal_for,
    share_returned,
    smallest_redemption,
    tier_for,
)


def test_tiers_follow_growth_thresholds():
    assert [tier_for(g).tier for g in (0, 999, 1_000, 4_999, 5_000, 20_000)] == [
        Tier.STANDARD, Tier.STANDARD, Tier.SILVER, Tier.SILVER, Tier.GOLD, Tier.DIAMOND]


def test_one_yuan_paid_earns_one_growth_and_the_tier_rate_in_points():
    award = award_for(Standing(points=0, growth=5_000), paid_minor=12_345)  # 123.45 yuan, gold
    assert (award.growth, award.points) == (123, 184)  # 123 x 1.5 = 184.5, rounded down
    assert award.tier_before is award.tier_after is Tier.GOLD


def test_the_rate_is_the_tier_before_the_award_and_a_tier_change_is_reported():
    award = award_for(Standing(points=0, growth=990), paid_minor=5_000)  # 50 yuan
    assert award.points == 50  # standard rate: the silver rate starts with the next order
    assert (award.tier_before, award.tier_after) == (Tier.STANDARD, Tier.SILVER)


def test_a_full_refund_takes_back_exactly_what_was_earned_and_can_lower_the_tier():
    award = award_for(Standing(0, 990), 5_000)
    back = reversal_for(award, already_refunded_minor=0, refund_minor=5_000, current_growth=1_040)
    assert (back.points, back.growth, back.tier_after) == (50, 50, Tier.STANDARD)


def test_a_partial_refund_takes_back_its_share():
    award = award_for(Standing(0, 0), 10_000)  # 100 yuan: 100 points, 100 growth
    back = reversal_for(award, 0, 2_500, current_growth=100)
    assert (back.points, back.growth) == (25, 25)


@given(paid=st.integers(0, 10**7), growth=st.integers(0, 50_000),
       refunds=st.lists(st.integers(0, 10**7), max_size=8))
def test_refunds_never_take_back_more_than_was_awarded(paid, growth, refunds):
    award = award_for(Standing(0, growth), paid)
    refunded, points_back, growth_back = 0, 0, 0
    for refund in refunds:
        back = reversal_for(award, refunded, refund, growth + award.growth - growth_back)
        assert back.points >= 0 and back.growth >= 0
        refunded += refund
        points_back += back.points
        growth_back += back.growth
        assert points_back <= award.points and growth_back <= award.growth
    if refunded >= paid:
        assert (points_back, growth_back) == (award.points, award.growth)


def test_a_hundred_points_take_a_yuan_off_and_only_whole_fen_are_taken():
    assert (discount_for(0), discount_for(1), discount_for(2_550)) == (0, 1, 2_550)
    assert smallest_redemption() == 1
    assert discount_for(3, points_per_yuan=200) is None  # 1.5 fen
    assert (smallest_redemption(200), discount_for(4, points_per_yuan=200)) == (2, 2)
    assert (smallest_redemption(30), discount_for(3, points_per_yuan=30)) == (3, 10)


@given(goods=st.integers(1, 10**7), whole_share=st.integers(0, 100),
       units=st.lists(st.integers(1, 50), min_size=1, max_size=8))
def test_returns_give_back_at_most_the_whole_and_all_of_it_once_everything_is_back(
        goods, whole_share, units):
    """Goods worth ``goods`` split into parts returned one after another: each gives back its
    share of what was paid (or of the points spent), never more in all, and all at the end."""
    whole = goods * whole_share // 100
    parts = [goods * sum(units[:i + 1]) // sum(units) - goods * sum(units[:i]) // sum(units)
             for i in range(len(units))]
    back, returned = 0, 0
    for part in parts:
        given_back = share_returned(whole, goods, returned, part)
        assert given_back >= 0
        back += given_back
        returned += part
        assert back <= whole
    assert back == whole


def test_an_order_paid_wholly_with_points_earns_nothing_and_its_return_takes_nothing_back():
    award = award_for(Standing(points=0, growth=5_000), paid_minor=0)
    assert (award.points, award.growth, award.tier_after) == (0, 0, Tier.GOLD)
    back = reversal_for(award, already_refunded_minor=0, refund_minor=0, current_growth=5_000)
    assert (back.points, back.growth, back.tier_after) == (0, 0, Tier.GOLD)
    assert share_returned(whole=0, goods_minor=0, returned_before_minor=0,
                          returning_minor=0) == 0  # free goods give nothing back


@pytest.mark.parametrize("call", [
    lambda: award_for(Standing(0, 0), paid_minor=-1),
    lambda: reversal_for(award_for(Standing(0, 0), 100), 0, -1, current_growth=1),
    lambda: reversal_for(award_for(Standing(0, 0), 100), -1, 1, current_growth=1),
    lambda: discount_for(-1),
])
def test_negative_money_or_points_are_a_bug_in_the_caller_not_a_quiet_zero(call):
    with pytest.raises(ValueError, match="negative"):
        call()
