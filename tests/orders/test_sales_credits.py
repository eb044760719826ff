"""Sales credited to the stores that served them and to their dealers (业绩归属): what each
store handed over in a period, less what came back of what it sold, whoever took it back."""

import asyncio
import csv
import os
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import grpc
import pytest
from onestock.inventory.v1 import inventory_service_pb2 as inv
from onestock.orders.v1 import order_service_pb2 as pb
from onestock.orders.v1 import order_service_pb2_grpc as pb_grpc
from sqlalchemy import text

from services.access import client
from services.access.principals import Kind
from services.inventory.mapping import timestamp
from services.orders import handlers
from services.orders.sales_report import COLUMNS
from tests.helpers import bad_fields, every_page, stock_of
from tests.orders.conftest import order, pay
from tests.orders.test_cancelling_one_group import cancel, deliver, split_order
from tests.test_cli_and_server import onestock

LAMP, SOFA = 10_000, 50_000


async def instant(engine) -> datetime:
    """Now by the database's clock (the one hand-overs and returns are stamped with), a
    little apart from anything done just before or after."""
    await asyncio.sleep(0.02)
    async with engine.connect() as conn:
        moment = (await conn.execute(text("SELECT clock_timestamp()"))).scalar()
    await asyncio.sleep(0.02)
    return moment


def asking(start, end, **filters):
    return pb.SummarizeSalesRequest(start_time=timestamp(start), end_time=timestamp(end),
                                    **filters)


async def credits(orders, start, end, **filters) -> dict[tuple[str, str], tuple]:
    """(location, dealer) -> (groups, units sold, goods sold, units returned, goods returned,
    net), read page by page (one row a page, so paging is exercised too)."""
    pages = await every_page(orders.SummarizeSales, asking(start, end, page_size=1, **filters))
    rows = [row for page in pages for row in page.store_sales]
    assert all(row.currency == "CNY" for row in rows)
    keys = [(row.location_id, row.dealer_id) for row in rows]
    assert keys == sorted(set(keys))  # each once, in order
    return {(row.location_id, row.dealer_id): (
        row.groups_handed_over, row.units_sold, row.goods_sold_minor, row.units_returned,
        row.goods_returned_minor, row.net_goods_minor) for row in rows}


async def delivered_split(orders):
    """A lamp from A (dealer DEALER-A) and a sofa from B (a company store), both delivered."""
    made, lamp, sofa = await split_order(orders)
    await deliver(orders, lamp)
    await deliver(orders, sofa)
    return made


async def three_sofas(inventory, orders, delivered=False):
    """Three sofas for delivery, paid: one from A, two from B, a group each, A's first;
    each group handed over when ``delivered``."""
    await inventory.AdjustStock(inv.AdjustStockRequest(
        request_id="sofa-at-a", location_id="A", sku_id="SOFA", delta=1,
        reason=inv.ADJUSTMENT_REASON_RECEIPT))
    made = await pay(orders, (await orders.CreateOrder(order(
        "sofas", ("SOFA", 3, SOFA), method=pb.FULFILMENT_METHOD_SAME_CITY_DELIVERY))).order)
    assert [(g.location_id, [(x.sku_id, x.quantity) for x in g.lines]) for g in made.groups] == [
        ("A", [("SOFA", 1)]), ("B", [("SOFA", 2)])]  # the premise: a split, A first
    for group in made.groups if delivered else ():
        await deliver(orders, group)
    return made


async def returns_of(orders, order_id):
    """The order's returns, as GetOrder lists them."""
    return (await orders.GetOrder(pb.GetOrderRequest(order_id=order_id))).order.returns


def till_sale(request_id, quantity=1):
    return order(request_id, ("LAMP", quantity, LAMP), location="A",
                 method=pb.FULFILMENT_METHOD_IN_STORE, channel=pb.CHANNEL_POS)


