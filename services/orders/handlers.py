"""Order use cases, each inside the caller's transaction: sell at the till, take payment,
fulfil group by group, complete with the member's points, cancel, expire. Online orders are
routed and hold their stock in batches (order_batcher.py).

Lock order everywhere: the order row, then reservations, then stock rows (in
key order), so these never deadlock with each other or with ReserveStock.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import partial

from sqlalchemy.ext.asyncio import AsyncConnection

from services.access.context import SYSTEM_ACCESS, Access, actor
from services.common import metrics
from services.common.errors import FailedPrecondition, FieldViolation, InvalidArgument, NotFound
from services.common.uow import after_commit
from services.inventory import handlers as inventory
from services.inventory import repository as stock_repo
from services.inventory.domain import (
    AdjustmentReason,
    Channel,
    LineRequest,
    ReservationState,
    ReserveCommand,
)
from services.inventory.reserve_batcher import reserve_locked
from services.members import ledger, member_codes
from services.members.rules import DEFAULT_RULES, MemberRules, share_returned
from services.orders import pickup_codes, sales_credit
from services.orders import repository as repo
from services.orders.repository import Group, Order
from services.orders.state_machine import (
    GroupEvent,
    GroupKind,
    GroupState,
    OrderEvent,
    OrderState,
    can_cancel_paid_order,
    invalid_transition,
    next_group_state,
    next_order_state,
    order_is_complete,
    overdue_cancel_reason,
    overdue_group_cancellations,
)
from services.routing.model import RouteRequest

log = logging.getLogger("onestock.orders")

# A paid order's holds outlive its fulfil-by time by a day: the order, not the reservation
# sweeper, decides what becomes of them (settle_overdue), even after a long outage.
HOLD_MARGIN_S = 24 * 3600


@dataclass(frozen=True)
class NewOrder:
    request_id: str
    channel: str  # MINI_PROGRAM or POS
    member_id: str | None
    lines: tuple[tuple[str, int, int], ...]  # (sku_id, quantity, unit_price_minor)
    route: RouteRequest | None  # online orders
    till_location_id: str | None = None  # POS sales
    till_reservation_id: str | None = None
    points_to_redeem: int = 0  # spent at checkout (a member's order only)
    points_discount_minor: int = 0  # what they take off the goods
    member_code: str | None = None  # scanned at the till: names the member, proves presence


def goods_minor(lines) -> int:
    return sum(qty * price for _, qty, price in lines)


# --- creating -------------------------------------------------------------------


def reserve_command(order_id: str, key: str, location_id: str, lines, ttl_s: int,
                    channel: Channel = Channel.MINI_PROGRAM, member_id: str = "",
                    by: str | None = None) -> ReserveCommand:
    """A reservation an order holds (``key`` names it within the order), made ``by`` the
    order's caller (default: the caller of this call)."""
    return ReserveCommand(f"order:{key}", channel, order_id,
                          tuple(LineRequest(location_id, sku, qty) for sku, qty in lines), ttl_s,
                          member_id=member_id, actor=by or actor())


async def create_pos_sale(conn: AsyncConnection, cmd: NewOrder, dealer_id: str,
                          access: Access = SYSTEM_ACCESS, rules: MemberRules = DEFAULT_RULES
                          ) -> Order:
    """A sale at the till: held and sold in one step (or the till's own reservation
    consumed), completed at once, points awarded like any other order."""
    order_id = str(uuid.uuid4())
    if cmd.member_code:  # first, so that a code refused has touched no stock
        cmd = replace(cmd, member_id=await member_codes.use(conn, cmd.member_code,
                                                            cmd.member_id, order_id))
    loc = cmd.till_location_id
    if cmd.till_reservation_id:
        reservation_id = await _consume_till_reservation(conn, cmd, access)
    else:
        levels = await stock_repo.lock_stock(conn, [(loc, sku) for sku, _, _ in cmd.lines])
        [held] = await reserve_locked(conn, [reserve_command(order_id, f"{order_id}-1:own", loc,
                                                      [(s, q) for s, q, _ in cmd.lines], 300,
                                                      Channel.POS)], levels)
        reservation_id = held.reservation_id
    await inventory.commit_reservation(conn, f"order:{order_id}:sale", reservation_id, [])
    goods = goods_minor(cmd.lines)
    group = Group(f"{order_id}-1", 1, GroupKind.IN_STORE, GroupState.HANDED_OVER, loc, dealer_id,
                  [(s, q) for s, q, _ in cmd.lines], [], [reservation_id])
    order = Order(order_id, cmd.request_id, cmd.channel, cmd.member_id, OrderState.PAID, goods,
                  goods, list(cmd.lines), [group], points_redeemed=cmd.points_to_redeem,
                  points_discount_minor=cmd.points_discount_minor)
    if cmd.points_to_redeem:  # the member row after the stock rows, as every points writer
        [member] = (await ledger.lock_members(conn, [cmd.member_id])).values()
        ledger.require_points(member.member_id, member.points, cmd.points_to_redeem)
        await ledger.redeem(conn, member, order_id, cmd.points_to_redeem,
                            cmd.points_discount_minor, actor())
    await repo.insert_orders(conn, [order])
    order.pay_time = group.handover_time = await stock_repo.db_now(conn)
    await _complete(conn, order, rules)
    await repo.save_order(conn, order, "SELL_AT_TILL")
    return order


