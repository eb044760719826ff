"""Orders through real channels on a small chain: every mode, step by step, with stock,
the ledger, order state and points checked along the way."""

import asyncio

import grpc
import pytest
from onestock.inventory.v1 import inventory_service_pb2 as inv
from onestock.orders.v1 import order_service_pb2 as pb
from sqlalchemy import text

from tests.helpers import (
    assert_ledger_consistent,
    bad_fields,
    error_info,
    stock_of,
    table_counts,
)
from tests.orders.conftest import order, pay, points_of, settled


async def test_pickup_order_from_creation_to_points(stubs, engine):
    _, orders, members = stubs
    made = (await orders.CreateOrder(order("o1", ("LAMP", 2, 10_000)))).order
    assert made.state == pb.ORDER_STATE_PENDING_PAYMENT and made.total_minor == 20_000
    [group] = made.groups
    assert (group.location_id, group.kind, group.dealer_id) == ("A", pb.GROUP_KIND_PICKUP,
                                                                "DEALER-A")
    assert await stock_of(engine, "A", "LAMP") == (5, 2, 0)  # held, not sold

    paid = await pay(orders, made)
    assert paid.state == pb.ORDER_STATE_PAID and paid.groups[0].state == pb.GROUP_STATE_PREPARING
    ready = (await orders.MarkReadyForPickup(pb.MarkReadyForPickupRequest(
        request_id="r", group_id=group.group_id))).order
    code = ready.groups[0].pickup_code
    assert len(code) == 6
    with pytest.raises(grpc.RpcError) as wrong:
        await orders.ConfirmPickup(pb.ConfirmPickupRequest(request_id="p0", group_id=group.group_id,
                                                           pickup_code="000000" if code != "000000" else "111111"))
    assert error_info(wrong.value).reason == "WRONG_PICKUP_CODE"
    done = (await orders.ConfirmPickup(pb.ConfirmPickupRequest(
        request_id="p1", group_id=group.group_id, pickup_code=code))).order
    assert done.state == pb.ORDER_STATE_COMPLETED and done.points_awarded == 200
    assert await stock_of(engine, "A", "LAMP") == (3, 0, 0)  # sold
    assert await points_of(members, "M-1") == 200
    await assert_ledger_consistent(engine)


async def test_pickup_after_a_transfer_moves_stock_through_the_ledger(stubs, engine):
    _, orders, members = stubs
    made = (await orders.CreateOrder(order("o1", ("LAMP", 1, 10_000), ("VASE", 2, 2_000)))).order
    [group] = made.groups
    assert group.location_id == "A" and group.state == pb.GROUP_STATE_AWAITING_TRANSFER
    assert [(t.source_location_id, [(ln.sku_id, ln.quantity) for ln in t.lines])
            for t in group.transfers] == [("W", [("VASE", 2)])]
    await pay(orders, made)
    await orders.ShipTransfer(pb.ShipTransferRequest(request_id="s", group_id=group.group_id))
    assert await stock_of(engine, "W", "VASE") == (8, 0, 0)  # left the warehouse
    received = (await orders.ReceiveTransfer(pb.ReceiveTransferRequest(
        request_id="rc", group_id=group.group_id))).order
    assert received.groups[0].state == pb.GROUP_STATE_PREPARING
    assert await stock_of(engine, "A", "VASE") == (2, 2, 0)  # arrived, held for this order
    ready = (await orders.MarkReadyForPickup(pb.MarkReadyForPickupRequest(
        request_id="m", group_id=group.group_id))).order
    done = (await orders.ConfirmPickup(pb.ConfirmPickupRequest(
        request_id="p", group_id=group.group_id, pickup_code=ready.groups[0].pickup_code))).order
    assert done.state == pb.ORDER_STATE_COMPLETED
    assert await stock_of(engine, "A", "VASE") == (0, 0, 0)
    assert await stock_of(engine, "A", "LAMP") == (4, 0, 0)
    assert await points_of(members, "M-1") == 140
    await assert_ledger_consistent(engine)


