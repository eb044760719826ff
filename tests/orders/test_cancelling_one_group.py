"""One group of a paid order cancelled on its own (缺货取消): a split delivery whose second
store cannot supply its part. The group's stock goes back, its share of the money and points
comes back once, the order completes with what was delivered and earns on that alone, and
the goods never handed over cannot come back as a return."""

import asyncio

import grpc
import pytest
from onestock.orders.v1 import order_service_pb2 as pb
from onestock.orders.v1 import order_service_pb2_grpc as pb_grpc
from sqlalchemy import text

from services.access import client
from services.access.principals import Kind
from services.members.rules import DEFAULT_TIERS, Standing, award_for
from tests.helpers import assert_ledger_consistent, error_info, stock_of, table_counts
from tests.orders.conftest import order, points_of, settled
from tests.orders.test_paid_order_deadlines import overdue, overdue_count
from tests.orders.test_points_at_checkout import (
    assert_balances_match_the_points_ledger,
    earn_1000_points,
    pay_payable,
)

LAMP, SOFA = 10_000, 50_000  # the order's prices: 600 yuan of goods


async def split_order(orders, request_id="split", points=0, pay=True):
    """A lamp from A and a sofa from B, delivered: two groups. Returns (order, A's group,
    B's group)."""
    made = (await orders.CreateOrder(order(
        request_id, ("LAMP", 1, LAMP), ("SOFA", 1, SOFA), points=points,
        method=pb.FULFILMENT_METHOD_SAME_CITY_DELIVERY))).order
    if pay:
        made = await pay_payable(orders, made)
    by_store = {g.location_id: g for g in made.groups}
    return made, by_store["A"], by_store["B"]


async def cancel(orders, group, request_id="cancel-b", reason=""):
    return (await orders.CancelFulfilmentGroup(pb.CancelFulfilmentGroupRequest(
        request_id=request_id, group_id=group.group_id, reason=reason))).order


async def deliver(orders, group):
    await orders.DispatchDelivery(pb.DispatchDeliveryRequest(
        request_id=f"d-{group.group_id}", group_id=group.group_id, courier_reference="SF1"))
    return (await orders.ConfirmDelivery(pb.ConfirmDeliveryRequest(
        request_id=f"c-{group.group_id}", group_id=group.group_id))).order


def group_of(order, group):
    return next(g for g in order.groups if g.group_id == group.group_id)


async def test_a_group_its_store_cannot_supply_is_cancelled_alone_and_the_rest_completes_the_order(
        stubs, engine):
    _, orders, members = stubs
    await earn_1000_points(stubs)  # SILVER now: 1.2 points a yuan
    made, lamp, sofa = await split_order(orders, points=1_000)  # 10 yuan off the goods
    assert await stock_of(engine, "B", "SOFA") == (2, 1, 0)

    after = await cancel(orders, sofa, reason="sofa damaged in the stockroom")
    b = group_of(after, sofa)
    assert (after.state, b.state, b.cancel_reason) == (
        pb.ORDER_STATE_PAID, pb.GROUP_STATE_CANCELLED, "sofa damaged in the stockroom")
    # the sofa's share of the 590 yuan paid for goods (500 of 600), and its courier fee
    assert b.refund_minor == 59_000 * 50_000 // 60_000 + sofa.delivery_fee_minor
    assert b.points_restored == 1_000 * 50_000 // 60_000 == 833
    assert await stock_of(engine, "B", "SOFA") == (2, 0, 0)
    assert await points_of(members, "M-1") == 833

    done = await deliver(orders, lamp)
    kept = 59_000 - 59_000 * 50_000 // 60_000  # what was paid for the lamp: 98.34 yuan
    earned = award_for(Standing(833, 1_000), kept, DEFAULT_TIERS).points
    assert earned < award_for(Standing(833, 1_000), 59_000, DEFAULT_TIERS).points
    assert (done.state, done.points_awarded) == (pb.ORDER_STATE_COMPLETED, earned)
    assert await points_of(members, "M-1") == 833 + earned
    assert await stock_of(engine, "A", "LAMP") == (4, 0, 0)
    await assert_ledger_consistent(engine)
    await assert_balances_match_the_points_ledger(engine)


async def test_returning_what_was_kept_gives_back_the_rest_and_nothing_cancelled_comes_back(
        stubs, engine):
    _, orders, members = stubs
    await earn_1000_points(stubs)
    made, lamp, sofa = await split_order(orders, points=1_000)
    refunded = group_of(await cancel(orders, sofa), sofa).refund_minor - sofa.delivery_fee_minor
    await deliver(orders, lamp)

    with pytest.raises(grpc.RpcError) as caught:  # the sofa never reached the customer
        await orders.ReturnOrderLines(pb.ReturnOrderLinesRequest(
            request_id="ret-sofa", order_id=made.order_id, location_id="B",
            lines=[pb.ReturnLineInput(sku_id="SOFA", quantity=1)]))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "0 units handed over and not yet returned" in caught.value.details()

    back = (await orders.ReturnOrderLines(pb.ReturnOrderLinesRequest(
        request_id="ret-lamp", order_id=made.order_id, location_id="A",
        lines=[pb.ReturnLineInput(sku_id="LAMP", quantity=1)]))).order
    [lamp_return] = back.returns
    assert lamp_return.refund_minor + refunded == 59_000  # every fen paid for goods, once
    assert lamp_return.points_restored == 1_000 - 833  # every point spent, once
    assert await points_of(members, "M-1") == 1_000  # the lamp's award taken back whole
    await assert_ledger_consistent(engine)
    await assert_balances_match_the_points_ledger(engine)


