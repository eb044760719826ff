"""Writing points: awards, reversals, tier changes, and points spent at checkout and given
back, each with its CRM outbox events, in the caller's transaction.

The member row is locked first, so concurrent awards for one member apply one
after the other; the unique indexes of points_ledger make a second award for
an order (or reversal for a return line) impossible, and the functions return
the first one instead, so retries and races are harmless.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from onestock.members.v1 import member_service_pb2 as pb
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.errors import FailedPrecondition
from services.common.idempotency import driver
from services.inventory.mapping import timestamp
from services.members.rules import (
    DEFAULT_TIERS,
    Award,
    Standing,
    Tier,
    TierRule,
    award_for,
    reversal_for,
)

TIER_TO_PB = {t: pb.Tier.Value(f"TIER_{t.value}") for t in Tier}


@dataclass(frozen=True)
class MemberRow:
    member_id: str
    points: int
    growth: int
    tier: Tier


async def ensure_member(conn: AsyncConnection, member_id: str) -> None:
    db = await driver(conn)
    await db.execute("INSERT INTO members (member_id) VALUES ($1) ON CONFLICT DO NOTHING", member_id)


async def get_member(conn: AsyncConnection, member_id: str, *, lock: bool = False):
    db = await driver(conn)
    return await db.fetchrow(
        "SELECT member_id, points, growth, tier, create_time FROM members WHERE member_id = $1"
        + (" FOR UPDATE" if lock else ""), member_id)


async def _lock(conn: AsyncConnection, member_id: str) -> MemberRow:
    await ensure_member(conn, member_id)
    row = await get_member(conn, member_id, lock=True)
    return MemberRow(row["member_id"], row["points"], row["growth"], Tier(row["tier"]))


async def award_order(conn: AsyncConnection, member_id: str, order_id: str, paid_minor: int,
                      actor: str = "", tiers: tuple[TierRule, ...] = DEFAULT_TIERS) -> int:
    """Award an order's points once; returns the points awarded (by this call or an earlier one)."""
    member = await _lock(conn, member_id)
    db = await driver(conn)
    earlier = await db.fetchval(
        "SELECT points_delta FROM points_ledger WHERE order_id = $1 AND kind = 'AWARD'", order_id)
    if earlier is not None:
        return earlier
    award = award_for(Standing(member.points, member.growth), paid_minor, tiers)
    points, growth = member.points + award.points, member.growth + award.growth
    await _entry(db, member_id, "AWARD", order_id, None, award.points, award.growth, points,
                 growth, award.tier_before, award.tier_after, paid_minor, actor)
    await _event(db, member_id, "POINTS_AWARDED", order_id, award.points, award.growth, points,
                 growth, award.tier_after)
    await _tier_change(db, member_id, order_id, award.tier_before, award.tier_after, points,
                       growth, actor)
    await _save(db, member_id, points, growth, award.tier_after)
    return award.points


async def reverse_return_line(conn: AsyncConnection, member_id: str, order_id: str,
                              return_line: str, refund_minor: int, actor: str = "",
                              tiers: tuple[TierRule, ...] = DEFAULT_TIERS) -> int:
    """Take back, once per return line, the share of the order's award that the refund
    earned; returns the points taken back. Orders that earned nothing take back nothing."""
    member = await _lock(conn, member_id)
    db = await driver(conn)
    done = await db.fetchval(
        "SELECT -points_delta FROM points_ledger WHERE return_line = $1 AND kind = 'REVERSAL'",
        return_line)
    if done is not None:
        return done
    award_row = await db.fetchrow(
        "SELECT amount_minor, points_delta, growth_delta, tier_before, tier_after "
        "FROM points_ledger WHERE order_id = $1 AND kind = 'AWARD'", order_id)
    if award_row is None:
        return 0
    award = Award(award_row["amount_minor"], award_row["points_delta"], award_row["growth_delta"],
                  Tier(award_row["tier_before"]), Tier(award_row["tier_after"]))
    refunded_before = await db.fetchval(
        "SELECT COALESCE(SUM(amount_minor), 0)::bigint FROM points_ledger "
        "WHERE order_id = $1 AND kind = 'REVERSAL'", order_id)
    back = reversal_for(award, refunded_before, refund_minor, member.growth, tiers)
    points, growth = member.points - back.points, member.growth - back.growth
    await _entry(db, member_id, "REVERSAL", order_id, return_line, -back.points, -back.growth,
                 points, growth, member.tier, back.tier_after, refund_minor, actor)
    await _event(db, member_id, "POINTS_REVERSED", order_id, -back.points, -back.growth, points,
                 growth, back.tier_after)
    await _tier_change(db, member_id, order_id, member.tier, back.tier_after, points, growth,
                       actor)
    await _save(db, member_id, points, growth, back.tier_after)
    return back.points


