"""Returns through the ledger and the points ledger; ListOrders; WatchOrder; payment vs expiry."""

import asyncio

import grpc
import pytest
from onestock.members.v1 import member_service_pb2 as mem
from onestock.orders.v1 import order_service_pb2 as pb
from sqlalchemy import text

from services.orders import repository as repo
from tests.helpers import (
    assert_ledger_consistent,
    bad_fields,
    error_info,
    every_page,
    notices_cut_off,
    stock_of,
    table_counts,
)
from tests.orders.conftest import order, pay, points_of


async def completed_pos_sale(orders, request_id="pos", member="M-1", qty=4, price=2_500):
    return (await orders.CreateOrder(order(request_id, ("LAMP", qty, price), member=member,
                                           location="A", method=pb.FULFILMENT_METHOD_IN_STORE,
                                           channel=pb.CHANNEL_POS))).order


def give_back(order_id, request_id, qty, location="B"):
    return pb.ReturnOrderLinesRequest(request_id=request_id, order_id=order_id, location_id=location,
                                      lines=[pb.ReturnLineInput(sku_id="LAMP", quantity=qty)])


async def test_returns_restock_the_taking_location_and_take_back_points_pro_rata(stubs, engine):
    _, orders, members = stubs
    sale = await completed_pos_sale(orders)  # 4 x 25 yuan: 100 points
    assert await points_of(members, "M-1") == 100
    first = (await orders.ReturnOrderLines(give_back(sale.order_id, "r1", 1))).order
    assert first.lines[0].returned_quantity == 1
    assert [(r.location_id, r.refund_minor, r.points_reversed) for r in first.returns] == [
        ("B", 2_500, 25)]
    assert await stock_of(engine, "B", "LAMP") == (1, 0, 0)  # back on B's shelf
    assert await points_of(members, "M-1") == 75
    again = (await orders.ReturnOrderLines(give_back(sale.order_id, "r1", 1))).order
    assert len(again.returns) == 1  # a retry changes nothing
    await orders.ReturnOrderLines(give_back(sale.order_id, "r2", 3))
    assert await points_of(members, "M-1") == 0
    ledger = await members.ListPointsLedger(mem.ListPointsLedgerRequest(member_id="M-1"))
    assert [e.kind for e in ledger.entries].count(mem.LEDGER_ENTRY_KIND_REVERSAL) == 2
    await assert_ledger_consistent(engine)


async def test_more_than_was_bought_cannot_come_back(stubs, engine):
    _, orders, _ = stubs
    sale = await completed_pos_sale(orders, qty=2)
    await orders.ReturnOrderLines(give_back(sale.order_id, "r1", 1))
    before = await table_counts(engine)
    with pytest.raises(grpc.RpcError) as caught:
        await orders.ReturnOrderLines(give_back(sale.order_id, "r2", 2))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(caught.value) == ["lines[0].quantity"]
    assert await table_counts(engine) == before


@pytest.mark.parametrize(("second_line", "problem"), [
    (("VASE", 1), "VASE is not on the order"),
    (("LAMP", 2), "is listed twice"),  # rather than one line counting and the other lost
])
async def test_a_return_with_a_line_it_cannot_take_is_refused_whole_naming_the_line(
        stubs, engine, second_line, problem):
    _, orders, _ = stubs
    sale = await completed_pos_sale(orders, qty=3)
    before = await table_counts(engine)
    with pytest.raises(grpc.RpcError) as caught:
        await orders.ReturnOrderLines(pb.ReturnOrderLinesRequest(
            request_id="r1", order_id=sale.order_id, location_id="B", lines=[
                pb.ReturnLineInput(sku_id="LAMP", quantity=1),
                pb.ReturnLineInput(sku_id=second_line[0], quantity=second_line[1])]))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(caught.value) == ["lines[1].sku_id"]
    assert problem in caught.value.details()
    assert await table_counts(engine) == before
    assert await stock_of(engine, "B", "LAMP") == (0, 0, 0)  # the good line waits too


