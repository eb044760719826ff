"""A small chain around People's Square for order tests, and builders for orders."""

import asyncio

import pytest
from onestock.inventory.v1 import inventory_service_pb2 as inv
from onestock.inventory.v1 import inventory_service_pb2_grpc as inv_grpc
from onestock.members.v1 import member_service_pb2 as mem
from onestock.members.v1 import member_service_pb2_grpc as mem_grpc
from onestock.orders.v1 import order_service_pb2 as pb
from onestock.orders.v1 import order_service_pb2_grpc as pb_grpc

from tests.helpers import seed, sku, store

CUSTOMER = (31.2304, 121.4737)


def north(km):
    return CUSTOMER[0] + km / 111.195, CUSTOMER[1]


def warehouse(location_id, km):
    lat, lng = north(km)
    return inv.Location(location_id=location_id, name=location_id, kind=inv.LOCATION_KIND_WAREHOUSE,
                        latitude=lat, longitude=lng, city="Shanghai",
                        capabilities=inv.Capabilities(transfer_source=True))


@pytest.fixture
async def stubs(channel):
    inventory = inv_grpc.InventoryServiceStub(channel)
    await seed(inventory,
               [store("A", *north(1), dealer_id="DEALER-A"), store("B", *north(2)),
                warehouse("W", 10)],
               [sku("LAMP", 10_000), sku("SOFA", 50_000), sku("VASE", 2_000)],
               stock={("A", "LAMP"): 5, ("B", "SOFA"): 2, ("W", "SOFA"): 10, ("W", "VASE"): 10})
    return inventory, pb_grpc.OrderServiceStub(channel), mem_grpc.MemberServiceStub(channel)


def order(request_id, *lines, method=pb.FULFILMENT_METHOD_PICKUP, member="M-1", location="",
          channel=pb.CHANNEL_MINI_PROGRAM, reservation="", points=0, code=""):
    return pb.CreateOrderRequest(
        request_id=request_id, channel=channel, member_id=member, points_to_redeem=points,
        member_code=code,
        lines=[pb.OrderLineInput(sku_id=s, quantity=q, unit_price_minor=p) for s, q, p in lines],
        fulfilment=pb.FulfilmentRequest(method=method, location_id=location,
                                        latitude=CUSTOMER[0], longitude=CUSTOMER[1],
                                        city="Shanghai", reservation_id=reservation))


async def pay(orders, o):
    return (await orders.ConfirmPayment(pb.ConfirmPaymentRequest(
        request_id=f"pay-{o.order_id}", order_id=o.order_id, amount_minor=o.total_minor))).order


async def points_of(members, member_id):
    return (await members.GetMember(mem.GetMemberRequest(member_id=member_id))).member.points




async def member_code(members, member_id="M-1") -> str:
    """The code the member's app would show at the till now."""
    issued = await members.IssueMemberCode(mem.IssueMemberCodeRequest(member_id=member_id))
    return issued.member_code.code


async def settled(orders, order_id, done):
    """The order once the expiry sweeper (every 0.2 s in the tests' server) has made
    ``done(order)`` true; AssertionError when it has not within 5 s."""
    for _ in range(50):
        got = (await orders.GetOrder(pb.GetOrderRequest(order_id=order_id))).order
        if done(got):
            return got
        await asyncio.sleep(0.1)
    raise AssertionError(f"order {order_id} was not settled: {got}")
