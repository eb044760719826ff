"""Reads and writes of orders, their lines and fulfilment groups (asyncpg, caller's transaction)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from services.access.context import actor
from services.common.database import jsonb
from services.common.idempotency import driver
from services.members.rules import share_returned
from services.orders.sales_credit import CreditKey, Debit
from services.orders.state_machine import GroupKind, GroupState, OrderState


@dataclass
class Transfer:
    source_id: str
    lines: list[tuple[str, int]]
    reservation_id: str
    shipped: bool = False
    received: bool = False


@dataclass
class Group:
    group_id: str
    group_no: int
    kind: GroupKind
    state: GroupState
    location_id: str
    dealer_id: str
    lines: list[tuple[str, int]]
    transfers: list[Transfer]
    held: list[str]  # reservations at the serving store, committed at hand-over
    delivery_fee_minor: int = 0
    planned_ready_time: datetime | None = None
    pickup_code: str = ""
    courier_reference: str = ""
    pickup_failures: int = 0  # wrong pickup codes in a row (orders/pickup_codes.py)
    pickup_locked_until: datetime | None = None
    # set when the group alone was cancelled (CancelFulfilmentGroup, an overdue pickup):
    # why, the money it gives back (its goods' share of what was paid, and its courier fee)
    # and the points spent on it that went back to the member
    cancel_reason: str = ""
    refund_minor: int = 0
    points_restored: int = 0
    handover_time: datetime | None = None  # when handed over: its sale is credited then


@dataclass
class Order:
    order_id: str
    request_id: str
    channel: str
    member_id: str | None
    state: OrderState
    goods_minor: int
    total_minor: int
    lines: list[tuple[str, int, int]]  # (sku_id, quantity, unit_price_minor)
    groups: list[Group] = field(default_factory=list)
    currency: str = "CNY"
    create_time: datetime | None = None
    expire_time: datetime | None = None
    pay_time: datetime | None = None
    complete_time: datetime | None = None
    cancel_time: datetime | None = None
    cancel_reason: str = ""
    points_awarded: int = 0
    created_by: str = ""  # the principal that created the order
    returned: dict[str, int] = field(default_factory=dict)  # sku_id -> units returned
    returns: list[dict] = field(default_factory=list)
    points_redeemed: int = 0  # spent at checkout
    points_discount_minor: int = 0  # what they took off the goods
    fulfil_by: datetime | None = None  # paid: settled then if still open

    @property
    def payable_minor(self) -> int:
        """What the customer pays: the total less what points took off."""
        return self.total_minor - self.points_discount_minor

    @property
    def paid_for_goods_minor(self) -> int:
        """Money paid for the goods, on which points are earned and refunds are shared."""
        return self.goods_minor - self.points_discount_minor

    @property
    def returned_goods_minor(self) -> int:
        """The value, at the order's prices, of every unit returned so far."""
        return self.value_of(self.returned.items())

    def value_of(self, lines: Iterable[tuple[str, int]]) -> int:
        """What ``lines`` (SKU, units) cost at the order's prices."""
        prices = {sku: price for sku, _, price in self.lines}
        return sum(units * prices[sku] for sku, units in lines)

    @property
    def cancelled_groups(self) -> list[Group]:
        """Groups cancelled on their own while the rest of the order went on."""
        return [g for g in self.groups if g.cancel_reason]

    @property
    def cancelled_goods_minor(self) -> int:
        return sum(self.value_of(g.lines) for g in self.cancelled_groups)

    def cancelled_units(self, sku_id: str) -> int:
        return sum(units for g in self.cancelled_groups for sku, units in g.lines if sku == sku_id)

    @property
    def kept_paid_for_goods_minor(self) -> int:
        """Money paid for the goods the customer keeps, on which points are earned: less
        the share given back for the groups cancelled on their own."""
        given_back = share_returned(self.paid_for_goods_minor, self.goods_minor, 0,
                                    self.cancelled_goods_minor)
        return self.paid_for_goods_minor - given_back

    def group(self, group_id: str) -> Group:
        return next(g for g in self.groups if g.group_id == group_id)


def _transfers_json(group: Group) -> str:
    return json.dumps([{"source": t.source_id, "lines": t.lines, "reservation": t.reservation_id,
                        "shipped": t.shipped, "received": t.received} for t in group.transfers])


