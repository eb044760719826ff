"""ListOrderEvents: an order's audit trail, as ops and the store read it back."""

import grpc
import pytest
from onestock.orders.v1 import order_service_pb2 as pb
from sqlalchemy import text

from tests.helpers import bad_fields, every_page
from tests.orders.conftest import order, pay, settled


async def history(orders, order_id, page_size=0):
    pages = await every_page(orders.ListOrderEvents, pb.ListOrderEventsRequest(
        order_id=order_id, page_size=page_size))
    return [event for page in pages for event in page.events]


async def test_a_pickup_orders_history_lists_each_change_with_its_actor_and_states(stubs):
    _, orders, _ = stubs
    made = (await orders.CreateOrder(order("o1", ("LAMP", 1, 10_000)))).order
    group_id = made.groups[0].group_id
    await pay(orders, made)
    ready = (await orders.MarkReadyForPickup(pb.MarkReadyForPickupRequest(
        request_id="m", group_id=group_id))).order
    right = ready.groups[0].pickup_code
    with pytest.raises(grpc.RpcError):
        await orders.ConfirmPickup(pb.ConfirmPickupRequest(
            request_id="p-wrong", group_id=group_id, pickup_code=f"{(int(right) + 1) % 10**6:06d}"))
    await orders.ConfirmPickup(pb.ConfirmPickupRequest(request_id="p", group_id=group_id,
                                                       pickup_code=right))
    events = await history(orders, made.order_id, page_size=2)  # pages of two
    assert [(e.action, e.state, dict(e.group_states)) for e in events] == [
        ("CREATE", pb.ORDER_STATE_PENDING_PAYMENT, {group_id: pb.GROUP_STATE_PREPARING}),
        ("CONFIRM_PAYMENT", pb.ORDER_STATE_PAID, {group_id: pb.GROUP_STATE_PREPARING}),
        ("MARK_READY_FOR_PICKUP", pb.ORDER_STATE_PAID, {group_id: pb.GROUP_STATE_READY_FOR_PICKUP}),
        ("WRONG_PICKUP_CODE", pb.ORDER_STATE_PAID, {group_id: pb.GROUP_STATE_READY_FOR_PICKUP}),
        ("CONFIRM_PICKUP", pb.ORDER_STATE_COMPLETED, {group_id: pb.GROUP_STATE_HANDED_OVER}),
    ]
    assert len({e.actor for e in events}) == 1 and events[0].actor.startswith("key:")
    assert [e.event_id for e in events] == sorted({e.event_id for e in events})
    times = [e.create_time.ToDatetime() for e in events]
    assert times == sorted(times)


async def test_onestocks_own_changes_are_recorded_as_the_systems_and_a_return_changes_no_group(
        stubs, engine):
    _, orders, _ = stubs
    unpaid = (await orders.CreateOrder(order("o1", ("LAMP", 1, 10_000)))).order
    async with engine.begin() as conn:  # as if 15 minutes had passed
        await conn.execute(text("UPDATE orders SET expire_time = now() - interval '1 second'"))
    await settled(orders, unpaid.order_id, lambda o: o.state == pb.ORDER_STATE_CANCELLED)
    expired = (await history(orders, unpaid.order_id))[-1]
    assert (expired.action, expired.actor, expired.state) == (
        "EXPIRE", "system", pb.ORDER_STATE_CANCELLED)
    sale = (await orders.CreateOrder(order("till", ("LAMP", 2, 10_000), location="A",
                                           method=pb.FULFILMENT_METHOD_IN_STORE,
                                           channel=pb.CHANNEL_POS))).order
    await orders.ReturnOrderLines(pb.ReturnOrderLinesRequest(
        request_id="r1", order_id=sale.order_id, location_id="A",
        lines=[pb.ReturnLineInput(sku_id="LAMP", quantity=1)]))
    events = await history(orders, sale.order_id)
    assert [e.action for e in events][-1] == "RETURN"
    assert (events[-1].state, dict(events[-1].group_states)) == (pb.ORDER_STATE_COMPLETED, {})


async def test_the_history_of_an_unknown_order_is_not_found_and_bad_pages_name_their_field(
        stubs):
    _, orders, _ = stubs
    with pytest.raises(grpc.RpcError) as caught:
        await orders.ListOrderEvents(pb.ListOrderEventsRequest(order_id="no-such-order"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    made = (await orders.CreateOrder(order("o1", ("LAMP", 1, 10_000)))).order
    other = (await orders.CreateOrder(order("o2", ("LAMP", 1, 10_000)))).order
    await pay(orders, made)
    first = await orders.ListOrderEvents(pb.ListOrderEventsRequest(order_id=made.order_id,
                                                                   page_size=1))
    for request, field in [
        (pb.ListOrderEventsRequest(order_id=made.order_id, page_size=-1), "page_size"),
        (pb.ListOrderEventsRequest(order_id=made.order_id, page_token="garbage"), "page_token"),
        (pb.ListOrderEventsRequest(order_id=other.order_id,  # another order's token
                                   page_token=first.next_page_token), "page_token"),
        (pb.ListOrderEventsRequest(), "order_id"),
    ]:
        with pytest.raises(grpc.RpcError) as caught:
            await orders.ListOrderEvents(request)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert bad_fields(caught.value) == [field]
