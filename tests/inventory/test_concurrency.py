"""Invariants under concurrency, through real gRPC channels and a real database."""

import asyncio
import random

import grpc
import pytest
from onestock.inventory.v1 import inventory_service_pb2 as pb
from onestock.inventory.v1 import inventory_service_pb2_grpc as pb_grpc
from sqlalchemy import text

from services.access import client
from services.common.server import start_server
from services.common.uow import in_transaction
from services.inventory.domain import StockCount
from services.inventory.handlers import apply_stock_counts
from tests.helpers import assert_ledger_consistent, error_info, line, seed, sku, stock_of, store


@pytest.fixture
async def stub(channel):
    return pb_grpc.InventoryServiceStub(channel)


async def receipt(stub, rng, locations, skus, request_id: str, units: int) -> None:
    """Goods received at a random shelf, as a warehouse's deliveries arrive during sales."""
    await stub.AdjustStock(pb.AdjustStockRequest(
        request_id=request_id, location_id=rng.choice(locations), sku_id=rng.choice(skus),
        delta=units, reason=pb.ADJUSTMENT_REASON_RECEIPT))


async def test_200_concurrent_single_unit_reservations_on_50_units_sell_exactly_50(stub, engine):
    await seed(stub, [store("SH-1", 31.23, 121.47)], [sku("FLASH-SALE")],
               stock={("SH-1", "FLASH-SALE"): 50})

    async def one(i):
        try:
            await stub.ReserveStock(pb.ReserveStockRequest(
                request_id=f"r{i}", channel=pb.CHANNEL_MINI_PROGRAM,
                lines=[line("SH-1", "FLASH-SALE", 1)]))
            return "ok"
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
            return error_info(error).reason

    outcomes = await asyncio.gather(*(one(i) for i in range(200)))
    assert outcomes.count("ok") == 50
    assert outcomes.count("INSUFFICIENT_STOCK") == 150
    on_hand, reserved, _ = await stock_of(engine, "SH-1", "FLASH-SALE")
    assert on_hand - reserved == 0
    await assert_ledger_consistent(engine)


async def test_overlapping_multi_line_reservations_in_random_order_never_deadlock(stub, engine):
    skus = [f"SKU-{i}" for i in range(6)]
    locations = ["SH-1", "SH-2"]
    await seed(stub, [store(loc, 31.23, 121.47) for loc in locations], [sku(s) for s in skus],
               stock={(loc, s): 40 for loc in locations for s in skus})
    rng = random.Random(7)
    requests = []
    for i in range(150):
        keys = rng.sample([(loc, s) for loc in locations for s in skus], rng.randint(2, 5))
        requests.append(pb.ReserveStockRequest(
            request_id=f"m{i}", channel=pb.CHANNEL_POS,
            lines=[line(loc, s, rng.randint(1, 3)) for loc, s in keys]))

    async def one(request):
        try:
            made = await stub.ReserveStock(request)
        except grpc.RpcError as error:
            assert error_info(error).reason == "INSUFFICIENT_STOCK", error.details()
            return
        if rng.random() < 0.5:
            await stub.CommitReservation(pb.CommitReservationRequest(
                request_id=f"c-{request.request_id}", reservation_id=made.reservation.reservation_id))
        elif rng.random() < 0.5:
            await stub.ReleaseReservation(pb.ReleaseReservationRequest(
                request_id=f"x-{request.request_id}", reservation_id=made.reservation.reservation_id))

    await asyncio.gather(*(one(r) for r in requests),
                         *(receipt(stub, rng, locations, skus, f"a{i}", 2) for i in range(30)))
    await assert_ledger_consistent(engine)


