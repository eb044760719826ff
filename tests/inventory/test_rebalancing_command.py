"""`onestock rebalance`: transfers suggested from the live shelves and the last days' sales,
written for head office to review; nothing moves."""

import asyncio
import csv
import os
import re
from datetime import timedelta

from onestock.inventory.v1 import inventory_service_pb2 as inv
from onestock.inventory.v1 import inventory_service_pb2_grpc as inv_grpc
from onestock.orders.v1 import order_service_pb2 as ords
from onestock.orders.v1 import order_service_pb2_grpc as ords_grpc
from sqlalchemy import text

from services.common.input_files import write_csv
from services.inventory.rebalance_command import COLUMNS
from tests.helpers import free_port, seed, sku, stock_of, store, table_counts
from tests.test_cli_and_server import onestock


def read_csv(path):
    with path.open(newline="") as written:
        return list(csv.reader(written))


async def till_sale(channel, request_id, location_id, units, price_minor=1_000):
    await ords_grpc.OrderServiceStub(channel).CreateOrder(ords.CreateOrderRequest(
        request_id=request_id, channel=ords.CHANNEL_POS,
        lines=[ords.OrderLineInput(sku_id=s, quantity=q, unit_price_minor=price_minor)
               for s, q in units.items()],
        fulfilment=ords.FulfilmentRequest(method=ords.FULFILMENT_METHOD_IN_STORE,
                                          location_id=location_id)))


def write_rows(path, rows):
    """``rows`` (a header first) as a CSV file, as the command writes one; its name."""
    write_csv(path, tuple(rows[0]), rows[1:])
    return str(path)


async def transfers_in(engine):
    async with engine.connect() as conn:
        return (await conn.execute(text(
            "SELECT source_location_id, destination_location_id, lines, state, note, created_by "
            "FROM stock_transfers ORDER BY create_time"))).all()


def warehouse(location_id, lat, lng, city="Shanghai", **kw):
    return inv.Location(location_id=location_id, name=location_id,
                        kind=inv.LOCATION_KIND_WAREHOUSE, latitude=lat, longitude=lng, city=city,
                        capabilities=inv.Capabilities(transfer_source=True), **kw)


async def test_a_store_that_sold_out_is_offered_units_from_its_own_citys_and_owners_source(
        channel, engine, database_url, tmp_path):
    """A sold 4 lamps at the till in the last fortnight and has 1 left: a week's cover wants
    2, so 1 should come, from the company warehouse W. The dealer's warehouse and the one in
    Hangzhou hold more, nearer, but are not A's to draw on."""
    inventory = inv_grpc.InventoryServiceStub(channel)
    await seed(inventory,
               [store("A", 31.2300, 121.4700), warehouse("W", 31.2800, 121.4700),
                warehouse("DW", 31.2310, 121.4700, dealer_id="DEALER-1"),
                warehouse("HZ", 31.2320, 121.4700, city="Hangzhou")],
               [sku("LAMP", 10_000)],
               stock={("A", "LAMP"): 5, ("W", "LAMP"): 10, ("DW", "LAMP"): 50,
                      ("HZ", "LAMP"): 50})
    await till_sale(channel, "till-1", "A", {"LAMP": 4}, price_minor=10_000)
    before = await table_counts(engine)
    env = {**os.environ, "DATABASE_URL": database_url}
    said = await asyncio.to_thread(onestock, env, "rebalance", "--days", "14",
                                   str(tmp_path / "moves.csv"))
    assert said.returncode == 0, said.stderr
    assert said.stdout == (f"wrote 1 suggested transfers (1 units of 1 SKUs into 1 stores) to "
                           f"{tmp_path / 'moves.csv'}, from 14 days of sales: nothing was moved\n")
    [header, [*move, request_id]] = read_csv(tmp_path / "moves.csv")
    assert (header, move) == (list(COLUMNS), [
        "LAMP", "W", "A", "Shanghai", "1", "5.56", "3.5", "7.0"])
    assert re.fullmatch(r"rebalance-\d{8}T\d{6}Z-[0-9a-f]{6}-1", request_id)
    assert await table_counts(engine) == before
    assert await stock_of(engine, "W", "LAMP") == (10, 0, 0)

    for city, rows in (("Hangzhou", 0), ("Shanghai", 1)):  # a city at a time, the same moves
        said = await asyncio.to_thread(onestock, env, "rebalance", "--days", "14", "--city",
                                       city, str(tmp_path / f"{city}.csv"))
        assert said.returncode == 0, said.stderr
        assert len((tmp_path / f"{city}.csv").read_text().splitlines()) == 1 + rows
    assert ([row[:-1] for row in read_csv(tmp_path / "Shanghai.csv")]
            == [row[:-1] for row in read_csv(tmp_path / "moves.csv")])

    said = await asyncio.to_thread(onestock, env, "rebalance", "--cover-days", "30",
                                   str(tmp_path / "x.csv"))
    assert said.returncode == 2
    assert "--surplus-days: must be more than --cover-days" in said.stderr
    assert not (tmp_path / "x.csv").exists()


