"""A paid order is fulfilled by its fulfil-by time (ONESTOCK_ORDER_HOLD_S after payment), or
OneStock settles it: a pickup nobody collected (逾期未取) is cancelled and its stock goes back
on the shelf, and an order whose goods are on their way keeps its stock held for as long
again. Its holds never lapse under it, so no unit it owes is sold twice."""

import asyncio
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from onestock.inventory.v1 import inventory_service_pb2 as inv
from onestock.orders.v1 import order_service_pb2 as pb
from prometheus_client import REGISTRY
from sqlalchemy import text

from services.common.uow import in_transaction
from services.orders.handlers import HOLD_MARGIN_S, settle_overdue
from services.orders.repository import PAID_PAST_DEADLINE_SQL
from tests.helpers import assert_ledger_consistent, error_info, stock_of
from tests.orders.conftest import order, pay, points_of, settled
from tests.orders.test_points_at_checkout import earn_1000_points, pay_payable


async def overdue(engine, order_id, *, holds_too=False):
    """As if the order's hold time had passed (and, with ``holds_too``, a day more: the
    service was down all that while)."""
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE orders SET fulfil_by = now() - interval '1 s' "
                                "WHERE order_id = :o"), {"o": order_id})
        if holds_too:
            await conn.execute(text("UPDATE reservations SET expire_time = now() - interval "
                                    "'1 s' WHERE reference = :o"), {"o": order_id})


def overdue_count(outcome: str) -> float:
    return REGISTRY.get_sample_value("onestock_overdue_orders_total", {"outcome": outcome}) or 0


async def holds_of(engine, order_id):
    async with engine.connect() as conn:
        return (await conn.execute(text(
            "SELECT state, expire_time FROM reservations WHERE reference = :o "
            "ORDER BY reservation_id"), {"o": order_id})).all()


async def test_payment_sets_the_fulfil_by_time_and_holds_the_stock_a_day_past_it(
        stubs, engine, settings):
    _, orders, _ = stubs
    made = (await orders.CreateOrder(order("o1", ("LAMP", 2, 10_000)))).order
    assert not made.HasField("fulfil_by_time")
    paid = await pay(orders, made)
    fulfil_by = paid.fulfil_by_time.ToDatetime(UTC)
    assert fulfil_by - paid.pay_time.ToDatetime(UTC) == timedelta(seconds=settings.order_hold_s)
    [(state, expire_time)] = await holds_of(engine, made.order_id)
    assert state == "ACTIVE"
    assert abs(expire_time - fulfil_by - timedelta(seconds=HOLD_MARGIN_S)) < timedelta(seconds=5)


async def test_a_pickup_nobody_collects_is_cancelled_and_goes_back_on_the_shelf(stubs, engine):
    _, orders, members = stubs
    await earn_1000_points(stubs)
    made = (await orders.CreateOrder(order("o1", ("LAMP", 2, 10_000), points=500))).order
    await pay_payable(orders, made)
    ready = (await orders.MarkReadyForPickup(pb.MarkReadyForPickupRequest(
        request_id="ready", group_id=made.groups[0].group_id))).order
    assert await stock_of(engine, "A", "LAMP") == (5, 2, 0)

    before = overdue_count("NOT_COLLECTED")
    await overdue(engine, made.order_id)
    got = await settled(orders, made.order_id, lambda o: o.state == pb.ORDER_STATE_CANCELLED)
    assert (got.cancel_reason, [g.state for g in got.groups]) == (
        "NOT_COLLECTED", [pb.GROUP_STATE_CANCELLED])
    assert overdue_count("NOT_COLLECTED") == before + 1
    assert await stock_of(engine, "A", "LAMP") == (5, 0, 0)  # back on sale
    assert await points_of(members, "M-1") == 1_000  # the points spent, given back
    assert [state for state, _ in await holds_of(engine, made.order_id)] == ["RELEASED"]
    with pytest.raises(grpc.RpcError) as late:  # the customer comes on day 8
        await orders.ConfirmPickup(pb.ConfirmPickupRequest(
            request_id="late", group_id=made.groups[0].group_id,
            pickup_code=ready.groups[0].pickup_code))
    assert error_info(late.value).reason == "INVALID_STATE_TRANSITION"
    assert "order " + made.order_id + " is CANCELLED" in late.value.details()
    async with engine.connect() as conn:
        history = (await conn.execute(text(
            "SELECT action, actor FROM order_events WHERE order_id = :o ORDER BY event_id"),
            {"o": made.order_id})).all()
    assert history[-1] == ("CANCEL", "system")
    await assert_ledger_consistent(engine)