async def test_a_stock_count_racing_sales_and_receipts_sets_every_shelf_it_changes_to_its_count(
        stub, engine):
    """A night's count lands while the tills still sell and receipts still arrive, some on
    shelves that had no row when the count began. Each shelf the count changes is set to what
    was counted, whatever came before it; what comes after is the ledger's, exactly."""
    locations, skus = ["SH-1", "SH-2"], [f"SKU-{i}" for i in range(10)]
    stocked = [(loc, s) for loc in locations for s in skus[:5]]  # the other shelves: no row yet
    await seed(stub, [store(loc, 31.23, 121.47) for loc in locations], [sku(s) for s in skus],
               stock={key: 30 for key in stocked})
    counts = [StockCount(loc, s, 60, 2) for loc in locations for s in skus]
    rng = random.Random(11)

    async def count():
        return await in_transaction(engine, lambda conn: apply_stock_counts(
            conn, counts, "count-1"))

    async def sell(i):
        loc, s = rng.choice(stocked)
        try:
            made = await stub.ReserveStock(pb.ReserveStockRequest(
                request_id=f"s{i}", channel=pb.CHANNEL_POS, lines=[line(loc, s, rng.randint(1, 2))]))
        except grpc.RpcError as error:
            assert error_info(error).reason == "INSUFFICIENT_STOCK", error.details()
            return
        if i % 2:
            await stub.CommitReservation(pb.CommitReservationRequest(
                request_id=f"c{i}", reservation_id=made.reservation.reservation_id))

    entries, *_ = await asyncio.gather(
        count(), *(sell(i) for i in range(60)),
        *(receipt(stub, rng, locations, skus, f"a{i}", 3) for i in range(30)))
    await assert_ledger_consistent(engine)
    async with engine.connect() as conn:
        written = (await conn.execute(text(
            "SELECT kind, location_id, sku_id, on_hand_after FROM stock_movements "
            "WHERE request_id = 'count-1'"))).all()
        after = dict((await conn.execute(text(
            "SELECT location_id || '/' || sku_id, safety_stock FROM stock_levels"))).all())
    assert len(written) == entries > 0
    assert {on_hand for kind, *_, on_hand in written if kind == "ADJUSTMENT"} == {60}
    assert after == {f"{loc}/{s}": 2 for loc in locations for s in skus}  # nothing else sets it


async def test_batches_of_receipts_over_overlapping_shelves_in_any_order_apply_once_each(
        stub, engine):
    """Delivery notes listing shelves in any order, some sent twice at once by a retrying
    ERP, while the tills sell the same shelves: no deadlock reaches a caller, each note is
    in the ledger once, whole, and every invariant holds."""
    locations, skus = ["SH-1", "SH-2"], [f"SKU-{i}" for i in range(5)]
    shelves = [(loc, s) for loc in locations for s in skus]
    await seed(stub, [store(loc, 31.23, 121.47) for loc in locations], [sku(s) for s in skus],
               stock={key: 20 for key in shelves})
    rng = random.Random(5)
    notes = [pb.BatchAdjustStockRequest(request_id=f"dn-{i}", adjustments=[
        pb.StockAdjustment(location_id=loc, sku_id=s, delta=rng.randint(1, 4),
                           reason=pb.ADJUSTMENT_REASON_RECEIPT)
        for loc, s in rng.sample(shelves, rng.randint(2, 6))]) for i in range(40)]

    async def sell(i):
        loc, s = rng.choice(shelves)
        try:
            made = await stub.ReserveStock(pb.ReserveStockRequest(
                request_id=f"s{i}", channel=pb.CHANNEL_POS, lines=[line(loc, s, 2)]))
        except grpc.RpcError as error:
            assert error_info(error).reason == "INSUFFICIENT_STOCK", error.details()
            return
        await stub.CommitReservation(pb.CommitReservationRequest(
            request_id=f"c{i}", reservation_id=made.reservation.reservation_id))

    sent = notes + notes[::4]  # every fourth note retried while the first try runs
    responses = await asyncio.gather(*(stub.BatchAdjustStock(n) for n in sent),
                                     *(sell(i) for i in range(60)))
    for note, response in zip(sent, responses, strict=False):
        assert [m.on_hand_delta for m in response.movements] == [
            a.delta for a in note.adjustments]
    async with engine.connect() as conn:
        received = dict((await conn.execute(text(
            "SELECT request_id, SUM(on_hand_delta) FROM stock_movements "
            "WHERE request_id LIKE 'dn-%' GROUP BY 1"))).all())
    assert received == {n.request_id: sum(a.delta for a in n.adjustments) for n in notes}
    await assert_ledger_consistent(engine)