async def _consume_till_reservation(conn: AsyncConnection, cmd: NewOrder, access: Access) -> str:
    reservation = await inventory.reservation_to_change(conn, cmd.till_reservation_id, access)
    wanted = {(cmd.till_location_id, sku): qty for sku, qty, _ in cmd.lines}
    held = {line.key: line.quantity for line in reservation.lines}
    if held != wanted:
        raise InvalidArgument([FieldViolation(
            "fulfilment.reservation_id",
            "the reservation's lines differ from the order's lines at the till's location")])
    return reservation.reservation_id


# --- paying, cancelling, expiring -------------------------------------------------


async def _order(conn: AsyncConnection, order_id: str) -> Order:
    order = await repo.load_order(conn, order_id, lock=True)
    if order is None:
        raise NotFound("order", order_id)
    return order


async def confirm_payment(conn: AsyncConnection, order_id: str, amount_minor: int,
                          hold_s: int, access: Access = SYSTEM_ACCESS) -> Order:
    order = await _order(conn, order_id)
    access.require_member(order.member_id, "order_id")
    target = next_order_state(order_id, order.state, OrderEvent.CONFIRM_PAYMENT)
    now = await stock_repo.db_now(conn)
    if order.expire_time is not None and order.expire_time <= now:
        raise FailedPrecondition(f"order {order_id} was not paid in time",
                                 reason="ORDER_EXPIRED", metadata={"order_id": order_id})
    if amount_minor != order.payable_minor:
        due = (f"the {order.payable_minor} payable (the order total {order.total_minor} less "
               f"{order.points_discount_minor} paid with points)" if order.points_discount_minor
               else f"the order total {order.total_minor}")
        raise FailedPrecondition(
            f"amount_minor {amount_minor} differs from {due}",
            reason="PAYMENT_AMOUNT_MISMATCH",
            metadata={"amount_minor": amount_minor, "total_minor": order.total_minor,
                      "payable_minor": order.payable_minor})
    for reservation_id in _reservations(order):  # hold the stock through fulfilment
        await inventory.extend_reservation(conn, reservation_id, hold_s + HOLD_MARGIN_S)
    order.state, order.pay_time = target, now
    order.fulfil_by = now + timedelta(seconds=hold_s)
    await repo.save_order(conn, order, OrderEvent.CONFIRM_PAYMENT.value)
    return order


def _reservations(order: Order) -> list[str]:
    return [r for g in order.groups for r in _group_reservations(g)]


def _group_reservations(group: Group) -> list[str]:
    """What a group still holds: units at its store, and transfers not yet shipped."""
    return group.held + [t.reservation_id for t in group.transfers if not t.shipped]


async def cancel_order(conn: AsyncConnection, order_id: str, reason: str,
                       access: Access = SYSTEM_ACCESS) -> Order:
    order = await _order(conn, order_id)
    access.require_member(order.member_id, "order_id")
    next_order_state(order_id, order.state, OrderEvent.CANCEL)  # refuses a final order
    if order.state is OrderState.PAID and not can_cancel_paid_order(g.state for g in order.groups):
        raise invalid_transition(f"order {order_id}", "PAID (goods already on their way)",
                                 OrderEvent.CANCEL.value)
    await _cancel(conn, [order], reason, OrderEvent.CANCEL)
    return order