async def test_racing_returns_never_take_back_more_than_was_bought(stubs, engine):
    _, orders, members = stubs
    sale = await completed_pos_sale(orders, qty=3)  # 3 x 25 yuan: 75 points
    outcomes = await asyncio.gather(
        *(orders.ReturnOrderLines(give_back(sale.order_id, f"r{i}", 1)) for i in range(10)),
        return_exceptions=True)
    refused = [o for o in outcomes if isinstance(o, grpc.RpcError)]
    assert len(outcomes) - len(refused) == 3
    assert {e.code() for e in refused} == {grpc.StatusCode.INVALID_ARGUMENT}
    assert {tuple(bad_fields(e)) for e in refused} == {("lines[0].quantity",)}
    assert await stock_of(engine, "B", "LAMP") == (3, 0, 0)
    assert await points_of(members, "M-1") == 0
    final = (await orders.GetOrder(pb.GetOrderRequest(order_id=sale.order_id))).order
    assert final.lines[0].returned_quantity == 3
    assert sorted(r.points_reversed for r in final.returns) == [25, 25, 25]
    ledger = await members.ListPointsLedger(mem.ListPointsLedgerRequest(member_id="M-1"))
    assert [e.kind for e in ledger.entries].count(mem.LEDGER_ENTRY_KIND_REVERSAL) == 3
    await assert_ledger_consistent(engine)


async def test_an_order_not_completed_cannot_be_returned(stubs):
    _, orders, _ = stubs
    made = (await orders.CreateOrder(order("o1", ("LAMP", 1, 10_000)))).order
    with pytest.raises(grpc.RpcError) as caught:
        await orders.ReturnOrderLines(give_back(made.order_id, "r", 1))
    assert error_info(caught.value).reason == "INVALID_STATE_TRANSITION"


async def test_list_orders_by_member_location_and_state_pages_newest_first(stubs):
    _, orders, _ = stubs
    ids = [(await completed_pos_sale(orders, f"s{i}", qty=1)).order_id for i in range(3)]
    online = (await orders.CreateOrder(order("o1", ("LAMP", 1, 10_000)))).order
    pages = await every_page(orders.ListOrders,
                             pb.ListOrdersRequest(member_id="M-1", page_size=2))
    seen = [o.order_id for page in pages for o in page.orders]
    assert seen == [online.order_id, *reversed(ids)]
    done = await orders.ListOrders(pb.ListOrdersRequest(location_id="A",
                                                        state=pb.ORDER_STATE_COMPLETED))
    assert sorted(o.order_id for o in done.orders) == sorted(ids)
    with pytest.raises(grpc.RpcError) as caught:
        await orders.ListOrders(pb.ListOrdersRequest())
    assert bad_fields(caught.value) == ["member_id"]


async def test_a_listed_page_shows_each_order_whole_as_get_order_does(stubs):
    _, orders, _ = stubs
    returned = await completed_pos_sale(orders, "pos", qty=2)
    await orders.ReturnOrderLines(give_back(returned.order_id, "r1", 1))
    transfer = (await orders.CreateOrder(order("o1", ("LAMP", 1, 10_000), ("SOFA", 1, 50_000),
                                               ("VASE", 2, 2_000), location="A"))).order
    cancelled = (await orders.CreateOrder(order("o2", ("SOFA", 1, 50_000)))).order
    await orders.CancelOrder(pb.CancelOrderRequest(request_id="c", order_id=cancelled.order_id,
                                                   reason="changed my mind"))
    page = await orders.ListOrders(pb.ListOrdersRequest(member_id="M-1", page_size=10))
    listed = {o.order_id: o for o in page.orders}
    assert list(listed) == [cancelled.order_id, transfer.order_id, returned.order_id]
    for order_id, shown in listed.items():
        got = (await orders.GetOrder(pb.GetOrderRequest(order_id=order_id))).order
        assert shown == got
    assert len(listed[transfer.order_id].lines) == 3
    assert listed[transfer.order_id].groups[0].transfers
    assert listed[returned.order_id].returns[0].refund_minor == 2_500
    assert listed[cancelled.order_id].state == pb.ORDER_STATE_CANCELLED


async def test_watch_order_follows_it_to_completion(stubs):
    _, orders, _ = stubs
    made = (await orders.CreateOrder(order("o1", ("LAMP", 1, 10_000),
                                           method=pb.FULFILMENT_METHOD_SAME_CITY_DELIVERY))).order
    stream = orders.WatchOrder(pb.WatchOrderRequest(order_id=made.order_id))
    states = [(await stream.read()).order.state]

    async def fulfil():
        paid = await pay(orders, made)
        group_id = paid.groups[0].group_id
        await orders.DispatchDelivery(pb.DispatchDeliveryRequest(
            request_id="d", group_id=group_id, courier_reference="SF"))
        await orders.ConfirmDelivery(pb.ConfirmDeliveryRequest(request_id="c", group_id=group_id))

    work = asyncio.create_task(fulfil())
    while (message := await asyncio.wait_for(stream.read(), 10)) is not grpc.aio.EOF:
        states.append(message.order.state)
    await work
    assert states[0] == pb.ORDER_STATE_PENDING_PAYMENT
    assert states[-1] == pb.ORDER_STATE_COMPLETED and pb.ORDER_STATE_PAID in states