async def test_the_moves_kept_become_transfers_once_however_often_the_file_is_run(
        channel, engine, database_url, tmp_path):
    """A sold 4 lamps and 2 milk at the till this week, B 3 lamps: the warehouse W should send
    A 3 and 2, B 3. Head office keeps A's moves only: one transfer, held at W. Running the file
    again creates nothing; the next suggestions count A's units as on their way; a file whose
    units were changed after the transfer was made is refused, not made a second time."""
    inventory = inv_grpc.InventoryServiceStub(channel)
    await seed(inventory, [store("A", 31.2300, 121.4700), store("B", 31.2400, 121.4700),
                           warehouse("W", 31.2800, 121.4700)],
               [sku("LAMP"), sku("MILK")],
               stock={("A", "LAMP"): 5, ("A", "MILK"): 2, ("B", "LAMP"): 3,
                      ("W", "LAMP"): 100, ("W", "MILK"): 100})
    await till_sale(channel, "till-a", "A", {"LAMP": 4, "MILK": 2})
    await till_sale(channel, "till-b", "B", {"LAMP": 3})
    env = {**os.environ, "DATABASE_URL": database_url}
    week = ("rebalance", "--days", "7", "--cover-days", "7")
    said = await asyncio.to_thread(onestock, env, *week, str(tmp_path / "moves.csv"))
    assert said.returncode == 0, said.stderr
    header, *moves = read_csv(tmp_path / "moves.csv")
    pick = [header.index(c) for c in ("sku_id", "source_location_id",
                                      "destination_location_id", "units")]
    assert [[row[i] for i in pick] for row in moves] == [
        ["LAMP", "W", "A", "3"], ["LAMP", "W", "B", "3"], ["MILK", "W", "A", "2"]]
    to_a = moves[0][-1]
    assert moves[2][-1] == to_a != moves[1][-1]  # one transfer per source and destination

    kept = write_rows(tmp_path / "kept.csv",
                      [header, *(row for row in moves if row[2] == "A")])
    said = await asyncio.to_thread(onestock, env, "create-transfers", "--note", "week 48", kept)
    assert said.returncode == 0, said.stderr
    assert f"{to_a} (W -> A, 5 units of 2 SKUs): created, transfer " in said.stdout
    assert said.stdout.endswith(
        f"{kept}: 1 stock transfers created, 0 created by an earlier run, 0 refused\n")
    [made] = await transfers_in(engine)
    assert made[:5] == ("W", "A", [["LAMP", 3, 0], ["MILK", 2, 0]], "REQUESTED", "week 48")
    assert made.created_by.startswith("cli:")
    assert [await stock_of(engine, "W", s) for s in ("LAMP", "MILK")] == [(100, 3, 0),
                                                                          (100, 2, 0)]
    before = await table_counts(engine)

    said = await asyncio.to_thread(onestock, env, "create-transfers", "--note", "week 48", kept)
    assert said.returncode == 0, said.stderr
    assert f"{to_a} (W -> A, 5 units of 2 SKUs): created by an earlier run" in said.stdout
    assert said.stdout.endswith("0 stock transfers created, 1 created by an earlier run, "
                                "0 refused\n")
    assert await table_counts(engine) == before

    said = await asyncio.to_thread(onestock, env, *week, str(tmp_path / "next.csv"))
    assert [row[:5] for row in read_csv(tmp_path / "next.csv")[1:]] == [
        ["LAMP", "W", "B", "Shanghai", "3"]]  # A's are on their way

    lamp, milk = read_csv(tmp_path / "kept.csv")[1:]
    lamp[4] = "4"  # one more lamp after the transfer was made
    more = write_rows(tmp_path / "more.csv", [header, lamp, milk])
    said = await asyncio.to_thread(onestock, env, "create-transfers", "--note", "week 48", more)
    assert said.returncode == 1
    assert f"{more}:2: {to_a} (W -> A, 6 units of 2 SKUs): refused, REQUEST_ID_REUSED" in (
        said.stderr)
    assert await table_counts(engine) == before

    await inventory.UpsertSkus(inv.UpsertSkusRequest(request_id="halt", skus=[
        inv.Sku(sku_id="LAMP", name="Lamp", price_minor=1_000, currency="CNY",
                sale_status=inv.SALE_STATUS_HALTED)]))
    said = await asyncio.to_thread(onestock, env, *week, str(tmp_path / "halted.csv"))
    assert said.returncode == 0, said.stderr
    assert read_csv(tmp_path / "halted.csv")[1:] == []  # 停售: lamps stay where they are