async def test_each_store_and_its_dealer_is_credited_with_the_goods_it_handed_over(stubs,
                                                                                   engine):
    _, orders, _ = stubs
    start = await instant(engine)
    made, lamp, sofa = await split_order(orders)
    await deliver(orders, lamp)
    lamp_delivered = await instant(engine)
    await deliver(orders, sofa)  # the order's groups are saved again: the lamp's time stays
    sale = (await orders.CreateOrder(till_sale("till-1", quantity=2))).order
    waiting = (await orders.CreateOrder(order("vase", ("VASE", 1, 2_000)))).order  # a transfer
    await pay(orders, waiting)
    end = await instant(engine)

    assert made.total_minor > LAMP + SOFA  # the courier fees are not the stores' sales
    delivered = (await orders.GetOrder(pb.GetOrderRequest(order_id=made.order_id))).order
    handed_over = [g.handover_time.ToDatetime(tzinfo=UTC)
                   for g in (*delivered.groups, *sale.groups)]
    assert start < handed_over[0] < lamp_delivered < handed_over[1] < handed_over[2] < end
    assert not waiting.groups[0].HasField("handover_time")
    assert await credits(orders, start, end) == {
        ("A", "DEALER-A"): (2, 3, 3 * LAMP, 0, 0, 3 * LAMP),
        ("B", ""): (1, 1, SOFA, 0, 0, SOFA)}
    assert await credits(orders, start, end, dealer_id="DEALER-A") == {
        ("A", "DEALER-A"): (2, 3, 3 * LAMP, 0, 0, 3 * LAMP)}
    assert await credits(orders, start, end, location_id="B") == {
        ("B", ""): (1, 1, SOFA, 0, 0, SOFA)}
    assert await credits(orders, start, lamp_delivered) == {
        ("A", "DEALER-A"): (1, 1, LAMP, 0, 0, LAMP)}
    assert await credits(orders, start - timedelta(days=1), start) == {}
    assert await credits(orders, end, end + timedelta(days=1)) == {}


async def test_a_return_is_debited_to_the_store_that_sold_it_in_the_period_it_came_back(stubs,
                                                                                      engine):
    _, orders, _ = stubs
    start = await instant(engine)
    made = await delivered_split(orders)
    sold = await instant(engine)
    back = (await orders.ReturnOrderLines(pb.ReturnOrderLinesRequest(  # A's lamp, at B
        request_id="ret-lamp", order_id=made.order_id, location_id="B",
        lines=[pb.ReturnLineInput(sku_id="LAMP", quantity=1)]))).order
    end = await instant(engine)
    [debit] = back.returns[0].debits  # the order says whom the return was taken off
    assert (debit.location_id, debit.dealer_id, debit.sku_id, debit.quantity,
            debit.unit_price_minor) == ("A", "DEALER-A", "LAMP", 1, LAMP)

    assert (await stock_of(engine, "B", "LAMP"))[0] == 1  # the goods are on B's shelf
    assert await credits(orders, start, sold) == {
        ("A", "DEALER-A"): (1, 1, LAMP, 0, 0, LAMP), ("B", ""): (1, 1, SOFA, 0, 0, SOFA)}
    assert await credits(orders, sold, end) == {("A", "DEALER-A"): (0, 0, 0, 1, LAMP, -LAMP)}
    assert await credits(orders, sold, end, location_id="B") == {}
    assert await credits(orders, start, end) == {
        ("A", "DEALER-A"): (1, 1, LAMP, 1, LAMP, 0), ("B", ""): (1, 1, SOFA, 0, 0, SOFA)}


