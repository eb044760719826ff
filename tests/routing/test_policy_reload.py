"""The routing policy a server runs with is reread from its file on SIGHUP: RouteOrder,
QuoteFulfilment and CreateOrder decide under the new one from then on, and a file that fails
to load leaves the one in force, logged, the server serving on."""

import logging
from dataclasses import replace

import grpc
import pytest
from onestock.inventory.v1 import inventory_service_pb2_grpc as inv_grpc
from onestock.orders.v1 import order_service_pb2 as ords
from onestock.orders.v1 import order_service_pb2_grpc as ords_grpc
from onestock.routing.v1 import routing_service_pb2 as pb
from onestock.routing.v1 import routing_service_pb2_grpc as pb_grpc

from tests.helpers import error_info, seed, sku, store

CUSTOMER = (31.2304, 121.4737)
STORE_2_KM_NORTH = (CUSTOMER[0] + 2 / 111.195, CUSTOMER[1])


@pytest.fixture
def policy_file(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text("pickup_radius_km = 10\n")
    return path


@pytest.fixture
def settings(settings, policy_file):
    return replace(settings, routing_policy_path=policy_file)


@pytest.fixture
async def stubs(channel):
    await seed(inv_grpc.InventoryServiceStub(channel), [store("NORTH", *STORE_2_KM_NORTH)],
               [sku("LAMP", 10_000)], stock={("NORTH", "LAMP"): 50})
    return pb_grpc.RoutingServiceStub(channel), ords_grpc.OrderServiceStub(channel)


def pickup_near_the_customer():
    return pb.RouteRequest(lines=[pb.OrderLine(sku_id="LAMP", quantity=1)],
                           latitude=CUSTOMER[0], longitude=CUSTOMER[1], city="Shanghai",
                           mode=pb.FULFILMENT_MODE_PICKUP)


async def served_by(stubs, request_id: str) -> tuple[str, str]:
    """Where RouteOrder sends a pickup order from the customer's point, and where CreateOrder
    does ("" each when nothing can serve it)."""
    routing, orders = stubs
    plan = (await routing.RouteOrder(pb.RouteOrderRequest(order=pickup_near_the_customer()))).plan
    try:
        order = (await orders.CreateOrder(ords.CreateOrderRequest(
            request_id=request_id, channel=ords.CHANNEL_MINI_PROGRAM,
            lines=[ords.OrderLineInput(sku_id="LAMP", quantity=1, unit_price_minor=10_000)],
            fulfilment=ords.FulfilmentRequest(
                method=ords.FULFILMENT_METHOD_PICKUP, latitude=CUSTOMER[0],
                longitude=CUSTOMER[1], city="Shanghai")))).order
    except grpc.RpcError as error:
        assert error_info(error).reason == "INSUFFICIENT_STOCK", error.details()
        created_at = ""
    else:
        created_at = order.groups[0].location_id
    return (plan.shipments[0].location_id if plan.feasible else ""), created_at


async def test_sighup_rereads_the_policy_and_a_bad_file_leaves_the_one_in_force(
        server, stubs, policy_file, caplog):
    caplog.set_level(logging.INFO, logger="services.common.server")
    assert await served_by(stubs, "o1") == ("NORTH", "NORTH")  # 2 km, within 10

    policy_file.write_text("pickup_radius_km = 1.5\n")
    server.reload_policy()
    assert await served_by(stubs, "o2") == ("", "")  # the store is now out of radius
    plan = (await stubs[0].RouteOrder(pb.RouteOrderRequest(order=pickup_near_the_customer()))).plan
    assert [(c.location_id, list(c.reasons)) for c in plan.trace] == [
        ("NORTH", [pb.CANDIDATE_REASON_OUT_OF_RADIUS])]
    assert f"routing policy reloaded from {policy_file}: pickup_radius_km 10 -> 1.5" in caplog.text

    policy_file.write_text("pickup_radius_km = 10\npickup_radius = 3\n")  # a typo
    server.reload_policy()
    assert await served_by(stubs, "o3") == ("", "")  # 1.5 km stays
    assert "routing policy not reloaded, the one in force stays" in caplog.text
    assert f"{policy_file}: pickup_radius: " in caplog.text

    policy_file.write_text("pickup_radius_km = 10\nmax_split = 3\ntransfer_base_minor = 2500000\n"
                           "[weights]\nper_hour_eta = 3\n")
    server.reload_policy()
    assert await served_by(stubs, "o4") == ("NORTH", "NORTH")
    assert ("pickup_radius_km 1.5 -> 10; max_split 2 -> 3; transfer_base_minor 1500 -> 2500000; "
            "weights") in caplog.text
    quote = await stubs[0].QuoteFulfilment(pb.QuoteFulfilmentRequest(
        order=pickup_near_the_customer()))
    assert [o.shipments[0].location_id for o in quote.pickup_options] == ["NORTH"]