async def expire_unpaid(conn: AsyncConnection, limit: int = 100) -> int:
    """Cancel unpaid orders past their time and release their stock; returns how many.
    A batch at a time, in a handful of statements: after a flash sale thousands of abandoned
    carts run out together, and their stock is wanted back at once."""
    ids = await repo.lock_unpaid_past_expiry(conn, limit)
    await _cancel(conn, await repo.load_orders(conn, ids), "PAYMENT_TIMEOUT", OrderEvent.EXPIRE)
    return len(ids)


async def settle_overdue(conn: AsyncConnection, hold_s: int, limit: int = 100,
                         rules: MemberRules = DEFAULT_RULES) -> int:
    """Settle paid orders still open at their fulfil-by time; returns how many. An order with
    nothing on its way is cancelled and its stock released (a pickup nobody collected goes
    back on the shelf, the points spent back to the member). One the customer has part of
    loses the groups still at a store, and completes with the rest (in the next call when
    this one cancels orders whole: each call locks stock rows in one sorted pass, so it
    cannot deadlock with a reservation). One with goods in
    transit or with a courier cannot be settled, so its holds run as long again and the log
    says so: without this, its holds would lapse and the units it owes would go on sale a
    second time."""
    orders = await repo.load_orders(conn, await repo.lock_paid_past_deadline(conn, limit))
    cancelled: dict[str, list[Order]] = {}
    partly: dict[str, dict[str, str]] = {}  # order id -> groups to cancel on their own
    waiting = []
    for order in orders:
        reason = overdue_cancel_reason(g.state for g in order.groups)
        if reason is not None:
            cancelled.setdefault(reason, []).append(order)
        elif part := overdue_group_cancellations(g.state for g in order.groups):
            partly[order.order_id] = {order.groups[i].group_id: why for i, why in part.items()}
        else:
            waiting.append(order)
    for reason, batch in sorted(cancelled.items()):
        await _cancel(conn, batch, reason, OrderEvent.CANCEL)
        after_commit(partial(metrics.OVERDUE_ORDERS.labels(reason).inc, len(batch)))
    if partly and not cancelled:
        settled = [o for o in orders if o.order_id in partly]
        await _cancel_groups(conn, [(o, partly[o.order_id]) for o in settled], rules)
        await repo.save_orders(conn, settled, "CANCEL_GROUP")
        after_commit(partial(metrics.OVERDUE_ORDERS.labels("PART_CANCELLED").inc, len(settled)))
    if waiting:
        await _give_more_time(conn, waiting, hold_s)
        after_commit(partial(metrics.OVERDUE_ORDERS.labels("EXTENDED").inc, len(waiting)))
    return len(orders)


async def _give_more_time(conn: AsyncConnection, orders: list[Order], hold_s: int) -> None:
    ids = sorted(r for order in orders for r in _reservations(order))
    for held in await stock_repo.load_reservations(conn, ids, lock=True):
        if held.state is ReservationState.ACTIVE:
            await stock_repo.extend_reservation(conn, held, hold_s + HOLD_MARGIN_S)
    now = await stock_repo.db_now(conn)
    for order in orders:
        order.fulfil_by = now + timedelta(seconds=hold_s)
        log.warning("order %s is past its fulfil-by time with goods on their way (%s): its "
                    "holds run until %s", order.order_id,
                    ", ".join(f"{g.group_id} {g.state.value}" for g in order.groups),
                    order.fulfil_by.isoformat())
    await repo.save_orders(conn, orders, "EXTEND_HOLD")


