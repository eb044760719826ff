"""Orders for a SKU taken off the mall (下架) or halted everywhere (停售): the mall cannot
order it, a till can sell what only left the mall, nobody sells what is halted, and an
order made before the change carries on, its retry included."""

import grpc
import pytest
from onestock.inventory.v1 import inventory_service_pb2 as inv
from onestock.orders.v1 import order_service_pb2 as pb

from tests.helpers import assert_ledger_consistent, error_info, stock_of, table_counts
from tests.orders.conftest import order, pay


def online(request_id):
    return order(request_id, ("LAMP", 1, 10_000), location="A")


def till_sale(request_id):
    return order(request_id, ("LAMP", 1, 10_000), location="A",
                 method=pb.FULFILMENT_METHOD_IN_STORE, channel=pb.CHANNEL_POS)


async def take_lamp_off(inventory, status):
    await inventory.UpsertSkus(inv.UpsertSkusRequest(request_id=f"lamp-{status}", skus=[
        inv.Sku(sku_id="LAMP", name="Lamp", price_minor=10_000, sale_status=status)]))


async def refused_as_not_on_sale(orders, request, engine) -> None:
    """CreateOrder refuses ``request`` with SKU_NOT_ON_SALE naming LAMP, changing nothing."""
    before = (await table_counts(engine), await stock_of(engine, "A", "LAMP"))
    with pytest.raises(grpc.RpcError) as caught:
        await orders.CreateOrder(request)
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    info = error_info(caught.value)
    assert (info.reason, info.metadata["sku_ids"], info.metadata["field"]) == (
        "SKU_NOT_ON_SALE", "LAMP", "lines.sku_id")
    assert (await table_counts(engine), await stock_of(engine, "A", "LAMP")) == before


async def test_a_sku_off_the_mall_cannot_be_ordered_online_but_sells_at_the_till(stubs, engine):
    inventory, orders, _ = stubs
    await take_lamp_off(inventory, inv.SALE_STATUS_STORES_ONLY)
    await refused_as_not_on_sale(orders, online("web"), engine)
    sold = (await orders.CreateOrder(till_sale("till"))).order
    assert sold.state == pb.ORDER_STATE_COMPLETED
    assert await stock_of(engine, "A", "LAMP") == (4, 0, 0)


async def test_a_halted_sku_is_sold_by_no_channel(stubs, engine):
    inventory, orders, _ = stubs
    await take_lamp_off(inventory, inv.SALE_STATUS_HALTED)
    await refused_as_not_on_sale(orders, online("web"), engine)
    await refused_as_not_on_sale(orders, till_sale("till"), engine)
    await take_lamp_off(inventory, inv.SALE_STATUS_ON_SALE)  # the recall is over
    assert (await orders.CreateOrder(till_sale("till"))).order.state == pb.ORDER_STATE_COMPLETED


async def test_orders_made_before_a_halt_carry_on_and_their_retries_get_them_back(
        stubs, engine):
    inventory, orders, _ = stubs
    made = (await orders.CreateOrder(online("web"))).order
    sold = (await orders.CreateOrder(till_sale("till"))).order
    await take_lamp_off(inventory, inv.SALE_STATUS_HALTED)
    assert (await orders.CreateOrder(online("web"))).order.order_id == made.order_id
    assert (await orders.CreateOrder(till_sale("till"))).order.order_id == sold.order_id
    assert (await pay(orders, made)).state == pb.ORDER_STATE_PAID
    assert await stock_of(engine, "A", "LAMP") == (4, 1, 0)  # one sold, one held for pickup
    await assert_ledger_consistent(engine)


async def test_a_retry_after_a_price_cut_gets_its_order_where_a_new_order_is_refused(stubs):
    """An order's price may not exceed the catalogue's; a cut made after the order must not
    turn its retry into that refusal."""
    inventory, orders, _ = stubs
    made = (await orders.CreateOrder(online("web"))).order
    await inventory.UpsertSkus(inv.UpsertSkusRequest(request_id="cut", skus=[
        inv.Sku(sku_id="LAMP", name="Lamp", price_minor=8_000)]))
    assert (await orders.CreateOrder(online("web"))).order.order_id == made.order_id
    with pytest.raises(grpc.RpcError) as caught:
        await orders.CreateOrder(online("web-2"))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