async def test_same_city_delivery_and_a_split_delivery(stubs, engine):
    _, orders, members = stubs
    single = (await orders.CreateOrder(order("o1", ("LAMP", 1, 10_000),
                                             method=pb.FULFILMENT_METHOD_SAME_CITY_DELIVERY))).order
    assert [g.location_id for g in single.groups] == ["A"]
    assert single.total_minor == 10_000 + single.groups[0].delivery_fee_minor > 10_000
    split = (await orders.CreateOrder(order("o2", ("LAMP", 1, 10_000), ("SOFA", 1, 50_000),
                                            method=pb.FULFILMENT_METHOD_SAME_CITY_DELIVERY))).order
    assert sorted(g.location_id for g in split.groups) == ["A", "B"]
    await pay(orders, split)
    for i, group in enumerate(split.groups):
        await orders.DispatchDelivery(pb.DispatchDeliveryRequest(
            request_id=f"d{i}", group_id=group.group_id, courier_reference=f"SF{i}"))
    first = (await orders.ConfirmDelivery(pb.ConfirmDeliveryRequest(
        request_id="c0", group_id=split.groups[0].group_id))).order
    assert first.state == pb.ORDER_STATE_PAID  # one group still with its courier
    last = (await orders.ConfirmDelivery(pb.ConfirmDeliveryRequest(
        request_id="c1", group_id=split.groups[1].group_id))).order
    assert last.state == pb.ORDER_STATE_COMPLETED
    assert last.points_awarded == 600  # goods only: 600 yuan, not the courier fees
    assert await stock_of(engine, "B", "SOFA") == (1, 0, 0)
    await assert_ledger_consistent(engine)


async def test_a_pos_sale_is_paid_and_completed_at_once(stubs, engine):
    inventory, orders, members = stubs
    sale = (await orders.CreateOrder(order("pos-1", ("LAMP", 2, 9_900), location="A",
                                           method=pb.FULFILMENT_METHOD_IN_STORE,
                                           channel=pb.CHANNEL_POS))).order
    assert sale.state == pb.ORDER_STATE_COMPLETED and sale.points_awarded == 198
    assert await stock_of(engine, "A", "LAMP") == (3, 0, 0)
    held = await inventory.ReserveStock(inv.ReserveStockRequest(
        request_id="till", channel=inv.CHANNEL_POS,
        lines=[inv.ReservationLineInput(location_id="A", sku_id="LAMP", quantity=1)]))
    sale2 = (await orders.CreateOrder(order(
        "pos-2", ("LAMP", 1, 10_000), location="A", method=pb.FULFILMENT_METHOD_IN_STORE,
        channel=pb.CHANNEL_POS, reservation=held.reservation.reservation_id))).order
    assert sale2.state == pb.ORDER_STATE_COMPLETED
    assert await stock_of(engine, "A", "LAMP") == (2, 0, 0)
    assert await points_of(members, "M-1") == 298
    await assert_ledger_consistent(engine)


async def test_tills_racing_to_sell_one_reservation_sell_it_once(stubs, engine):
    inventory, orders, members = stubs
    held = await inventory.ReserveStock(inv.ReserveStockRequest(
        request_id="till", channel=inv.CHANNEL_POS,
        lines=[inv.ReservationLineInput(location_id="A", sku_id="LAMP", quantity=2)]))
    before = await table_counts(engine)
    sales = await asyncio.gather(*(orders.CreateOrder(order(
        f"pos-{i}", ("LAMP", 2, 10_000), location="A", method=pb.FULFILMENT_METHOD_IN_STORE,
        channel=pb.CHANNEL_POS, reservation=held.reservation.reservation_id)) for i in range(8)),
        return_exceptions=True)
    sold = [s.order for s in sales if not isinstance(s, grpc.RpcError)]
    refused = [s for s in sales if isinstance(s, grpc.RpcError)]
    assert len(sold) == 1 and sold[0].state == pb.ORDER_STATE_COMPLETED
    assert {e.code() for e in refused} == {grpc.StatusCode.FAILED_PRECONDITION}
    assert {error_info(e).reason for e in refused} == {"RESERVATION_NOT_ACTIVE"}  # sold already
    assert await stock_of(engine, "A", "LAMP") == (3, 0, 0)
    assert await points_of(members, "M-1") == 200
    after = await table_counts(engine)
    assert after["reservations"] == before["reservations"]  # the losers held nothing of their own
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM orders")) == 1
    await assert_ledger_consistent(engine)