async def _cancel(conn: AsyncConnection, orders: list[Order], reason: str,
                  event: OrderEvent) -> None:
    """Cancel locked orders: release whatever they still hold, close every group."""
    if not orders:
        return
    await inventory.give_back_active(conn, {rid: f"order:{order.order_id}:cancel"
                                            for order in orders for rid in _reservations(order)})
    now = await stock_repo.db_now(conn)
    for order in orders:
        order.state = next_order_state(order.order_id, order.state, event)
        order.cancel_reason, order.cancel_time = reason, now
        for group in order.groups:
            group.state = GroupState.CANCELLED
    for order in sorted(orders, key=lambda o: o.member_id or ""):
        unrestored = order.points_redeemed - sum(g.points_restored for g in order.groups)
        if unrestored:  # all of them, but what groups cancelled before gave back
            await ledger.restore(conn, order.member_id, order.order_id, unrestored,
                                 actor=actor())
    await repo.save_orders(conn, orders, event.value)


async def cancel_group(conn: AsyncConnection, group_id: str, reason: str,
                       access: Access = SYSTEM_ACCESS, rules: MemberRules = DEFAULT_RULES
                       ) -> Order:
    """One group of a paid order cancelled on its own (缺货取消: its store cannot supply
    it): it releases what it holds and gives back its goods' share of the money and points
    paid, and its courier fee. The order goes on with the rest, and completes if the rest
    was all handed over; cancelling its last open group cancels the whole order."""
    order, group = await _group_for(conn, group_id, GroupEvent.CANCEL, access)
    if order.state is not OrderState.PAID:
        raise invalid_transition(f"order {order.order_id}", order.state.value, "CANCEL_GROUP")
    next_group_state(group_id, group.kind, group.state, GroupEvent.CANCEL)  # refuses
    if all(g is group or g.state is GroupState.CANCELLED for g in order.groups):
        await _cancel(conn, [order], reason, OrderEvent.CANCEL)
        return order
    await _cancel_groups(conn, [(order, {group_id: reason})], rules)
    await repo.save_order(conn, order, "CANCEL_GROUP")
    return order


async def _cancel_groups(conn: AsyncConnection, cancelling: list[tuple[Order, dict[str, str]]],
                         rules: MemberRules) -> None:
    """Cancel groups of locked paid orders on their own (group id -> reason, per order):
    every hold released first, in one locking pass, then each group's refund and points,
    members in id order; an order whose remaining groups were all handed over completes."""
    await inventory.give_back_active(conn, {
        rid: f"order:{order.order_id}:cancel-group:{gid}"
        for order, reasons in cancelling for gid in reasons
        for rid in _group_reservations(order.group(gid))})
    for order, reasons in sorted(cancelling, key=lambda c: c[0].member_id or ""):
        for group_id, reason in reasons.items():
            group = order.group(group_id)
            before, value = order.cancelled_goods_minor, order.value_of(group.lines)
            group.state = next_group_state(group_id, group.kind, group.state, GroupEvent.CANCEL)
            group.cancel_reason = reason
            group.refund_minor = group.delivery_fee_minor + share_returned(
                order.paid_for_goods_minor, order.goods_minor, before, value)
            group.points_restored = share_returned(order.points_redeemed, order.goods_minor,
                                                   before, value)
            if group.points_restored:
                await ledger.restore(conn, order.member_id, order.order_id,
                                     group.points_restored, f"{group_id}:cancel", actor())
        if order_is_complete(g.state for g in order.groups):
            await _complete(conn, order, rules)


# --- fulfilment steps ------------------------------------------------------------


async def _group_for(conn: AsyncConnection, group_id: str, event: GroupEvent,
                     access: Access) -> tuple[Order, Group]:
    """The group's order, locked, once the caller may act on the group. Staff act for their
    store: a transfer is shipped at its source, everything else is done at the store that
    serves the group."""
    order_id = await repo.order_of_group(conn, group_id)
    if order_id is None:
        raise NotFound("fulfilment group", group_id, field="group_id")
    order = await _order(conn, order_id)
    group = order.group(group_id)
    if event is GroupEvent.SHIP_TRANSFER:
        access.require_some_location([t.source_id for t in group.transfers], "group_id")
    else:
        access.require_location(group.location_id, "group_id")
    return order, group


