"""Customer distances by road: the core routes on them when given, the client measures them
from an OSRM table service and never lets a failing provider stop an order, nor make every
order wait for it."""

import asyncio
import logging
import math
from dataclasses import replace

import pytest
from prometheus_client import REGISTRY

from services.common.geo import haversine_km
from services.routing.chain import Chain
from services.routing.model import Mode, Reason
from services.routing.planner import locations_to_measure, quote, route
from services.routing.policy import DEFAULT_POLICY
from services.routing.road_distances import (
    TABLE_SIZE,
    ProviderError,
    RoadDistances,
    table_kilometres,
    with_road_distances,
)
from tests.routing.chains import CUSTOMER, north, order, store, trace_of, warehouse
from tests.routing.fake_osrm import FakeOsrm

POLICY = DEFAULT_POLICY


# --- the core, given road kilometres -------------------------------------------------


def test_pickup_goes_to_the_store_nearest_by_road_not_as_the_crow_flies():
    chain = Chain([store("ACROSS-RIVER", 1), store("SAME-BANK", 2)])
    stock = {"ACROSS-RIVER": {"LAMP": 5}, "SAME-BANK": {"LAMP": 5}}
    crow = route(chain, order(("LAMP", 1)), stock, POLICY)
    assert crow.shipments[0].location_id == "ACROSS-RIVER"

    road = {"ACROSS-RIVER": 6.5, "SAME-BANK": 2.4}
    plan = route(chain, order(("LAMP", 1))._replace(road_km=road), stock, POLICY)
    assert plan.shipments[0].location_id == "SAME-BANK"
    assert plan.shipments[0].distance_km == 2.4
    assert trace_of(plan, "ACROSS-RIVER", "pickup").distance_km == 6.5
    assert trace_of(plan, "ACROSS-RIVER", "pickup").reasons == (Reason.FARTHER,)


def test_radii_and_delivery_bands_apply_to_the_road_kilometres():
    chain = Chain([store("CLOSE", 2, radius=5.0)])
    stock = {"CLOSE": {"LAMP": 5}}
    delivery = order(("LAMP", 1), mode=Mode.SAME_CITY_DELIVERY)
    assert route(chain, delivery, stock, POLICY).delivery_fee_minor == 600  # 2 km: first band

    by_road = route(chain, delivery._replace(road_km={"CLOSE": 4.2}), stock, POLICY)
    assert by_road.delivery_fee_minor == 900  # 4.2 km: the second band
    assert by_road.shipments[0].distance_km == 4.2

    beyond = route(chain, delivery._replace(road_km={"CLOSE": 5.5}), stock, POLICY)
    assert not beyond.feasible  # its own 5 km radius, by road
    assert trace_of(beyond, "CLOSE", "delivery").reasons == (Reason.OUT_OF_RADIUS,)
    pickup = route(chain, order(("LAMP", 1))._replace(road_km={"CLOSE": 11.0}), stock, POLICY)
    assert trace_of(pickup, "CLOSE", "pickup").reasons == (Reason.OUT_OF_RADIUS,)


def test_a_store_with_no_road_to_the_customer_is_explained_and_never_chosen():
    chain = Chain([store("ISLAND", 1), store("MAINLAND", 3)])
    stock = {"ISLAND": {"LAMP": 5}, "MAINLAND": {"LAMP": 5}}
    road = {"ISLAND": math.inf, "MAINLAND": 3.3}
    for mode, role in ((Mode.PICKUP, "pickup"), (Mode.SAME_CITY_DELIVERY, "delivery")):
        plan = route(chain, order(("LAMP", 1), mode=mode)._replace(road_km=road), stock, POLICY)
        assert plan.shipments[0].location_id == "MAINLAND"
        assert trace_of(plan, "ISLAND", role).reasons == (Reason.NO_ROAD_ROUTE,)

    chosen = route(chain, order(("LAMP", 1), pickup="ISLAND")._replace(road_km=road), stock,
                   POLICY)
    assert not chosen.feasible
    assert trace_of(chosen, "ISLAND", "pickup").reasons == (Reason.NO_ROAD_ROUTE,)


