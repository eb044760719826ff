"""A two-store chain, one principal of every kind (and of the right and the wrong store,
member A and member B), and a way to see that a refused call changed nothing."""

import asyncio
from dataclasses import dataclass, replace

import grpc
import pytest
from google.protobuf import message_factory
from onestock.inventory.v1 import inventory_service_pb2 as inv
from onestock.inventory.v1 import inventory_service_pb2_grpc as inv_grpc
from onestock.members.v1 import member_service_pb2 as mem
from onestock.members.v1 import member_service_pb2_grpc as mem_grpc
from onestock.orders.v1 import order_service_pb2 as ords
from onestock.orders.v1 import order_service_pb2_grpc as ords_grpc
from onestock.routing.v1 import routing_service_pb2 as rt
from sqlalchemy import text

from services.access import client
from tests.helpers import seed, sku, store

CUSTOMER = (31.2304, 121.4737)
AUDITED_TABLES = ("locations", "skus", "stock_levels", "stock_movements", "reservations",
                  "reservation_lines", "orders", "order_lines", "fulfilment_groups",
                  "order_events", "order_returns", "members", "points_ledger", "outbox",
                  "idempotency_keys", "api_keys")


def north(km: float) -> tuple[float, float]:
    return CUSTOMER[0] + km / 111.195, CUSTOMER[1]


@pytest.fixture
def settings(settings):
    # no hold limit (member A holds many test orders), no relay writes between snapshots
    return replace(settings, outbox_interval_s=3600.0,
                   limits=replace(settings.limits, member_sku_hold_limit=0))


@dataclass
class Ops:
    """Head office's stubs, used to build what each call needs."""

    inventory: inv_grpc.InventoryServiceStub
    orders: ords_grpc.OrderServiceStub
    members: mem_grpc.MemberServiceStub
    counter: int = 0

    def next_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-{self.counter}"

    async def reservation_at(self, location_id: str) -> str:
        made = await self.inventory.ReserveStock(inv.ReserveStockRequest(
            request_id=self.next_id("hold"), channel=inv.CHANNEL_POS,
            lines=[inv.ReservationLineInput(location_id=location_id, sku_id="LAMP", quantity=1)]))
        return made.reservation.reservation_id

    async def online_order(self, member: str = "A", sku_id: str = "LAMP", *, paid: bool = False,
                           location: str = "S1") -> ords.Order:
        order = (await self.orders.CreateOrder(online_order_request(
            self.next_id("order"), member, sku_id, location))).order
        if paid:
            order = (await self.orders.ConfirmPayment(ords.ConfirmPaymentRequest(
                request_id=self.next_id("pay"), order_id=order.order_id,
                amount_minor=order.total_minor))).order
        return order

    async def stock_transfer(self, *, shipped: bool = False) -> str:
        """A lamp moving from S2 to S1: its transfer id."""
        made = (await self.inventory.CreateStockTransfer(inv.CreateStockTransferRequest(
            request_id=self.next_id("transfer"), source_location_id="S2",
            destination_location_id="S1",
            lines=[inv.StockTransferLineInput(sku_id="LAMP", quantity=1)]))).transfer
        if shipped:
            await self.inventory.ShipStockTransfer(inv.ShipStockTransferRequest(
                request_id=self.next_id("ship"), transfer_id=made.transfer_id))
        return made.transfer_id

    async def till_sale(self, member: str = "A") -> ords.Order:
        return (await self.orders.CreateOrder(till_sale_request(self.next_id("sale"), member,
                                                                "S1"))).order


def online_order_request(request_id: str, member: str, sku_id: str = "LAMP",
                         location: str = "S1") -> ords.CreateOrderRequest:
    return ords.CreateOrderRequest(
        request_id=request_id, channel=ords.CHANNEL_MINI_PROGRAM, member_id=member,
        lines=[ords.OrderLineInput(sku_id=sku_id, quantity=1, unit_price_minor=1_000)],
        fulfilment=ords.FulfilmentRequest(method=ords.FULFILMENT_METHOD_PICKUP,
                                          location_id=location))