async def test_racing_returns_of_a_sku_two_stores_sold_debit_each_unit_once_in_group_order(
        stubs, engine):
    """Three sofas delivered, one from A and two from B, come back one at a time, all at
    once: A is debited one, B two, and nothing twice."""
    inventory, orders, _ = stubs
    made = await three_sofas(inventory, orders, delivered=True)
    start = await instant(engine)

    async def bring_back(n):
        return await orders.ReturnOrderLines(pb.ReturnOrderLinesRequest(
            request_id=f"ret-{n}", order_id=made.order_id, location_id="W",
            lines=[pb.ReturnLineInput(sku_id="SOFA", quantity=1)]))

    await asyncio.gather(*(bring_back(n) for n in range(3)))
    end = await instant(engine)
    assert await credits(orders, start, end) == {
        ("A", "DEALER-A"): (0, 0, 0, 1, SOFA, -SOFA), ("B", ""): (0, 0, 0, 2, 2 * SOFA, -2 * SOFA)}
    returned = await returns_of(orders, made.order_id)
    assert [(d.location_id, d.dealer_id, d.sku_id, d.quantity, d.unit_price_minor)
            for r in returned for d in r.debits] == [
        ("A", "DEALER-A", "SOFA", 1, SOFA), ("B", "", "SOFA", 1, SOFA),
        ("B", "", "SOFA", 1, SOFA)]  # listed in the order they were debited


async def test_a_return_whose_transaction_began_first_but_waited_is_listed_after_the_one_it_waited_for(
        stubs, engine):
    """A till's return begins, then waits while a return at another till commits: it was
    debited second (B's sofa, A's went to the first), so it is listed second, although its
    transaction, and so its create_time, is the older."""
    inventory, orders, _ = stubs
    made = await three_sofas(inventory, orders, delivered=True)
    async with engine.connect() as waiting:
        await waiting.begin()
        await waiting.execute(text("SELECT 1"))  # now() is fixed here, before the other return
        await orders.ReturnOrderLines(pb.ReturnOrderLinesRequest(
            request_id="ret-first", order_id=made.order_id, location_id="W",
            lines=[pb.ReturnLineInput(sku_id="SOFA", quantity=1)]))
        await handlers.return_lines(waiting, made.order_id, "W", [("SOFA", 1)], "ret-second")
        await waiting.commit()
    returned = await returns_of(orders, made.order_id)
    assert [[d.location_id for d in r.debits] for r in returned] == [["A"], ["B"]]


async def test_a_group_cancelled_on_its_own_is_neither_credited_nor_debited(stubs, engine):
    """The same three sofas; A cannot supply its one (缺货取消), B delivers two, and one
    comes back: B is debited, never A."""
    inventory, orders, _ = stubs
    start = await instant(engine)
    made = await three_sofas(inventory, orders)
    at_a, at_b = made.groups
    await cancel(orders, at_a, reason="sofa damaged")
    await deliver(orders, at_b)
    await orders.ReturnOrderLines(pb.ReturnOrderLinesRequest(
        request_id="ret-1", order_id=made.order_id, location_id="B",
        lines=[pb.ReturnLineInput(sku_id="SOFA", quantity=1)]))
    end = await instant(engine)
    assert await credits(orders, start, end) == {
        ("B", ""): (1, 2, 2 * SOFA, 1, SOFA, SOFA)}


@pytest.mark.parametrize(("request_fields", "field"), [
    ({"end_time": timestamp(datetime(2026, 12, 1, tzinfo=UTC))}, "start_time"),
    ({"start_time": timestamp(datetime(2026, 12, 1, tzinfo=UTC)),
      "end_time": timestamp(datetime(2026, 11, 1, tzinfo=UTC))}, "end_time"),
    ({"start_time": timestamp(datetime(2025, 11, 1, tzinfo=UTC)),
      "end_time": timestamp(datetime(2026, 11, 3, tzinfo=UTC))}, "end_time"),
    ({"start_time": timestamp(datetime(2026, 11, 1, tzinfo=UTC)),
      "end_time": timestamp(datetime(2026, 12, 1, tzinfo=UTC)), "dealer_id": "no spaces"},
     "dealer_id"),
    ({"start_time": timestamp(datetime(2026, 11, 1, tzinfo=UTC)),
      "end_time": timestamp(datetime(2026, 12, 1, tzinfo=UTC)), "page_token": "made-up"},
     "page_token"),
])
async def test_a_bad_period_or_filter_is_refused_naming_the_field(stubs, request_fields, field):
    _, orders, _ = stubs
    with pytest.raises(grpc.RpcError) as caught:
        await orders.SummarizeSales(pb.SummarizeSalesRequest(**request_fields))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(caught.value) == [field]