def test_a_chosen_pickup_store_is_measured_by_road_and_unmeasured_ones_as_the_crow_flies():
    chain = Chain([store("NEAR", 1), store("OTHER", 2)])
    stock = {"NEAR": {"LAMP": 5}, "OTHER": {"LAMP": 5}}
    plan = route(chain, order(("LAMP", 1), pickup="NEAR")._replace(road_km={"NEAR": 1.7}),
                 stock, POLICY)
    assert plan.shipments[0].distance_km == 1.7
    only_other = route(chain, order(("LAMP", 1))._replace(road_km={"OTHER": 2.5}), stock, POLICY)
    near = trace_of(only_other, "NEAR", "pickup")
    assert near.distance_km == pytest.approx(1.0, abs=0.01) and only_other.shipments[0].location_id == "NEAR"


def test_transfers_are_still_measured_between_locations_as_the_crow_flies():
    chain = Chain([store("PICKUP", 1), warehouse("WH", 8)])
    stock = {"PICKUP": {}, "WH": {"LAMP": 5}}
    plan = route(chain, order(("LAMP", 1))._replace(road_km={"PICKUP": 1.4, "WH": 30.0}), stock,
                 POLICY)
    transfer = plan.shipments[0].transfers[0]
    assert transfer.source_id == "WH" and transfer.distance_km == pytest.approx(7.0, abs=0.01)
    assert plan.shipments[0].distance_km == 1.4


def test_quotes_follow_the_road_kilometres_too():
    chain = Chain([store("A", 1), store("B", 2)])
    stock = {"A": {"LAMP": 5}, "B": {"LAMP": 5}}
    options = quote(chain, order(("LAMP", 1), mode=Mode.AUTO)._replace(
        road_km={"A": 4.0, "B": 2.1}), stock, POLICY)
    assert [p.shipments[0].location_id for p in options.pickup] == ["B", "A"]
    assert [p.shipments[0].distance_km for p in options.delivery] == [2.1, 4.0]


def test_the_locations_to_measure_are_those_near_the_customer_and_the_chosen_store():
    far_away = store("FAR-AWAY", 40)
    chain = Chain([store("A", 1), store("B", 9), far_away, warehouse("WH", 3)])
    assert [loc.location_id for loc in locations_to_measure(chain, order(("X", 1)), POLICY)] == [
        "A", "WH", "B"]
    chosen = locations_to_measure(chain, order(("X", 1), pickup="FAR-AWAY"), POLICY)
    assert [loc.location_id for loc in chosen] == ["A", "WH", "B", "FAR-AWAY"]
    measured = order(("X", 1))._replace(road_km={"A": 50.0})
    assert [loc.location_id for loc in locations_to_measure(chain, measured, POLICY)] == [
        "A", "WH", "B"]


# --- the client, against an OSRM table service ---------------------------------------


def detour(factor=1.4, **no_road_or_km):
    """Road km = great-circle km x factor, except where given (None: no road)."""
    def road_km(store_at, customer):
        for name, km in no_road_or_km.items():
            if all(abs(a - b) < 1e-6 for a, b in zip(store_at, _position(name), strict=True)):
                return km
        return haversine_km(*store_at, *customer) * factor
    return road_km


STORES = [store("A", 1), store("B", 2), store("C", 4)]


def _position(name):
    return next((s.latitude, s.longitude) for s in STORES if s.location_id == name)


