"""Bad input: INVALID_ARGUMENT naming the field, nothing changed, the server keeps serving."""

import grpc
import pytest
from onestock.inventory.v1 import inventory_service_pb2 as pb
from onestock.inventory.v1 import inventory_service_pb2_grpc as pb_grpc

from tests.helpers import bad_fields, line, seed, sku, store, table_counts


@pytest.fixture
async def stub(channel):
    stub = pb_grpc.InventoryServiceStub(channel)
    await seed(stub, [store("SH-1", 31.23, 121.47)], [sku("LAMP")], stock={("SH-1", "LAMP"): 5})
    return stub


def reserve(**kw):
    base = dict(request_id="r", channel=pb.CHANNEL_POS, lines=[line("SH-1", "LAMP", 1)])
    base.update(kw)
    return pb.ReserveStockRequest(**base)


def receipt(location_id, sku_id, delta=1):
    return pb.StockAdjustment(location_id=location_id, sku_id=sku_id, delta=delta,
                              reason=pb.ADJUSTMENT_REASON_RECEIPT)


BAD_REQUESTS = [
    ("ReserveStock", reserve(lines=[line("SH-1", "LAMP", 0)]), "lines[0].quantity"),
    ("ReserveStock", reserve(lines=[line("SH-1", "LAMP", -3)]), "lines[0].quantity"),
    ("ReserveStock", reserve(lines=[line("SH-1", "LAMP", 10**9)]), "lines[0].quantity"),
    ("ReserveStock", reserve(lines=[line("", "LAMP", 1)]), "lines[0].location_id"),
    ("ReserveStock", reserve(lines=[line("SH-1", "", 1)]), "lines[0].sku_id"),
    ("ReserveStock", reserve(lines=[line("SH-1", "LAMP", 1), line("SH-1", "LAMP", 2)]), "lines[1]"),
    ("ReserveStock", reserve(lines=[]), "lines"),
    ("ReserveStock", reserve(lines=[line("SH-1", f"S{i}", 1) for i in range(101)]), "lines"),
    ("ReserveStock", reserve(channel=0), "channel"),
    ("ReserveStock", reserve(channel=42), "channel"),
    ("ReserveStock", reserve(request_id=""), "request_id"),
    ("ReserveStock", reserve(request_id="x" * 129), "request_id"),
    ("ReserveStock", reserve(ttl_seconds=-1), "ttl_seconds"),
    ("ReserveStock", reserve(ttl_seconds=10**7), "ttl_seconds"),
    ("ReserveStock", reserve(lines=[line("SH-1'; DROP TABLE skus;--", "LAMP", 1)]),
     "lines[0].location_id"),
    ("AdjustStock", pb.AdjustStockRequest(request_id="a", location_id="SH-1", sku_id="LAMP",
                                          reason=pb.ADJUSTMENT_REASON_RECEIPT), "change"),
    ("AdjustStock", pb.AdjustStockRequest(request_id="a", location_id="SH-1", sku_id="LAMP",
                                          delta=0, reason=pb.ADJUSTMENT_REASON_RECEIPT), "delta"),
    ("AdjustStock", pb.AdjustStockRequest(request_id="a", location_id="SH-1", sku_id="LAMP",
                                          set_on_hand=-1, reason=pb.ADJUSTMENT_REASON_RECEIPT),
     "set_on_hand"),
    ("AdjustStock", pb.AdjustStockRequest(request_id="a", location_id="SH-1", sku_id="LAMP",
                                          delta=1), "reason"),
    ("BatchAdjustStock", pb.BatchAdjustStockRequest(request_id="b"), "adjustments"),
    ("BatchAdjustStock", pb.BatchAdjustStockRequest(request_id="b", adjustments=[
        receipt("SH-1", "LAMP")] * 1_001), "adjustments"),
    ("BatchAdjustStock", pb.BatchAdjustStockRequest(adjustments=[receipt("SH-1", "LAMP")]),
     "request_id"),
    ("BatchAdjustStock", pb.BatchAdjustStockRequest(request_id="b", adjustments=[
        receipt("SH-1", "LAMP"), receipt("SH-1", "LAMP", delta=0)]), "adjustments[1].delta"),
    ("BatchAdjustStock", pb.BatchAdjustStockRequest(request_id="b", adjustments=[
        receipt("SH-1", "LAMP"), receipt("", "LAMP")]), "adjustments[1].location_id"),
    ("BatchAdjustStock", pb.BatchAdjustStockRequest(request_id="b", adjustments=[
        pb.StockAdjustment(location_id="SH-1", sku_id="LAMP", set_on_hand=3)]),
     "adjustments[0].reason"),
    ("BatchAdjustStock", pb.BatchAdjustStockRequest(request_id="b", adjustments=[
        pb.StockAdjustment(location_id="SH-1", sku_id="LAMP",
                           reason=pb.ADJUSTMENT_REASON_DAMAGE)]), "adjustments[0].change"),
    ("GetAvailability", pb.GetAvailabilityRequest(
        sku_ids=["LAMP"], near=pb.NearPoint(latitude=91, longitude=121, radius_km=5)),
     "near.latitude"),
    ("GetAvailability", pb.GetAvailabilityRequest(
        sku_ids=["LAMP"], near=pb.NearPoint(latitude=31, longitude=-181, radius_km=5)),
     "near.longitude"),
    ("GetAvailability", pb.GetAvailabilityRequest(
        sku_ids=["LAMP"], near=pb.NearPoint(latitude=31, longitude=121, radius_km=0)),
     "near.radius_km"),
    ("GetAvailability", pb.GetAvailabilityRequest(
        sku_ids=["LAMP"], near=pb.NearPoint(latitude=31, longitude=121, radius_km=float("nan"))),
     "near.radius_km"),
    ("GetAvailability", pb.GetAvailabilityRequest(sku_ids=["LAMP"]), "scope"),
    ("GetAvailability", pb.GetAvailabilityRequest(
        sku_ids=["LAMP", "LAMP"], locations=pb.LocationIds(location_ids=["SH-1"])), "sku_ids[1]"),
    ("CommitReservation", pb.CommitReservationRequest(request_id="c"), "reservation_id"),
    ("ExtendReservation", pb.ExtendReservationRequest(request_id="e", reservation_id="x",
                                                      ttl_seconds=0), "ttl_seconds"),
    ("ListStockMovements", pb.ListStockMovementsRequest(page_size=5000), "page_size"),
    ("ListStockMovements", pb.ListStockMovementsRequest(page_token="garbage"), "page_token"),
    # PostgreSQL refuses a NUL in text: found by tests/access/test_hostile_requests.py
    ("ListStockMovements", pb.ListStockMovementsRequest(reservation_id="\x00"), "reservation_id"),
    ("ListSkus", pb.ListSkusRequest(page_size=-1), "page_size"),
    ("ListStockLevels", pb.ListStockLevelsRequest(), "location_id"),
    ("ListStockLevels", pb.ListStockLevelsRequest(location_id="SH-1", page_size=1_001),
     "page_size"),
    ("ListReservations", pb.ListReservationsRequest(sku_id="LAMP"), "location_id"),
    ("ListReservations", pb.ListReservationsRequest(location_id="SH-1", sku_id="\x00"), "sku_id"),
    ("ListReservations", pb.ListReservationsRequest(location_id="SH-1", page_token="x"),
     "page_token"),
    ("ListLocations", pb.ListLocationsRequest(kind=9), "kind"),
    ("ListLocations", pb.ListLocationsRequest(city="Shang\x00hai"), "city"),
    # a folder of the zone database, and a name too long for a file: not zones either
    ("UpsertLocations", pb.UpsertLocationsRequest(request_id="u", locations=[
        store("SH-2", 31.2, 121.4, time_zone="Asia")]), "locations[0].time_zone"),
    ("UpsertLocations", pb.UpsertLocationsRequest(request_id="u", locations=[
        store("SH-2", 31.2, 121.4, time_zone="x" * 5_000)]), "locations[0].time_zone"),
    ("UpsertSkus", pb.UpsertSkusRequest(request_id="u", skus=[pb.Sku(
        sku_id="X", name="x", price_minor=-1)]), "skus[0].price_minor"),
    ("UpsertSkus", pb.UpsertSkusRequest(request_id="u", skus=[pb.Sku(
        sku_id="X", name="x\x00", currency="XBT")]), "skus[0].currency"),
]


@pytest.mark.parametrize("method,request_,field", BAD_REQUESTS,
                         ids=[f"{m}-{f}-{i}" for i, (m, _, f) in enumerate(BAD_REQUESTS)])
async def test_bad_input_names_the_field_and_changes_nothing(stub, engine, method, request_, field):
    before = await table_counts(engine)
    with pytest.raises(grpc.RpcError) as caught:
        await getattr(stub, method)(request_)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in bad_fields(caught.value)
    assert field in caught.value.details()
    assert await table_counts(engine) == before
    # and the server still serves
    got = await stub.GetSku(pb.GetSkuRequest(sku_id="LAMP"))
    assert got.sku.sku_id == "LAMP"


@pytest.mark.parametrize("value,given", [(0, "CHANNEL_UNSPECIFIED"), (42, "42")])
async def test_a_bad_enum_names_the_values_allowed_as_callers_write_them(stub, value, given):
    with pytest.raises(grpc.RpcError) as caught:
        await stub.ReserveStock(reserve(channel=value))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert ("channel: must be CHANNEL_MINI_PROGRAM, CHANNEL_POS or CHANNEL_OPS "
            f"(got {given})") in caught.value.details()