async def test_a_transfer_the_source_cannot_hold_is_refused_the_rest_created_a_bad_file_none(
        channel, engine, database_url, tmp_path):
    inventory = inv_grpc.InventoryServiceStub(channel)
    await seed(inventory, [store("A", 31.2300, 121.4700), store("B", 31.2400, 121.4700),
                           warehouse("W", 31.2800, 121.4700)],
               [sku("LAMP")], stock={("W", "LAMP"): 100})
    env = {**os.environ, "DATABASE_URL": database_url}
    columns = ["request_id", "sku_id", "source_location_id", "destination_location_id", "units"]
    moves = write_rows(tmp_path / "moves.csv", [columns, ["t-1", "LAMP", "W", "A", "500"],
                                                ["t-2", "LAMP", "W", "B", "5"]])
    said = await asyncio.to_thread(onestock, env, "create-transfers", "--hold-hours", "2", moves)
    assert said.returncode == 1
    assert f"{moves}:2: t-1 (W -> A, 500 units of 1 SKUs): refused, INSUFFICIENT_STOCK" in (
        said.stderr)
    assert "t-2 (W -> B, 5 units of 1 SKUs): created, transfer" in said.stdout
    assert said.stdout.endswith("1 stock transfers created, 0 created by an earlier run, "
                                "1 refused\n")
    assert [t[:4] for t in await transfers_in(engine)] == [("W", "B", [["LAMP", 5, 0]],
                                                            "REQUESTED")]
    assert await stock_of(engine, "W", "LAMP") == (100, 5, 0)
    async with engine.connect() as conn:  # --hold-hours 2
        held_for = (await conn.execute(text(
            "SELECT hold_expire_time - create_time FROM stock_transfers"))).scalar_one()
    assert held_for == timedelta(hours=2)
    before = await table_counts(engine)

    for rows, said_where in (
            ([["t-3", "LAMP", "W", "A", "1"], ["t-4", "LAMP", "W", "A", "2.5"]],
             "bad.csv:3: units: '2.5' must be a whole number from 1 to 100000"),
            ([["t-3", "LAMP", "W", "A", "1"], ["t-3", "LAMP", "W", "B", "1"]],
             "bad.csv:3: destination_location_id: B differs from line 2's A: the rows of "
             "request_id t-3 are one transfer"),
            ([["t-3", "LAMP", "W", "A", "1"], ["t-3", "LAMP", "W", "A", "2"]],
             "bad.csv:3: sku_id: LAMP is on line 2 already, in the same transfer (t-3)"),
            ([["t-3", "LAMP", "W", "A", "1"], ["t-4", "LAMP", "A", "A", "1"]],
             "bad.csv:3: destination_location_id: must differ from source_location_id "
             "(transfer t-4)"),
            ([["", "LAMP", "W", "A", "1"]], "bad.csv:2: request_id: is required")):
        bad = write_rows(tmp_path / "bad.csv", [columns, *rows])
        said = await asyncio.to_thread(onestock, env, "create-transfers", bad)
        assert said.returncode == 2, said
        assert said.stderr == f"onestock create-transfers: {tmp_path}/{said_where} (nothing " \
                              "was created)\n"
    said = await asyncio.to_thread(onestock, env, "create-transfers", write_rows(
        tmp_path / "bad.csv", [columns[1:], ["LAMP", "W", "A", "1"]]))
    assert said.returncode == 2 and "bad.csv:1: request_id: column missing" in said.stderr
    said = await asyncio.to_thread(onestock, {**env, "ONESTOCK_MAX_TTL_S": "86400"},
                                   "create-transfers", "--hold-hours", "48", "--note", "x" * 201,
                                   moves)
    assert said.returncode == 2
    assert said.stderr == ("onestock create-transfers: --note: must be at most 200 characters; "
                           "--hold-hours: must be at most 24 (ONESTOCK_MAX_TTL_S) (nothing was "
                           "created)\n")

    nobody_there = f"postgresql://onestock@127.0.0.1:{free_port()}/onestock"
    said = await asyncio.to_thread(onestock, {**env, "DATABASE_URL": nobody_there},
                                   "create-transfers", moves)
    assert said.returncode != 0
    assert said.stderr.startswith("onestock: cannot use the database 'onestock' on 127.0.0.1")
    assert await table_counts(engine) == before