async def test_road_distances_come_from_the_table_service_and_are_remembered():
    with FakeOsrm(detour(1.5, C=None)) as osrm:
        roads = RoadDistances(osrm.url, "bike", 2.0)
        try:
            km = await roads.measure(*CUSTOMER, STORES)
            assert km["A"] == pytest.approx(1.5, abs=0.01)
            assert km["B"] == pytest.approx(3.0, abs=0.01) and km["C"] == math.inf
            assert len(osrm.requests) == 1 and osrm.requests[0].startswith("/table/v1/bike/")
            assert osrm.queries[0] == "sources=1;2;3&destinations=0&annotations=distance"
            assert await roads.measure(*CUSTOMER, STORES[:2]) == {"A": km["A"], "B": km["B"]}
            assert len(osrm.requests) == 1

            moved = replace(STORES[0], latitude=north(3)[0])
            again = await roads.measure(*CUSTOMER, [moved, STORES[1]])
            assert again["A"] == pytest.approx(4.5, abs=0.01) and len(osrm.requests) == 2
            assert osrm.requests[1].count(";") == 1  # only the moved store was asked for
        finally:
            await roads.stop()


async def test_a_provider_behind_a_path_is_asked_under_that_path():
    with FakeOsrm(detour(1.1)) as osrm:
        roads = RoadDistances(f"{osrm.url}/maps/osrm/", timeout_s=2.0)
        try:
            km = await roads.measure(*CUSTOMER, STORES[:1])
        finally:
            await roads.stop()
    assert osrm.requests[0].startswith("/maps/osrm/table/v1/driving/")
    assert km["A"] == pytest.approx(1.1, abs=0.01)


async def test_more_stores_than_one_table_holds_are_measured_in_several_requests():
    many = [store(f"S{i:03}", 0.05 * i) for i in range(1, 2 * TABLE_SIZE)]
    with FakeOsrm(detour(2.0)) as osrm:
        roads = RoadDistances(osrm.url, timeout_s=5.0)
        try:
            km = await roads.measure(*CUSTOMER, many)
        finally:
            await roads.stop()
    assert len(osrm.requests) == 3
    assert all(r.count(";") < TABLE_SIZE for r in osrm.requests)
    for s in many:
        assert km[s.location_id] == pytest.approx(
            2 * haversine_km(*CUSTOMER, s.latitude, s.longitude), abs=0.002)


@pytest.mark.parametrize("misbehaviour", [
    {"status": 500, "body": b'{"code": "Error"}'},
    {"status": 400, "body": b'{"code": "TooBig", "message": "Too many table coordinates"}'},
    {"body": b"<html>gateway</html>"},
    {"body": b'{"code": "Ok", "distances": [[1.0]]}'},  # one row for three stores
    {"body": b'{"code": "Ok", "distances": [[-5], [1], [2]]}'},
    {"delay_s": 1.0},
], ids=["http-500", "osrm-error", "not-json", "rows-missing", "negative", "too-slow"])
async def test_a_provider_that_fails_or_is_slow_gives_no_road_distances(misbehaviour, caplog):
    with FakeOsrm(detour(), **misbehaviour) as osrm:
        roads = RoadDistances(osrm.url, timeout_s=0.3)
        try:
            with caplog.at_level(logging.WARNING, "onestock.routing.roads"):
                assert await roads.measure(*CUSTOMER, STORES) is None
                assert await roads.measure(*CUSTOMER, STORES) is None
        finally:
            await roads.stop()
    warnings = [r for r in caplog.records if "great-circle" in r.getMessage()]
    assert len(warnings) == 1  # once when it starts failing, not once per order


async def test_an_unreachable_provider_leaves_the_order_to_great_circle_kilometres():
    with FakeOsrm(detour()) as osrm:
        url = osrm.url
    roads = RoadDistances(url, timeout_s=0.5)  # nothing listens there any more
    try:
        chain = Chain(STORES)
        request = order(("LAMP", 1))
        assert await with_road_distances(roads, chain, request, POLICY) is request
        assert await with_road_distances(None, chain, request, POLICY) is request
    finally:
        await roads.stop()