def till_sale_request(request_id: str, member: str, location: str) -> ords.CreateOrderRequest:
    return ords.CreateOrderRequest(
        request_id=request_id, channel=ords.CHANNEL_POS, member_id=member,
        lines=[ords.OrderLineInput(sku_id="LAMP", quantity=1, unit_price_minor=1_000)],
        fulfilment=ords.FulfilmentRequest(method=ords.FULFILMENT_METHOD_IN_STORE,
                                          location_id=location))


@pytest.fixture
async def ops(channel) -> Ops:
    inventory = inv_grpc.InventoryServiceStub(channel)
    s2 = store("S2", *north(2))
    s2.capabilities.transfer_source = True
    await seed(inventory, [store("S1", *north(1)), s2], [sku("LAMP"), sku("RARE")],
               stock={("S1", "LAMP"): 1_000, ("S2", "LAMP"): 1_000, ("S2", "RARE"): 1_000})
    members = mem_grpc.MemberServiceStub(channel)
    for member_id in ("A", "B"):
        await members.UpsertMember(mem.UpsertMemberRequest(request_id=f"m-{member_id}",
                                                           member_id=member_id))
    return Ops(inventory, ords_grpc.OrderServiceStub(channel), members)


PRINCIPALS = ("MALL(A)", "MALL(B)", "POS@S1", "POS@S2", "STAFF@S1", "STAFF@S2", "OPS", "CRM")


@pytest.fixture
async def channels(server, ops, issue_key):
    """One channel per principal in PRINCIPALS, each sending its own key."""
    target = f"127.0.0.1:{server.port}"
    made = {
        "MALL(A)": client.channel(target, await issue_key("MALL"), member_id="A"),
        "MALL(B)": client.channel(target, await issue_key("MALL"), member_id="B"),
        "OPS": client.channel(target, await issue_key("OPS")),
        "CRM": client.channel(target, await issue_key("CRM")),
    }
    for kind, label in (("POS", "POS"), ("STORE_STAFF", "STAFF")):
        for location in ("S1", "S2"):
            made[f"{label}@{location}"] = client.channel(target, await issue_key(kind, location))
    yield made
    for channel in made.values():
        await channel.close()


async def database_fingerprint(engine) -> dict[str, str]:
    """A digest of every row of every table a call could change."""
    async with engine.connect() as conn:
        return {table: await conn.scalar(text(
            f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t"))
            for table in AUDITED_TABLES}


def _method_callable(channel: grpc.aio.Channel, full_name: str):
    service_name, name = full_name.split("/")
    descriptor = service_descriptor(service_name).methods_by_name[name]
    response = message_factory.GetMessageClass(descriptor.output_type)
    path = f"/{full_name}"
    if descriptor.server_streaming:
        return channel.unary_stream(path, request_serializer=lambda m: m.SerializeToString(),
                                    response_deserializer=response.FromString), True
    return channel.unary_unary(path, request_serializer=lambda m: m.SerializeToString(),
                               response_deserializer=response.FromString), False


def service_descriptor(full_name: str):
    for module in (inv, rt, mem, ords):
        for service in module.DESCRIPTOR.services_by_name.values():
            if service.full_name == full_name:
                return service
    raise KeyError(full_name)


async def call(channel, full_name: str, request, *, stream_wait_s: float = 10
               ) -> grpc.StatusCode:
    """Call any RPC by name; a stream counts by its first message. The status code it ended
    with (OK when it answered); TimeoutError when a stream sent nothing in ``stream_wait_s``."""
    rpc, streaming = _method_callable(channel, full_name)
    try:
        if streaming:
            stream = rpc(request)
            try:
                await asyncio.wait_for(stream.read(), stream_wait_s)
            finally:
                stream.cancel()
        else:
            await rpc(request, timeout=30)
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK
