"""Points spent as a discount at checkout (积分抵现): 100 points take 1 yuan off the goods.
The customer pays the rest; the order earns on what was paid; a cancellation gives the points
back once, a return its share; and racing checkouts never spend points a member does not have."""

import asyncio

import grpc
import pytest
from onestock.inventory.v1 import inventory_service_pb2 as inv
from onestock.members.v1 import member_service_pb2 as mem
from onestock.orders.v1 import order_service_pb2 as pb
from sqlalchemy import text

from tests.helpers import assert_ledger_consistent, bad_fields, error_info, table_counts
from tests.orders.conftest import member_code, order, pay, points_of


async def earn_1000_points(stubs, member="M-1"):
    """Two sofas bought at B's till: 1,000 yuan paid, 1,000 points at the standard rate (and
    1,000 growth, which makes the member SILVER: 1.2 points per yuan from then on)."""
    inventory, orders, members = stubs
    await inventory.AdjustStock(inv.AdjustStockRequest(
        request_id=f"sofas-{member}", location_id="B", sku_id="SOFA", delta=2,
        reason=inv.ADJUSTMENT_REASON_RECEIPT))
    await orders.CreateOrder(order(f"till-{member}", ("SOFA", 2, 50_000), member=member,
                                   location="B", method=pb.FULFILMENT_METHOD_IN_STORE,
                                   channel=pb.CHANNEL_POS))
    assert await points_of(members, member) == 1_000


def spending(request_id, points, *lines, **kw):
    """An order spending ``points``, of one lamp unless other lines are given."""
    return order(request_id, *(lines or [("LAMP", 1, 10_000)]), points=points, **kw)


async def hand_over(orders, made):
    """Pay what is payable, then the customer collects at the counter."""
    await pay_payable(orders, made)
    group_id = made.groups[0].group_id
    ready = (await orders.MarkReadyForPickup(pb.MarkReadyForPickupRequest(
        request_id=f"ready-{made.order_id}", group_id=group_id))).order
    return (await orders.ConfirmPickup(pb.ConfirmPickupRequest(
        request_id=f"pickup-{made.order_id}", group_id=group_id,
        pickup_code=ready.groups[0].pickup_code))).order


async def pay_payable(orders, made):
    return (await orders.ConfirmPayment(pb.ConfirmPaymentRequest(
        request_id=f"pay-{made.order_id}", order_id=made.order_id,
        amount_minor=made.payable_minor))).order


async def assert_balances_match_the_points_ledger(engine):
    async with engine.connect() as conn:
        drift = (await conn.execute(text(
            "SELECT m.member_id, m.points, COALESCE(SUM(l.points_delta), 0) FROM members m "
            "LEFT JOIN points_ledger l USING (member_id) GROUP BY m.member_id, m.points "
            "HAVING m.points <> COALESCE(SUM(l.points_delta), 0)"))).all()
    assert drift == []


async def ledger_kinds(members, member="M-1"):
    entries = (await members.ListPointsLedger(mem.ListPointsLedgerRequest(
        member_id=member))).entries
    return [(e.kind, e.points_delta) for e in reversed(entries)]