INSERT_ORDERS_SQL = """
WITH new_orders AS (
    INSERT INTO orders (order_id, request_id, channel, member_id, state, goods_minor,
                        total_minor, currency, expire_time, created_by, points_redeemed,
                        points_discount_minor)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                         $6::bigint[], $7::bigint[], $8::text[], $9::timestamptz[], $10::text[],
                         $30::bigint[], $31::bigint[])
    RETURNING 1),
new_lines AS (
    INSERT INTO order_lines (order_id, line_no, sku_id, quantity, unit_price_minor)
    SELECT * FROM unnest($11::text[], $12::int[], $13::text[], $14::bigint[], $15::bigint[])),
new_groups AS (
    INSERT INTO fulfilment_groups (group_id, order_id, group_no, kind, state, location_id,
                                   dealer_id, lines, transfers, held_reservations,
                                   delivery_fee_minor, planned_ready_time)
    SELECT gid, oid, gno, k, st, loc, d, ln::jsonb, tr::jsonb,
           COALESCE(string_to_array(NULLIF(h, ''), ','), '{}'), fee, rt
    FROM unnest($16::text[], $17::text[], $18::int[], $19::text[], $20::text[], $21::text[],
                $22::text[], $23::text[], $24::text[], $25::text[], $26::bigint[],
                $27::timestamptz[])
         AS t(gid, oid, gno, k, st, loc, d, ln, tr, h, fee, rt)),
created AS (
    INSERT INTO order_events (order_id, action, actor, state, group_states)
    SELECT oid, 'CREATE', act, st, gs::jsonb
    FROM unnest($1::text[], $10::text[], $5::text[], $28::text[]) AS t(oid, act, st, gs))
SELECT count(pg_notify($29, oid)), now() FROM unnest($1::text[]) AS oid
"""


async def insert_orders(conn: AsyncConnection, orders: list[Order]) -> None:
    """New orders with their lines, groups and first history entry, in one statement
    (foreign keys are checked at its end), and the change notices for WatchOrder."""
    if not orders:
        return
    lines = [(o.order_id, n, *line) for o in orders for n, line in enumerate(o.lines)]
    groups = [(o.order_id, g) for o in orders for g in o.groups]
    by = actor()
    row = await (await driver(conn)).fetchrow(
        INSERT_ORDERS_SQL, [o.order_id for o in orders], [o.request_id for o in orders],
        [o.channel for o in orders], [o.member_id for o in orders],
        [o.state.value for o in orders], [o.goods_minor for o in orders],
        [o.total_minor for o in orders], [o.currency for o in orders],
        [o.expire_time for o in orders], [o.created_by or by for o in orders],
        [x[0] for x in lines], [x[1] for x in lines], [x[2] for x in lines],
        [x[3] for x in lines], [x[4] for x in lines],
        [g.group_id for _, g in groups], [oid for oid, _ in groups],
        [g.group_no for _, g in groups], [g.kind.value for _, g in groups],
        [g.state.value for _, g in groups], [g.location_id for _, g in groups],
        [g.dealer_id for _, g in groups], [json.dumps(g.lines) for _, g in groups],
        [_transfers_json(g) for _, g in groups], [",".join(g.held) for _, g in groups],
        [g.delivery_fee_minor for _, g in groups], [g.planned_ready_time for _, g in groups],
        [_group_states(o) for o in orders], ORDERS_CHANNEL,
        [o.points_redeemed for o in orders], [o.points_discount_minor for o in orders])
    for order in orders:
        order.create_time = row["now"]


def _group_states(order: Order) -> str:
    return json.dumps({g.group_id: g.state.value for g in order.groups})


ORDER_EVENT_SQL = ("INSERT INTO order_events (order_id, action, actor, state, group_states) "
                   "VALUES ($1, $2, $3, $4, $5::jsonb)")


async def order_events(conn: AsyncConnection, order_id: str, after_event_id: int | None,
                       limit: int) -> list[dict]:
    """The order's changes after ``after_event_id``, oldest first: what was done, by whom,
    and the states after it (group_states: group id to state)."""
    rows = await (await driver(conn)).fetch(
        "SELECT event_id, action, actor, state, group_states, create_time FROM order_events "
        "WHERE order_id = $1 AND ($2::bigint IS NULL OR event_id > $2) "
        "ORDER BY event_id LIMIT $3", order_id, after_event_id, limit)
    return [{**row, "group_states": jsonb(row["group_states"])} for row in rows]


