"""The mini-program's entry: the stores nearest a customer (门店定位), in the core and
through FindNearestStores on the demo chain."""

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from onestock.routing.v1 import routing_service_pb2 as pb
from onestock.routing.v1 import routing_service_pb2_grpc as pb_grpc

from services.common.geo import haversine_km
from services.common.uow import in_transaction
from services.inventory.catalogue import ClosedPeriod, LocationKind
from services.inventory.demo_chain import build_demo_chain, seed_demo_chain
from services.routing.chain import Chain
from services.routing.store_finder import StoreService, nearest_stores, stores_to_measure
from tests.helpers import bad_fields
from tests.routing.chains import AFTERNOON, CUSTOMER, NIGHT, store, warehouse

ANY, PICKUP, DELIVERY = StoreService.ANY, StoreService.PICKUP, StoreService.SAME_CITY_DELIVERY


def found(chain, service=ANY, radius_km=10.0, limit=10, now=AFTERNOON):
    return nearest_stores(chain, *CUSTOMER, service=service, radius_km=radius_km, limit=limit,
                          now=now)


def ids(stores):
    return [s.location.location_id for s in stores]


def test_stores_come_nearest_first_ties_by_id_without_warehouses_or_stores_out_of_reach():
    chain = Chain([store("S3", 3.0), store("S1", 1.0), store("S2b", 2.0), store("S2a", 2.0),
                   warehouse("W", 0.5), store("FAR", 12.0)])
    assert ids(found(chain)) == ["S1", "S2a", "S2b", "S3"]
    assert ids(found(chain, limit=2)) == ["S1", "S2a"]
    assert [round(s.distance_km, 3) for s in found(chain)] == [1.0, 2.0, 2.0, 3.0]
    assert ids(found(chain, radius_km=15)) == ["S1", "S2a", "S2b", "S3", "FAR"]


def test_a_service_leaves_out_stores_that_cannot_offer_it_here():
    chain = Chain([store("NO-COUNTER", 1.0, pickup=False), store("SHORT-REACH", 2.0, radius=1.5),
                   store("NO-COURIER", 3.0, deliver=False), store("REACHES", 4.0, radius=5.0)])
    assert ids(found(chain, PICKUP)) == ["SHORT-REACH", "NO-COURIER", "REACHES"]
    assert ids(found(chain, DELIVERY)) == ["NO-COUNTER", "REACHES"]
    assert [s.delivers_here for s in found(chain)] == [True, False, False, True]


def test_a_store_closed_now_is_listed_with_when_it_opens_past_any_closed_period():
    refit = ClosedPeriod(AFTERNOON - timedelta(days=1), AFTERNOON + timedelta(days=6), "refit")
    chain = Chain([store("OPEN", 1.0), replace(store("REFIT", 2.0), closures=(refit,))])
    day = found(chain)
    assert [(s.location.location_id, s.opens_at) for s in day] == [
        ("OPEN", None), ("REFIT", refit.end)]  # the refit ends at 14:00 local, in opening hours
    night = found(chain, now=NIGHT)
    assert night[0].opens_at == datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 tomorrow


def test_with_road_kilometres_stores_come_nearest_by_road_and_deliver_by_road():
    """S1 is 1 km away across a river (6 km by road), S3 has no road to the customer: S2
    comes first, S1 then delivers no more (its radius is 5 km), and S3 is not listed."""
    chain = Chain([store("S1", 1.0, radius=5.0), store("S2", 2.0), store("S3", 3.0),
                   warehouse("W", 0.5), store("S4", 9.5)])
    assert [loc.location_id for loc in stores_to_measure(chain, *CUSTOMER, 10.0)] == [
        "S1", "S2", "S3", "S4"]
    road = {"S1": 6.0, "S2": 2.4, "S3": math.inf, "S4": 10.5}
    got = nearest_stores(chain, *CUSTOMER, service=ANY, radius_km=10.0, limit=10,
                         now=AFTERNOON, road_km=road)
    assert [(s.location.location_id, s.distance_km, s.delivers_here) for s in got] == [
        ("S2", 2.4, True), ("S1", 6.0, False)]
    assert ids(nearest_stores(chain, *CUSTOMER, service=DELIVERY, radius_km=10.0, limit=10,
                              now=AFTERNOON, road_km=road)) == ["S2"]


@pytest.fixture
async def routing(channel, engine):
    await in_transaction(engine, lambda conn: seed_demo_chain(conn, build_demo_chain()))
    return pb_grpc.RoutingServiceStub(channel)


async def test_find_nearest_stores_answers_as_a_brute_force_over_the_demo_chain(routing):
    """People's Square, delivery: every store of the demo chain within 10 km that delivers
    there, by measuring each one."""
    got = (await routing.FindNearestStores(pb.FindNearestStoresRequest(
        latitude=CUSTOMER[0], longitude=CUSTOMER[1],
        service=pb.STORE_SERVICE_SAME_CITY_DELIVERY, max_stores=50))).stores
    expected = sorted(
        (round(d, 3), loc.location_id) for loc in build_demo_chain().locations
        if loc.kind is LocationKind.STORE and loc.can_deliver
        and (d := haversine_km(*CUSTOMER, loc.latitude, loc.longitude)) <= min(
            10.0, loc.delivery_radius_km))
    assert expected, "no demo store delivers to People's Square: the test proves nothing"
    assert [(s.distance_km, s.location_id) for s in got] == expected
    assert all(s.delivers_here and s.city == "Shanghai" for s in got)


async def test_find_nearest_stores_refuses_bad_input_by_field(routing):
    for request, fields in (
            (pb.FindNearestStoresRequest(latitude=91, longitude=181),
             ["latitude", "longitude"]),
            (pb.FindNearestStoresRequest(radius_km=100.5, max_stores=51, service=7),
             ["service", "radius_km", "max_stores"]),
            (pb.FindNearestStoresRequest(radius_km=-1), ["radius_km"])):
        with pytest.raises(grpc.RpcError) as caught:
            await routing.FindNearestStores(request)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert sorted(bad_fields(caught.value)) == sorted(fields)