async def test_cancelling_the_last_open_group_cancels_the_order_with_the_rest_of_the_points(
        stubs, engine):
    _, orders, members = stubs
    await earn_1000_points(stubs)
    _, lamp, sofa = await split_order(orders, points=1_000)
    await cancel(orders, sofa)
    gone = await cancel(orders, lamp, "cancel-a", reason="customer moved")
    assert (gone.state, gone.cancel_reason) == (pb.ORDER_STATE_CANCELLED, "customer moved")
    assert group_of(gone, lamp).cancel_reason == ""  # the order went, not the group alone
    assert await points_of(members, "M-1") == 1_000  # 833 with the sofa, 167 now
    assert await stock_of(engine, "A", "LAMP") == (5, 0, 0)
    assert await stock_of(engine, "B", "SOFA") == (2, 0, 0)
    await assert_balances_match_the_points_ledger(engine)


async def test_a_group_cancel_is_refused_unpaid_on_its_way_or_at_another_store_changing_nothing(
        stubs, engine, server, issue_key):
    _, orders, _ = stubs
    _, _, unpaid_sofa = await split_order(orders, "unpaid", pay=False)
    _, lamp, sofa = await split_order(orders, "paid")
    await orders.DispatchDelivery(pb.DispatchDeliveryRequest(
        request_id="d", group_id=lamp.group_id, courier_reference="SF1"))
    before = (await table_counts(engine), await stock_of(engine, "B", "SOFA"))

    for group in (unpaid_sofa, lamp):
        with pytest.raises(grpc.RpcError) as caught:
            await cancel(orders, group, f"cancel-{group.group_id}")
        assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_info(caught.value).reason == "INVALID_STATE_TRANSITION"
    key = await issue_key(Kind.STORE_STAFF, location_id="A")
    async with client.channel(f"127.0.0.1:{server.port}", key) as channel:
        with pytest.raises(grpc.RpcError) as caught:  # B's group, A's staff
            await cancel(pb_grpc.OrderServiceStub(channel), sofa, "cancel-by-a")
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert (await table_counts(engine), await stock_of(engine, "B", "SOFA")) == before


async def test_racing_cancels_of_one_group_give_its_refund_and_points_back_once(stubs, engine):
    """Eight cancels of the sofa's group (retries and a second clerk), beside the lamp's
    delivery: one cancellation, 833 points back, one award on the lamp."""
    _, orders, members = stubs
    await earn_1000_points(stubs)
    made, lamp, sofa = await split_order(orders, points=1_000)
    await orders.DispatchDelivery(pb.DispatchDeliveryRequest(
        request_id="d", group_id=lamp.group_id, courier_reference="SF1"))

    async def cancelling(n):
        try:
            return await cancel(orders, sofa, f"cancel-{n % 3}")
        except grpc.RpcError as error:  # the group was cancelled by another request id
            assert error_info(error).reason == "INVALID_STATE_TRANSITION"
            return None

    delivering = orders.ConfirmDelivery(pb.ConfirmDeliveryRequest(
        request_id="c", group_id=lamp.group_id))
    *outcomes, delivered = await asyncio.gather(*(cancelling(n) for n in range(8)), delivering)
    assert {group_of(o, sofa).refund_minor for o in outcomes if o} == {
        59_000 * 50_000 // 60_000 + sofa.delivery_fee_minor}
    final = await settled(orders, made.order_id, lambda o: o.state == pb.ORDER_STATE_COMPLETED)
    async with engine.connect() as conn:
        kinds = (await conn.execute(text(
            "SELECT kind, count(*) FROM points_ledger WHERE order_id = :o GROUP BY kind"),
            {"o": made.order_id})).all()
    assert dict(kinds) == {"REDEMPTION": 1, "RESTORE": 1, "AWARD": 1}
    assert await points_of(members, "M-1") == 833 + final.points_awarded
    await assert_ledger_consistent(engine)
    await assert_balances_match_the_points_ledger(engine)


async def test_an_overdue_order_partly_delivered_loses_the_part_never_sent_and_completes(
        stubs, engine):
    """Beside it, falling due in the same sweep, a pickup nobody came for: cancelled whole."""
    _, orders, members = stubs
    made, lamp, sofa = await split_order(orders)
    await deliver(orders, lamp)
    pickup = await pay_payable(orders, (await orders.CreateOrder(order(
        "pickup", ("LAMP", 1, LAMP), location="A"))).order)
    before = overdue_count("PART_CANCELLED")
    for due in (made, pickup):
        await overdue(engine, due.order_id)
    done = await settled(orders, made.order_id, lambda o: o.state != pb.ORDER_STATE_PAID)
    gone = await settled(orders, pickup.order_id, lambda o: o.state != pb.ORDER_STATE_PAID)
    assert (gone.state, gone.cancel_reason) == (pb.ORDER_STATE_CANCELLED, "NOT_FULFILLED")
    assert overdue_count("PART_CANCELLED") == before + 1
    b = group_of(done, sofa)
    assert (done.state, b.state, b.cancel_reason) == (
        pb.ORDER_STATE_COMPLETED, pb.GROUP_STATE_CANCELLED, "NOT_FULFILLED")
    assert b.refund_minor == SOFA + sofa.delivery_fee_minor
    assert done.points_awarded == 100  # the lamp's 100 yuan, at the standard rate
    assert await stock_of(engine, "B", "SOFA") == (2, 0, 0)
    await assert_ledger_consistent(engine)