async def test_a_provider_that_answers_again_is_used_again(caplog):
    with FakeOsrm(detour(2.0), status=503, body=b"{}") as osrm:
        roads = RoadDistances(osrm.url, timeout_s=1.0, retry_s=0)
        try:
            with caplog.at_level(logging.INFO, "onestock.routing.roads"):
                assert await roads.measure(*CUSTOMER, STORES) is None
                osrm.heal()
                measured = await with_road_distances(roads, Chain(STORES), order(("L", 1)),
                                                     POLICY)
        finally:
            await roads.stop()
    assert measured.road_km["A"] == pytest.approx(2.0, abs=0.01)
    assert any("answers again" in r.getMessage() for r in caplog.records)


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self):
        self.now = 1_000.0

    def __call__(self):
        return self.now


def skipped() -> float:
    return REGISTRY.get_sample_value("onestock_road_distance_lookups_total",
                                     {"outcome": "skipped"}) or 0.0


async def test_a_hung_provider_is_left_alone_for_the_retry_period_then_one_order_asks():
    """A provider that hangs costs one order its timeout, not every order: the next ones
    are routed great-circle at once, and after the retry period one order asks again."""
    clock = Clock()
    with FakeOsrm(detour(2.0), delay_s=1.0) as osrm:
        roads = RoadDistances(osrm.url, timeout_s=0.2, retry_s=5.0, clock=clock)
        try:
            assert await roads.measure(*CUSTOMER, STORES) is None  # waited 0.2 s
            before = skipped()
            for _ in range(5):
                assert await roads.measure(*CUSTOMER, STORES) is None
            assert (len(osrm.requests), skipped() - before) == (1, 5)

            clock.now += 4.9  # still resting
            assert await roads.measure(*CUSTOMER, STORES) is None and len(osrm.requests) == 1
            clock.now += 0.2
            osrm.heal()
            answers = await asyncio.gather(*(roads.measure(*CUSTOMER, STORES) for _ in range(8)))
            assert len(osrm.requests) == 2  # one order asked; the others did not wait for it
            assert sum(a is not None for a in answers) == 1
            assert await roads.measure(*north(5), STORES) is not None  # answering: all ask
            assert len(osrm.requests) == 3
        finally:
            await roads.stop()


async def test_an_order_that_asks_a_still_failing_provider_rests_it_again():
    clock = Clock()
    with FakeOsrm(detour(), status=502, body=b"{}") as osrm:
        roads = RoadDistances(osrm.url, timeout_s=1.0, retry_s=5.0, clock=clock)
        try:
            assert await roads.measure(*CUSTOMER, STORES) is None
            clock.now += 5.0
            assert await roads.measure(*CUSTOMER, STORES) is None  # asked, failed again
            assert await roads.measure(*CUSTOMER, STORES) is None  # resting again
            assert len(osrm.requests) == 2
        finally:
            await roads.stop()


async def test_distances_measured_before_are_still_served_while_the_provider_rests():
    clock = Clock()
    with FakeOsrm(detour(1.5)) as osrm:
        roads = RoadDistances(osrm.url, timeout_s=1.0, retry_s=5.0, clock=clock)
        try:
            known = await roads.measure(*CUSTOMER, STORES)
            osrm.status, osrm.body = 500, b"{}"
            assert await roads.measure(*north(5), STORES) is None
            assert await roads.measure(*CUSTOMER, STORES) == known
            assert len(osrm.requests) == 2
        finally:
            await roads.stop()


def test_table_answers_are_read_strictly():
    assert table_kilometres(200, b'{"code":"Ok","distances":[[1500],[null],[0]]}', 3) == [
        1.5, math.inf, 0.0]
    for body in (b'{"code":"Ok","distances":[[true]]}', b'{"code":"Ok","distances":[[1, 2]]}',
                 b'{"code":"Ok","distances":[["7"]]}', b'{"code":"Ok"}', b'[1]'):
        with pytest.raises(ProviderError):
            table_kilometres(200, body, 1)