async def test_cancelling_releases_everything_still_held(stubs, engine):
    _, orders, _ = stubs
    made = (await orders.CreateOrder(order("o1", ("LAMP", 2, 10_000), ("VASE", 1, 2_000)))).order
    await pay(orders, made)
    cancelled = (await orders.CancelOrder(pb.CancelOrderRequest(
        request_id="x", order_id=made.order_id))).order
    assert cancelled.state == pb.ORDER_STATE_CANCELLED
    assert [g.state for g in cancelled.groups] == [pb.GROUP_STATE_CANCELLED]
    assert await stock_of(engine, "A", "LAMP") == (5, 0, 0)
    assert await stock_of(engine, "W", "VASE") == (10, 0, 0)
    again = await pay(orders, made)  # a retry of the same payment gets its first answer back
    assert again.state == pb.ORDER_STATE_PAID
    with pytest.raises(grpc.RpcError) as caught:  # a new payment is refused
        await orders.ConfirmPayment(pb.ConfirmPaymentRequest(
            request_id="pay-again", order_id=made.order_id, amount_minor=made.total_minor))
    assert error_info(caught.value).reason == "INVALID_STATE_TRANSITION"
    await assert_ledger_consistent(engine)


@pytest.mark.parametrize("on_the_road", ["transfer shipped", "courier dispatched"])
async def test_a_paid_order_whose_goods_are_on_the_road_cannot_be_cancelled(
        stubs, engine, on_the_road):
    """Goods in a van or with a courier can't be put back on a shelf by a call: the order
    waits for them (a return brings them back), and the refusal changes nothing."""
    _, orders, _ = stubs
    if on_the_road == "transfer shipped":
        made = (await orders.CreateOrder(order("o1", ("VASE", 2, 2_000)))).order
        await pay(orders, made)
        await orders.ShipTransfer(pb.ShipTransferRequest(request_id="s",
                                                         group_id=made.groups[0].group_id))
    else:
        made = (await orders.CreateOrder(order(
            "o1", ("LAMP", 1, 10_000), method=pb.FULFILMENT_METHOD_SAME_CITY_DELIVERY))).order
        await pay(orders, made)
        await orders.DispatchDelivery(pb.DispatchDeliveryRequest(
            request_id="d", group_id=made.groups[0].group_id, courier_reference="SF1"))
    before = await table_counts(engine)

    async def shelves():
        return [await stock_of(engine, *key) for key in [("A", "LAMP"), ("A", "VASE"),
                                                         ("W", "VASE")]]

    levels = await shelves()
    with pytest.raises(grpc.RpcError) as caught:
        await orders.CancelOrder(pb.CancelOrderRequest(request_id="x", order_id=made.order_id))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_info(caught.value).reason == "INVALID_STATE_TRANSITION"
    assert "on their way" in caught.value.details()
    assert await table_counts(engine) == before
    assert await shelves() == levels
    got = (await orders.GetOrder(pb.GetOrderRequest(order_id=made.order_id))).order
    assert got.state == pb.ORDER_STATE_PAID
    await assert_ledger_consistent(engine)


async def test_steps_out_of_order_are_refused_and_change_nothing(stubs, engine):
    _, orders, _ = stubs
    made = (await orders.CreateOrder(order("o1", ("LAMP", 1, 10_000)))).order
    group_id = made.groups[0].group_id
    before = await table_counts(engine)
    with pytest.raises(grpc.RpcError) as unpaid:  # not paid yet
        await orders.MarkReadyForPickup(pb.MarkReadyForPickupRequest(request_id="m",
                                                                     group_id=group_id))
    assert unpaid.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    await pay(orders, made)
    before = await table_counts(engine)
    with pytest.raises(grpc.RpcError) as wrong_mode:
        await orders.DispatchDelivery(pb.DispatchDeliveryRequest(
            request_id="d", group_id=group_id, courier_reference="SF1"))
    assert error_info(wrong_mode.value).reason == "INVALID_STATE_TRANSITION"
    assert await table_counts(engine) == before


async def test_a_courier_reference_with_control_characters_is_refused_naming_it(
        stubs, engine):
    """PostgreSQL refuses a NUL in text: without this check the step failed as INTERNAL."""
    _, orders, _ = stubs
    made = (await orders.CreateOrder(order("o1", ("LAMP", 1, 10_000),
                                           method=pb.FULFILMENT_METHOD_SAME_CITY_DELIVERY))).order
    await pay(orders, made)
    before = await table_counts(engine)
    with pytest.raises(grpc.RpcError) as caught:
        await orders.DispatchDelivery(pb.DispatchDeliveryRequest(
            request_id="d", group_id=made.groups[0].group_id, courier_reference="SF\x001"))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "courier_reference" in caught.value.details()
    assert await table_counts(engine) == before


