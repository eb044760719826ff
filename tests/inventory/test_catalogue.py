"""Catalogue RPCs through a real channel against PostgreSQL."""

import grpc
import pytest
from onestock.inventory.v1 import inventory_service_pb2 as pb
from onestock.inventory.v1 import inventory_service_pb2_grpc as pb_grpc

from tests.helpers import bad_fields, error_info, every_page, sku, store, table_counts


@pytest.fixture
def stub(channel):
    return pb_grpc.InventoryServiceStub(channel)


async def test_upserted_location_reads_back_with_every_field(stub):
    loc = store("SH-XJH", 31.1951, 121.4365, dealer_id="DEALER-7",
                opening_hours=[pb.OpeningHours(iso_weekdays=[1, 2, 3, 4, 5], open_minute=600,
                                               close_minute=1320)])
    await stub.UpsertLocations(pb.UpsertLocationsRequest(request_id="u1", locations=[loc]))
    got = (await stub.GetLocation(pb.GetLocationRequest(location_id="SH-XJH"))).location
    loc.time_zone = "Asia/Shanghai"  # the documented default
    assert got == loc


async def test_upsert_replaces_an_existing_location(stub):
    await stub.UpsertLocations(pb.UpsertLocationsRequest(
        request_id="u1", locations=[store("SH-1", 31.2, 121.4, name="Old")]))
    await stub.UpsertLocations(pb.UpsertLocationsRequest(
        request_id="u2", locations=[store("SH-1", 31.2, 121.4, name="New")]))
    got = await stub.GetLocation(pb.GetLocationRequest(location_id="SH-1"))
    assert got.location.name == "New"


async def test_list_locations_pages_through_every_match_once(stub):
    locations = [store(f"SH-{i:02d}", 31.2, 121.4) for i in range(7)]
    locations += [store(f"HZ-{i:02d}", 30.2, 120.1, city="Hangzhou") for i in range(3)]
    await stub.UpsertLocations(pb.UpsertLocationsRequest(request_id="u", locations=locations))
    pages = await every_page(stub.ListLocations, pb.ListLocationsRequest(
        city="Shanghai", kind=pb.LOCATION_KIND_STORE, page_size=3))
    seen = [loc.location_id for page in pages for loc in page.locations]
    assert seen == [f"SH-{i:02d}" for i in range(7)]


async def test_page_token_reused_with_other_filters_is_refused(stub):
    await stub.UpsertLocations(pb.UpsertLocationsRequest(
        request_id="u", locations=[store(f"SH-{i}", 31.2, 121.4) for i in range(3)]))
    page = await stub.ListLocations(pb.ListLocationsRequest(city="Shanghai", page_size=1))
    with pytest.raises(grpc.RpcError) as caught:
        await stub.ListLocations(pb.ListLocationsRequest(city="Hangzhou",
                                                         page_token=page.next_page_token))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(caught.value) == ["page_token"]


async def test_skus_upsert_get_and_list(stub):
    await stub.UpsertSkus(pb.UpsertSkusRequest(
        request_id="s", skus=[sku("RETRO-CLOCK", 12900), sku("LAMP", 4500)]))
    got = await stub.GetSku(pb.GetSkuRequest(sku_id="RETRO-CLOCK"))
    assert (got.sku.price_minor, got.sku.currency) == (12900, "CNY")
    listed = await stub.ListSkus(pb.ListSkusRequest(page_size=1))
    assert [s.sku_id for s in listed.skus] == ["LAMP"] and listed.next_page_token


async def test_unknown_location_and_sku_are_not_found(stub):
    for call, request in ((stub.GetLocation, pb.GetLocationRequest(location_id="NOPE")),
                          (stub.GetSku, pb.GetSkuRequest(sku_id="NOPE"))):
        with pytest.raises(grpc.RpcError) as caught:
            await call(request)
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
        assert error_info(caught.value).metadata["ids"] == "NOPE"