async def test_a_database_lost_partway_leaves_the_transfers_before_it_and_a_rerun_makes_the_rest(
        channel, engine, database_url, tmp_path):
    """PostgreSQL drops the command's connection while it creates the second transfer (a
    trigger ends the session, as a failover would): the first is made, the second rolled
    back with its hold, and running the same file again makes the second and the third."""
    inventory = inv_grpc.InventoryServiceStub(channel)
    await seed(inventory, [store("A", 31.2300, 121.4700), store("B", 31.2400, 121.4700),
                           store("C", 31.2500, 121.4700), warehouse("W", 31.2800, 121.4700)],
               [sku("LAMP")], stock={("W", "LAMP"): 100})
    env = {**os.environ, "DATABASE_URL": database_url}
    moves = write_rows(tmp_path / "moves.csv", [
        ["request_id", "sku_id", "source_location_id", "destination_location_id", "units"],
        ["t-1", "LAMP", "W", "A", "1"], ["t-2", "LAMP", "W", "B", "2"],
        ["t-3", "LAMP", "W", "C", "4"]])
    async with engine.begin() as conn:
        await conn.execute(text(
            "CREATE FUNCTION lose_connection() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$"))
        await conn.execute(text(
            "CREATE TRIGGER lose_connection AFTER INSERT ON stock_transfers FOR EACH ROW "
            "WHEN (NEW.destination_location_id = 'B') EXECUTE FUNCTION lose_connection()"))
    try:
        said = await asyncio.to_thread(onestock, env, "create-transfers", moves)
    finally:
        async with engine.begin() as conn:
            await conn.execute(text("DROP TRIGGER lose_connection ON stock_transfers"))
            await conn.execute(text("DROP FUNCTION lose_connection()"))
    assert said.returncode == 1, said
    assert "t-1 (W -> A, 1 units of 1 SKUs): created, transfer" in said.stdout
    # each transfer's line starts with its request id (the file's path may hold "t-2" too)
    assert [line.split()[0] for line in said.stdout.splitlines()
            if line.startswith("t-")] == ["t-1"]
    assert said.stderr.endswith("onestock create-transfers: the database stopped answering "
                                "after 1 of the file's 3 transfers: run the same file again "
                                "once it answers, to create the rest\n")
    assert [t[:2] for t in await transfers_in(engine)] == [("W", "A")]
    assert await stock_of(engine, "W", "LAMP") == (100, 1, 0)

    said = await asyncio.to_thread(onestock, env, "create-transfers", moves)
    assert said.returncode == 0, said
    assert "t-1 (W -> A, 1 units of 1 SKUs): created by an earlier run" in said.stdout
    assert said.stdout.endswith("2 stock transfers created, 1 created by an earlier run, "
                                "0 refused\n")
    assert [t[:2] for t in await transfers_in(engine)] == [("W", "A"), ("W", "B"), ("W", "C")]
    assert await stock_of(engine, "W", "LAMP") == (100, 7, 0)