async def test_points_take_their_value_off_what_is_paid_and_the_order_earns_on_the_rest(
        stubs, engine):
    _, orders, members = stubs
    await earn_1000_points(stubs)
    made = (await orders.CreateOrder(spending("o1", 400))).order
    assert (made.total_minor, made.points_redeemed, made.points_discount_minor,
            made.payable_minor) == (10_000, 400, 400, 9_600)
    assert await points_of(members, "M-1") == 600  # spent when the order is made

    with pytest.raises(grpc.RpcError) as refused:  # the total is not what is payable
        await pay(orders, made)
    assert error_info(refused.value).reason == "PAYMENT_AMOUNT_MISMATCH"
    assert "differs from the 9600 payable (the order total 10000 less 400 paid with points)" \
        in refused.value.details()

    done = await hand_over(orders, made)
    assert done.state == pb.ORDER_STATE_COMPLETED
    assert done.points_awarded == 96 * 120 // 100  # 96 yuan paid at SILVER's 1.2 a yuan
    assert await points_of(members, "M-1") == 600 + 115
    assert await ledger_kinds(members) == [
        (mem.LEDGER_ENTRY_KIND_AWARD, 1_000), (mem.LEDGER_ENTRY_KIND_TIER_CHANGE, 0),
        (mem.LEDGER_ENTRY_KIND_REDEMPTION, -400), (mem.LEDGER_ENTRY_KIND_AWARD, 115)]
    async with engine.connect() as conn:
        events = (await conn.execute(text(
            "SELECT kind FROM outbox WHERE member_id = 'M-1' ORDER BY seq"))).scalars().all()
    assert events == ["POINTS_AWARDED", "TIER_CHANGED", "POINTS_REDEEMED", "POINTS_AWARDED"]
    await assert_balances_match_the_points_ledger(engine)
    await assert_ledger_consistent(engine)


async def test_more_points_than_the_member_has_are_refused_and_nothing_changes(stubs, engine):
    _, orders, members = stubs
    await earn_1000_points(stubs)
    before = await table_counts(engine)
    with pytest.raises(grpc.RpcError) as refused:
        await orders.CreateOrder(spending("o1", 1_001))
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    info = error_info(refused.value)
    assert (info.reason, dict(info.metadata)) == ("INSUFFICIENT_POINTS", {
        "member_id": "M-1", "points": "1000", "points_to_redeem": "1001"})
    assert await table_counts(engine) == before
    assert await points_of(members, "M-1") == 1_000
    made = (await orders.CreateOrder(spending("o1", 1_000))).order  # the same id, now right
    assert made.payable_minor == 9_000


@pytest.mark.parametrize("request_,why", [
    (spending("g", 100, member=""), "needs member_id"),
    (spending("x", 10_001), "more than the 10000 fen of goods"),
    (spending("n", -5), "must be 0 to"),
])
async def test_points_a_guest_spends_or_worth_more_than_the_goods_are_invalid(
        stubs, engine, request_, why):
    _, orders, _ = stubs
    before = await table_counts(engine)
    with pytest.raises(grpc.RpcError) as refused:
        await stubs[1].CreateOrder(request_)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "points_to_redeem" in bad_fields(refused.value)
    assert why in refused.value.details()
    assert await table_counts(engine) == before


async def test_a_cancelled_or_expired_order_gives_its_points_back_once(stubs, engine):
    _, orders, members = stubs
    await earn_1000_points(stubs)
    cancelled = (await orders.CreateOrder(spending("o1", 300))).order
    expiring = (await orders.CreateOrder(spending("o2", 200))).order
    assert await points_of(members, "M-1") == 500
    await orders.CancelOrder(pb.CancelOrderRequest(request_id="c1", order_id=cancelled.order_id))
    await orders.CancelOrder(pb.CancelOrderRequest(request_id="c1", order_id=cancelled.order_id))
    assert await points_of(members, "M-1") == 800
    async with engine.begin() as conn:  # its 15 minutes are up
        await conn.execute(text("UPDATE orders SET expire_time = now() - interval '1 second' "
                                "WHERE order_id = :o"), {"o": expiring.order_id})
    for _ in range(100):  # the sweeper runs every 0.2 s in the tests
        if await points_of(members, "M-1") == 1_000:
            break
        await asyncio.sleep(0.1)
    got = (await orders.GetOrder(pb.GetOrderRequest(order_id=expiring.order_id))).order
    assert (got.state, got.cancel_reason) == (pb.ORDER_STATE_CANCELLED, "PAYMENT_TIMEOUT")
    assert await ledger_kinds(members) == [
        (mem.LEDGER_ENTRY_KIND_AWARD, 1_000), (mem.LEDGER_ENTRY_KIND_TIER_CHANGE, 0),
        (mem.LEDGER_ENTRY_KIND_REDEMPTION, -300), (mem.LEDGER_ENTRY_KIND_REDEMPTION, -200),
        (mem.LEDGER_ENTRY_KIND_RESTORE, 300), (mem.LEDGER_ENTRY_KIND_RESTORE, 200)]
    await assert_balances_match_the_points_ledger(engine)
    await assert_ledger_consistent(engine)


