"""Limits against abuse (a member's hold on one SKU, prices, deadlines, request ids reused by
someone else) and the audit trail: who did each change, in every ledger."""

import asyncio
from dataclasses import replace

import grpc
import pytest
from onestock.inventory.v1 import inventory_service_pb2 as inv
from onestock.inventory.v1 import inventory_service_pb2_grpc as inv_grpc
from onestock.members.v1 import member_service_pb2 as mem
from onestock.members.v1 import member_service_pb2_grpc as mem_grpc
from onestock.orders.v1 import order_service_pb2 as ords
from onestock.orders.v1 import order_service_pb2_grpc as ords_grpc
from sqlalchemy import text

from services.access import keys
from tests.access.conftest import database_fingerprint, online_order_request
from tests.helpers import assert_ledger_consistent, bad_fields, error_info

HOLD_LIMIT = 3


@pytest.fixture
def settings(settings):
    return replace(settings, limits=replace(settings.limits, member_sku_hold_limit=HOLD_LIMIT))


def principal_of(key: str) -> str:
    return f"key:{keys.parse(key)[0]}"


async def reserve(stub, request_id: str, member: str, quantity: int = 1, location="S1"):
    try:
        made = await stub.ReserveStock(inv.ReserveStockRequest(
            request_id=request_id, channel=inv.CHANNEL_POS, member_id=member,
            lines=[inv.ReservationLineInput(location_id=location, sku_id="LAMP",
                                            quantity=quantity)]))
        return made.reservation
    except grpc.aio.AioRpcError as error:
        return error


async def test_concurrent_holds_never_take_a_member_past_the_limit_on_one_sku(
        ops, channels, engine):
    pos = inv_grpc.InventoryServiceStub(channels["POS@S1"])
    outcomes = await asyncio.gather(*(reserve(pos, f"scalper-{i}", "A") for i in range(12)),
                                    *(reserve(pos, f"other-{i}", "B") for i in range(2)))
    scalper, other = outcomes[:12], outcomes[12:]
    held = [o for o in scalper if isinstance(o, inv.Reservation)]
    refused = [o for o in scalper if isinstance(o, grpc.aio.AioRpcError)]
    assert len(held) == HOLD_LIMIT and len(refused) == 12 - HOLD_LIMIT
    for error in refused:
        assert error.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
        assert error_info(error).reason == "MEMBER_HOLD_LIMIT"
        assert "member_id" in error.details()
    assert all(isinstance(o, inv.Reservation) for o in other)  # other members unaffected
    await pos.ReleaseReservation(inv.ReleaseReservationRequest(
        request_id="give-back", reservation_id=held[0].reservation_id))
    assert isinstance(await reserve(pos, "scalper-again", "A"), inv.Reservation)
    async with engine.connect() as conn:
        most = await conn.scalar(text(
            "SELECT max(units) FROM (SELECT sum(l.quantity) AS units FROM reservations r "
            "JOIN reservation_lines l USING (reservation_id) WHERE r.state = 'ACTIVE' "
            "GROUP BY r.member_id, l.sku_id) AS per_member"))
    assert most == HOLD_LIMIT
    await assert_ledger_consistent(engine)


async def test_concurrent_unpaid_orders_never_take_a_member_past_the_limit(ops, channels, engine):
    mall = ords_grpc.OrderServiceStub(channels["MALL(A)"])

    async def order(i):
        try:
            return (await mall.CreateOrder(online_order_request(f"flash-{i}", "A"))).order
        except grpc.aio.AioRpcError as error:
            return error

    outcomes = await asyncio.gather(*(order(i) for i in range(8)))
    made = [o for o in outcomes if isinstance(o, ords.Order)]
    assert len(made) == HOLD_LIMIT
    assert {o.code() for o in outcomes if isinstance(o, grpc.aio.AioRpcError)} == {
        grpc.StatusCode.RESOURCE_EXHAUSTED}
    await assert_ledger_consistent(engine)


async def test_a_line_priced_above_the_catalogue_is_refused_so_points_cannot_be_minted(
        ops, channels, engine):
    request = online_order_request("inflated", "A")
    request.lines[0].unit_price_minor = 1_001  # the catalogue says 1,000
    before = await database_fingerprint(engine)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await ords_grpc.OrderServiceStub(channels["MALL(A)"]).CreateOrder(request)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(caught.value) == ["lines[0].unit_price_minor"]
    assert await database_fingerprint(engine) == before


async def test_a_call_whose_deadline_has_passed_does_no_work(ops, channels, engine):
    stub = inv_grpc.InventoryServiceStub(channels["OPS"])
    before = await database_fingerprint(engine)
    for i in range(20):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.AdjustStock(inv.AdjustStockRequest(
                request_id=f"late-{i}", location_id="S1", sku_id="LAMP", delta=1,
                reason=inv.ADJUSTMENT_REASON_RECEIPT), timeout=0.000001)
        assert caught.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED
    await asyncio.sleep(0.5)  # anything that had started would have finished by now
    assert await database_fingerprint(engine) == before


async def test_a_request_id_reused_by_another_principal_gets_no_one_elses_response(
        ops, channels):
    request = inv.ReserveStockRequest(request_id="till-1", channel=inv.CHANNEL_POS, lines=[
        inv.ReservationLineInput(location_id="S1", sku_id="LAMP", quantity=1)])
    first = await inv_grpc.InventoryServiceStub(channels["POS@S1"]).ReserveStock(request)
    again = await inv_grpc.InventoryServiceStub(channels["POS@S1"]).ReserveStock(request)
    assert again == first  # the same till retrying: the same answer
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await inv_grpc.InventoryServiceStub(channels["OPS"]).ReserveStock(request)
    assert error_info(caught.value).reason == "REQUEST_ID_REUSED"
    assert "or by another caller" in caught.value.details()  # the body was the same


