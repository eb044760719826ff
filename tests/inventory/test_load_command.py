"""`onestock load DIR`: a chain's locations, SKUs and stock counts from files, every row
checked before any is written, with a ledger entry for every unit that changes and none for a
shelf that already matches its count; written a part at a time, and resumed where it stopped."""

import asyncio
import contextlib
import fcntl
import getpass
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import threading
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from onestock.inventory.v1 import inventory_service_pb2 as pb
from onestock.inventory.v1 import inventory_service_pb2_grpc as pb_grpc
from sqlalchemy import text

from services.common.idempotency import new_request_id
from services.common.input_files import InputError
from services.inventory import handlers
from services.inventory.domain import AdjustmentReason
from services.inventory.handlers import adjust_stock
from services.inventory.load import (
    REQUEST_ID,
    CountedByAnotherRun,
    CountsLoadedBefore,
    CountsLoadedMeanwhile,
    LoadInterrupted,
    PartlyLoaded,
    Progress,
    Resuming,
    Rows,
    load_chain,
    plan_load,
    run,
    write_plan,
)
from services.inventory.repository import CountsLoad
from services.inventory.validation import AdjustCommand
from tests.helpers import (
    assert_ledger_consistent,
    engine_of,
    line,
    migrated,
    own_database_env,
    seed,
    sku,
    stock_of,
    store,
    table_counts,
)
from tests.test_cli_and_server import onestock

LOCATIONS = """location_id,name,kind,latitude,longitude,city,can_pickup,can_deliver,can_transfer,\
delivery_radius_km,time_zone,opens,closes,dealer_id
CQ-S001,Guanyinqiao,STORE,29.5630,106.5516,Chongqing,true,true,false,5,Asia/Shanghai,09:00,21:30,\
DEALER-CQ
CQ-W01,Chongqing DC,WAREHOUSE,29.6500,106.5500,Chongqing,false,false,true,0,,,,
"""
SKUS = "sku_id,name,price_minor,spec\nHOTPOT-001,Hotpot base,3900,400 g\nTEA-002,Jasmine tea,2500,\n"
COUNTS = """location_id,sku_id,on_hand,safety_stock
CQ-S001,HOTPOT-001,40,4
CQ-W01,HOTPOT-001,500,
CQ-S001,TEA-002,0,
"""


def chain_folder(folder: Path, **files: str) -> Path:
    folder.mkdir(exist_ok=True)
    for stem, rows in files.items():
        (folder / f"{stem}.csv").write_text(rows, encoding="utf-8")
    return folder


async def load(engine, folder: Path, request_id: str = "load-1"):
    return await load_chain(engine, folder, request_id)


async def movements(engine) -> list[tuple]:
    async with engine.connect() as conn:
        return (await conn.execute(text(
            "SELECT location_id, sku_id, kind, reason, on_hand_delta, safety_stock_delta, "
            "request_id FROM stock_movements ORDER BY movement_id"))).all()


async def test_a_chain_loads_from_its_files_with_a_ledger_entry_for_every_change(
        engine, channel, tmp_path):
    folder = chain_folder(tmp_path / "cq", locations=LOCATIONS, skus=SKUS, stock_counts=COUNTS)
    loaded = await load(engine, folder)
    assert (loaded.locations, loaded.skus, loaded.counts, loaded.entries) == (
        Rows(2, new=2), Rows(2, new=2), 3, 3)
    inventory = pb_grpc.InventoryServiceStub(channel)
    shop = (await inventory.GetLocation(pb.GetLocationRequest(location_id="CQ-S001"))).location
    assert (shop.city, shop.dealer_id, shop.capabilities.same_city_delivery) == (
        "Chongqing", "DEALER-CQ", True)
    assert (shop.opening_hours[0].open_minute, shop.opening_hours[0].close_minute) == (540, 1290)
    base = (await inventory.GetSku(pb.GetSkuRequest(sku_id="HOTPOT-001"))).sku
    assert (base.price_minor, base.spec) == (3900, "400 g")
    assert await stock_of(engine, "CQ-S001", "HOTPOT-001") == (40, 0, 4)
    assert await stock_of(engine, "CQ-W01", "HOTPOT-001") == (500, 0, 0)
    assert await stock_of(engine, "CQ-S001", "TEA-002") == (0, 0, 0)  # counted empty: no entry
    assert await movements(engine) == [
        ("CQ-S001", "HOTPOT-001", "ADJUSTMENT", "CYCLE_COUNT", 40, 0, "load-1"),
        ("CQ-S001", "HOTPOT-001", "SAFETY_STOCK", None, 0, 4, "load-1"),
        ("CQ-W01", "HOTPOT-001", "ADJUSTMENT", "CYCLE_COUNT", 500, 0, "load-1")]
    await assert_ledger_consistent(engine)


async def test_loading_the_same_files_again_writes_nothing(engine, tmp_path):
    """Not a ledger entry, nor a catalogue row: their update times stay as they were."""
    folder = chain_folder(tmp_path / "cq", locations=LOCATIONS, skus=SKUS, stock_counts=COUNTS)
    await load(engine, folder)
    before = (await table_counts(engine), await update_times(engine))
    again = await load(engine, folder, "load-2")
    assert (again.locations, again.skus, again.counts, again.entries) == (
        Rows(2), Rows(2), 3, 0)
    assert (await table_counts(engine), await update_times(engine)) == before


async def test_counts_loaded_again_after_a_shelf_sold_are_refused_and_nothing_is_loaded(
        engine, tmp_path):
    """The night job that finds yesterday's file, the folder loaded again for a new price:
    counting those shelves again would put back every unit sold since. Refused before
    anything is written, the new price beside the counts too."""
    folder = chain_folder(tmp_path / "cq", locations=LOCATIONS, skus=SKUS, stock_counts=COUNTS)
    await load(engine, folder)
    await damage_one(engine, "CQ-S001", "HOTPOT-001", "damaged-1")
    chain_folder(folder, skus=SKUS.replace("3900", "4200"))
    before = (await movements(engine), await table_counts(engine), await update_times(engine))
    for dry_run in (True, False):
        with pytest.raises(CountsLoadedBefore) as refused:
            await load_chain(engine, folder, "load-2", dry_run=dry_run)
        assert (refused.value.earlier.request_id, refused.value.finished,
                refused.value.changed) == ("load-1", True, 1)
    assert (await movements(engine), await table_counts(engine),
            await update_times(engine)) == before
    assert await stock_of(engine, "CQ-S001", "HOTPOT-001") == (39, 0, 4)