async def test_returns_refund_their_share_of_the_money_and_give_back_their_share_of_the_points(
        stubs, engine):
    _, orders, members = stubs
    await earn_1000_points(stubs)
    made = (await orders.CreateOrder(spending("o1", 999, ("LAMP", 3, 10_000)))).order
    done = await hand_over(orders, made)  # 29,001 fen paid: 290 yuan, 348 points at SILVER
    assert (done.payable_minor, done.points_awarded) == (29_001, 348)
    for n in range(3):
        await orders.ReturnOrderLines(pb.ReturnOrderLinesRequest(
            request_id=f"r{n}", order_id=made.order_id, location_id="A",
            lines=[pb.ReturnLineInput(sku_id="LAMP", quantity=1)]))
    returned = (await orders.GetOrder(pb.GetOrderRequest(order_id=made.order_id))).order
    assert [(r.refund_minor, r.points_restored, r.points_reversed) for r in returned.returns] == [
        (9_667, 333, 116), (9_667, 333, 116), (9_667, 333, 116)]
    # each lamp a third of what was paid and of the points spent; in all, exactly everything
    assert sum(r.refund_minor for r in returned.returns) == 29_001
    assert sum(r.points_restored for r in returned.returns) == 999
    assert sum(r.points_reversed for r in returned.returns) == 348
    assert await points_of(members, "M-1") == 1_000
    await assert_balances_match_the_points_ledger(engine)
    await assert_ledger_consistent(engine)


async def test_a_till_sale_spends_points_and_completes_at_once(stubs, engine):
    _, orders, members = stubs
    await earn_1000_points(stubs)
    sale = (await orders.CreateOrder(spending(
        "till", 500, location="A", method=pb.FULFILMENT_METHOD_IN_STORE,
        channel=pb.CHANNEL_POS, code=await member_code(members)))).order
    assert (sale.state, sale.payable_minor) == (pb.ORDER_STATE_COMPLETED, 9_500)
    assert sale.points_awarded == 95 * 120 // 100
    assert await points_of(members, "M-1") == 1_000 - 500 + 114
    await assert_balances_match_the_points_ledger(engine)


async def test_racing_checkouts_never_spend_points_the_member_does_not_have(stubs, engine):
    """Ten checkouts at once, each spending 300 of 1,000 points, retried twice each: three are
    made, once each; the rest are refused for want of points, and the balance is 100."""
    inventory, orders, members = stubs
    await earn_1000_points(stubs)
    await inventory.AdjustStock(inv.AdjustStockRequest(
        request_id="lamps", location_id="A", sku_id="LAMP", delta=50,
        reason=inv.ADJUSTMENT_REASON_RECEIPT))

    async def checkout(request):
        try:
            return (await orders.CreateOrder(request)).order.order_id
        except grpc.RpcError as error:
            assert error_info(error).reason == "INSUFFICIENT_POINTS", error.details()
            return None

    requests = [spending(f"o{i}", 300) for i in range(10)]
    made = await asyncio.gather(*(checkout(r) for r in requests + requests + requests))
    assert len({m for m in made if m}) == 3
    assert await points_of(members, "M-1") == 100
    kinds = await ledger_kinds(members)
    assert kinds.count((mem.LEDGER_ENTRY_KIND_REDEMPTION, -300)) == 3
    await assert_balances_match_the_points_ledger(engine)
    await assert_ledger_consistent(engine)