async def test_a_page_token_is_refused_for_another_period_and_staff_see_their_own_store_only(
        stubs, server, issue_key, engine):
    _, orders, _ = stubs
    start = await instant(engine)
    await delivered_split(orders)
    end = await instant(engine)
    first = await orders.SummarizeSales(asking(start, end, page_size=1))
    assert [row.location_id for row in first.store_sales] == ["A"] and first.next_page_token
    with pytest.raises(grpc.RpcError) as caught:
        await orders.SummarizeSales(asking(start, end + timedelta(seconds=1), page_size=1,
                                           page_token=first.next_page_token))
    assert bad_fields(caught.value) == ["page_token"]

    key = await issue_key(Kind.STORE_STAFF, location_id="A")
    async with client.channel(f"127.0.0.1:{server.port}", key) as channel:
        staff = pb_grpc.OrderServiceStub(channel)
        own = await staff.SummarizeSales(asking(start, end, location_id="A"))
        assert [row.location_id for row in own.store_sales] == ["A"]
        for other in ("B", ""):
            with pytest.raises(grpc.RpcError) as caught:
                await staff.SummarizeSales(asking(start, end, location_id=other))
            assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    key = await issue_key(Kind.MALL)
    async with client.channel(f"127.0.0.1:{server.port}", key) as channel:
        with pytest.raises(grpc.RpcError) as caught:
            await pb_grpc.OrderServiceStub(channel).SummarizeSales(asking(start, end))
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_the_sales_command_writes_the_same_credits_by_local_days_and_refuses_bad_options(
        stubs, database_url, tmp_path):
    _, orders, _ = stubs
    await delivered_split(orders)
    env = {**os.environ, "DATABASE_URL": database_url}
    shanghai = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the sale's day, or the next
    days = ["--from", str(shanghai - timedelta(days=1)), "--to", str(shanghai + timedelta(days=1))]
    said = await asyncio.to_thread(onestock, env, "sales", *days, str(tmp_path / "all.csv"))
    assert said.returncode == 0, said.stderr
    assert said.stdout == (f"wrote 2 rows to {tmp_path / 'all.csv'}: {days[1]} to {days[3]} "
                           "(Asia/Shanghai), 2 groups handed over, net_goods_minor 60,000 CNY\n")
    with (tmp_path / "all.csv").open() as written:
        rows = list(csv.DictReader(written))
    start = datetime.combine(shanghai - timedelta(days=1), datetime.min.time(),
                             ZoneInfo("Asia/Shanghai"))
    answer = await orders.SummarizeSales(asking(start, start + timedelta(days=2)))
    assert rows == [{field: str(value) for field, value in zip(
        COLUMNS, (r.location_id, r.dealer_id, r.currency, r.groups_handed_over, r.units_sold,
                  r.goods_sold_minor, r.units_returned, r.goods_returned_minor,
                  r.net_goods_minor), strict=True)} for r in answer.store_sales]
    assert [row["location_id"] for row in rows] == ["A", "B"]

    before = ["--from", str(shanghai - timedelta(days=3)), "--to", str(shanghai - timedelta(days=1))]
    said = await asyncio.to_thread(onestock, env, "sales", *before, "--dealer", "DEALER-A",
                                   str(tmp_path / "none.csv"))
    assert said.stdout.endswith("0 groups handed over, net_goods_minor 0\n")
    assert (tmp_path / "none.csv").read_text().splitlines() == [",".join(COLUMNS)]
    for options, refusal in (
            (["--from", days[3], "--to", days[1]], "--to: must be after --from"),
            ([*days, "--time-zone", "Mars/Olympus"], "--time-zone: 'Mars/Olympus' is not an "
                                                      "IANA time zone"),
            ([*days, "--dealer", "D 1"], "--dealer: 'D 1' is not an id")):
        said = await asyncio.to_thread(onestock, env, "sales", *options, str(tmp_path / "x.csv"))
        assert said.returncode == 2 and refusal in said.stderr, said.stderr
    assert not (tmp_path / "x.csv").exists()