async def newest_events(conn: AsyncConnection, order_ids: list[str]) -> dict[str, int]:
    """Each order's newest history entry (every change writes one): which orders changed."""
    rows = await (await driver(conn)).fetch(
        "SELECT order_id, max(event_id) AS newest FROM order_events "
        "WHERE order_id = ANY($1::text[]) GROUP BY order_id", order_ids)
    return {row["order_id"]: row["newest"] for row in rows}


async def load_order(conn: AsyncConnection, order_id: str, *, lock: bool = False) -> Order | None:
    found = await load_orders(conn, [order_id], lock=lock)
    return found[0] if found else None


async def load_orders(conn: AsyncConnection, order_ids: list[str], *, lock: bool = False
                      ) -> list[Order]:
    """The orders with these ids, in the order asked for (unknown ids left out).

    Four queries however many orders: a page of ListOrders costs what one order does.
    With ``lock``, the order rows are locked in id order, so two lockers never deadlock."""
    db = await driver(conn)
    rows = await db.fetch("SELECT * FROM orders WHERE order_id = ANY($1::text[]) ORDER BY order_id"
                          + (" FOR UPDATE" if lock else ""), order_ids)
    if not rows:
        return []
    ids = [r["order_id"] for r in rows]
    lines = _by_order(await db.fetch(
        "SELECT order_id, sku_id, quantity, unit_price_minor, returned_quantity FROM order_lines "
        "WHERE order_id = ANY($1::text[]) ORDER BY order_id, line_no", ids))
    returns = _by_order(await db.fetch(
        "SELECT order_id, return_id, location_id, lines, refund_minor, points_reversed, "
        "points_restored, create_time, debits FROM order_returns "
        "WHERE order_id = ANY($1::text[]) "
        "ORDER BY order_id, return_no", ids))
    groups = _by_order(await db.fetch(
        "SELECT * FROM fulfilment_groups WHERE order_id = ANY($1::text[]) "
        "ORDER BY order_id, group_no", ids))
    found = {r["order_id"]: _order(r, lines.get(r["order_id"], []),
                                   returns.get(r["order_id"], []), groups.get(r["order_id"], []))
             for r in rows}
    return [found[order_id] for order_id in order_ids if order_id in found]


def _by_order(rows) -> dict[str, list]:
    out: dict[str, list] = {}
    for row in rows:
        out.setdefault(row["order_id"], []).append(row)
    return out


def _order(row, lines, returns, groups) -> Order:
    return Order(
        order_id=row["order_id"], request_id=row["request_id"], channel=row["channel"],
        member_id=row["member_id"], state=OrderState(row["state"]),
        goods_minor=row["goods_minor"], total_minor=row["total_minor"],
        lines=[(r["sku_id"], r["quantity"], r["unit_price_minor"]) for r in lines],
        currency=row["currency"],
        create_time=row["create_time"], expire_time=row["expire_time"], pay_time=row["pay_time"],
        complete_time=row["complete_time"], cancel_time=row["cancel_time"],
        cancel_reason=row["cancel_reason"], points_awarded=row["points_awarded"],
        created_by=row["created_by"] or "", groups=[_group(g) for g in groups],
        returned={r["sku_id"]: r["returned_quantity"] for r in lines if r["returned_quantity"]},
        points_redeemed=row["points_redeemed"], points_discount_minor=row["points_discount_minor"],
        fulfil_by=row["fulfil_by"],
        returns=[{**{k: v for k, v in r.items() if k != "order_id"},
                  "lines": jsonb(r["lines"]), "debits": [Debit(*d) for d in jsonb(r["debits"])]}
                 for r in returns])