async def test_goods_with_a_courier_at_the_deadline_stay_held_for_as_long_again(
        stubs, engine, settings):
    _, orders, _ = stubs
    made = (await orders.CreateOrder(order(
        "o1", ("LAMP", 1, 10_000), method=pb.FULFILMENT_METHOD_SAME_CITY_DELIVERY))).order
    await pay(orders, made)
    group_id = made.groups[0].group_id
    await orders.DispatchDelivery(pb.DispatchDeliveryRequest(
        request_id="d", group_id=group_id, courier_reference="SF1"))

    before = overdue_count("EXTENDED")
    await overdue(engine, made.order_id, holds_too=True)  # and the service was down a day
    got = await settled(orders, made.order_id,
                        lambda o: o.fulfil_by_time.ToDatetime(UTC) > datetime.now(UTC))
    assert (got.state, got.groups[0].state) == (pb.ORDER_STATE_PAID,
                                                pb.GROUP_STATE_OUT_FOR_DELIVERY)
    fulfil_by = got.fulfil_by_time.ToDatetime(UTC)
    [(state, expire_time)] = await holds_of(engine, made.order_id)
    assert state == "ACTIVE"  # the order reached its hold before the reservation sweeper did
    assert abs(expire_time - fulfil_by - timedelta(seconds=HOLD_MARGIN_S)) < timedelta(seconds=5)
    assert await stock_of(engine, "A", "LAMP") == (5, 1, 0)  # still owed to this customer
    assert overdue_count("EXTENDED") == before + 1
    delivered = (await orders.ConfirmDelivery(pb.ConfirmDeliveryRequest(
        request_id="c", group_id=group_id))).order
    assert delivered.state == pb.ORDER_STATE_COMPLETED
    assert await stock_of(engine, "A", "LAMP") == (4, 0, 0)
    async with engine.connect() as conn:
        actions = (await conn.execute(text(
            "SELECT action FROM order_events WHERE order_id = :o ORDER BY event_id"),
            {"o": made.order_id})).scalars().all()
    assert actions[-2:] == ["EXTEND_HOLD", "CONFIRM_DELIVERY"]
    await assert_ledger_consistent(engine)


async def test_a_pickup_overdue_through_an_outage_releases_its_holds_as_the_order_is_cancelled(
        stubs, engine):
    """Holds past their own expiry too: the order settles first, so they are RELEASED by its
    cancellation, not EXPIRED under a PAID order."""
    _, orders, _ = stubs
    made = (await orders.CreateOrder(order("o1", ("LAMP", 1, 10_000), ("VASE", 1, 2_000)))).order
    await pay(orders, made)
    await overdue(engine, made.order_id, holds_too=True)
    got = await settled(orders, made.order_id, lambda o: o.state == pb.ORDER_STATE_CANCELLED)
    assert got.cancel_reason == "NOT_FULFILLED"  # waiting for a transfer, never made ready
    assert {state for state, _ in await holds_of(engine, made.order_id)} == {"RELEASED"}
    assert (await stock_of(engine, "A", "LAMP"), await stock_of(engine, "W", "VASE")) == (
        (5, 0, 0), (10, 0, 0))
    await assert_ledger_consistent(engine)


async def test_a_till_sale_has_no_fulfil_by_time(stubs):
    _, orders, _ = stubs
    sale = (await orders.CreateOrder(order(
        "t1", ("LAMP", 1, 10_000), location="A", method=pb.FULFILMENT_METHOD_IN_STORE,
        channel=pb.CHANNEL_POS))).order
    assert sale.state == pb.ORDER_STATE_COMPLETED and not sale.HasField("fulfil_by_time")


async def test_the_sweeper_finds_overdue_orders_through_their_own_index(engine):
    """It looks every second, in every server process: never by reading every paid order.
    Asked of a table shaped like a chain's, twenty thousand orders of which one in a hundred
    is paid and open, with its statistics taken, as the planner would see it."""
    async with engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO orders (order_id, request_id, channel, state, goods_minor, "
            "total_minor, fulfil_by) SELECT 'o' || g, 'o' || g, 'MINI_PROGRAM', CASE WHEN "
            "g % 100 = 0 THEN 'PAID' ELSE 'COMPLETED' END, 100, 100, CASE WHEN g % 100 = 0 "
            "THEN now() + make_interval(secs => g) END FROM generate_series(1, 20000) AS g"))
        await conn.execute(text("ANALYZE orders"))
        plan = "\n".join(row[0] for row in await conn.execute(text(
            "EXPLAIN " + PAID_PAST_DEADLINE_SQL.replace("$1", "100"))))
    assert "orders_paid_fulfil_by" in plan and "Seq Scan" not in plan, plan