# --- points spent at checkout (积分抵现) -------------------------------------------


def require_points(member_id: str, balance: int, wanted: int) -> None:
    """Refuse a checkout that would spend more points than the member has (a till sale and
    an online batch check alike, each against the balance it holds)."""
    if balance < wanted:
        raise FailedPrecondition(
            f"member {member_id} has {balance} points, fewer than the {wanted} to redeem",
            reason="INSUFFICIENT_POINTS",
            metadata={"member_id": member_id, "points": balance, "points_to_redeem": wanted})


async def lock_members(conn: AsyncConnection, member_ids) -> dict[str, MemberRow]:
    """The members' rows, locked in id order (created when missing), after any stock row
    lock, as every writer of points takes them."""
    return {member_id: await _lock(conn, member_id) for member_id in sorted(set(member_ids))}


async def redeem(conn: AsyncConnection, member: MemberRow, order_id: str, points: int,
                 discount_minor: int, actor: str = "") -> MemberRow:
    """Spend ``points`` of a locked member on an order whose balance the caller checked:
    the ledger entry, its CRM event and the balance, in the caller's transaction. Returns
    the member after it."""
    return await _move_points(await driver(conn), member, "REDEMPTION", "POINTS_REDEEMED",
                              order_id, None, -points, discount_minor, actor)


async def restore(conn: AsyncConnection, member_id: str, order_id: str, points: int,
                  return_line: str | None = None, actor: str = "") -> int:
    """Give back points an order spent: all of them when it is cancelled (``return_line``
    None), a share when goods come back. Once per order, or per return line: a retry finds
    the first and gives nothing more. Returns the points given back."""
    member = await _lock(conn, member_id)
    db = await driver(conn)
    done = await db.fetchval(
        "SELECT points_delta FROM points_ledger WHERE kind = 'RESTORE' AND order_id = $1 "
        "AND return_line IS NOT DISTINCT FROM $2", order_id, return_line)
    if done is not None or points <= 0:
        return done or 0
    await _move_points(db, member, "RESTORE", "POINTS_RESTORED", order_id, return_line, points,
                       0, actor)
    return points


async def _move_points(db, member: MemberRow, kind: str, event: str, order_id: str,
                       return_line: str | None, delta: int, amount_minor: int,
                       actor: str) -> MemberRow:
    """Points spent or given back, growth and tier untouched: the entry, its CRM event and
    the balance. Returns the member after it."""
    after = replace(member, points=member.points + delta)
    await _entry(db, member.member_id, kind, order_id, return_line, delta, 0, after.points,
                 member.growth, member.tier, member.tier, amount_minor, actor)
    await _event(db, member.member_id, event, order_id, delta, 0, after.points, member.growth,
                 member.tier)
    await _save(db, member.member_id, after.points, member.growth, member.tier)
    return after


async def _entry(db, member_id, kind, order_id, return_line, points_delta, growth_delta,
                 points_after, growth_after, tier_before, tier_after, amount_minor, actor):
    await db.execute(
        "INSERT INTO points_ledger (member_id, kind, order_id, return_line, points_delta, "
        "growth_delta, points_after, growth_after, tier_before, tier_after, amount_minor, actor) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        member_id, kind, order_id, return_line, points_delta, growth_delta, points_after,
        growth_after, tier_before.value, tier_after.value, amount_minor, actor)


async def _tier_change(db, member_id, order_id, before: Tier, after: Tier, points, growth, actor):
    if before is after:
        return
    await _entry(db, member_id, "TIER_CHANGE", order_id, None, 0, 0, points, growth, before,
                 after, 0, actor)
    await _event(db, member_id, "TIER_CHANGED", order_id, 0, 0, points, growth, after)


async def _save(db, member_id: str, points: int, growth: int, tier: Tier) -> None:
    await db.execute(
        "UPDATE members SET points = $2, growth = $3, tier = $4, update_time = now() "
        "WHERE member_id = $1", member_id, points, growth, tier.value)


async def _event(db, member_id, kind, order_id, points_delta, growth_delta, points_after,
                 growth_after, tier: Tier) -> None:
    """Write a CRM event to the outbox, in this transaction: it exists iff the change does."""
    event_id = str(uuid.uuid4())
    seq, now = await db.fetchrow("SELECT nextval('outbox_seq_seq'), now()")
    event = pb.MemberEvent(
        event_id=event_id, member_id=member_id, kind=kind, order_id=order_id,
        points_delta=points_delta, growth_delta=growth_delta, points_after=points_after,
        growth_after=growth_after, tier=TIER_TO_PB[tier], occur_time=timestamp(now),
        member_sequence=seq)
    await db.execute(
        "INSERT INTO outbox (seq, event_id, member_id, kind, payload) VALUES ($1, $2, $3, $4, $5)",
        seq, event_id, member_id, kind, event.SerializeToString())
