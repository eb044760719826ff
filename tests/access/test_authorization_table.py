"""The authorization table of docs/security.md, walked whole: every RPC, called by every kind
of principal (POS and staff of the right and of the wrong store, the mall for member A and
for member B), through real channels. The expected table is written out here by hand, not
read from services.access.authz, so a change to either shows up as a failure."""


from datetime import UTC, datetime

import grpc
import pytest
from onestock.inventory.v1 import inventory_service_pb2 as inv
from onestock.members.v1 import member_service_pb2 as mem
from onestock.orders.v1 import order_service_pb2 as ords
from onestock.routing.v1 import routing_service_pb2 as rt

from services.common.server import SERVICE_NAMES
from tests.access.conftest import (
    CUSTOMER,
    PRINCIPALS,
    call,
    database_fingerprint,
    online_order_request,
    service_descriptor,
    till_sale_request,
)

ALL = set(PRINCIPALS)
READERS = ALL - {"CRM"}  # catalogue and availability
MALLS = {"MALL(A)", "MALL(B)"}


def method(service: str, name: str) -> str:
    package = {"InventoryService": "inventory", "RoutingService": "routing",
               "MemberService": "members", "OrderService": "orders"}[service]
    return f"onestock.{package}.v1.{service}/{name}"


async def _reservation(ops, make):
    return make(await ops.reservation_at("S1"))


async def _transfer(ops, make, **kw):
    return make(await ops.stock_transfer(**kw))


async def _order(ops, make, **kw):
    return make(await ops.online_order(**kw))


async def _group(ops, make, **kw):
    return make((await ops.online_order(paid=True, **kw)).groups[0].group_id)


def _route(sku="LAMP"):
    return rt.RouteRequest(lines=[rt.OrderLine(sku_id=sku, quantity=1)], latitude=CUSTOMER[0],
                           longitude=CUSTOMER[1], city="Shanghai",
                           mode=rt.FULFILMENT_MODE_PICKUP)


def _each(make):
    """A request made anew for each call (with a fresh request_id)."""
    async def build(ops):
        return make(ops)
    return build


def _fixed(request):
    async def build(ops):
        return request
    return build


def _november(**filters) -> ords.SummarizeSalesRequest:
    request = ords.SummarizeSalesRequest(**filters)
    request.start_time.FromDatetime(datetime(2026, 10, 31, 16, tzinfo=UTC))
    request.end_time.FromDatetime(datetime(2026, 11, 30, 16, tzinfo=UTC))
    return request