def _group(row) -> Group:
    transfers, lines = jsonb(row["transfers"]), jsonb(row["lines"])
    return Group(
        group_id=row["group_id"], group_no=row["group_no"], kind=GroupKind(row["kind"]),
        state=GroupState(row["state"]), location_id=row["location_id"],
        dealer_id=row["dealer_id"], lines=[tuple(x) for x in lines],
        transfers=[Transfer(t["source"], [tuple(x) for x in t["lines"]], t["reservation"],
                            t["shipped"], t["received"]) for t in transfers],
        held=list(row["held_reservations"]), delivery_fee_minor=row["delivery_fee_minor"],
        planned_ready_time=row["planned_ready_time"], pickup_code=row["pickup_code"],
        courier_reference=row["courier_reference"], pickup_failures=row["pickup_failures"],
        pickup_locked_until=row["pickup_locked_until"], cancel_reason=row["cancel_reason"],
        refund_minor=row["refund_minor"], points_restored=row["points_restored"],
        handover_time=row["handover_time"])


async def order_of_group(conn: AsyncConnection, group_id: str) -> str | None:
    return await (await driver(conn)).fetchval(
        "SELECT order_id FROM fulfilment_groups WHERE group_id = $1", group_id)


async def save_order(conn: AsyncConnection, order: Order, action: str) -> None:
    """Write the order's state, times and every group back (the order row is locked), and
    append ``action`` and who did it to the order's history."""
    await save_orders(conn, [order], action)


async def save_orders(conn: AsyncConnection, orders: list[Order], action: str) -> None:
    """save_order for many orders (their rows locked) in four round trips, for the sweeper
    that cancels a hundred unpaid orders at a time."""
    db = await driver(conn)
    by = actor()
    await db.executemany(ORDER_EVENT_SQL, [
        (o.order_id, action, by, o.state.value, _group_states(o)) for o in orders])
    await db.executemany(
        "UPDATE orders SET state = $2, pay_time = $3, complete_time = $4, cancel_time = $5, "
        "cancel_reason = $6, points_awarded = $7, fulfil_by = $8 WHERE order_id = $1", [
            (o.order_id, o.state.value, o.pay_time, o.complete_time, o.cancel_time,
             o.cancel_reason, o.points_awarded, o.fulfil_by) for o in orders])
    await db.executemany(
        "UPDATE fulfilment_groups SET state = $2, transfers = $3::jsonb, held_reservations = $4, "
        "pickup_code = $5, courier_reference = $6, pickup_failures = $7, "
        "pickup_locked_until = $8, cancel_reason = $9, refund_minor = $10, "
        "points_restored = $11, handover_time = $12, update_time = now() WHERE group_id = $1",
        [(g.group_id, g.state.value, _transfers_json(g), g.held, g.pickup_code,
          g.courier_reference, g.pickup_failures, g.pickup_locked_until, g.cancel_reason,
          g.refund_minor, g.points_restored, g.handover_time)
         for o in orders for g in o.groups])
    await db.execute("SELECT pg_notify($1, id) FROM unnest($2::text[]) AS id",
                     ORDERS_CHANNEL, [o.order_id for o in orders])


ORDERS_CHANNEL = "onestock_orders"  # payload: the order id that changed


async def notify_order(db, order_id: str) -> None:
    """WatchOrder streams in every server process hear of the change on commit."""
    await db.execute("SELECT pg_notify($1, $2)", ORDERS_CHANNEL, order_id)


async def record_return(conn: AsyncConnection, order_id: str, return_id: str, location_id: str,
                        lines: list[tuple[str, int, int]], refund_minor: int,
                        points_reversed: int, points_restored: int, debits: list[Debit]) -> None:
    """With the order row locked (load_order(lock=True)), so ``return_no`` numbers the
    returns in the order they were applied, whatever their transactions' start times."""
    db = await driver(conn)
    await db.execute(
        "INSERT INTO order_returns (return_id, order_id, return_no, location_id, lines, "
        "refund_minor, points_reversed, points_restored, actor, debits) "
        "SELECT $1, $2, coalesce(max(return_no), 0) + 1, $3, $4::jsonb, $5, $6, $7, $8, "
        "$9::jsonb FROM order_returns WHERE order_id = $2",
        return_id, order_id, location_id, json.dumps(lines), refund_minor, points_reversed,
        points_restored, actor(), json.dumps([d.as_row() for d in debits]))
    await db.execute(
        "INSERT INTO order_events (order_id, action, actor, state) "
        "SELECT order_id, 'RETURN', $2, state FROM orders WHERE order_id = $1", order_id, actor())
    await db.executemany(
        "UPDATE order_lines SET returned_quantity = returned_quantity + $3 "
        "WHERE order_id = $1 AND sku_id = $2", [(order_id, sku, qty) for sku, qty, _ in lines])
    await notify_order(db, order_id)


