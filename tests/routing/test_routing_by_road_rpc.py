"""RouteOrder and QuoteFulfilment with a road-distance provider configured, on the demo chain."""

from dataclasses import replace

import pytest
from onestock.routing.v1 import routing_service_pb2 as pb
from onestock.routing.v1 import routing_service_pb2_grpc as pb_grpc
from sqlalchemy import text

from services.common.geo import haversine_km
from services.common.uow import in_transaction
from services.inventory.demo_chain import build_demo_chain, seed_demo_chain
from tests.routing.fake_osrm import FakeOsrm
from tests.routing.test_routing_rpc import PEOPLES_SQUARE, nearest_pickup_store_with, request

DETOUR = 1.3  # road km for every store but the one across the river


@pytest.fixture
def osrm():
    with FakeOsrm(lambda store_at, customer: haversine_km(*store_at, *customer) * DETOUR) as fake:
        yield fake


@pytest.fixture
def settings(settings, osrm):
    return replace(settings, road_distance_url=osrm.url, road_distance_timeout_ms=2000)


@pytest.fixture
async def routing(channel, engine):
    await in_transaction(engine, lambda conn: seed_demo_chain(conn, build_demo_chain()))
    return pb_grpc.RoutingServiceStub(channel)


async def pickup_stores_with(engine, sku_id):
    async with engine.connect() as conn:
        return (await conn.execute(text(
            "SELECT l.location_id, l.latitude, l.longitude FROM stock_levels s "
            "JOIN locations l USING (location_id) WHERE s.sku_id = :sku AND l.can_pickup "
            "AND s.on_hand - s.reserved - s.safety_stock >= 1"), {"sku": sku_id})).all()


async def test_route_order_measures_the_customer_distances_by_road(routing, engine, osrm):
    across = await nearest_pickup_store_with(engine, "MILK-001", 1)
    rows = await pickup_stores_with(engine, "MILK-001")
    where = {loc: (lat, lng) for loc, lat, lng in rows}

    def road_km(store_at, customer):
        if all(abs(a - b) < 1e-6 for a, b in zip(store_at, where[across], strict=True)):
            return 9.9  # across the river: still within the 10 km pickup radius
        return haversine_km(*store_at, *customer) * DETOUR

    osrm.road_km = road_km
    by_road = sorted((road_km(where[loc], PEOPLES_SQUARE), loc) for loc in where)
    expected_km, expected = next((km, loc) for km, loc in by_road if km <= 10)
    assert expected != across

    plan = (await routing.RouteOrder(pb.RouteOrderRequest(order=request(("MILK-001", 1))))).plan
    assert plan.distance_measure == pb.DISTANCE_MEASURE_ROAD
    assert plan.shipments[0].location_id == expected
    assert plan.shipments[0].distance_km == pytest.approx(expected_km, abs=0.002)
    passed_over = next(c for c in plan.trace if c.location_id == across)
    assert passed_over.distance_km == 9.9 and not passed_over.chosen


async def test_quotes_give_every_option_its_road_distance(routing, engine, osrm):
    quote = await routing.QuoteFulfilment(pb.QuoteFulfilmentRequest(order=request(
        ("MILK-001", 1), mode=pb.FULFILMENT_MODE_UNSPECIFIED)))
    options = [*quote.pickup_options, *quote.delivery_options, *quote.transfer_options]
    assert options and {o.distance_measure for o in options} == {pb.DISTANCE_MEASURE_ROAD}
    async with engine.connect() as conn:
        where = {loc: (lat, lng) for loc, lat, lng in (await conn.execute(text(
            "SELECT location_id, latitude, longitude FROM locations"))).all()}
    for shipment in (s for o in options for s in o.shipments):
        crow = haversine_km(*PEOPLES_SQUARE, *where[shipment.location_id])
        assert shipment.distance_km == pytest.approx(crow * DETOUR, abs=0.002)


async def test_a_provider_that_is_down_leaves_plans_by_great_circle(routing, engine, osrm):
    osrm.status, osrm.body = 502, b"bad gateway"
    plan = (await routing.RouteOrder(pb.RouteOrderRequest(order=request(("MILK-001", 1))))).plan
    assert plan.distance_measure == pb.DISTANCE_MEASURE_GREAT_CIRCLE
    assert plan.shipments[0].location_id == await nearest_pickup_store_with(engine, "MILK-001", 1)


async def test_the_nearest_stores_are_listed_by_road_as_checkout_will_route(routing, osrm):
    """People's Square: the nearest store as the crow flies is across the river (9.9 km by
    road), the second has no road at all; the others ride 1.3 times the crow's distance. The
    list is a brute force by road over the demo chain's stores within 10 km."""
    stores = sorted((haversine_km(*PEOPLES_SQUARE, loc.latitude, loc.longitude), loc.location_id,
                     loc) for loc in build_demo_chain().locations if loc.kind.value == "STORE")
    (_, across, across_at), (_, roadless, roadless_at) = stores[0], stores[1]
    special = {(across_at.latitude, across_at.longitude): 9.9,
               (roadless_at.latitude, roadless_at.longitude): None}

    def road_km(store_at, customer):
        for (lat, lng), km in special.items():
            if abs(store_at[0] - lat) < 1e-6 and abs(store_at[1] - lng) < 1e-6:
                return km
        return haversine_km(*store_at, *customer) * DETOUR

    osrm.road_km = road_km
    by_road = sorted((round(km, 3), loc_id, km <= loc.delivery_radius_km and loc.can_deliver)
                     for crow, loc_id, loc in stores if crow <= 10
                     and (km := road_km((loc.latitude, loc.longitude), PEOPLES_SQUARE)) is not None
                     and km <= 10)
    answer = await routing.FindNearestStores(pb.FindNearestStoresRequest(
        latitude=PEOPLES_SQUARE[0], longitude=PEOPLES_SQUARE[1], max_stores=50))
    assert answer.distance_measure == pb.DISTANCE_MEASURE_ROAD
    assert [(s.distance_km, s.location_id, s.delivers_here) for s in answer.stores] == by_road
    assert answer.stores[-1].location_id == across and roadless not in {
        s.location_id for s in answer.stores}

    osrm.status, osrm.body = 502, b"bad gateway"
    down = await routing.FindNearestStores(pb.FindNearestStoresRequest(
        latitude=31.2404, longitude=121.4737, max_stores=50))  # a point not measured before
    assert down.distance_measure == pb.DISTANCE_MEASURE_GREAT_CIRCLE
    at = {loc_id: (loc.latitude, loc.longitude) for _, loc_id, loc in stores}
    assert down.stores and [s.distance_km for s in down.stores] == [
        round(haversine_km(31.2404, 121.4737, *at[s.location_id]), 3) for s in down.stores]