async def test_pickups_racing_the_sweeper_end_collected_or_cancelled_never_both(
        stubs, engine):
    """Ten customers reach the counter just as their orders fall due: each order ends either
    COMPLETED (the pickup went first, the units sold, points earned) or CANCELLED (the
    sweeper went first, the units back on sale, the pickup refused), as its pickup's answer
    says, and the ledger adds up."""
    inventory, orders, _ = stubs
    await inventory.AdjustStock(inv.AdjustStockRequest(
        request_id="lamps", location_id="A", sku_id="LAMP", delta=15,
        reason=inv.ADJUSTMENT_REASON_RECEIPT))
    ready = []
    for i in range(10):
        made = (await orders.CreateOrder(order(f"o{i}", ("LAMP", 1, 10_000),
                                               member=f"M-{i}"))).order
        await pay(orders, made)
        ready.append((await orders.MarkReadyForPickup(pb.MarkReadyForPickupRequest(
            request_id=f"ready-{i}", group_id=made.groups[0].group_id))).order)
    for made in ready:
        await overdue(engine, made.order_id)

    async def collect(made):
        group = made.groups[0]
        try:
            await orders.ConfirmPickup(pb.ConfirmPickupRequest(
                request_id=f"pickup-{made.order_id}", group_id=group.group_id,
                pickup_code=group.pickup_code))
            return "COLLECTED"
        except grpc.RpcError as error:
            assert error_info(error).reason == "INVALID_STATE_TRANSITION", error.details()
            return "REFUSED"

    async def sweep():  # the sweeper of another server process, at the same moment
        return await in_transaction(engine, lambda conn: settle_overdue(conn, 3600, limit=3))

    calls = [collect(made) for made in ready]
    for at in (8, 4, 0):
        calls.insert(at, sweep())
    answers = [a for a in await asyncio.gather(*calls) if isinstance(a, str)]
    finals = [await settled(orders, made.order_id, lambda o: o.state != pb.ORDER_STATE_PAID)
              for made in ready]
    for answer, final in zip(answers, finals, strict=True):
        assert (answer, final.state) in {("COLLECTED", pb.ORDER_STATE_COMPLETED),
                                         ("REFUSED", pb.ORDER_STATE_CANCELLED)}
        assert final.points_awarded == (100 if answer == "COLLECTED" else 0)
    collected = answers.count("COLLECTED")
    assert await stock_of(engine, "A", "LAMP") == (20 - collected, 0, 0)
    async with engine.connect() as conn:  # members are made by their first award
        points = dict((await conn.execute(text("SELECT member_id, points FROM members"))).all())
    assert [points.get(f"M-{i}", 0) for i in range(10)] == [
        100 if answer == "COLLECTED" else 0 for answer in answers]
    await assert_ledger_consistent(engine)


async def test_a_sweep_that_rolls_back_counts_nothing_and_one_that_commits_counts_once(
        stubs, engine):
    """The overdue counter follows what was committed: a sweep undone (a failure, a retried
    deadlock) leaves it as it was."""
    _, orders, _ = stubs
    made = await pay(orders, (await orders.CreateOrder(order("o1", ("LAMP", 1, 10_000)))).order)
    before, settled_here = overdue_count("NOT_FULFILLED"), []

    async def undone(conn):  # fall due and be settled inside a transaction that rolls back
        await conn.execute(text("UPDATE orders SET fulfil_by = now() - interval '1 s' "
                                "WHERE order_id = :o"), {"o": made.order_id})
        settled_here.append(await settle_overdue(conn, 3600))
        raise RuntimeError("the sweep's transaction fails")

    with pytest.raises(RuntimeError):
        await in_transaction(engine, undone)
    assert settled_here == [1] and overdue_count("NOT_FULFILLED") == before
    await overdue(engine, made.order_id)
    await settled(orders, made.order_id, lambda o: o.state == pb.ORDER_STATE_CANCELLED)
    assert overdue_count("NOT_FULFILLED") == before + 1
