"""What an order or a stock transfer holds moves only with its own steps: a till (or head
office) calling CommitReservation, ReleaseReservation or ExtendReservation on such a hold,
or selling it at the counter, is refused and changes nothing. Otherwise the order would
later hand over units no longer held for it."""

import grpc
import pytest
from onestock.inventory.v1 import inventory_service_pb2 as inv
from onestock.orders.v1 import order_service_pb2 as pb

from tests.helpers import error_info, stock_of, table_counts
from tests.orders.conftest import order, pay


async def refused(call) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        await call
    return caught.value


async def test_a_till_cannot_move_what_an_order_or_a_transfer_holds(stubs, engine):
    inventory, orders, _ = stubs
    made = await pay(orders, (await orders.CreateOrder(order("o1", ("LAMP", 2, 10_000),
                                                             location="A"))).order)
    moving = (await inventory.CreateStockTransfer(inv.CreateStockTransferRequest(
        request_id="t1", source_location_id="A", destination_location_id="B",
        lines=[inv.StockTransferLineInput(sku_id="LAMP", quantity=1)]))).transfer
    listed = (await inventory.ListReservations(inv.ListReservationsRequest(
        location_id="A"))).reservations
    assert len(listed) == 2  # a till sees who holds its shelf
    before = (await table_counts(engine), await stock_of(engine, "A", "LAMP"))
    assert before[1] == (5, 3, 0)

    for held in listed:
        holder = "order" if held.reference == made.order_id else "stock transfer"
        for call in (
                inventory.CommitReservation(inv.CommitReservationRequest(
                    request_id=f"c-{held.reservation_id}", reservation_id=held.reservation_id)),
                inventory.ReleaseReservation(inv.ReleaseReservationRequest(
                    request_id=f"r-{held.reservation_id}", reservation_id=held.reservation_id)),
                inventory.ExtendReservation(inv.ExtendReservationRequest(
                    request_id=f"e-{held.reservation_id}", reservation_id=held.reservation_id,
                    ttl_seconds=60)),
                orders.CreateOrder(order(
                    f"sale-{held.reservation_id}", ("LAMP", held.lines[0].quantity, 10_000),
                    location="A", method=pb.FULFILMENT_METHOD_IN_STORE, channel=pb.CHANNEL_POS,
                    reservation=held.reservation_id))):
            info = error_info(await refused(call))
            assert (info.reason, info.metadata["holder"]) == ("RESERVATION_HELD", holder)
    assert (await table_counts(engine), await stock_of(engine, "A", "LAMP")) == before

    ready = (await orders.MarkReadyForPickup(pb.MarkReadyForPickupRequest(
        request_id="ready", group_id=made.groups[0].group_id))).order
    done = (await orders.ConfirmPickup(pb.ConfirmPickupRequest(
        request_id="pick", group_id=made.groups[0].group_id,
        pickup_code=ready.groups[0].pickup_code))).order
    assert done.state == pb.ORDER_STATE_COMPLETED  # its own steps still move it
    shipped = (await inventory.ShipStockTransfer(inv.ShipStockTransferRequest(
        request_id="ship", transfer_id=moving.transfer_id))).transfer
    assert shipped.state == inv.STOCK_TRANSFER_STATE_IN_TRANSIT
    assert await stock_of(engine, "A", "LAMP") == (2, 0, 0)