# (case, RPC, build(ops) -> request, principals allowed)
CASES = [
    ("UpsertLocations", method("InventoryService", "UpsertLocations"), _each(lambda ops:
        inv.UpsertLocationsRequest(request_id=ops.next_id("l"), locations=[inv.Location(
            location_id="S3", name="S3", kind=inv.LOCATION_KIND_STORE, latitude=31.2,
            longitude=121.4, city="Shanghai")])), {"OPS"}),
    ("GetLocation", method("InventoryService", "GetLocation"),
     _fixed(inv.GetLocationRequest(location_id="S1")), READERS),
    ("ListLocations", method("InventoryService", "ListLocations"),
     _fixed(inv.ListLocationsRequest(city="Shanghai")), READERS),
    ("UpsertSkus", method("InventoryService", "UpsertSkus"), _each(lambda ops:
        inv.UpsertSkusRequest(request_id=ops.next_id("s"), skus=[inv.Sku(
            sku_id="NEW", name="New", price_minor=100, currency="CNY")])), {"OPS"}),
    ("GetSku", method("InventoryService", "GetSku"), _fixed(inv.GetSkuRequest(sku_id="LAMP")),
     READERS),
    ("ListSkus", method("InventoryService", "ListSkus"), _fixed(inv.ListSkusRequest()), READERS),
    ("AdjustStock", method("InventoryService", "AdjustStock"), _each(lambda ops:
        inv.AdjustStockRequest(request_id=ops.next_id("adj"), location_id="S1", sku_id="LAMP",
                               delta=1, reason=inv.ADJUSTMENT_REASON_RECEIPT)), {"OPS"}),
    ("BatchAdjustStock", method("InventoryService", "BatchAdjustStock"), _each(lambda ops:
        inv.BatchAdjustStockRequest(request_id=ops.next_id("badj"), adjustments=[
            inv.StockAdjustment(location_id="S1", sku_id="LAMP", delta=1,
                                reason=inv.ADJUSTMENT_REASON_RECEIPT)])), {"OPS"}),
    ("SetSafetyStock", method("InventoryService", "SetSafetyStock"), _each(lambda ops:
        inv.SetSafetyStockRequest(request_id=ops.next_id("ss"), location_id="S1",
                                  sku_id="LAMP", safety_stock=1)), {"OPS"}),
    ("ListStockLevels at S1", method("InventoryService", "ListStockLevels"),
     _fixed(inv.ListStockLevelsRequest(location_id="S1")), {"OPS", "POS@S1", "STAFF@S1"}),
    ("ListStockMovements at S1", method("InventoryService", "ListStockMovements"),
     _fixed(inv.ListStockMovementsRequest(location_id="S1")), {"OPS", "STAFF@S1"}),
    ("GetAvailability", method("InventoryService", "GetAvailability"),
     _fixed(inv.GetAvailabilityRequest(sku_ids=["LAMP"], locations=inv.LocationIds(
         location_ids=["S1", "S2"]))), READERS),
    ("WatchStock", method("InventoryService", "WatchStock"),
     _fixed(inv.WatchStockRequest(location_ids=["S1"], sku_ids=["LAMP"])), READERS),
    ("ReserveStock at S1", method("InventoryService", "ReserveStock"), _each(lambda ops:
        inv.ReserveStockRequest(request_id=ops.next_id("r"), channel=inv.CHANNEL_POS, lines=[
            inv.ReservationLineInput(location_id="S1", sku_id="LAMP", quantity=1)])),
     {"OPS", "POS@S1"}),
    ("CommitReservation at S1", method("InventoryService", "CommitReservation"),
     lambda ops: _reservation(ops, lambda rid: inv.CommitReservationRequest(
         request_id=ops.next_id("c"), reservation_id=rid)), {"OPS", "POS@S1"}),
    ("ReleaseReservation at S1", method("InventoryService", "ReleaseReservation"),
     lambda ops: _reservation(ops, lambda rid: inv.ReleaseReservationRequest(
         request_id=ops.next_id("rel"), reservation_id=rid)), {"OPS", "POS@S1"}),
    ("ExtendReservation at S1", method("InventoryService", "ExtendReservation"),
     lambda ops: _reservation(ops, lambda rid: inv.ExtendReservationRequest(
         request_id=ops.next_id("ext"), reservation_id=rid, ttl_seconds=60)),
     {"OPS", "POS@S1"}),
    ("GetReservation at S1", method("InventoryService", "GetReservation"),
     lambda ops: _reservation(ops, lambda rid: inv.GetReservationRequest(reservation_id=rid)),
     {"OPS", "POS@S1"}),
    ("ListReservations at S1", method("InventoryService", "ListReservations"),
     _fixed(inv.ListReservationsRequest(location_id="S1")), {"OPS", "POS@S1", "STAFF@S1"}),
    ("CreateStockTransfer S2 to S1", method("InventoryService", "CreateStockTransfer"),
     _each(lambda ops: inv.CreateStockTransferRequest(
         request_id=ops.next_id("transfer"), source_location_id="S2",
         destination_location_id="S1",
         lines=[inv.StockTransferLineInput(sku_id="LAMP", quantity=1)])), {"OPS"}),
    ("ShipStockTransfer from S2", method("InventoryService", "ShipStockTransfer"),
     lambda ops: _transfer(ops, lambda t: inv.ShipStockTransferRequest(
         request_id=ops.next_id("ship"), transfer_id=t)), {"OPS", "STAFF@S2"}),
    ("ReceiveStockTransfer at S1", method("InventoryService", "ReceiveStockTransfer"),
     lambda ops: _transfer(ops, lambda t: inv.ReceiveStockTransferRequest(
         request_id=ops.next_id("recv"), transfer_id=t), shipped=True), {"OPS", "STAFF@S1"}),
    ("CancelStockTransfer", method("InventoryService", "CancelStockTransfer"),
     lambda ops: _transfer(ops, lambda t: inv.CancelStockTransferRequest(
         request_id=ops.next_id("cancel"), transfer_id=t)), {"OPS"}),
    ("GetStockTransfer S2 to S1", method("InventoryService", "GetStockTransfer"),
     lambda ops: _transfer(ops, lambda t: inv.GetStockTransferRequest(transfer_id=t)),
     {"OPS", "STAFF@S1", "STAFF@S2"}),
    ("ListStockTransfers at S1", method("InventoryService", "ListStockTransfers"),
     _fixed(inv.ListStockTransfersRequest(location_id="S1")), {"OPS", "STAFF@S1"}),
    ("FindNearestStores", method("RoutingService", "FindNearestStores"),
     _fixed(rt.FindNearestStoresRequest(latitude=31.23, longitude=121.47)), READERS),
    ("QuoteFulfilment", method("RoutingService", "QuoteFulfilment"),
     _fixed(rt.QuoteFulfilmentRequest(order=_route())), {"OPS"} | MALLS),
    ("RouteOrder", method("RoutingService", "RouteOrder"),
     _fixed(rt.RouteOrderRequest(order=_route())), {"OPS"} | MALLS),
    ("RunSimulation", method("RoutingService", "RunSimulation"), _each(lambda ops:
        rt.RunSimulationRequest(
            request_id=ops.next_id("sim"), synthetic_chain=rt.SyntheticChain(locations=25, skus=50),
            synthetic_orders=rt.SyntheticOrders(orders=50))), {"OPS"}),
    ("UpsertMember A", method("MemberService", "UpsertMember"), _each(lambda ops:
        mem.UpsertMemberRequest(request_id=ops.next_id("um"), member_id="A")),
     {"OPS", "CRM"}),
    ("GetMember A", method("MemberService", "GetMember"), _fixed(mem.GetMemberRequest(
        member_id="A")), {"OPS", "CRM", "MALL(A)"}),
    ("IssueMemberCode A", method("MemberService", "IssueMemberCode"),
     _fixed(mem.IssueMemberCodeRequest(member_id="A")), {"OPS", "MALL(A)"}),
    ("ListPointsLedger A", method("MemberService", "ListPointsLedger"),
     _fixed(mem.ListPointsLedgerRequest(member_id="A")), {"OPS", "CRM", "MALL(A)"}),
    ("GetSyncBacklog", method("MemberService", "GetSyncBacklog"),
     _fixed(mem.GetSyncBacklogRequest()), {"OPS"}),
    ("CreateOrder online for A", method("OrderService", "CreateOrder"),
     _each(lambda ops: online_order_request(ops.next_id("co"), "A")), {"OPS", "MALL(A)"}),
    ("CreateOrder till sale at S1", method("OrderService", "CreateOrder"),
     _each(lambda ops: till_sale_request(ops.next_id("ts"), "A", "S1")),
     {"OPS", "POS@S1"}),
    ("ConfirmPayment of A's order", method("OrderService", "ConfirmPayment"),
     lambda ops: _order(ops, lambda o: ords.ConfirmPaymentRequest(
         request_id=ops.next_id("cp"), order_id=o.order_id, amount_minor=o.total_minor)),
     {"OPS", "MALL(A)"}),
    ("CancelOrder of A's order", method("OrderService", "CancelOrder"),
     lambda ops: _order(ops, lambda o: ords.CancelOrderRequest(
         request_id=ops.next_id("cx"), order_id=o.order_id)), {"OPS", "MALL(A)"}),
    ("GetOrder of A's order at S1", method("OrderService", "GetOrder"),
     lambda ops: _order(ops, lambda o: ords.GetOrderRequest(order_id=o.order_id)),
     {"OPS", "MALL(A)", "POS@S1", "STAFF@S1"}),
    ("WatchOrder of A's order at S1", method("OrderService", "WatchOrder"),
     lambda ops: _order(ops, lambda o: ords.WatchOrderRequest(order_id=o.order_id)),
     {"OPS", "MALL(A)", "POS@S1", "STAFF@S1"}),
    ("ListOrderEvents of A's order at S1", method("OrderService", "ListOrderEvents"),
     lambda ops: _order(ops, lambda o: ords.ListOrderEventsRequest(order_id=o.order_id)),
     {"OPS", "MALL(A)", "POS@S1", "STAFF@S1"}),
    ("ListOrders of member A", method("OrderService", "ListOrders"),
     _fixed(ords.ListOrdersRequest(member_id="A")), {"OPS", "MALL(A)"}),
    ("ListOrders at S1", method("OrderService", "ListOrders"),
     _fixed(ords.ListOrdersRequest(location_id="S1")), {"OPS", "POS@S1", "STAFF@S1"}),
    ("ShipTransfer from S2 to S1", method("OrderService", "ShipTransfer"),
     lambda ops: _group(ops, lambda g: ords.ShipTransferRequest(
         request_id=ops.next_id("ship"), group_id=g), sku_id="RARE"), {"OPS", "STAFF@S2"}),
    ("ReceiveTransfer at S1", method("OrderService", "ReceiveTransfer"),
     lambda ops: _group(ops, lambda g: ords.ReceiveTransferRequest(
         request_id=ops.next_id("recv"), group_id=g), sku_id="RARE"), {"OPS", "STAFF@S1"}),
    ("MarkReadyForPickup at S1", method("OrderService", "MarkReadyForPickup"),
     lambda ops: _group(ops, lambda g: ords.MarkReadyForPickupRequest(
         request_id=ops.next_id("ready"), group_id=g)), {"OPS", "STAFF@S1"}),
    ("ConfirmPickup at S1", method("OrderService", "ConfirmPickup"),
     lambda ops: _group(ops, lambda g: ords.ConfirmPickupRequest(
         request_id=ops.next_id("pick"), group_id=g, pickup_code="000000")),
     {"OPS", "STAFF@S1"}),
    ("DispatchDelivery at S1", method("OrderService", "DispatchDelivery"),
     lambda ops: _group(ops, lambda g: ords.DispatchDeliveryRequest(
         request_id=ops.next_id("disp"), group_id=g, courier_reference="SF-1")),
     {"OPS", "STAFF@S1"}),
    ("ConfirmDelivery at S1", method("OrderService", "ConfirmDelivery"),
     lambda ops: _group(ops, lambda g: ords.ConfirmDeliveryRequest(
         request_id=ops.next_id("deliv"), group_id=g)), {"OPS", "STAFF@S1"}),
    ("CancelFulfilmentGroup at S1", method("OrderService", "CancelFulfilmentGroup"),
     lambda ops: _group(ops, lambda g: ords.CancelFulfilmentGroupRequest(
         request_id=ops.next_id("cancel-group"), group_id=g)), {"OPS", "STAFF@S1"}),
    ("ReturnOrderLines at S1", method("OrderService", "ReturnOrderLines"),
     lambda ops: _sale_return(ops), {"OPS", "POS@S1", "STAFF@S1"}),
    ("SummarizeSales of S1", method("OrderService", "SummarizeSales"),
     _fixed(_november(location_id="S1")), {"OPS", "STAFF@S1"}),
    ("SummarizeSales of every store", method("OrderService", "SummarizeSales"),
     _fixed(_november()), {"OPS"}),
]



