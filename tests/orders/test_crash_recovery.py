"""The server SIGKILLed: between completing an order and delivering its CRM event (after a
restart the event reaches the CRM once, and the points ledger shows one award); and in the
middle of a burst of online checkouts (retried, each makes one order, and none is lost)."""

import asyncio
import signal

import grpc
import pytest
from onestock.inventory.v1 import inventory_service_pb2 as inv
from onestock.inventory.v1 import inventory_service_pb2_grpc as inv_grpc
from onestock.members.v1 import member_service_pb2 as mem
from onestock.members.v1 import member_service_pb2_grpc as mem_grpc
from onestock.orders.v1 import order_service_pb2 as pb
from onestock.orders.v1 import order_service_pb2_grpc as pb_grpc
from sqlalchemy import text

from tests.helpers import (
    assert_ledger_consistent,
    engine_of,
    kill_mid_burst,
    onestock_env,
    ready,
    seed,
    serve,
    sku,
    store,
)
from tests.members.test_ledger_and_relay import Crm
from tests.orders.conftest import north, order


@pytest.fixture
async def crm_peer():
    """A CRM's MemberSyncService on a free port: (recording servicer, port)."""
    crm_server, crm = grpc.aio.server(), Crm()
    mem_grpc.add_MemberSyncServiceServicer_to_server(crm, crm_server)
    port = crm_server.add_insecure_port("127.0.0.1:0")
    await crm_server.start()
    yield crm, port
    await crm_server.stop(0)


async def test_event_is_delivered_once_after_a_kill_between_completion_and_delivery(
        database_url, crm_peer):
    crm, crm_port = crm_peer
    env, key = await onestock_env(database_url,
                                  ONESTOCK_CRM_SINK=f"grpc://127.0.0.1:{crm_port}")
    address = env["ONESTOCK_LISTEN"]

    first = serve(env, relay_interval_s=3600)  # its relay runs once at start, then sleeps
    try:
        channel = await ready(address, key)
        inventory = inv_grpc.InventoryServiceStub(channel)
        await inventory.UpsertLocations(inv.UpsertLocationsRequest(
            request_id="l", locations=[store("TILL", 31.23, 121.47)]))
        await inventory.UpsertSkus(inv.UpsertSkusRequest(request_id="s",
                                                         skus=[sku("LAMP", 5_000)]))
        await inventory.AdjustStock(inv.AdjustStockRequest(
            request_id="a", location_id="TILL", sku_id="LAMP", delta=5,
            reason=inv.ADJUSTMENT_REASON_RECEIPT))
        sale = (await pb_grpc.OrderServiceStub(channel).CreateOrder(pb.CreateOrderRequest(
            request_id="sale", channel=pb.CHANNEL_POS, member_id="M-1",
            lines=[pb.OrderLineInput(sku_id="LAMP", quantity=2, unit_price_minor=5_000)],
            fulfilment=pb.FulfilmentRequest(method=pb.FULFILMENT_METHOD_IN_STORE,
                                            location_id="TILL")))).order
        assert sale.state == pb.ORDER_STATE_COMPLETED and sale.points_awarded == 100
        await channel.close()
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    assert crm.acked == []  # killed before its relay looked again

    second = serve(env, relay_interval_s=0.1)
    try:
        channel = await ready(address, key)
        for _ in range(100):
            if crm.acked:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # room for a duplicate to show up, were there one
        backlog = await mem_grpc.MemberServiceStub(channel).GetSyncBacklog(
            mem.GetSyncBacklogRequest())
        await channel.close()
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(30)
    awarded = [e for e in crm.acked if e.kind == "POINTS_AWARDED"]
    assert [(e.order_id, e.points_delta) for e in awarded] == [(sale.order_id, 100)]
    assert len({e.event_id for e in crm.acked}) == len(crm.acked)
    assert backlog.pending_events == 0
    async with engine_of(env) as engine, engine.connect() as conn:
        awards = await conn.scalar(text("SELECT count(*) FROM points_ledger WHERE kind = 'AWARD'"))
    assert awards == 1


LAMPS = 200  # fewer than the burst orders: the last checkouts are refused


async def lamps_in_store(channel) -> None:
    await seed(inv_grpc.InventoryServiceStub(channel), [store("A", *north(1))],
               [sku("LAMP", 10_000)], {("A", "LAMP"): LAMPS})


async def check_out(channel, request) -> tuple[str, str | None]:
    try:
        made = await pb_grpc.OrderServiceStub(channel).CreateOrder(request, timeout=30)
    except grpc.RpcError as error:
        if error.code() == grpc.StatusCode.FAILED_PRECONDITION:  # no lamp left in reach
            return "refused", None
        return "unknown", None
    return "ok", made.order.order_id


async def test_checkouts_killed_mid_burst_and_retried_make_one_order_each_and_lose_none(
        database_url):
    """Mall checkouts share transactions (the order batcher); a kill loses those in flight."""
    env, key = await onestock_env(database_url)
    callers = [[order(f"buy-{n}-{i}", ("LAMP", 1, 10_000), member=f"M-{n}-{i}")
                for i in range(8)] for n in range(36)]

    burst = await kill_mid_burst(env, key, lamps_in_store, check_out, callers, 80,
                                 made="SELECT request_id, order_id FROM orders")

    burst.assert_retried_as_committed()
    made = burst.made()
    async with engine_of(env) as engine:
        async with engine.connect() as conn:
            orders = set(await conn.scalars(text("SELECT order_id FROM orders")))
            held = await conn.scalar(text("SELECT reserved FROM stock_levels"))
        assert orders == made  # one order per checkout that succeeded, none lost
        assert len(made) == held == LAMPS  # asked for more: every lamp sold once
        await assert_ledger_consistent(engine)