async def test_the_same_counts_in_another_order_and_column_order_are_the_same_counts(
        engine, tmp_path):
    await load(engine, chain_folder(tmp_path / "cq", locations=LOCATIONS, skus=SKUS,
                                    stock_counts=COUNTS))
    await damage_one(engine, "CQ-W01", "HOTPOT-001", "damaged-1")
    shuffled = chain_folder(tmp_path / "again", stock_counts=(
        "sku_id,safety_stock,location_id,on_hand\nTEA-002,,CQ-S001,0\n"
        "HOTPOT-001,,CQ-W01,500\nHOTPOT-001,4,CQ-S001,40\n"))
    with pytest.raises(CountsLoadedBefore):
        await load(engine, shuffled, "load-2")
    other = chain_folder(tmp_path / "other", stock_counts=COUNTS.replace(",500,", ",499,"))
    assert (await load(engine, other, "load-3")).entries == 0  # another count: it matches


async def test_a_recount_asked_for_counts_again_and_guards_the_next_reload_itself(
        engine, tmp_path):
    folder = chain_folder(tmp_path / "cq", locations=LOCATIONS, skus=SKUS, stock_counts=COUNTS)
    await load(engine, folder)
    await damage_one(engine, "CQ-S001", "HOTPOT-001", "damaged-1")
    recounted = await load_chain(engine, folder, "load-2", recount=True)
    assert recounted.entries == 1
    assert await stock_of(engine, "CQ-S001", "HOTPOT-001") == (40, 0, 4)
    assert (await movements(engine))[-1] == (
        "CQ-S001", "HOTPOT-001", "ADJUSTMENT", "CYCLE_COUNT", 1, 0, "load-2")
    await damage_one(engine, "CQ-W01", "HOTPOT-001", "damaged-2")
    with pytest.raises(CountsLoadedBefore) as refused:
        await load(engine, folder, "load-3")
    assert refused.value.earlier.request_id == "load-2"  # the latest load of these counts
    await assert_ledger_consistent(engine)


async def test_counts_that_matched_every_shelf_when_loaded_still_guard_a_later_reload(
        engine, tmp_path):
    """A load that found nothing to write notes its counts all the same."""
    await load(engine, chain_folder(tmp_path / "cq", locations=LOCATIONS, skus=SKUS,
                                    stock_counts=COUNTS))
    one_shelf = chain_folder(tmp_path / "one", stock_counts=(
        "location_id,sku_id,on_hand\nCQ-W01,HOTPOT-001,500\n"))
    assert (await load(engine, one_shelf, "load-2")).entries == 0
    assert await how_far(engine, "load-2") == ("CQ-W01", "HOTPOT-001", 0)
    await damage_one(engine, "CQ-W01", "HOTPOT-001", "damaged-1")
    with pytest.raises(CountsLoadedBefore) as refused:
        await load(engine, one_shelf, "load-3")
    assert refused.value.earlier.request_id == "load-2"


async def test_a_fresh_load_beside_one_of_the_same_counts_not_finished_is_refused(
        engine, tmp_path):
    """Running still, or stopped: either way a second load would count its shelves again,
    and the way to finish a stopped one is to resume it."""
    await load(engine, chain_folder(tmp_path / "catalogue", locations=LOCATIONS, skus=SKUS))
    folder = chain_folder(tmp_path / "cq", stock_counts=COUNTS)
    await stopped_after(engine, folder, "load-2", shelves=1)
    with pytest.raises(CountsLoadedBefore) as refused:
        await load(engine, folder, "load-3")
    assert (refused.value.earlier.request_id, refused.value.finished) == ("load-2", False)
    assert (await load_chain(engine, folder, "load-2", resume=True)).entries == 1
    assert (await load(engine, folder, "load-3")).entries == 0  # finished, nothing moved


async def update_times(engine) -> list[tuple]:
    async with engine.connect() as conn:
        return (await conn.execute(text(
            "SELECT location_id, update_time FROM locations UNION ALL "
            "SELECT sku_id, update_time FROM skus ORDER BY 1"))).all()


async def test_a_recount_writes_the_difference_and_a_blank_safety_stock_keeps_it(
        engine, tmp_path):
    await load(engine, chain_folder(tmp_path / "cq", locations=LOCATIONS, skus=SKUS,
                                    stock_counts=COUNTS))
    recount = chain_folder(tmp_path / "recount", stock_counts=(
        "location_id,sku_id,on_hand\nCQ-S001,HOTPOT-001,35\n"))  # no safety_stock column
    assert (await load(engine, recount, "load-2")).entries == 1
    assert await stock_of(engine, "CQ-S001", "HOTPOT-001") == (35, 0, 4)
    assert (await movements(engine))[-1] == (
        "CQ-S001", "HOTPOT-001", "ADJUSTMENT", "CYCLE_COUNT", -5, 0, "load-2")
    await assert_ledger_consistent(engine)


async def test_a_shelf_first_stocked_while_the_load_counts_it_is_counted_from_what_it_holds(
        engine, tmp_path):
    """The load finds no row for the shelf and creates it with its count; here a receipt
    creates it first, committing while the load waits. The count then replaces those units,
    and the ledger says so: a receipt of 7, then a count of 33 more, not a count of 40."""
    await load(engine, chain_folder(tmp_path / "catalogue", locations=LOCATIONS, skus=SKUS))
    async with engine.connect() as receiving:
        receipt = await receiving.begin()
        await adjust_stock(receiving, AdjustCommand("receipt-1", "CQ-S001", "HOTPOT-001", 7,
                                                    None, AdjustmentReason.RECEIPT, ""))
        loading = asyncio.create_task(load(engine, chain_folder(
            tmp_path / "count", stock_counts="location_id,sku_id,on_hand\nCQ-S001,HOTPOT-001,40\n"),
            "load-2"))
        await until_a_lock_is_awaited(engine)  # the load, on the receipt's new row
        await receipt.commit()
    assert (await loading).entries == 1
    assert await stock_of(engine, "CQ-S001", "HOTPOT-001") == (40, 0, 0)
    assert [(m[2], m[4], m[6]) for m in await movements(engine)] == [
        ("ADJUSTMENT", 7, "receipt-1"), ("ADJUSTMENT", 33, "load-2")]
    await assert_ledger_consistent(engine)


