"""Points, growth and tiers: earned once on completion, taken back pro rata on returns."""

from hypothesis import given
from hypothesis import strategies as st

from services.members.rules import Standing, Tier, award_for, reversal_for, tier_for


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