async def judge_pickup_code(conn: AsyncConnection, group_id: str, typed: str,
                            guard: pickup_codes.Guard, access: Access = SYSTEM_ACCESS
                            ) -> FailedPrecondition | None:
    """The refusal of a typed pickup code, or None when ConfirmPickup may go on.

    A wrong code is counted here, in a transaction of its own that the caller commits
    before raising the refusal: the count must outlive the refusal, which in ConfirmPickup's
    own transaction would roll it back. The order row's lock makes racing guesses count one
    after the other."""
    order, group = await _group_for(conn, group_id, GroupEvent.CONFIRM_PICKUP, access)
    if order.state is not OrderState.PAID or group.state is not GroupState.READY_FOR_PICKUP:
        return None  # ConfirmPickup refuses the transition itself
    verdict = pickup_codes.check(guard, group.pickup_code, typed, group.pickup_failures,
                                group.pickup_locked_until, await stock_repo.db_now(conn))
    if verdict.outcome is pickup_codes.Outcome.MATCH:
        return None
    if verdict.outcome is pickup_codes.Outcome.WRONG:
        group.pickup_failures, group.pickup_locked_until = verdict.failures, verdict.locked_until
        await repo.save_order(conn, order, "WRONG_PICKUP_CODE")
    return _pickup_refusal(group_id, verdict, guard)


def _pickup_refusal(group_id: str, verdict: pickup_codes.Verdict, guard: pickup_codes.Guard
                    ) -> FailedPrecondition:
    if verdict.locked_until is None:
        left = verdict.attempts_left(guard)
        return FailedPrecondition(
            f"the pickup code does not match; {left} more wrong code(s) in a row lock it for "
            f"{guard.lockout_s} s", reason="WRONG_PICKUP_CODE",
            metadata={"group_id": group_id, "attempts_left": left})
    until = verdict.locked_until.isoformat()
    if verdict.outcome is pickup_codes.Outcome.WRONG:
        return FailedPrecondition(
            f"the pickup code does not match, and after {guard.attempts} wrong codes in a row "
            f"it is locked until {until}", reason="WRONG_PICKUP_CODE",
            metadata={"group_id": group_id, "attempts_left": 0, "locked_until": until})
    return FailedPrecondition(
        f"too many wrong pickup codes in a row: the code is locked until {until}, the right "
        "one included", reason="PICKUP_CODE_LOCKED",
        metadata={"group_id": group_id, "locked_until": until})


async def group_step(conn: AsyncConnection, group_id: str, event: GroupEvent, *,
                     pickup_code: str = "", courier_reference: str = "",
                     access: Access = SYSTEM_ACCESS, rules: MemberRules = DEFAULT_RULES
                     ) -> Order:
    """Move one group a step; completes the order with its last group. Returns the order.
    ConfirmPickup's code has been judged (and counted) by judge_pickup_code first; the check
    here only keeps a wrong code from ever handing goods over."""
    order, group = await _group_for(conn, group_id, event, access)
    if order.state is not OrderState.PAID:
        raise invalid_transition(f"order {order.order_id}", order.state.value, event.value)
    target = next_group_state(group_id, group.kind, group.state, event)
    if event is GroupEvent.SHIP_TRANSFER:
        for transfer in group.transfers:  # the units leave their source
            await inventory.commit_reservation(conn, f"order:{group_id}:ship",
                                               transfer.reservation_id, [])
            transfer.shipped = True
    elif event is GroupEvent.RECEIVE_TRANSFER:
        await _receive(conn, order, group)
    elif event is GroupEvent.MARK_READY_FOR_PICKUP:
        group.pickup_code = pickup_codes.issue()
    elif event is GroupEvent.CONFIRM_PICKUP and not pickup_codes.matches(group.pickup_code,
                                                                          pickup_code):
        raise FailedPrecondition("the pickup code does not match", reason="WRONG_PICKUP_CODE",
                                 metadata={"group_id": group_id})
    elif event is GroupEvent.DISPATCH_DELIVERY:
        group.courier_reference = courier_reference
    if target is GroupState.HANDED_OVER:
        for reservation_id in group.held:  # sold: the units leave the shelf
            await inventory.commit_reservation(conn, f"order:{group_id}:sold", reservation_id, [])
        group.handover_time = await stock_repo.db_now(conn)
    group.state = target
    if order_is_complete(g.state for g in order.groups):
        await _complete(conn, order, rules)
    await repo.save_order(conn, order, event.value)
    return order


