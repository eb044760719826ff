"""Member points, growth value and tiers (会员积分 / 成长值 / 会员等级), with no I/O.

On completion an order earns growth (1 per whole yuan paid) and points (whole
yuan paid times the rate of the member's tier before the award). A return
takes back, pro rata to the money refunded, what the order earned, and never
more than is left of it. A tier follows growth both ways: a return can lower it.
Points are spent as a discount at checkout (积分抵现, 100 points take 1 yuan off): the order
earns on the money paid, not on the part the points paid, and a cancellation or a return
gives the points spent back, pro rata to the goods returned.
Everything is integers: money in fen, points and growth in whole units, rates
in hundredths (1.2 points per yuan = 120).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass


class Tier(enum.StrEnum):
    STANDARD = "STANDARD"  # 普卡
    SILVER = "SILVER"  # 银卡
    GOLD = "GOLD"  # 金卡
    DIAMOND = "DIAMOND"  # 钻卡


@dataclass(frozen=True)
class TierRule:
    tier: Tier
    min_growth: int  # growth value at which the tier starts
    rate_per_100_yuan: int  # points per 100 yuan paid (120 = 1.2 points per yuan)


DEFAULT_TIERS: tuple[TierRule, ...] = (
    TierRule(Tier.STANDARD, 0, 100),
    TierRule(Tier.SILVER, 1_000, 120),
    TierRule(Tier.GOLD, 5_000, 150),
    TierRule(Tier.DIAMOND, 20_000, 200),
)


def tier_for(growth: int, tiers: tuple[TierRule, ...] = DEFAULT_TIERS) -> TierRule:
    """The highest tier whose threshold the growth value reaches."""
    best = tiers[0]
    for rule in tiers:
        if growth >= rule.min_growth:
            best = rule
    return best


@dataclass(frozen=True)
class Standing:
    """A member's balances."""

    points: int
    growth: int


@dataclass(frozen=True)
class Award:
    """What one completed order earned; reversals are measured against it."""

    paid_minor: int
    points: int
    growth: int
    tier_before: Tier
    tier_after: Tier


def award_for(standing: Standing, paid_minor: int, tiers: tuple[TierRule, ...] = DEFAULT_TIERS
              ) -> Award:
    """Points and growth for an order paid ``paid_minor`` fen, at the member's current tier."""
    if paid_minor < 0:
        raise ValueError("paid_minor must not be negative")
    yuan = paid_minor // 100
    before = tier_for(standing.growth, tiers)
    points = yuan * before.rate_per_100_yuan // 100
    after = tier_for(standing.growth + yuan, tiers)
    return Award(paid_minor, points, yuan, before.tier, after.tier)


@dataclass(frozen=True)
class Reversal:
    points: int
    growth: int
    tier_after: Tier