async def _sale_return(ops):
    sale = await ops.till_sale()
    return ords.ReturnOrderLinesRequest(
        request_id=ops.next_id("ret"), order_id=sale.order_id, location_id="S1",
        lines=[ords.ReturnLineInput(sku_id="LAMP", quantity=1)])


def test_every_rpc_of_every_service_has_a_case():
    served = {f"{name}/{m.name}" for name in SERVICE_NAMES for m in service_descriptor(name).methods}
    assert served == {rpc for _, rpc, _, _ in CASES}


@pytest.mark.slow
async def test_every_rpc_allows_exactly_the_principals_of_the_table_and_denies_without_a_trace(
        ops, channels, engine):
    mismatches = []
    for case, rpc, build, allowed in CASES:
        for principal in PRINCIPALS:
            request = await build(ops)
            before = await database_fingerprint(engine)
            code = await call(channels[principal], rpc, request)
            denied = code is grpc.StatusCode.PERMISSION_DENIED
            if denied == (principal in allowed):
                mismatches.append(f"{case} by {principal}: {code.name}")
            if denied and await database_fingerprint(engine) != before:
                mismatches.append(f"{case} by {principal}: denied but the database changed")
            assert code not in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN,
                                grpc.StatusCode.UNAUTHENTICATED), (case, principal, code)
    assert mismatches == []


async def test_every_rpc_refuses_a_call_without_a_credential_and_changes_nothing(
        ops, server, engine):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as anonymous:
        for case, rpc, build, _ in CASES:
            request = await build(ops)
            before = await database_fingerprint(engine)
            assert await call(anonymous, rpc, request) is grpc.StatusCode.UNAUTHENTICATED, case
            assert await database_fingerprint(engine) == before, case


async def test_a_mall_call_for_another_member_says_which_member_it_may_act_for(
        ops, server, issue_key):
    from onestock.members.v1 import member_service_pb2_grpc as mem_grpc

    from services.access import client

    target, key = f"127.0.0.1:{server.port}", await issue_key("MALL")
    async with client.channel(target, key, member_id="A") as for_a, \
            client.channel(target, key) as for_no_one:
        for channel, says in (
                (for_a, "may not act for a member other than A, the one its "
                        "x-onestock-member-id header names (member_id)"),
                (for_no_one, "may not act for a member without the x-onestock-member-id "
                             "header naming them (member_id)")):
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await mem_grpc.MemberServiceStub(channel).GetMember(
                    mem.GetMemberRequest(member_id="B"))
            assert caught.value.code() is grpc.StatusCode.PERMISSION_DENIED
            assert says in caught.value.details()