async def until_a_lock_is_awaited(engine) -> None:
    async with engine.connect() as conn:
        for _ in range(500):
            if (await conn.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"))).scalar():
                return
            await asyncio.sleep(0.01)
    raise AssertionError("nothing waited for a lock in 5 s")


async def test_a_load_tells_how_far_it_has_got_in_each_of_its_steps(engine, channel, tmp_path):
    """What the command's progress bars show: rows checked, shelves compared, then the
    shelves that differ counted (the warehouse's already holds its 500 units)."""
    inventory = pb_grpc.InventoryServiceStub(channel)
    await load(engine, chain_folder(tmp_path / "catalogue", locations=LOCATIONS, skus=SKUS))
    await inventory.AdjustStock(pb.AdjustStockRequest(
        request_id="receipt-1", location_id="CQ-W01", sku_id="HOTPOT-001", set_on_hand=500,
        reason=pb.ADJUSTMENT_REASON_RECEIPT))
    heard = Heard()
    await load_chain(engine, chain_folder(tmp_path / "cq", stock_counts=COUNTS), "load-1", heard)
    assert heard.steps == [("checking stock counts", None, 3),
                           ("comparing with the shelves", 3, 3), ("counting shelves", 1, 1)]


class Heard(Progress):
    def __init__(self):
        self.steps = []

    def stage(self, name, unit, total=None):
        self.steps.append((name, total, 0))
        step = len(self.steps) - 1

        def done(units):
            name, total, sofar = self.steps[step]
            self.steps[step] = (name, total, sofar + units)
        return done


async def test_on_a_terminal_the_command_shows_its_progress_and_clears_it(database_url, tmp_path):
    env = await asyncio.to_thread(own_database_env, database_url)
    await migrated(env)
    folder = chain_folder(tmp_path / "cq", locations=LOCATIONS, skus=SKUS, stock_counts=COUNTS)
    done, terminal = await asyncio.to_thread(on_a_terminal, env, "load", str(folder))
    assert done.returncode == 0, terminal
    # drawn at least when they start (tqdm redraws at most ten times a second)
    assert re.search(r"checking stock counts: [0-9.]+ rows", terminal), terminal
    assert re.search(r"comparing with the shelves: +[0-9]+%.* [0-9.]+/3.00 ", terminal), terminal
    assert re.search(r"counting shelves: +[0-9]+%.* [0-9.]+/2.00 ", terminal), terminal  # 1 matched
    assert terminal.endswith("\r")  # left clear for the shell's prompt
    assert f"loaded {folder}: " in done.stdout
    bare = await asyncio.to_thread(on_a_terminal, env, "load", "--no-progress", str(folder))
    assert bare[1] == ""


def on_a_terminal(env, *args: str) -> tuple[subprocess.CompletedProcess, str]:
    """`onestock`, its stderr on a 100-column terminal: how it finished, and what it wrote
    there (bars draw over themselves with carriage returns)."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    written = []
    reader = threading.Thread(target=lambda: written.extend(iter(
        lambda: _read_or_end(controller), b"")))
    reader.start()
    try:
        done = subprocess.run([sys.executable, "-m", "services.common.cli", *args], env=env,
                              stdout=subprocess.PIPE, stderr=terminal, text=True, timeout=120)
    finally:
        os.close(terminal)
        reader.join(timeout=10)
        os.close(controller)
    return done, b"".join(written).decode()


def _read_or_end(fd: int) -> bytes:
    try:
        return os.read(fd, 4096)
    except OSError:  # the terminal's other end closed
        return b""


async def test_a_shelf_is_held_only_while_its_own_part_of_the_counts_is_written(
        engine, tmp_path):
    """A night's count must not stop the tills and phones for the minutes it takes: with the
    load held up at its last shelf, the first is counted already and free to reserve."""
    await load(engine, chain_folder(tmp_path / "catalogue", locations=LOCATIONS, skus=SKUS))
    async with engine.connect() as holding:
        held = await holding.begin()
        await holding.execute(text(  # the last shelf in key order, held by another writer
            "INSERT INTO stock_levels (location_id, sku_id) VALUES ('CQ-W01', 'HOTPOT-001')"))
        loading = asyncio.create_task(load_chain(engine, chain_folder(
            tmp_path / "cq", stock_counts=COUNTS), "load-2", shelves_per_transaction=1))
        await until_a_lock_is_awaited(engine)
        async with engine.connect() as till:
            first = (await till.execute(text(
                "SELECT on_hand, safety_stock FROM stock_levels WHERE location_id = 'CQ-S001' "
                "AND sku_id = 'HOTPOT-001' FOR UPDATE NOWAIT"))).one()
            await till.rollback()
        assert tuple(first) == (40, 4)
        assert not loading.done()
        await held.commit()
    assert (await loading).entries == 3
    assert await stock_of(engine, "CQ-W01", "HOTPOT-001") == (500, 0, 0)
    await assert_ledger_consistent(engine)


async def test_a_reservation_made_while_the_load_writes_stops_it_there_and_resuming_counts_the_rest(
        engine, channel, tmp_path):
    """The plan found every count fine; a till then reserved 550 units on a shelf counted at
    500. The shelves before it stay counted, the rest wait: once the units are released,
    resuming the load counts the rest and leaves alone the shelves counted before, with what
    they sold since. Loading the folder afresh, which would count one of them again, is
    refused."""
    inventory = pb_grpc.InventoryServiceStub(channel)
    await load(engine, chain_folder(tmp_path / "catalogue", locations=LOCATIONS, skus=SKUS))
    await inventory.AdjustStock(pb.AdjustStockRequest(
        request_id="receipt-1", location_id="CQ-W01", sku_id="HOTPOT-001", set_on_hand=600,
        reason=pb.ADJUSTMENT_REASON_RECEIPT))
    folder = chain_folder(tmp_path / "cq", stock_counts=COUNTS.replace("CQ-S001,TEA-002,0,",
                                                                       "CQ-S001,TEA-002,5,"))
    async with engine.connect() as conn:
        plan = await plan_load(conn, folder)
    assert [count.key for _, count in plan.counts] == [
        ("CQ-S001", "HOTPOT-001"), ("CQ-S001", "TEA-002"), ("CQ-W01", "HOTPOT-001")]
    held = await inventory.ReserveStock(pb.ReserveStockRequest(
        request_id="r1", channel=pb.CHANNEL_POS, lines=[line("CQ-W01", "HOTPOT-001", 550)]))
    with pytest.raises(PartlyLoaded) as stopped:
        await write_plan(engine, plan, "load-2", shelves_per_transaction=1)
    assert (stopped.value.line, stopped.value.field, stopped.value.shelves) == (3, "on_hand", 2)
    assert "on_hand would be 500 at CQ-W01/HOTPOT-001, below the 550 units reserved" in str(
        stopped.value)
    assert [await stock_of(engine, *key) for key in (
        ("CQ-S001", "HOTPOT-001"), ("CQ-S001", "TEA-002"), ("CQ-W01", "HOTPOT-001"))] == [
        (40, 0, 4), (5, 0, 0), (600, 550, 0)]
    await inventory.AdjustStock(pb.AdjustStockRequest(  # a counted shelf moves on
        request_id="damaged-1", location_id="CQ-S001", sku_id="HOTPOT-001", delta=-1,
        reason=pb.ADJUSTMENT_REASON_DAMAGE))
    await inventory.ReleaseReservation(pb.ReleaseReservationRequest(
        request_id="x1", reservation_id=held.reservation.reservation_id))
    with pytest.raises(CountsLoadedBefore) as afresh:  # would put the damaged unit back
        await load_chain(engine, folder, "load-3", dry_run=True)
    assert (afresh.value.earlier.request_id, afresh.value.finished) == ("load-2", False)
    resumed = await load_chain(engine, folder, "load-2", resume=True)
    assert (resumed.counts, resumed.counted_before, resumed.entries) == (3, 2, 1)
    assert [await stock_of(engine, *key) for key in (
        ("CQ-S001", "HOTPOT-001"), ("CQ-S001", "TEA-002"), ("CQ-W01", "HOTPOT-001"))] == [
        (39, 0, 4), (5, 0, 0), (500, 0, 0)]
    counts = [m[:2] for m in await movements(engine) if m[3] == "CYCLE_COUNT" and m[6] == "load-2"]
    assert counts == [("CQ-S001", "HOTPOT-001"), ("CQ-S001", "TEA-002"), ("CQ-W01", "HOTPOT-001")]
    await assert_ledger_consistent(engine)


async def how_far(engine, request_id: str) -> tuple | None:
    async with engine.connect() as conn:
        row = (await conn.execute(text(
            "SELECT last_location_id, last_sku_id, shelves FROM stock_count_loads "
            "WHERE request_id = :r"), {"r": request_id})).first()
    return None if row is None else tuple(row)


async def test_a_load_killed_partway_is_resumed_from_the_last_shelf_it_counted(
        engine, monkeypatch, tmp_path):
    """The database connection dies (terminated by the server) between two parts: each part
    noted how far the load had got in its own transaction, and the resumed load starts
    after that."""
    await load(engine, chain_folder(tmp_path / "catalogue", locations=LOCATIONS, skus=SKUS))
    folder = chain_folder(tmp_path / "cq", stock_counts=COUNTS)
    apply_stock_counts, parts = handlers.apply_stock_counts, []

    async def dies_before_the_second_part(conn, counts, **kwargs):
        if parts:
            await conn.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
        parts.append([count.key for count in counts])
        return await apply_stock_counts(conn, counts, **kwargs)

    monkeypatch.setattr(handlers, "apply_stock_counts", dies_before_the_second_part)
    with pytest.raises(LoadInterrupted) as interrupted:
        await load_chain(engine, folder, "load-2", shelves_per_transaction=1)
    assert interrupted.value.shelves == 1
    monkeypatch.setattr(handlers, "apply_stock_counts", apply_stock_counts)
    assert parts == [[("CQ-S001", "HOTPOT-001")]]  # TEA-002 matches its count: not written
    assert await stock_of(engine, "CQ-W01", "HOTPOT-001") == (0, 0, 0)
    assert await how_far(engine, "load-2") == ("CQ-S001", "HOTPOT-001", 1)
    resumed = await load_chain(engine, folder, "load-2", resume=True)
    assert (resumed.counted_before, resumed.entries) == (1, 1)
    assert await stock_of(engine, "CQ-W01", "HOTPOT-001") == (500, 0, 0)
    assert await how_far(engine, "load-2") == ("CQ-W01", "HOTPOT-001", 2)
    written = [m[:3] for m in await movements(engine) if m[6] == "load-2"]
    assert written == [("CQ-S001", "HOTPOT-001", "ADJUSTMENT"),
                       ("CQ-S001", "HOTPOT-001", "SAFETY_STOCK"),
                       ("CQ-W01", "HOTPOT-001", "ADJUSTMENT")]
    await assert_ledger_consistent(engine)


async def stopped_after(engine, folder: Path, request_id: str, shelves: int) -> None:
    """A load of ``folder`` that stopped once it had counted its first ``shelves`` shelves."""
    async with engine.connect() as conn:
        plan = await plan_load(conn, folder)
    await write_plan(engine, replace(plan, counts=plan.counts[:shelves],
                                     through=plan.counts[shelves - 1][1].key), request_id)


async def test_a_resumed_load_stopped_in_its_first_part_can_be_resumed_again(
        engine, monkeypatch, tmp_path):
    """The shelves a stopped load counted stay counted whatever stops the load resuming it:
    that one stopping before it counted a shelf of its own must still say "resume", never
    "load the folder again", which would count those shelves again."""
    await load(engine, chain_folder(tmp_path / "catalogue", locations=LOCATIONS, skus=SKUS))
    folder = chain_folder(tmp_path / "cq", stock_counts=COUNTS)
    await stopped_after(engine, folder, "load-2", shelves=1)

    async def dies(conn, counts, **kwargs):
        await conn.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))

    monkeypatch.setattr(handlers, "apply_stock_counts", dies)
    with pytest.raises(LoadInterrupted) as interrupted:
        await load_chain(engine, folder, "load-2", resume=True)
    assert interrupted.value.shelves == 1
    assert await how_far(engine, "load-2") == ("CQ-S001", "HOTPOT-001", 1)


async def damage_one(engine, location_id: str, sku_id: str, request_id: str) -> None:
    """A unit written off: the shelf moves on after it was counted."""
    async with engine.begin() as conn:
        await adjust_stock(conn, AdjustCommand(request_id, location_id, sku_id, -1, None,
                                               AdjustmentReason.DAMAGE, ""))


async def test_a_load_resumed_twice_at_once_counts_no_shelf_twice_nor_undoes_what_sold_between(
        engine, tmp_path):
    """A night job retried while its first try still runs: both resume the same stopped load
    and plan the same shelves. The first to write counts them; a unit is written off; the
    second then stops before its first part, which would have counted the shelf again and
    put the unit back."""
    await load(engine, chain_folder(tmp_path / "catalogue", locations=LOCATIONS, skus=SKUS))
    folder = chain_folder(tmp_path / "cq", stock_counts=COUNTS)
    await stopped_after(engine, folder, "load-2", shelves=1)
    async with engine.connect() as conn:
        second = await plan_load(conn, folder, resuming=Resuming(("CQ-S001", "HOTPOT-001"), 1))
    first = await load_chain(engine, folder, "load-2", resume=True)
    assert (first.counted_before, first.entries) == (1, 1)
    await damage_one(engine, "CQ-W01", "HOTPOT-001", "damaged-1")
    with pytest.raises(CountedByAnotherRun) as stopped:
        await write_plan(engine, second, "load-2")
    assert stopped.value.shelves == 1  # by the run stopped first: resumable still
    assert await stock_of(engine, "CQ-W01", "HOTPOT-001") == (499, 0, 0)
    assert await how_far(engine, "load-2") == ("CQ-W01", "HOTPOT-001", 2)
    counted = [m[:2] for m in await movements(engine) if m[3] == "CYCLE_COUNT"]
    assert counted == [("CQ-S001", "HOTPOT-001"), ("CQ-W01", "HOTPOT-001")]
    await assert_ledger_consistent(engine)


async def test_a_fresh_load_under_a_request_id_already_counting_writes_no_shelf(
        engine, tmp_path):
    await load(engine, chain_folder(tmp_path / "catalogue", locations=LOCATIONS, skus=SKUS))
    folder = chain_folder(tmp_path / "cq", stock_counts=COUNTS)
    assert (await load_chain(engine, folder, "load-2")).entries == 3
    await damage_one(engine, "CQ-S001", "HOTPOT-001", "damaged-1")
    before = await movements(engine)
    with pytest.raises(CountedByAnotherRun) as stopped:  # (recount: past the digest's check)
        await load_chain(engine, folder, "load-2", recount=True)
    assert stopped.value.shelves == 0
    assert await movements(engine) == before
    assert await stock_of(engine, "CQ-S001", "HOTPOT-001") == (39, 0, 4)


async def a_store_counted_at_100_and_a_recount_at_50(engine, tmp_path: Path,
                                                     shelves: int) -> Path:
    """CQ-S001 stocking SKUs K000, K001, ..., each counted at 100 units; the folder returned
    counts them all at 50."""
    skus = "sku_id,name,price_minor\n" + "".join(f"K{i:03},Item {i},100\n"
                                                 for i in range(shelves))

    def counted_at(units: int) -> str:
        return "location_id,sku_id,on_hand\n" + "".join(f"CQ-S001,K{i:03},{units}\n"
                                                        for i in range(shelves))

    await load(engine, chain_folder(tmp_path / "catalogue", locations=LOCATIONS, skus=skus,
                                    stock_counts=counted_at(100)))
    return chain_folder(tmp_path / "cq", stock_counts=counted_at(50))


@contextlib.asynccontextmanager
async def a_till_writing_off_units(engine, shelves: int):
    """While the body runs, a till writes off a unit of one shelf after another, at most 10 a
    shelf: below any count."""
    selling = True

    async def till() -> None:
        sold = 0
        while selling and sold < 10 * shelves:
            await damage_one(engine, "CQ-S001", f"K{sold % shelves:03}", f"damaged-{sold}")
            sold += 1
            await asyncio.sleep(0)

    seller = asyncio.create_task(till())
    try:
        yield
    finally:
        selling = False
        await seller


async def test_two_resumes_racing_while_the_tills_sell_count_each_shelf_once(engine, tmp_path):
    """The same stopped load resumed by two processes at once, 60 shelves 4 to a part, while
    a till writes off units of counted shelves: each shelf gets one count, and every unit
    written off after its shelf's count stays written off (the ledger replays to the stock)."""
    folder = await a_store_counted_at_100_and_a_recount_at_50(engine, tmp_path, shelves=60)
    await stopped_after(engine, folder, "load-2", shelves=4)
    async with a_till_writing_off_units(engine, shelves=60):
        runs = await asyncio.gather(*(load_chain(engine, folder, "load-2", resume=True,
                                                 shelves_per_transaction=4) for _ in range(2)),
                                    return_exceptions=True)
    assert not [r for r in runs if isinstance(r, BaseException)
                and not isinstance(r, CountedByAnotherRun)], runs
    counted = [m[1] for m in await movements(engine) if m[3] == "CYCLE_COUNT" and m[6] == "load-2"]
    assert sorted(counted) == [f"K{i:03}" for i in range(60)]
    assert await how_far(engine, "load-2") == ("CQ-S001", "K059", 60)
    await assert_ledger_consistent(engine)


async def test_two_fresh_loads_of_one_file_at_once_count_each_shelf_once(engine, tmp_path):
    """A night job retried while its first try runs: two fresh loads, each with its own
    request id, both checked the counts before either wrote. They take turns at their first
    part; the second finds the first began counting, and stops before counting a shelf,
    while a till writes off units of shelves already counted."""
    folder = await a_store_counted_at_100_and_a_recount_at_50(engine, tmp_path, shelves=40)
    async with engine.connect() as conn:
        plans = [await plan_load(conn, folder) for _ in range(2)]
    async with a_till_writing_off_units(engine, shelves=40):
        runs = await asyncio.gather(*(write_plan(engine, plan, f"load-{n}",
                                                 shelves_per_transaction=4)
                                      for n, plan in enumerate(plans, start=2)),
                                    return_exceptions=True)
    stopped = [r for r in runs if isinstance(r, CountsLoadedMeanwhile)]
    assert len(stopped) == 1 and [r for r in runs if isinstance(r, int)], runs
    counted = [m[1] for m in await movements(engine)
               if m[3] == "CYCLE_COUNT" and m[6] in ("load-2", "load-3")]
    assert sorted(counted) == [f"K{i:03}" for i in range(40)]
    await assert_ledger_consistent(engine)


def test_two_loads_started_in_the_same_second_get_different_request_ids():
    now = datetime(2026, 11, 23, 7, 41, 54, tzinfo=UTC)
    ids = {new_request_id("load", now) for _ in range(50)}
    assert len(ids) == 50
    assert all(REQUEST_ID.fullmatch(i) and i.startswith("load-20261123T074154Z-") for i in ids)
    assert REQUEST_ID.fullmatch("load-20261123T074154Z")  # a load stopped before the change


def what_the_command_says(monkeypatch, capsys, folder: Path, error: BaseException,
                          **options) -> tuple[int, str]:
    """The exit code and stderr of `onestock load` when the load raises ``error``."""
    async def raising(*args, **kwargs):
        raise error

    monkeypatch.setattr("services.inventory.load.load_chain", raising)
    code = run("postgresql+asyncpg://nobody@/nothing", str(folder), progress=False, **options)
    return code, capsys.readouterr().err


def refused_at_line_7(folder: Path, shelves: int) -> PartlyLoaded:
    return PartlyLoaded(folder / "stock_counts.csv", 7, "on_hand would be 2 at S/K, below the "
                        "3 units reserved", shelves=shelves)


def test_a_load_stopped_partway_says_what_is_loaded_and_how_to_finish(
        monkeypatch, capsys, tmp_path):
    assert what_the_command_says(monkeypatch, capsys, tmp_path, refused_at_line_7(tmp_path, 5000),
                                 resume="load-20261123T074154Z") == (2, (
        f"onestock load: {tmp_path}/stock_counts.csv:7: on_hand: on_hand would be 2 at S/K, "
        "below the 3 units reserved (reserved while the load was writing; the catalogue and "
        "5,000 shelves counted before it are loaded: release the units or fix the count, "
        f"then `onestock load --resume load-20261123T074154Z {tmp_path}` counts the rest)\n"))


def test_a_load_stopped_in_its_first_part_says_to_load_again_not_to_resume(
        monkeypatch, capsys, tmp_path):
    """--resume refuses a load that counted no shelf, so the message must not offer it."""
    assert what_the_command_says(monkeypatch, capsys, tmp_path,
                                 refused_at_line_7(tmp_path, 0)) == (2, (
        f"onestock load: {tmp_path}/stock_counts.csv:7: on_hand: on_hand would be 2 at S/K, "
        "below the 3 units reserved (reserved while the load was writing; no shelf was "
        "counted: release the units or fix the count, then load the folder again)\n"))


@pytest.mark.parametrize(("shelves", "then"), [
    (5000, "the catalogue and 5,000 shelves counted before it are loaded: once it answers, "
           "`onestock load --resume load-20261123T074154Z {folder}` counts the rest"),
    (0, "no shelf was counted: once it answers, load the folder again"),
])
def test_a_load_whose_database_stops_answering_says_what_is_loaded_and_how_to_finish(
        monkeypatch, capsys, tmp_path, shelves, then):
    interrupted = LoadInterrupted(shelves)
    interrupted.__cause__ = ConnectionResetError("Connection reset by peer\n(more)")
    assert what_the_command_says(monkeypatch, capsys, tmp_path, interrupted,
                                 resume="load-20261123T074154Z") == (1, (
        "onestock load: the database stopped answering while the load was writing "
        f"(ConnectionResetError: Connection reset by peer); {then.format(folder=tmp_path)}\n"))


def test_a_load_whose_database_stops_answering_before_it_writes_says_nothing_was_loaded(
        monkeypatch, capsys, tmp_path):
    assert what_the_command_says(monkeypatch, capsys, tmp_path,
                                 ConnectionRefusedError("Connect call failed")) == (1, (
        "onestock load: the database stopped answering (ConnectionRefusedError: Connect call "
        "failed) (nothing was loaded)\n"))


async def test_a_dry_run_waits_for_no_lock_and_takes_none(engine, tmp_path):
    await load(engine, chain_folder(tmp_path / "catalogue", locations=LOCATIONS, skus=SKUS))
    await load(engine, chain_folder(tmp_path / "cq", stock_counts=COUNTS))
    recount = chain_folder(tmp_path / "recount", stock_counts=COUNTS.replace(",40,", ",35,"))
    async with engine.connect() as holding:
        await holding.begin()
        await holding.execute(text("SELECT 1 FROM stock_levels FOR UPDATE"))  # every shelf
        checked = await asyncio.wait_for(
            load_chain(engine, recount, "load-3", dry_run=True), timeout=30)
        await holding.rollback()
    assert (checked.counts, checked.entries) == (3, 1)
    assert await stock_of(engine, "CQ-S001", "HOTPOT-001") == (40, 0, 4)


async def test_a_count_below_the_units_reserved_stops_the_whole_load_naming_its_line(
        engine, channel, tmp_path):
    inventory = pb_grpc.InventoryServiceStub(channel)
    await seed(inventory, [store("SH-1", 31.23, 121.47)], [sku("LAMP")], stock={("SH-1", "LAMP"): 5})
    await inventory.ReserveStock(pb.ReserveStockRequest(
        request_id="r1", channel=pb.CHANNEL_MINI_PROGRAM, reference="order-1",
        lines=[line("SH-1", "LAMP", 3)]))
    before = await table_counts(engine)
    folder = chain_folder(tmp_path / "cq", locations=LOCATIONS, skus=SKUS, stock_counts=(
        COUNTS + "SH-1,LAMP,2,\n"))  # the counted shelf holds fewer than the 3 units held
    with pytest.raises(InputError) as refused:
        await load(engine, folder)
    assert (refused.value.path, refused.value.line, refused.value.field) == (
        str(folder / "stock_counts.csv"), 5, "on_hand")
    assert "on_hand would be 2 at SH-1/LAMP, below the 3 units reserved" in str(refused.value)
    assert await table_counts(engine) == before  # not even the new locations and SKUs
    await assert_ledger_consistent(engine)


async def test_a_file_of_prices_alone_changes_prices_alone(engine, channel, tmp_path):
    """A column the file leaves out keeps each row's value; an empty cell in a column it has
    sets the default (no dealer), and a new row gets the defaults."""
    await load(engine, chain_folder(tmp_path / "cq", locations=LOCATIONS, skus=SKUS))
    await load(engine, chain_folder(
        tmp_path / "erp", skus="sku_id,price_minor\nHOTPOT-001,4200\nNEW-1,100\n",
        locations="location_id,kind,latitude,longitude,city,dealer_id\n"
                  "CQ-S001,STORE,29.5630,106.5516,Chongqing,\n"), "load-2")

    inventory = pb_grpc.InventoryServiceStub(channel)
    shop = (await inventory.GetLocation(pb.GetLocationRequest(location_id="CQ-S001"))).location
    assert (shop.name, shop.capabilities.pickup, shop.capabilities.same_city_delivery,
            shop.delivery_radius_km, shop.dealer_id) == ("Guanyinqiao", True, True, 5.0, "")
    assert [(h.open_minute, h.close_minute) for h in shop.opening_hours] == [(540, 1290)]
    skus = {s.sku_id: s for s in (await inventory.ListSkus(pb.ListSkusRequest())).skus}
    assert (skus["HOTPOT-001"].name, skus["HOTPOT-001"].price_minor, skus["HOTPOT-001"].spec,
            skus["HOTPOT-001"].currency) == ("Hotpot base", 4200, "400 g", "CNY")
    assert (skus["NEW-1"].name, skus["NEW-1"].price_minor, skus["TEA-002"].price_minor) == (
        "NEW-1", 100, 2500)


async def test_a_sale_status_column_takes_skus_off_sale_and_a_file_without_it_keeps_theirs(
        engine, channel, tmp_path):
    await load(engine, chain_folder(
        tmp_path / "cq", locations=LOCATIONS,
        skus="sku_id,name,price_minor,sale_status\nHOTPOT-001,Hotpot base,3900,stores_only\n"
             "TEA-002,Jasmine tea,2500,\n"))
    await load(engine, chain_folder(tmp_path / "erp", skus="sku_id,price_minor\nHOTPOT-001,4200\n"),
               "load-2")
    inventory = pb_grpc.InventoryServiceStub(channel)
    skus = {s.sku_id: s for s in (await inventory.ListSkus(pb.ListSkusRequest())).skus}
    assert (skus["HOTPOT-001"].price_minor, skus["HOTPOT-001"].sale_status) == (
        4200, pb.SALE_STATUS_STORES_ONLY)
    assert skus["TEA-002"].sale_status == pb.SALE_STATUS_ON_SALE  # empty: the default


@pytest.mark.parametrize(("files", "where", "problem"), [
    ({"stock_counts": COUNTS}, "stock_counts.csv:2: location_id",
     "unknown location 'CQ-S001'"),
    ({"locations": LOCATIONS, "skus": SKUS, "stock_counts": COUNTS + "CQ-S001,TEA-002,1,\n"},
     "stock_counts.csv:5: sku_id", "CQ-S001/TEA-002 is counted twice (first on line 4)"),
    ({"locations": LOCATIONS, "skus": SKUS, "stock_counts": COUNTS + "CQ-W01,TEA-002,-1,\n"},
     "stock_counts.csv:5: on_hand", "'-1' must be a whole number from 0 to 1000000000"),
    ({"locations": LOCATIONS.replace("29.5630", "95.0")}, "locations.csv:2: latitude",
     "must be between -90 and 90"),
    ({"skus": SKUS + "TEA-002,Green tea,2400,\n"}, "skus.csv: sku_id", "'TEA-002' appears twice"),
    ({"skus": SKUS.replace("Jasmine tea", "J" * 201)}, "skus.csv:3: name",
     "must be at most 200 characters"),
    ({"stock": "location_id,sku_id,units\n"}, "cq: files", "no locations, skus or stock_counts"),
    ({"skus": "sku_id,sale_status\nTEA-002,SOLD_OUT\n"}, "skus.csv:2: sale_status",
     "'SOLD_OUT' must be one of ON_SALE, STORES_ONLY, HALTED"),
])
async def test_a_bad_row_is_named_by_file_line_and_field_and_nothing_is_written(
        engine, tmp_path, files, where, problem):
    folder = chain_folder(tmp_path / "cq", **files)
    before = await table_counts(engine)
    with pytest.raises(InputError) as refused:
        await load(engine, folder)
    assert f"{where}: {problem}" in str(refused.value)
    assert await table_counts(engine) == before


async def test_the_command_says_what_it_loaded_or_names_the_bad_row_and_exits_2(
        database_url, tmp_path):
    env = await asyncio.to_thread(own_database_env, database_url)  # no server: no key needed
    await migrated(env)
    folder = chain_folder(tmp_path / "cq", locations=LOCATIONS, skus=SKUS, stock_counts=COUNTS)
    checked = await asyncio.to_thread(onestock, env, "load", "--dry-run", str(folder))
    assert checked.returncode == 0, checked.stderr
    summary = ("2 locations (2 new, 0 changed), 2 SKUs (2 new, 0 changed), 3 stock counts; "
               "3 ledger entries")
    assert f"would load {folder}: {summary} (dry run: nothing was written)" in checked.stdout
    async with engine_of(env) as engine:
        assert set((await table_counts(engine)).values()) == {0}
    done = await asyncio.to_thread(onestock, env, "load", str(folder))
    assert done.returncode == 0, done.stderr
    assert f"loaded {folder}: {summary} (request_id load-" in done.stdout
    assert "stock counts" not in done.stderr  # no progress bars in a pipe, a night job's log
    request_id = re.search(r"request_id (load-\S+)\)", done.stdout).group(1)
    assert (f"onestock load: counting 2 shelves as {request_id}; should it stop partway, "
            f"`onestock load --resume {request_id} {folder}` counts the rest") in done.stderr
    resumed = await asyncio.to_thread(onestock, env, "load", "--resume", request_id, str(folder))
    assert resumed.returncode == 0, resumed.stderr
    assert (f"3 stock counts (3 counted before by the load resumed); 0 ledger entries "
            f"(request_id {request_id})") in resumed.stdout
    mistyped = await asyncio.to_thread(onestock, env, "load", "--resume", "load-2", str(folder))
    assert mistyped.returncode == 2
    assert "onestock load: --resume: 'load-2' is not a load's request id" in mistyped.stderr
    unknown = await asyncio.to_thread(onestock, env, "load", "--resume", "load-20000101T000000Z",
                                      str(folder))
    assert unknown.returncode == 2
    assert ("onestock load: --resume: load-20000101T000000Z has counted no shelf (it stopped "
            "before its first part was written, or never ran): load the folder without "
            "--resume (nothing was loaded)") in unknown.stderr
    async with engine_of(env) as engine:
        await damage_one(engine, "CQ-S001", "HOTPOT-001", "damaged-1")
    stale = await asyncio.to_thread(onestock, env, "load", str(folder))
    assert stale.returncode == 2
    assert (f"onestock load: {folder}/stock_counts.csv: these counts were loaded before, as "
            f"{request_id} (by cli:{getpass.getuser()}, ") in stale.stderr
    assert ("1 shelf counted then has changed since: loading them again would set it back to "
            "the counts, undoing what sold or arrived since (nothing was loaded; to count "
            "those shelves again all the same, add --recount; to load the other files alone, "
            "move the stock_counts file away)") in stale.stderr
    recounted = await asyncio.to_thread(onestock, env, "load", "--recount", str(folder))
    assert recounted.returncode == 0, recounted.stderr
    assert "; 1 ledger entry (request_id load-" in recounted.stdout
    both = await asyncio.to_thread(onestock, env, "load", "--recount", "--resume", request_id,
                                   str(folder))
    assert both.returncode == 2
    assert "argument --resume: not allowed with argument --recount" in both.stderr
    (folder / "stock_counts.csv").write_text(COUNTS + "CQ-W01,GOLD,1,\n", encoding="utf-8")
    refused = await asyncio.to_thread(onestock, env, "load", str(folder))
    assert refused.returncode == 2
    assert (f"onestock load: {folder}/stock_counts.csv:5: sku_id: unknown SKU 'GOLD' "
            "(nothing was loaded)") in refused.stderr
    async with engine_of(env) as engine:
        assert await stock_of(engine, "CQ-S001", "HOTPOT-001") == (40, 0, 4)
        async with engine.connect() as conn:  # the ledger names who ran the command
            actors = (await conn.execute(text(
                "SELECT DISTINCT actor FROM stock_movements WHERE request_id LIKE 'load-%'"))).all()
    assert actors == [(f"cli:{getpass.getuser()}",)]


def counted_by(request_id: str) -> CountsLoad:
    return CountsLoad(request_id, ("S", "K"), 5000, "cli:ops",
                      datetime(2026, 11, 22, 23, 5, 41, tzinfo=UTC))


def test_a_load_of_counts_loaded_before_says_who_loaded_them_and_how_to_count_again(
        monkeypatch, capsys, tmp_path):
    refused = CountsLoadedBefore(tmp_path / "stock_counts.csv", counted_by("load-1"), 1,
                                 finished=True)
    assert what_the_command_says(monkeypatch, capsys, tmp_path, refused) == (2, (
        f"onestock load: {tmp_path}/stock_counts.csv: these counts were loaded before, as "
        "load-1 (by cli:ops, 2026-11-22 23:05 UTC), and 1 shelf counted then has changed "
        "since: loading them again would set it back to the counts, undoing what sold or "
        "arrived since (nothing was loaded; to count those shelves again all the same, add "
        "--recount; to load the other files alone, move the stock_counts file away)\n"))


def test_a_load_beside_an_unfinished_one_of_the_same_counts_says_to_resume_that_one(
        monkeypatch, capsys, tmp_path):
    refused = CountsLoadedBefore(tmp_path / "stock_counts.csv",
                                 counted_by("load-20261122T230541Z-3f9a1c"), 2, finished=False)
    assert what_the_command_says(monkeypatch, capsys, tmp_path, refused) == (2, (
        f"onestock load: {tmp_path}/stock_counts.csv: these counts are being loaded as "
        "load-20261122T230541Z-3f9a1c (by cli:ops, its last part written 2026-11-22 23:05 UTC), "
        "or were until it stopped partway: a second load of them would count its shelves "
        "again, undoing what sold in between (nothing was loaded; if it has stopped, "
        f"`onestock load --resume load-20261122T230541Z-3f9a1c {tmp_path}` counts the rest)\n"))


def test_a_load_overtaken_by_a_load_of_the_same_counts_says_it_counted_no_shelf(
        monkeypatch, capsys, tmp_path):
    assert what_the_command_says(monkeypatch, capsys, tmp_path,
                                 CountsLoadedMeanwhile("load-20261122T230541Z-3f9a1c")) == (2, (
        "onestock load: another load of these counts, load-20261122T230541Z-3f9a1c, began "
        "counting them while this one was checking them: this one stopped before counting a "
        "shelf, so that none is counted twice (the catalogue rows it found different are "
        "loaded)\n"))


def test_a_load_overtaken_by_another_run_says_the_other_counts_the_rest(
        monkeypatch, capsys, tmp_path):
    assert what_the_command_says(monkeypatch, capsys, tmp_path, CountedByAnotherRun(5000),
                                 resume="load-20261123T074154Z-3f9a1c") == (2, (
        "onestock load: another run of load-20261123T074154Z-3f9a1c is counting these shelves "
        "(the load resumed twice at once?): this one stopped, with 5,000 shelves counted, so "
        "that none is counted twice; the other counts the rest, and should it stop too, "
        f"`onestock load --resume load-20261123T074154Z-3f9a1c {tmp_path}` does\n"))