async def test_watch_order_follows_it_while_no_change_notice_can_arrive(
        stubs, server, engine, database_url):
    """The server's LISTEN connection is down and stays down (new connections refused):
    the order's change notice is lost, so the server looks every second for orders whose
    history grew, rather than tell the watcher nothing until the connection is back."""
    _, orders, _ = stubs
    made = (await orders.CreateOrder(order("o1", ("LAMP", 1, 10_000)))).order
    stream = orders.WatchOrder(pb.WatchOrderRequest(order_id=made.order_id))
    assert (await stream.read()).order.state == pb.ORDER_STATE_PENDING_PAYMENT
    async with notices_cut_off(server, engine, database_url):
        await pay(orders, made)
        paid = await asyncio.wait_for(stream.read(), 5)
        assert paid.order.state == pb.ORDER_STATE_PAID
    stream.cancel()


async def test_while_no_notice_can_arrive_watchers_of_orders_that_did_not_change_read_nothing(
        stubs, server, engine, database_url, monkeypatch):
    """One query a second finds which watched orders changed: a read per watcher per second
    would put thousands on the pool just as the database struggles. Only the changed
    order's watcher reads it again."""
    _, orders, _ = stubs
    made = [(await orders.CreateOrder(order(f"o{i}", ("LAMP", 1, 10_000), member=f"M-{i}"))).order
            for i in range(5)]  # every lamp of the chain
    streams = [orders.WatchOrder(pb.WatchOrderRequest(order_id=m.order_id)) for m in made]
    for stream in streams:
        assert (await stream.read()).order.state == pb.ORDER_STATE_PENDING_PAYMENT
    loads: list[str] = []
    load_order = repo.load_order

    async def counted(conn, order_id, **kw):
        loads.append(order_id)
        return await load_order(conn, order_id, **kw)

    monkeypatch.setattr(repo, "load_order", counted)
    async with notices_cut_off(server, engine, database_url):
        await asyncio.sleep(2.5)  # the first round, after a second, wakes every watcher once
        assert sorted(loads) == sorted(m.order_id for m in made)
        await asyncio.sleep(2.0)
        assert len(loads) == len(made)  # two rounds more: nothing changed, nobody read
        await pay(orders, made[3])
        paid = await asyncio.wait_for(streams[3].read(), 5)
        assert paid.order.state == pb.ORDER_STATE_PAID
    for stream in streams:
        stream.cancel()


async def test_payment_racing_expiry_ends_in_exactly_one_of_the_two(stubs, engine):
    _, orders, _ = stubs
    made = [(await orders.CreateOrder(order(f"o{i}", ("LAMP", 1, 10_000), member=f"M-{i}"))).order
            for i in range(5)]
    async with engine.begin() as conn:  # every order expires in ~0.5 s
        await conn.execute(text("UPDATE orders SET expire_time = now() + interval '0.5 second'"))
        await conn.execute(text(
            "UPDATE reservations SET expire_time = now() + interval '0.5 second'"))
    await asyncio.sleep(0.45)

    async def try_pay(o):
        try:
            return (await pay(orders, o)).state
        except grpc.RpcError as error:
            return error_info(error).reason

    outcomes = await asyncio.gather(*(try_pay(o) for o in made))
    await asyncio.sleep(1.2)  # the sweeper cancels every order left unpaid
    final = [(await orders.GetOrder(pb.GetOrderRequest(order_id=o.order_id))).order for o in made]
    for outcome, order_now in zip(outcomes, final, strict=True):
        if outcome == pb.ORDER_STATE_PAID:
            assert order_now.state == pb.ORDER_STATE_PAID
        else:
            assert outcome in ("ORDER_EXPIRED", "INVALID_STATE_TRANSITION")
            assert order_now.state == pb.ORDER_STATE_CANCELLED
    paid = sum(o.state == pb.ORDER_STATE_PAID for o in final)
    assert await stock_of(engine, "A", "LAMP") == (5, paid, 0)
    await assert_ledger_consistent(engine)