async def test_racing_retries_of_one_request_reserve_once(stub, engine):
    await seed(stub, [store("SH-1", 31.23, 121.47)], [sku("LAMP")], stock={("SH-1", "LAMP"): 10})
    request = pb.ReserveStockRequest(request_id="same", channel=pb.CHANNEL_POS,
                                     lines=[line("SH-1", "LAMP", 2)])
    responses = await asyncio.gather(*(stub.ReserveStock(request) for _ in range(20)))
    assert len({r.reservation.reservation_id for r in responses}) == 1
    assert await stock_of(engine, "SH-1", "LAMP") == (10, 2, 0)


async def test_racing_retries_of_one_commit_sell_once(stub, engine):
    await seed(stub, [store("SH-1", 31.23, 121.47)], [sku("LAMP")], stock={("SH-1", "LAMP"): 10})
    made = await stub.ReserveStock(pb.ReserveStockRequest(
        request_id="r", channel=pb.CHANNEL_POS, lines=[line("SH-1", "LAMP", 2)]))
    commit = pb.CommitReservationRequest(request_id="c",
                                         reservation_id=made.reservation.reservation_id)
    responses = await asyncio.gather(*(stub.CommitReservation(commit) for _ in range(20)))
    assert all(r == responses[0] for r in responses)
    assert await stock_of(engine, "SH-1", "LAMP") == (8, 0, 0)
    await assert_ledger_consistent(engine)


async def test_commit_racing_expiry_ends_in_exactly_one_of_the_two(stub, engine):
    await seed(stub, [store("SH-1", 31.23, 121.47)], [sku("LAMP")], stock={("SH-1", "LAMP"): 100})
    made = []
    for i in range(30):
        made.append(await stub.ReserveStock(pb.ReserveStockRequest(
            request_id=f"r{i}", channel=pb.CHANNEL_POS, ttl_seconds=1,
            lines=[line("SH-1", "LAMP", 1)])))
    await asyncio.sleep(0.9)  # commits land around the expiry sweep

    async def commit(i, response):
        await asyncio.sleep(random.uniform(0, 0.3))
        try:
            await stub.CommitReservation(pb.CommitReservationRequest(
                request_id=f"c{i}", reservation_id=response.reservation.reservation_id))
            return "COMMITTED"
        except grpc.RpcError as error:
            return error_info(error).reason

    outcomes = await asyncio.gather(*(commit(i, r) for i, r in enumerate(made)))
    await asyncio.sleep(1.0)  # let the sweeper finish the rest
    assert set(outcomes) <= {"COMMITTED", "RESERVATION_EXPIRED"}
    async with engine.connect() as conn:
        states = dict((await conn.execute(text(
            "SELECT state, count(*) FROM reservations GROUP BY state"))).all())
    assert states.get("COMMITTED", 0) == outcomes.count("COMMITTED")
    assert states.get("EXPIRED", 0) == outcomes.count("RESERVATION_EXPIRED")
    committed = outcomes.count("COMMITTED")
    assert await stock_of(engine, "SH-1", "LAMP") == (100 - committed, 0, 0)
    await assert_ledger_consistent(engine)


async def test_two_server_processes_sharing_the_database_never_oversell(
        stub, engine, settings, database_url, ops_key):
    await seed(stub, [store("SH-1", 31.23, 121.47)], [sku("LAMP")], stock={("SH-1", "LAMP"): 30})
    other = await start_server(settings, database_url, address="127.0.0.1:0")
    try:
        async with client.channel(f"127.0.0.1:{other.port}", ops_key) as channel:
            stubs = [stub, pb_grpc.InventoryServiceStub(channel)]

            async def one(i):
                try:
                    await stubs[i % 2].ReserveStock(pb.ReserveStockRequest(
                        request_id=f"r{i}", channel=pb.CHANNEL_POS,
                        lines=[line("SH-1", "LAMP", 1)]))
                    return True
                except grpc.RpcError:
                    return False

            outcomes = await asyncio.gather(*(one(i) for i in range(100)))
    finally:
        await other.stop(0.5)
    assert sum(outcomes) == 30
    assert await stock_of(engine, "SH-1", "LAMP") == (30, 30, 0)
    await assert_ledger_consistent(engine)