async def list_order_ids(conn: AsyncConnection, *, member_id: str, location_id: str, state: str,
                         after: tuple[datetime, str] | None, limit: int) -> list[tuple[datetime, str]]:
    """(create_time, order_id) of matching orders, newest first, after a page boundary."""
    rows = await (await driver(conn)).fetch(
        "SELECT o.create_time, o.order_id FROM orders o WHERE ($1 = '' OR o.member_id = $1) "
        "AND ($2 = '' OR EXISTS (SELECT 1 FROM fulfilment_groups g WHERE g.order_id = o.order_id "
        "AND g.location_id = $2)) AND ($3 = '' OR o.state = $3) "
        "AND ($4::timestamptz IS NULL OR (o.create_time, o.order_id) < ($4, $5)) "
        "ORDER BY o.create_time DESC, o.order_id DESC LIMIT $6",
        member_id, location_id, state, after[0] if after else None,
        after[1] if after else "", limit)
    return [(r[0], r[1]) for r in rows]


# read from the partial index orders_paid_fulfil_by, every second, in every server process
PAID_PAST_DEADLINE_SQL = ("SELECT order_id FROM orders WHERE state = 'PAID' AND fulfil_by <= now() "
                          "ORDER BY fulfil_by LIMIT $1 FOR UPDATE SKIP LOCKED")


async def lock_paid_past_deadline(conn: AsyncConnection, limit: int) -> list[str]:
    rows = await (await driver(conn)).fetch(PAID_PAST_DEADLINE_SQL, limit)
    return [r[0] for r in rows]


async def lock_unpaid_past_expiry(conn: AsyncConnection, limit: int) -> list[str]:
    rows = await (await driver(conn)).fetch(
        "SELECT order_id FROM orders WHERE state = 'PENDING_PAYMENT' AND expire_time <= now() "
        "ORDER BY expire_time LIMIT $1 FOR UPDATE SKIP LOCKED", limit)
    return [r[0] for r in rows]


# Goods handed over in a period, per store, dealer and currency: a range scan of the
# partial index fulfilment_groups_handover, each group's lines priced from its order's.
SALES_SQL = """
SELECT g.location_id, g.dealer_id, o.currency, count(DISTINCT g.group_id) AS groups,
       sum((l.line ->> 1)::bigint)::bigint AS units,
       sum((l.line ->> 1)::bigint * ol.unit_price_minor)::bigint AS goods
FROM fulfilment_groups g
JOIN orders o ON o.order_id = g.order_id
CROSS JOIN LATERAL jsonb_array_elements(g.lines) AS l(line)
JOIN order_lines ol ON ol.order_id = g.order_id AND ol.sku_id = l.line ->> 0
WHERE g.handover_time >= $1 AND g.handover_time < $2
  AND ($3 = '' OR g.location_id = $3) AND ($4 = '' OR g.dealer_id = $4)
GROUP BY g.location_id, g.dealer_id, o.currency
"""
RETURNS_SQL = """
SELECT o.currency, r.debits FROM order_returns r JOIN orders o ON o.order_id = r.order_id
WHERE r.create_time >= $1 AND r.create_time < $2
"""


async def sales_between(conn: AsyncConnection, start: datetime, end: datetime, *,
                        location_id: str, dealer_id: str
                        ) -> tuple[list[tuple[CreditKey, int, int, int]], list[tuple[str, list[Debit]]]]:
    """(what each store handed over, what came back and whom it is debited to) in
    [start, end), for ``sales_credit.summarize``; an empty filter matches all."""
    db = await driver(conn)
    sales = [(CreditKey(r["location_id"], r["dealer_id"], r["currency"]), r["groups"],
              r["units"], r["goods"])
             for r in await db.fetch(SALES_SQL, start, end, location_id, dealer_id)]
    returns = []
    for row in await db.fetch(RETURNS_SQL, start, end):
        returns.append((row["currency"], [
            Debit(*d) for d in jsonb(row["debits"])
            if location_id in ("", d[0]) and dealer_id in ("", d[1])]))
    return sales, returns