async def _receive(conn: AsyncConnection, order: Order, group: Group) -> None:
    """Transferred units arrive at the serving store and are held there for this order."""
    arriving: dict[str, int] = {}
    for transfer in group.transfers:
        for sku, qty in transfer.lines:
            arriving[sku] = arriving.get(sku, 0) + qty
        transfer.received = True
    await inventory.require_known(conn, [group.location_id], list(arriving))
    levels = await inventory.receive_units(conn, group.location_id, arriving,
                                           f"order:{group.group_id}:receive",
                                           f"transfer for order {order.order_id}")
    [held] = await reserve_locked(conn, [reserve_command(
        order.order_id, f"{group.group_id}:received", group.location_id, list(arriving.items()),
        7 * 24 * 3600, Channel.OPS)], levels)
    group.held.append(held.reservation_id)


async def return_lines(conn: AsyncConnection, order_id: str, location_id: str,
                       lines: list[tuple[str, int]], request_id: str,
                       rules: MemberRules = DEFAULT_RULES) -> None:
    """Goods come back at a location: on_hand rises through the ledger, the order shows
    what was returned, and the member loses what those lines earned and gets back the points
    they were bought with (each pro rata, once). The refund is their share of the money paid
    for the goods: their price, less their share of what points paid."""
    order = await _order(conn, order_id)
    if order.state is not OrderState.COMPLETED:
        raise invalid_transition(f"order {order_id}", order.state.value, "RETURN")
    bought = {sku: (qty, price) for sku, qty, price in order.lines}
    violations = []
    for i, (sku, qty) in enumerate(lines):
        if sku not in bought:
            violations.append(FieldViolation(f"lines[{i}].sku_id", f"{sku} is not on the order"))
        elif qty > (left := bought[sku][0] - order.cancelled_units(sku) - order.returned.get(sku, 0)):
            violations.append(FieldViolation(
                f"lines[{i}].quantity", f"{qty} exceeds the {left} units handed over and not "
                "yet returned"))
    if violations:
        raise InvalidArgument(violations)
    await inventory.require_known(conn, [location_id], [sku for sku, _ in lines])
    await inventory.receive_units(conn, location_id, dict(lines), request_id,
                                  f"return of order {order_id}", AdjustmentReason.RETURN)
    return_id = str(uuid.uuid4())
    refund, reversed_points, restored_points = 0, 0, 0
    returned_before = order.cancelled_goods_minor + order.returned_goods_minor  # cancels came first
    for n, (sku, qty) in enumerate(lines):
        value = qty * bought[sku][1]
        paid_back = share_returned(order.paid_for_goods_minor, order.goods_minor,
                                   returned_before, value)
        points_back = share_returned(order.points_redeemed, order.goods_minor, returned_before,
                                     value)
        returned_before += value
        refund += paid_back
        if order.member_id:
            line_id = f"{return_id}:{n}"
            reversed_points += await ledger.reverse_return_line(
                conn, order.member_id, order_id, line_id, paid_back, actor=actor(),
                tiers=rules.tiers)
            if points_back:
                restored_points += await ledger.restore(conn, order.member_id, order_id,
                                                        points_back, line_id, actor())
    priced = [(sku, qty, bought[sku][1]) for sku, qty in lines]
    await repo.record_return(conn, order_id, return_id, location_id, priced, refund,
                             reversed_points, restored_points,
                             sales_credit.debits(_sold(order), order.returned, priced))


def _sold(order: Order) -> list[sales_credit.Sold]:
    """What each handed-over group sold: the stores a return is debited to."""
    return [sales_credit.Sold(g.group_no, g.location_id, g.dealer_id, g.lines)
            for g in order.groups if g.state is GroupState.HANDED_OVER]


async def _complete(conn: AsyncConnection, order: Order, rules: MemberRules) -> None:
    """The order completes in the same transaction as its last hand-over, and the member
    earns points on the money paid for the goods kept (not on what points paid, nor on
    groups cancelled), exactly once."""
    order.state = next_order_state(order.order_id, order.state, OrderEvent.COMPLETE)
    order.complete_time = await stock_repo.db_now(conn)
    if order.member_id:
        order.points_awarded = await ledger.award_order(
            conn, order.member_id, order.order_id, order.kept_paid_for_goods_minor,
            actor=actor(), tiers=rules.tiers)

