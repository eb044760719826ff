"""WatchStock: live availability, across server processes sharing one database."""

import asyncio
import json
from dataclasses import replace

import grpc
import pytest
from onestock.inventory.v1 import inventory_service_pb2 as pb
from onestock.inventory.v1 import inventory_service_pb2_grpc as pb_grpc

from services.access import client
from services.common.server import start_server
from services.inventory import stock_feed
from services.inventory.domain import StockLevel
from services.inventory.repository import notification_payloads
from services.inventory.stock_feed import StockFeed
from tests.helpers import (
    SilencingProxy,
    bad_fields,
    error_info,
    line,
    notices_cut_off,
    seed,
    sku,
    store,
)


@pytest.fixture
async def stub(channel):
    stub = pb_grpc.InventoryServiceStub(channel)
    await seed(stub, [store("SH-1", 31.23, 121.47), store("SH-2", 31.24, 121.47)],
               [sku("LAMP"), sku("SOFA")],
               stock={("SH-1", "LAMP"): 5, ("SH-1", "SOFA"): 5, ("SH-2", "LAMP"): 5})
    return stub


async def next_change(stream, wait_s=5.0):
    return await asyncio.wait_for(stream.read(), wait_s)


async def test_watch_opens_with_current_levels_then_streams_changes_made_on_another_server(
        stub, settings, database_url, ops_key):
    other = await start_server(settings, database_url, address="127.0.0.1:0")
    try:
        async with client.channel(f"127.0.0.1:{other.port}", ops_key) as channel:
            watcher = pb_grpc.InventoryServiceStub(channel)
            stream = watcher.WatchStock(pb.WatchStockRequest(location_ids=["SH-1"],
                                                             sku_ids=["LAMP"]))
            first = await next_change(stream)
            assert (first.initial, first.stock.available_online) == (True, 5)
            # a change elsewhere must not be sent; the reservation on SH-1/LAMP must
            await stub.AdjustStock(pb.AdjustStockRequest(
                request_id="a", location_id="SH-2", sku_id="LAMP", delta=1,
                reason=pb.ADJUSTMENT_REASON_RECEIPT))
            await stub.ReserveStock(pb.ReserveStockRequest(
                request_id="r", channel=pb.CHANNEL_POS, lines=[line("SH-1", "LAMP", 2)]))
            change = await next_change(stream)
            assert change.initial is False
            assert (change.stock.location_id, change.stock.sku_id) == ("SH-1", "LAMP")
            assert (change.stock.reserved, change.stock.available_online) == (2, 3)
            stream.cancel()
    finally:
        await other.stop(0.5)


async def test_watch_by_sku_sees_every_location(stub):
    stream = stub.WatchStock(pb.WatchStockRequest(sku_ids=["LAMP"]))
    initial = [await next_change(stream), await next_change(stream)]
    assert sorted(m.stock.location_id for m in initial) == ["SH-1", "SH-2"]
    await stub.AdjustStock(pb.AdjustStockRequest(
        request_id="a", location_id="SH-2", sku_id="LAMP", set_on_hand=9,
        reason=pb.ADJUSTMENT_REASON_CYCLE_COUNT))
    change = await next_change(stream)
    assert (change.stock.location_id, change.stock.on_hand) == ("SH-2", 9)
    stream.cancel()


async def test_watch_without_a_filter_is_invalid(stub):
    stream = stub.WatchStock(pb.WatchStockRequest())
    with pytest.raises(grpc.RpcError) as caught:
        await stream.read()
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(caught.value) == ["location_ids"]


BULK = [f"BULK-{i:04d}" for i in range(400)]  # a delivery note's SKUs


async def receive_bulk_at_sh1(stub, units) -> None:
    """SH-1 receives ``units(i)`` of each BULK SKU, in one BatchAdjustStock (one transaction)."""
    await stub.UpsertSkus(pb.UpsertSkusRequest(request_id="bulk-skus",
                                               skus=[sku(s) for s in BULK]))
    await stub.BatchAdjustStock(pb.BatchAdjustStockRequest(request_id="dn-400", adjustments=[
        pb.StockAdjustment(location_id="SH-1", sku_id=s, delta=units(i),
                           reason=pb.ADJUSTMENT_REASON_RECEIPT) for i, s in enumerate(BULK)]))


async def test_a_change_too_big_for_one_notification_reaches_watchers_whole(stub):
    """PostgreSQL refuses a NOTIFY payload of 8000 bytes or more, and with it the whole
    transaction: a delivery note of 400 lines goes out as several notifications, and a
    watcher of the store hears every line of it."""
    stream = stub.WatchStock(pb.WatchStockRequest(location_ids=["SH-1"]))
    initial = [await next_change(stream), await next_change(stream)]
    assert {m.stock.sku_id for m in initial} == {"LAMP", "SOFA"}
    await receive_bulk_at_sh1(stub, lambda i: i + 1)
    heard = [await next_change(stream) for _ in BULK]
    assert not any(m.initial for m in heard)
    assert {m.stock.sku_id: m.stock.on_hand for m in heard} == {
        s: i + 1 for i, s in enumerate(BULK)}
    stream.cancel()


