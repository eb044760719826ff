"""A page of orders never outgrows the largest message: it holds fewer, and paging goes on."""

from dataclasses import replace

import pytest
from onestock.inventory.v1 import inventory_service_pb2 as inv
from onestock.orders.v1 import order_service_pb2 as pb

from tests.helpers import every_page
from tests.orders.conftest import order

MESSAGE_BYTES = 12_000


@pytest.fixture
def settings(settings):
    return replace(settings, max_message_bytes=MESSAGE_BYTES)


async def test_a_page_of_big_orders_holds_fewer_than_asked_and_paging_still_sees_each_once(
        stubs):
    inventory, orders, _ = stubs
    for sku_id in ("LAMP", "SOFA", "VASE"):
        await inventory.AdjustStock(inv.AdjustStockRequest(
            request_id=f"stock-{sku_id}", location_id="A", sku_id=sku_id, delta=1_000,
            reason=inv.ADJUSTMENT_REASON_RECEIPT))
    made = []
    for i in range(60):
        sale = await orders.CreateOrder(order(
            f"sale-{i}", ("LAMP", 1, 10_000), ("SOFA", 1, 50_000), ("VASE", 1, 2_000),
            location="A", method=pb.FULFILMENT_METHOD_IN_STORE, channel=pb.CHANNEL_POS))
        made.append(sale.order.order_id)
    pages = await every_page(orders.ListOrders,
                             pb.ListOrdersRequest(member_id="M-1", page_size=1_000))
    assert len(pages) > 1 and len(pages[0].orders) < 60  # 60 of them do not fit one reply
    assert all(page.ByteSize() <= MESSAGE_BYTES for page in pages)
    assert [o.order_id for page in pages for o in page.orders] == list(reversed(made))