async def test_concurrent_orders_from_one_point_each_get_every_distance():
    with FakeOsrm(detour(1.2)) as osrm:
        roads = RoadDistances(osrm.url, timeout_s=5.0)
        try:
            answers = await asyncio.gather(*(roads.measure(*CUSTOMER, STORES) for _ in range(8)))
        finally:
            await roads.stop()
    assert all(a == answers[0] and set(a) == {"A", "B", "C"} for a in answers)


async def test_kept_distances_are_measured_again_once_older_than_the_keep_period():
    """A bridge closes: the provider's map changes, and a member who orders every day gets
    the longer ride once what was kept for their address is a day old, not never."""
    clock = Clock()
    with FakeOsrm(detour(1.5)) as osrm:
        roads = RoadDistances(osrm.url, timeout_s=1.0, keep_s=86_400, clock=clock)
        try:
            before = await roads.measure(*CUSTOMER, STORES)
            osrm.road_km = detour(3.0)  # the bridge closed
            clock.now += 86_399
            assert await roads.measure(*CUSTOMER, STORES) == before  # kept, not asked
            assert len(osrm.requests) == 1
            clock.now += 1
            after = await roads.measure(*CUSTOMER, STORES)
            assert len(osrm.requests) == 2
            assert after == pytest.approx({name: km * 2 for name, km in before.items()},
                                          abs=0.002)  # metres rounded
            clock.now += 86_399  # kept from the second measurement on
            assert await roads.measure(*CUSTOMER, STORES) == after
            assert len(osrm.requests) == 2
        finally:
            await roads.stop()


def stale() -> float:
    return REGISTRY.get_sample_value("onestock_road_distance_lookups_total",
                                     {"outcome": "stale"}) or 0.0


async def test_distances_past_the_keep_period_are_served_while_the_provider_fails():
    """OSRM down for an upgrade: a member who ordered yesterday still gets yesterday's roads,
    not straight lines, and today's once it answers again."""
    clock = Clock()
    with FakeOsrm(detour(1.5)) as osrm:
        roads = RoadDistances(osrm.url, timeout_s=1.0, retry_s=5.0, keep_s=86_400, clock=clock)
        try:
            before = await roads.measure(*CUSTOMER, STORES)
            osrm.status, osrm.body = 503, b"{}"
            clock.now += 86_400
            served = stale()
            assert await roads.measure(*CUSTOMER, STORES) == before  # asked, failed
            assert await roads.measure(*CUSTOMER, STORES) == before  # resting: not asked
            assert (len(osrm.requests), stale() - served) == (2, 2)

            osrm.heal()
            osrm.road_km = detour(3.0)  # the map changed meanwhile
            clock.now += 5
            after = await roads.measure(*CUSTOMER, STORES)
            assert after == pytest.approx({name: km * 2 for name, km in before.items()},
                                          abs=0.002)
            osrm.status, osrm.body = 503, b"{}"
            clock.now += 86_400
            assert await roads.measure(*CUSTOMER, STORES) == after  # the newer ones
        finally:
            await roads.stop()


async def test_old_distances_that_miss_a_store_are_not_mixed_with_straight_lines():
    """A store opened since: serving old roads for the others and a straight line for it
    would favour the new store, so the order goes great-circle for all of them."""
    clock = Clock()
    with FakeOsrm(detour(1.5)) as osrm:
        roads = RoadDistances(osrm.url, timeout_s=1.0, keep_s=60, clock=clock)
        try:
            assert await roads.measure(*CUSTOMER, STORES[:2]) is not None
            osrm.status, osrm.body = 500, b"{}"
            clock.now += 60
            served = stale()
            assert await roads.measure(*CUSTOMER, STORES) is None
            assert stale() == served
        finally:
            await roads.stop()
