"""CreateOrder measures the customer's distance to the stores by road when a road-distance
provider is configured, and still takes the order when the provider does not answer."""

from dataclasses import replace

import pytest
from onestock.inventory.v1 import inventory_service_pb2 as inv
from onestock.orders.v1 import order_service_pb2 as pb

from tests.orders.conftest import north, order
from tests.routing.fake_osrm import FakeOsrm

# Store A is 1 km north of the customer as the crow flies, but across the river: 8 km by
# road, beyond its own 5 km delivery radius. Store B is 2 km north, 2.2 km by road.
ROAD_KM = {"A": 8.0, "B": 2.2, "W": 12.0}
POSITIONS = {name: north(km) for name, km in (("A", 1), ("B", 2), ("W", 10))}


def road_km(store_at, customer):
    for name, (lat, lng) in POSITIONS.items():
        if abs(store_at[0] - lat) < 1e-6 and abs(store_at[1] - lng) < 1e-6:
            return ROAD_KM[name]
    raise AssertionError(f"asked for a store nobody placed at {store_at}")


@pytest.fixture
def osrm():
    with FakeOsrm(road_km) as fake:
        yield fake


@pytest.fixture
def settings(settings, osrm):
    # every order asks, so that one placed after the provider heals is measured by road (the
    # retry period has tests of its own, tests/routing/test_road_distances.py)
    return replace(settings, road_distance_url=osrm.url, road_distance_timeout_ms=2000,
                   road_distance_retry_s=0)


@pytest.fixture
async def lamps_at_both(stubs):
    inventory, orders, _ = stubs
    await inventory.AdjustStock(inv.AdjustStockRequest(
        request_id="lamps-at-b", location_id="B", sku_id="LAMP", set_on_hand=5,
        reason=inv.ADJUSTMENT_REASON_RECEIPT))
    return orders


async def test_checkout_goes_to_the_store_nearest_by_road(lamps_at_both, osrm):
    orders = lamps_at_both
    pickup = (await orders.CreateOrder(order("by-road-1", ("LAMP", 1, 10_000)))).order
    assert [g.location_id for g in pickup.groups] == ["B"]
    delivery = (await orders.CreateOrder(order(
        "by-road-2", ("LAMP", 1, 10_000), method=pb.FULFILMENT_METHOD_SAME_CITY_DELIVERY))).order
    assert [g.location_id for g in delivery.groups] == ["B"]
    assert delivery.groups[0].delivery_fee_minor == 600  # 2.2 km by road: the first band
    assert osrm.requests, "the provider was never asked"


async def test_checkout_goes_through_by_great_circle_when_the_road_provider_is_down(
        lamps_at_both, osrm):
    orders = lamps_at_both
    osrm.status, osrm.body = 503, b'{"code": "Unavailable"}'
    down = (await orders.CreateOrder(order("while-down", ("LAMP", 1, 10_000)))).order
    assert [g.location_id for g in down.groups] == ["A"]  # 1 km as the crow flies
    osrm.heal()
    up = (await orders.CreateOrder(order("after-heal", ("LAMP", 1, 10_000)))).order
    assert [g.location_id for g in up.groups] == ["B"]
    retried = (await orders.CreateOrder(order("while-down", ("LAMP", 1, 10_000)))).order
    assert retried == down  # a retry is the first answer, whatever the roads say now