async def test_every_change_records_the_principal_that_made_it(
        ops, server, issue_key, engine):
    from services.access import client

    target = f"127.0.0.1:{server.port}"
    mall_key, pos_key, staff_key = (await issue_key("MALL"), await issue_key("POS", "S1"),
                                    await issue_key("STORE_STAFF", "S1"))
    async with (client.channel(target, mall_key, member_id="A") as mall,
                client.channel(target, pos_key) as till,
                client.channel(target, staff_key) as staff):
        held = await inv_grpc.InventoryServiceStub(till).ReserveStock(inv.ReserveStockRequest(
            request_id="hold", channel=inv.CHANNEL_POS, lines=[
                inv.ReservationLineInput(location_id="S1", sku_id="LAMP", quantity=1)]))
        order = (await ords_grpc.OrderServiceStub(mall).CreateOrder(
            online_order_request("o", "A"))).order
        await ords_grpc.OrderServiceStub(mall).ConfirmPayment(ords.ConfirmPaymentRequest(
            request_id="p", order_id=order.order_id, amount_minor=order.total_minor))
        group = order.groups[0].group_id
        await ords_grpc.OrderServiceStub(staff).MarkReadyForPickup(
            ords.MarkReadyForPickupRequest(request_id="r", group_id=group))
        shown = await ords_grpc.OrderServiceStub(mall).GetOrder(  # on the customer's phone
            ords.GetOrderRequest(order_id=order.order_id))
        await ords_grpc.OrderServiceStub(staff).ConfirmPickup(ords.ConfirmPickupRequest(
            request_id="c", group_id=group, pickup_code=_pickup_code(shown.order)))
        movements = await inv_grpc.InventoryServiceStub(staff).ListStockMovements(
            inv.ListStockMovementsRequest(location_id="S1", page_size=100))
        entries = await mem_grpc.MemberServiceStub(mall).ListPointsLedger(
            mem.ListPointsLedgerRequest(member_id="A"))
    mall_id, pos_id, staff_id = map(principal_of, (mall_key, pos_key, staff_key))
    by_reservation = {m.reservation_id: m.actor for m in movements.movements if m.reservation_id}
    assert by_reservation[held.reservation.reservation_id] == pos_id
    assert {e.actor for e in entries.entries if e.order_id == order.order_id} == {staff_id}
    async with engine.connect() as conn:
        history = (await conn.execute(text(
            "SELECT action, actor FROM order_events WHERE order_id = :o ORDER BY event_id"),
            {"o": order.order_id})).all()
        created_by = await conn.scalar(text("SELECT created_by FROM orders WHERE order_id = :o"),
                                       {"o": order.order_id})
        reservation_actor = await conn.scalar(text(
            "SELECT actor FROM reservations WHERE reservation_id = :r"),
            {"r": held.reservation.reservation_id})
        unattributed = await conn.scalar(text(
            "SELECT count(*) FROM stock_movements WHERE actor = ''"))
    assert created_by == mall_id and reservation_actor == pos_id
    assert [tuple(row) for row in history] == [
        ("CREATE", mall_id), ("CONFIRM_PAYMENT", mall_id), ("MARK_READY_FOR_PICKUP", staff_id),
        ("CONFIRM_PICKUP", staff_id)]
    assert unattributed == 0


async def test_pickup_codes_reach_the_member_and_ops_but_never_the_counter(
        ops, server, issue_key):
    from services.access import client

    target = f"127.0.0.1:{server.port}"
    mall_key, staff_key = await issue_key("MALL"), await issue_key("STORE_STAFF", "S1")
    async with (client.channel(target, mall_key, member_id="A") as mall,
                client.channel(target, staff_key) as staff):
        order = await ops.online_order("A", paid=True)
        group = order.groups[0].group_id
        counter = ords_grpc.OrderServiceStub(staff)
        ready = await counter.MarkReadyForPickup(
            ords.MarkReadyForPickupRequest(request_id="r", group_id=group))
        read = {who: (await stub.GetOrder(ords.GetOrderRequest(order_id=order.order_id))).order
                for who, stub in (("mall", ords_grpc.OrderServiceStub(mall)), ("staff", counter),
                                  ("ops", ops.orders))}
        listed = await counter.ListOrders(ords.ListOrdersRequest(location_id="S1"))
        code = _pickup_code(read["mall"])
        assert len(code) == 6 and code.isdigit() and _pickup_code(read["ops"]) == code
        assert _pickup_code(ready.order) == _pickup_code(read["staff"]) == ""
        assert all(not g.pickup_code for o in listed.orders for g in o.groups)
        with pytest.raises(grpc.RpcError) as caught:  # what the counter reads is no code
            await counter.ConfirmPickup(ords.ConfirmPickupRequest(
                request_id="guess", group_id=group, pickup_code=""))
        assert bad_fields(caught.value) == ["pickup_code"]
        done = await counter.ConfirmPickup(ords.ConfirmPickupRequest(
            request_id="c", group_id=group, pickup_code=code))
        assert done.order.state == ords.ORDER_STATE_COMPLETED


def _pickup_code(order: ords.Order) -> str:
    return order.groups[0].pickup_code