def test_notifications_stay_under_postgresqls_limit_and_carry_every_level_once_in_order():
    levels = [StockLevel(f"STORE-{i % 7}", f"SKU-{i:05d}-{'x' * 40}", i, i // 2, 1)
              for i in range(1_000)]
    payloads = notification_payloads(levels)
    assert len(payloads) > 1
    assert all(len(p.encode()) < 8_000 for p in payloads)
    carried = [tuple(item) for p in payloads for item in json.loads(p)]
    assert carried == [(lv.location_id, lv.sku_id, lv.on_hand, lv.reserved, lv.safety_stock)
                       for lv in levels]
    assert notification_payloads([]) == []


async def test_a_watcher_too_far_behind_is_ended_with_resource_exhausted(stub, monkeypatch):
    """A stream's backlog is bounded (10,000 changes; 50 here): a watcher that falls that far
    behind hears what was kept, then is told to reopen; nothing past the bound is kept."""
    monkeypatch.setattr(stock_feed, "QUEUE_LIMIT", 50)
    stream = stub.WatchStock(pb.WatchStockRequest(location_ids=["SH-1"]))
    await next_change(stream), await next_change(stream)  # the snapshot: now subscribed
    await receive_bulk_at_sh1(stub, lambda i: 1)
    heard = []
    with pytest.raises(grpc.RpcError) as caught:
        while True:
            heard.append(await next_change(stream))
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error_info(caught.value).reason == "WATCHER_TOO_SLOW"
    assert "reopen" in caught.value.details()
    assert [m.stock.sku_id for m in heard] == BULK[:50]  # what was kept, in order


async def adjust_lamp_at_sh1(stub, request_id: str, delta: int) -> None:
    await stub.AdjustStock(pb.AdjustStockRequest(
        request_id=request_id, location_id="SH-1", sku_id="LAMP", delta=delta,
        reason=pb.ADJUSTMENT_REASON_RECEIPT))


async def assert_told_to_reopen(stream) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        await next_change(stream)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    assert error_info(caught.value).reason == "STOCK_CHANGES_MISSED"
    assert "reopen" in caught.value.details()


async def test_watchers_are_told_to_reopen_while_the_server_cannot_hear_stock_changes(
        stub, server, engine, database_url):
    """As in a database restart: the server's LISTEN connection drops and new connections
    are refused for a while. A stream would go on showing levels that no longer change, so
    it ends at once, retryable, and none opens until the server hears again; then a stream
    starts from the current levels, changes made meanwhile included, and hears every change."""
    watch = pb.WatchStockRequest(location_ids=["SH-1"], sku_ids=["LAMP"])
    stream = stub.WatchStock(watch)
    assert (await next_change(stream)).stock.on_hand == 5
    async with notices_cut_off(server, engine, database_url):
        await assert_told_to_reopen(stream)
        await adjust_lamp_at_sh1(stub, "while-deaf", 3)  # no server hears of it
        await assert_told_to_reopen(stub.WatchStock(watch))  # no snapshot left to go stale
    for _ in range(100):  # until the server hears again (retried after 0.1, 0.2, 0.4 s ...)
        current = stub.WatchStock(watch)
        try:
            first = await next_change(current)
            break
        except grpc.RpcError as error:
            assert error_info(error).reason == "STOCK_CHANGES_MISSED"
            await asyncio.sleep(0.1)
    else:
        pytest.fail("the server never heard stock changes again")
    assert (first.initial, first.stock.on_hand) == (True, 8)
    await adjust_lamp_at_sh1(stub, "heard", 1)
    change = await next_change(current)
    assert (change.initial, change.stock.on_hand) == (False, 9)
    current.cancel()


async def test_a_watcher_gone_without_closing_its_connection_is_dropped_by_keepalive(
        settings, database_url, engine, ops_key):
    """A phone leaves coverage while its stream is idle, or a till is unplugged: nothing
    closes the connection, and the stream would be kept, with its place in the stock feed,
    for good (gRPC's own server keepalive is two hours). The server's keepalive ping goes
    unanswered, and both go. Pinging every second here, the server still waits a minute
    after its last ping (gRPC's limit on a server's pings), so this takes about 60 s; by
    default, pings 60 s apart and a 20 s timeout."""
    server = await start_server(replace(settings, keepalive_s=1.0, keepalive_timeout_s=1.0),
                                database_url, address="127.0.0.1:0")
    proxy = SilencingProxy(f"127.0.0.1:{server.port}")
    try:
        async with client.channel(await proxy.start(), ops_key) as channel:
            stub = pb_grpc.InventoryServiceStub(channel)
            await seed(stub, [store("SH-1", 31.23, 121.47)], [sku("LAMP")],
                       stock={("SH-1", "LAMP"): 5})
            stream = stub.WatchStock(pb.WatchStockRequest(location_ids=["SH-1"]))
            assert (await next_change(stream)).initial
            feed = next(part for part in server.parts if isinstance(part, StockFeed))
            assert feed.watching == 1
            await asyncio.sleep(2)  # every ping so far answered: the stream is idle
            proxy.silent = True  # from here the server's pings reach no one
            for _ in range(1200):
                if feed.watching == 0:
                    break
                await asyncio.sleep(0.1)
            assert feed.watching == 0, "the vanished watcher was kept for 120 s"
            stream.cancel()
    finally:
        proxy.close()
        await server.stop(0.5)