async def test_unpaid_orders_expire_and_release_their_stock(stubs, engine, settings, database_url):
    _, orders, _ = stubs
    made = (await orders.CreateOrder(order("o1", ("LAMP", 2, 10_000)))).order
    async with engine.begin() as conn:  # as if 15 minutes had passed
        await conn.execute(text("UPDATE orders SET expire_time = now() - interval '1 second'"))
        await conn.execute(text("UPDATE reservations SET expire_time = now() - interval '1 second'"))
    got = await settled(orders, made.order_id, lambda o: o.state == pb.ORDER_STATE_CANCELLED)
    assert (got.state, got.cancel_reason) == (pb.ORDER_STATE_CANCELLED, "PAYMENT_TIMEOUT")
    assert await stock_of(engine, "A", "LAMP") == (5, 0, 0)
    with pytest.raises(grpc.RpcError) as caught:
        await pay(orders, made)
    assert error_info(caught.value).reason == "INVALID_STATE_TRANSITION"
    await assert_ledger_consistent(engine)


async def test_unpaid_orders_running_out_together_are_cancelled_in_one_sweep_releasing_all(
        stubs, engine):
    """Pickups, pickups after a transfer (two holds, two locations) and deliveries, on the
    same stock rows, cancelled together by the sweeper: every unit comes back, once."""
    inventory, orders, _ = stubs
    for location, sku_id in (("A", "LAMP"), ("W", "VASE")):
        await inventory.AdjustStock(inv.AdjustStockRequest(
            request_id=f"more-{sku_id}", location_id=location, sku_id=sku_id, delta=100,
            reason=inv.ADJUSTMENT_REASON_RECEIPT))
    shapes = [((("LAMP", 1, 10_000),), pb.FULFILMENT_METHOD_PICKUP),
              ((("LAMP", 1, 10_000), ("VASE", 1, 2_000)), pb.FULFILMENT_METHOD_PICKUP),
              ((("LAMP", 2, 10_000),), pb.FULFILMENT_METHOD_SAME_CITY_DELIVERY)]
    made = [(await orders.CreateOrder(order(f"o{n}", *shapes[n % 3][0], method=shapes[n % 3][1],
                                            member=f"M-{n}"))).order for n in range(30)]
    assert await stock_of(engine, "A", "LAMP") == (105, 40, 0)
    assert await stock_of(engine, "W", "VASE") == (110, 10, 0)
    async with engine.begin() as conn:  # as if they had all been placed 15 minutes ago
        await conn.execute(text("UPDATE orders SET expire_time = now() - interval '1 second'"))
        await conn.execute(text("UPDATE reservations SET expire_time = now() "
                                "- interval '1 second'"))
    for _ in range(50):
        await asyncio.sleep(0.1)
        async with engine.connect() as conn:
            if not await conn.scalar(text(
                    "SELECT count(*) FROM orders WHERE state = 'PENDING_PAYMENT'")):
                break
    for o in made:
        got = (await orders.GetOrder(pb.GetOrderRequest(order_id=o.order_id))).order
        assert (got.state, got.cancel_reason) == (pb.ORDER_STATE_CANCELLED, "PAYMENT_TIMEOUT")
        assert {g.state for g in got.groups} == {pb.GROUP_STATE_CANCELLED}
    assert await stock_of(engine, "A", "LAMP") == (105, 0, 0)
    assert await stock_of(engine, "W", "VASE") == (110, 0, 0)
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM order_events "
                                      "WHERE action = 'EXPIRE'")) == 30
        assert await conn.scalar(text("SELECT count(*) FROM reservations "
                                      "WHERE state = 'ACTIVE'")) == 0
    await assert_ledger_consistent(engine)


async def test_100_concurrent_orders_for_scarce_stock_never_oversell(stubs, engine):
    _, orders, _ = stubs

    async def one(i):
        try:
            await orders.CreateOrder(order(f"c{i}", ("SOFA", 1, 50_000), member=f"M-{i}"))
            return "ok"
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
            assert "cannot be fulfilled" in error.details()
            return error_info(error).reason

    outcomes = await asyncio.gather(*(one(i) for i in range(100)))
    assert outcomes.count("ok") == 12  # 2 at store B, 10 more by transfer from W
    assert set(outcomes) == {"ok", "INSUFFICIENT_STOCK"}
    assert await stock_of(engine, "B", "SOFA") == (2, 2, 0)
    assert await stock_of(engine, "W", "SOFA") == (10, 10, 0)
    await assert_ledger_consistent(engine)


async def test_retried_and_raced_create_order_makes_one_order(stubs, engine):
    _, orders, _ = stubs
    request = order("same", ("LAMP", 1, 10_000))
    made = await asyncio.gather(*(orders.CreateOrder(request) for _ in range(10)))
    assert len({m.order.order_id for m in made}) == 1
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM orders")) == 1
    assert await stock_of(engine, "A", "LAMP") == (5, 1, 0)