async def test_bad_location_names_every_bad_field_and_stores_nothing(stub, engine):
    before = await table_counts(engine)
    bad = pb.Location(location_id="bad id!", kind=7, latitude=91, longitude=-181, city="",
                      delivery_radius_km=-1, time_zone="Mars/Olympus",
                      opening_hours=[pb.OpeningHours(open_minute=600, close_minute=500,
                                                     iso_weekdays=[8])])
    with pytest.raises(grpc.RpcError) as caught:
        await stub.UpsertLocations(pb.UpsertLocationsRequest(
            request_id="u", locations=[store("SH-OK", 31.2, 121.4), bad]))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(bad_fields(caught.value)) == {
        "locations[1].location_id", "locations[1].name", "locations[1].kind",
        "locations[1].latitude", "locations[1].longitude", "locations[1].city",
        "locations[1].delivery_radius_km", "locations[1].time_zone",
        "locations[1].opening_hours[0].close_minute", "locations[1].opening_hours[0].iso_weekdays",
    }
    assert await table_counts(engine) == before


async def test_opening_hours_are_bounded_and_name_each_day_once(stub, engine):
    """A location's windows are read for every order routing considers it for: thousands of
    them (an import gone wrong) are refused, naming the field, before they slow every order."""
    before = await table_counts(engine)
    week = [pb.OpeningHours(open_minute=600 + d, close_minute=1320, iso_weekdays=[d % 7 + 1])
            for d in range(50)]
    many = store("SH-MANY", 31.2, 121.4)
    many.opening_hours.extend(week + week[:1])
    twice = store("SH-TWICE", 31.2, 121.4)
    twice.opening_hours.append(pb.OpeningHours(open_minute=600, close_minute=1320,
                                               iso_weekdays=[1, 2, 1]))
    with pytest.raises(grpc.RpcError) as caught:
        await stub.UpsertLocations(pb.UpsertLocationsRequest(request_id="u",
                                                             locations=[many, twice]))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(caught.value) == ["locations[0].opening_hours",
                                        "locations[1].opening_hours[0].iso_weekdays"]
    assert await table_counts(engine) == before
    del many.opening_hours[-1]  # fifty windows are fine
    await stub.UpsertLocations(pb.UpsertLocationsRequest(request_id="u", locations=[many]))
    got = (await stub.GetLocation(pb.GetLocationRequest(location_id="SH-MANY"))).location
    assert len(got.opening_hours) == 50


def closure(start: str, end: str, reason: str = "") -> pb.ClosedPeriod:
    period = pb.ClosedPeriod(reason=reason)
    period.start_time.FromJsonString(start)
    period.end_time.FromJsonString(end)
    return period


async def test_closed_periods_read_back_in_start_order_and_go_with_the_next_upsert(stub):
    festival = closure("2027-02-05T16:00:00Z", "2027-02-12T02:00:00Z", "Spring Festival")
    refit = closure("2026-12-01T14:00:00Z", "2026-12-03T02:00:00Z", "refit")
    await stub.UpsertLocations(pb.UpsertLocationsRequest(request_id="u1", locations=[
        store("SH-1", 31.2, 121.4, closures=[festival, refit])]))
    got = (await stub.GetLocation(pb.GetLocationRequest(location_id="SH-1"))).location
    assert list(got.closures) == [refit, festival]
    await stub.UpsertLocations(pb.UpsertLocationsRequest(request_id="u2", locations=[
        store("SH-1", 31.2, 121.4)]))  # a location upserted without them reopens
    got = (await stub.GetLocation(pb.GetLocationRequest(location_id="SH-1"))).location
    assert list(got.closures) == []


async def test_closed_periods_that_cannot_be_are_refused_naming_the_field(stub, engine):
    before = await table_counts(engine)
    no_start = pb.ClosedPeriod(reason="x")
    no_start.end_time.FromJsonString("2027-02-12T02:00:00Z")
    bad = store("SH-BAD", 31.2, 121.4, closures=[
        closure("2027-02-12T02:00:00Z", "2027-02-05T16:00:00Z"),
        no_start,
        closure("1969-12-31T00:00:00Z", "2027-01-01T00:00:00Z"),
        closure("2027-02-05T16:00:00Z", "2027-02-12T02:00:00Z", "x" * 201)])
    many = store("SH-MANY", 31.2, 121.4, closures=[
        closure(f"2027-01-01T{h:02d}:00:00Z", f"2027-01-01T{h:02d}:30:00Z") for h in range(17)
    ] * 3)
    with pytest.raises(grpc.RpcError) as caught:
        await stub.UpsertLocations(pb.UpsertLocationsRequest(request_id="u",
                                                             locations=[bad, many]))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(caught.value) == [
        "locations[0].closures[0].end_time", "locations[0].closures[1].start_time",
        "locations[0].closures[2].start_time", "locations[0].closures[3].reason",
        "locations[1].closures"]
    assert await table_counts(engine) == before
