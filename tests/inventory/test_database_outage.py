"""A database that drops its connections (a restart, a failover) is a retryable UNAVAILABLE,
not INTERNAL, and a retry with the same request_id does the work once."""

import asyncio
from dataclasses import replace

import grpc
import pytest
from onestock.inventory.v1 import inventory_service_pb2 as pb
from onestock.inventory.v1 import inventory_service_pb2_grpc as pb_grpc
from sqlalchemy import text

from tests.helpers import assert_ledger_consistent, error_info, line, seed, sku, stock_of, store


@pytest.fixture
def settings(settings):
    """No sweeper or relay in the background: one of them meeting a dead connection first
    would have the pool replace them all before the calls under test reach one."""
    return replace(settings, expiry_interval_s=3600, outbox_interval_s=3600)


async def test_calls_cut_off_from_the_database_are_unavailable_and_a_retry_does_the_work_once(
        channel, engine):
    stub = pb_grpc.InventoryServiceStub(channel)
    await seed(stub, [store("S1", 31.2, 121.4)], [sku("K1")], stock={("S1", "K1"): 100})

    def reserve(request_id):
        return stub.ReserveStock(pb.ReserveStockRequest(
            request_id=request_id, channel=pb.CHANNEL_POS, lines=[line("S1", "K1", 1)]))

    def read():
        return stub.GetAvailability(pb.GetAvailabilityRequest(
            sku_ids=["K1"], locations=pb.LocationIds(location_ids=["S1"])))

    await reserve("warm-up")  # every pooled connection in use once
    await read()
    async with engine.connect() as conn:  # what a database restart does to open connections
        killed = await conn.scalar(text(
            "SELECT array_agg(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        assert killed
        await conn.execute(text("SELECT pg_terminate_backend(pid) FROM unnest(CAST(:pids AS int[])) AS pid"),
                           {"pids": killed})
        # pg_terminate_backend only signals: wait until every one of them has gone, so that
        # no call below still reaches a backend about to die
        while await conn.scalar(text("SELECT count(*) FROM pg_stat_activity "
                                     "WHERE pid = ANY(CAST(:pids AS int[]))"), {"pids": killed}):
            await conn.rollback()  # a transaction sees one snapshot of pg_stat_activity
            await asyncio.sleep(0.01)
    codes = []
    for call in (lambda: reserve("r1"), read, lambda: reserve("r1"), read):
        try:
            await call()
            codes.append("OK")
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.UNAVAILABLE, error.details()
            assert error_info(error).reason == "DATABASE_UNAVAILABLE"
            codes.append("UNAVAILABLE")
    assert "UNAVAILABLE" in codes and codes[-2:] == ["OK", "OK"]  # the pool heals at once
    await engine.dispose()  # the test's own connections were cut off too
    assert await stock_of(engine, "S1", "K1") == (100, 2, 0)  # warm-up and r1, once each
    await assert_ledger_consistent(engine)