async def test_completion_retried_or_raced_awards_points_once(stubs, engine):
    _, orders, members = stubs
    made = (await orders.CreateOrder(order("o1", ("LAMP", 1, 10_000),
                                           method=pb.FULFILMENT_METHOD_SAME_CITY_DELIVERY))).order
    await pay(orders, made)
    group_id = made.groups[0].group_id
    await orders.DispatchDelivery(pb.DispatchDeliveryRequest(request_id="d", group_id=group_id,
                                                             courier_reference="SF"))
    same = pb.ConfirmDeliveryRequest(request_id="c", group_id=group_id)
    other = pb.ConfirmDeliveryRequest(request_id="c-other", group_id=group_id)
    results = await asyncio.gather(*(orders.ConfirmDelivery(same) for _ in range(5)),
                                   *(orders.ConfirmDelivery(other) for _ in range(5)),
                                   return_exceptions=True)
    ok = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(ok) == 5 and all(r.order.state == pb.ORDER_STATE_COMPLETED for r in ok)
    assert all(error_info(e).reason == "INVALID_STATE_TRANSITION" for e in refused)
    assert await points_of(members, "M-1") == 100
    async with engine.connect() as conn:
        awards = await conn.scalar(text("SELECT count(*) FROM points_ledger WHERE kind = 'AWARD'"))
    assert awards == 1


@pytest.mark.parametrize("request_,field", [
    (order("b", ("LAMP", 0, 100)), "lines[0].quantity"),
    (order("b", ("LAMP", 1, -5)), "lines[0].unit_price_minor"),
    (order("b", ("LAMP", 1, 1), ("LAMP", 1, 1)), "lines[1].sku_id"),
    (order("b"), "lines"),
    (order("b", ("LAMP", 1, 1), method=pb.FULFILMENT_METHOD_UNSPECIFIED), "fulfilment.method"),
    (order("b", ("LAMP", 1, 1), method=pb.FULFILMENT_METHOD_IN_STORE, location="A"),
     "fulfilment.method"),
    (order("b", ("LAMP", 1, 1), channel=pb.CHANNEL_UNSPECIFIED), "channel"),
    (order("b", ("LAMP", 1, 1), channel=pb.CHANNEL_POS, location="A"), "fulfilment.method"),
    (order("b", ("LAMP", 1, 1), reservation="R-1"), "fulfilment.reservation_id"),
    (order("b", ("LAMP", 1, 1), member="bad member"), "member_id"),
    (order("", ("LAMP", 1, 1)), "request_id"),
])
async def test_bad_orders_name_the_field_and_change_nothing(stubs, engine, request_, field):
    _, orders, _ = stubs
    before = await table_counts(engine)
    with pytest.raises(grpc.RpcError) as caught:
        await orders.CreateOrder(request_)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in bad_fields(caught.value)
    assert await table_counts(engine) == before


async def test_a_bad_channel_or_method_names_the_values_allowed_as_callers_write_them(stubs):
    _, orders, _ = stubs
    with pytest.raises(grpc.RpcError) as caught:
        await orders.CreateOrder(order("b", ("LAMP", 1, 1), channel=pb.CHANNEL_UNSPECIFIED,
                                       method=pb.FULFILMENT_METHOD_UNSPECIFIED))
    details = caught.value.details()
    assert "channel: must be CHANNEL_MINI_PROGRAM or CHANNEL_POS" in details
    assert ("fulfilment.method: must be FULFILMENT_METHOD_PICKUP, "
            "FULFILMENT_METHOD_SAME_CITY_DELIVERY, FULFILMENT_METHOD_AUTO or "
            "FULFILMENT_METHOD_IN_STORE") in details


async def test_unknown_sku_store_or_order_is_not_found(stubs):
    _, orders, _ = stubs
    for call in (orders.CreateOrder(order("n1", ("GHOST", 1, 1))),
                 orders.CreateOrder(order("n2", ("LAMP", 1, 1), location="NOPE")),
                 orders.GetOrder(pb.GetOrderRequest(order_id="no-such-order"))):
        with pytest.raises(grpc.RpcError) as caught:
            await call
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_bad_payment_names_every_bad_field_at_once(stubs):
    _, orders, _ = stubs
    with pytest.raises(grpc.RpcError) as caught:
        await orders.ConfirmPayment(pb.ConfirmPaymentRequest(request_id="", order_id="",
                                                             amount_minor=0))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(bad_fields(caught.value)) == {"request_id", "order_id", "amount_minor"}
