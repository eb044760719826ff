"""Batch statements of the sizes the hot paths see read only their own batch's rows, however
many the table holds, also when PostgreSQL's statistics are out of date.

Statistics taken before a burst of requests (autovacuum analyses a table at most once a
minute) make the planner think idempotency_keys is tiny. Storing a batch's responses by
joining its keys to the table then read every key of the method, a cost that grew with
every request served until autovacuum next analysed the table: in bench/reserve_hot.py,
0.33 ms of a 1.3 ms batch write with 1,286 keys stored. Naming the batch's keys in the
index condition lets the planner look them up instead (for batches of hundreds it may still
scan, believing the table tiny: docs/benchmarks.md). These tests set up stale statistics
(taken on 50 rows, then 5,000 more) and count the rows each statement reads. The CRM
relay's refusals, joined to the outbox the same way, read the whole outbox.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from services.common.idempotency import REMEMBER_SQL, driver
from services.inventory.domain import Channel, LineRequest, ReserveCommand, StockLevel
from services.inventory.reserve_batcher import WRITE_BATCH_SQL, ReservationWrite
from services.members.outbox_relay import REFUSED_SQL

ROWS_WHEN_ANALYSED = 50
ROWS_SINCE = 5_000
BATCH = [f"req-{n}" for n in range(11)]


async def _analysed_then_grown(db, table: str, insert_numbered: str) -> None:
    """``table`` analysed while it held a few rows, then thousands more; ``insert_numbered``
    inserts rows numbered 1..$2 under the prefix $1."""
    await db.execute(insert_numbered, "early-", ROWS_WHEN_ANALYSED)
    await db.execute(f"ANALYZE {table}")
    await db.execute(insert_numbered, "later-", ROWS_SINCE)


@pytest.fixture
async def stale_keys(engine):
    """Stale statistics on idempotency_keys, and the batch's keys claimed."""
    async with engine.begin() as conn:
        db = await driver(conn)
        await _analysed_then_grown(db, "idempotency_keys", (
            "INSERT INTO idempotency_keys (method, request_id, request_hash) "
            "SELECT 'ReserveStock', $1 || g, '\\x00' FROM generate_series(1, $2) AS g"))
        await db.execute(
            "INSERT INTO idempotency_keys (method, request_id, request_hash) "
            "SELECT 'ReserveStock', k, '\\x00' FROM unnest($1::text[]) AS k", BATCH)
    return engine


async def _rows_read(engine, table: str, sql: str, *args) -> int:
    """Rows the statement's plan reads from ``table``; what it wrote is rolled back."""
    async with engine.connect() as conn:
        db = await driver(conn)
        transaction = db.transaction()
        await transaction.start()
        try:
            plan = await db.fetchval("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, *args)
        finally:
            await transaction.rollback()
    if isinstance(plan, str):  # SQLAlchemy's pool connections decode json themselves
        plan = json.loads(plan)
    return sum(_rows_scanned(plan[0]["Plan"], table))


def _rows_scanned(node: dict, relation: str):
    if node.get("Relation Name") == relation and "Scan" in node["Node Type"]:
        yield node["Actual Rows"] * node["Actual Loops"]
    for child in node.get("Plans", ()):
        yield from _rows_scanned(child, relation)


async def test_remembering_responses_reads_only_the_batch_keys(stale_keys):
    responses = [b"answer"] * len(BATCH)
    read = await _rows_read(stale_keys, "idempotency_keys", REMEMBER_SQL, "ReserveStock", BATCH, responses)
    assert read <= len(BATCH), f"read {read} keys to remember {len(BATCH)} responses"


async def test_a_reservation_batch_write_reads_only_its_own_keys(stale_keys, seeded_shelf):
    location_id, sku_id = seeded_shelf
    write = ReservationWrite(datetime.now(UTC))
    for reserved, request_id in enumerate(BATCH, start=1):
        level = StockLevel(location_id, sku_id, on_hand=100, reserved=reserved)
        write.add(ReserveCommand(request_id, Channel.MINI_PROGRAM, "", (
            LineRequest(location_id, sku_id, 1),), ttl_s=600), [level])
    statement = _Recorded()
    await write.execute(statement, [level])
    read = await _rows_read(stale_keys, "idempotency_keys", WRITE_BATCH_SQL, *statement.args)
    assert read <= len(BATCH), f"read {read} keys to write a batch of {len(BATCH)}"


class _Recorded:
    """Stands in for the connection only to capture the statement's arguments, which the
    test then runs (under EXPLAIN ANALYZE) on the real database."""

    args: tuple = ()

    async def execute(self, sql: str, *args) -> None:
        assert sql == WRITE_BATCH_SQL
        self.args = args


@pytest.fixture
async def seeded_shelf(engine):
    async with engine.begin() as conn:
        db = await driver(conn)
        await db.execute(
            "INSERT INTO locations (location_id, name, kind, latitude, longitude, city) "
            "VALUES ('SH-1', 'Store', 'STORE', 31.23, 121.47, 'Shanghai')")
        await db.execute("INSERT INTO skus (sku_id, name, price_minor) VALUES ('SKU-1', 'Tea', 990)")
        await db.execute("INSERT INTO stock_levels (location_id, sku_id, on_hand) "
                         "VALUES ('SH-1', 'SKU-1', 100)")
    return "SH-1", "SKU-1"


@pytest.fixture
async def stale_outbox(engine):
    """Stale statistics on the outbox; the sequence numbers of 20 of its events."""
    async with engine.begin() as conn:
        db = await driver(conn)
        await _analysed_then_grown(db, "outbox", (
            "INSERT INTO outbox (event_id, member_id, kind, payload) "
            "SELECT $1 || g, 'M-1', 'AWARD', '\\x00' FROM generate_series(1, $2) AS g"))
        return [row["seq"] for row in await db.fetch("SELECT seq FROM outbox LIMIT 20")]


async def test_the_relay_marks_refused_events_reading_only_them(engine, stale_outbox):
    refused = stale_outbox
    read = await _rows_read(engine, "outbox", REFUSED_SQL, refused, ["CRM down"] * len(refused),
                            [1.0] * len(refused))
    assert read <= len(refused), f"read {read} events to mark {len(refused)} refused"