def reversal_for(award: Award, already_refunded_minor: int, refund_minor: int,
                 current_growth: int, tiers: tuple[TierRule, ...] = DEFAULT_TIERS
                 ) -> Reversal:
    """What a refund of ``refund_minor`` takes back from ``award``.

    Computed as the share of the award earned by everything refunded so far,
    minus what earlier refunds already took back, so rounding never lets the
    sum of reversals pass the award, and a full refund takes back exactly all.
    """
    if refund_minor < 0 or already_refunded_minor < 0:
        raise ValueError("refunds must not be negative")
    total = min(award.paid_minor, already_refunded_minor + refund_minor)
    earlier = min(award.paid_minor, already_refunded_minor)
    if award.paid_minor == 0:
        return Reversal(0, 0, tier_for(current_growth, tiers).tier)
    points = (award.points * total // award.paid_minor) - (award.points * earlier // award.paid_minor)
    growth = (award.growth * total // award.paid_minor) - (award.growth * earlier // award.paid_minor)
    return Reversal(points, growth, tier_for(current_growth - growth, tiers).tier)


# Points spent at checkout: this many take one yuan off the goods.
POINTS_PER_YUAN_OFF = 100


@dataclass(frozen=True)
class MemberRules:
    """A chain's points rules: its tiers (thresholds and rates), what points are worth at
    checkout, how much of an order they may pay, and whether a till sale earns for a member
    only with their member code. Set by ONESTOCK_MEMBER_TIERS, ONESTOCK_POINTS_PER_YUAN_OFF,
    ONESTOCK_POINTS_MAX_SHARE_PERCENT and ONESTOCK_TILL_EARNING_NEEDS_MEMBER_CODE."""

    tiers: tuple[TierRule, ...] = DEFAULT_TIERS
    points_per_yuan_off: int = POINTS_PER_YUAN_OFF
    # the most of an order's goods points may pay, in percent (many chains: 50)
    points_max_share_percent: int = 100
    # a till sale names its member only by the code their app shows, also to earn: a
    # cashier cannot then credit walk-in customers' purchases to an account of their own
    till_earning_needs_code: bool = False

    def most_points_may_pay(self, goods_minor: int) -> int:
        """The largest discount points may give on goods worth ``goods_minor``, in fen."""
        return goods_minor * self.points_max_share_percent // 100


DEFAULT_RULES = MemberRules()


def parse_tiers(text: str) -> tuple[TierRule, ...]:
    """Tiers from "0:1.0,1000:1.2,5000:1.5,20000:2.0": the growth at which each of STANDARD,
    SILVER, GOLD and DIAMOND starts, and its points per yuan paid (at most two decimals).
    ValueError names what is wrong."""
    parts = [part.strip() for part in text.split(",")]
    if len(parts) != len(Tier):
        raise ValueError(f"needs {len(Tier)} tiers ({', '.join(Tier)}), got {len(parts)}")
    rules = []
    for tier, part in zip(Tier, parts, strict=True):
        growth, _, rate = part.partition(":")
        try:
            min_growth, per_100 = int(growth), round(float(rate) * 100)
        except (ValueError, OverflowError):  # OverflowError: an infinite rate
            raise ValueError(f"{tier}: {part!r} is not growth:rate, e.g. 1000:1.2") from None
        if abs(per_100 - float(rate) * 100) > 1e-6 or not 0 <= per_100 <= 10_000:
            raise ValueError(f"{tier}: the rate must be 0 to 100 points per yuan, at most two "
                             f"decimals, got {rate}")
        rules.append(TierRule(tier, min_growth, per_100))
    if rules[0].min_growth != 0:
        raise ValueError(f"{Tier.STANDARD} must start at 0 growth")
    for before, after in zip(rules, rules[1:], strict=False):
        if after.min_growth <= before.min_growth:
            raise ValueError(f"{after.tier} must start above {before.tier}'s "
                             f"{before.min_growth} growth")
    return tuple(rules)


def discount_for(points: int, points_per_yuan: int = POINTS_PER_YUAN_OFF) -> int | None:
    """What ``points`` take off an order, in fen; None when they do not make whole fen."""
    if points < 0:
        raise ValueError("points must not be negative")
    fen, rest = divmod(points * 100, points_per_yuan)
    return None if rest else fen


def smallest_redemption(points_per_yuan: int = POINTS_PER_YUAN_OFF) -> int:
    """The fewest points that make whole fen; every redemption is a multiple of it."""
    return points_per_yuan // math.gcd(points_per_yuan, 100)


def share_returned(whole: int, goods_minor: int, returned_before_minor: int,
                   returning_minor: int) -> int:
    """The part of ``whole`` (money paid for the goods, or points spent on them) that goods
    worth ``returning_minor`` give back, when goods worth ``returned_before_minor`` came back
    before. Cumulative, as reversals are: the parts never add up to more than the whole, and
    returning every unit gives back exactly all of it."""
    if goods_minor <= 0:
        return 0
    after = min(goods_minor, returned_before_minor + returning_minor)
    before = min(goods_minor, returned_before_minor)
    return whole * after // goods_minor - whole * before // goods_minor
