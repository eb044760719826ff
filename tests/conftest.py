"""Fixtures: a real PostgreSQL per test session, a clean schema per test, a real server.

Without DATABASE_URL the session starts an embedded PostgreSQL in a temporary
directory (deleted afterwards); with DATABASE_URL it creates a fresh database
on that server. Either way migrations run first, and every test starts from
empty tables.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import text

from services.access import client, keys
from services.access.principals import Kind
from services.common.config import Settings
from services.common.database import create_engine, fresh_database
from services.common.server import start_server
from services.common.uow import in_transaction

TABLES = (
    "idempotency_keys, stock_movements, reservation_lines, reservations, stock_levels, "
    "skus, locations, outbox, points_ledger, members, order_returns, fulfilment_groups, order_lines, "
    "orders, order_events, api_keys, stock_count_loads"
)


@pytest.fixture(scope="session")
def database_url() -> str:
    """URL (asyncpg) of a freshly migrated database used by the whole session."""
    with fresh_database("onestock_test") as url:
        yield url


@pytest.fixture
def settings(tmp_path_factory) -> Settings:
    return replace(Settings(), expiry_interval_s=0.2, db_pool_size=20, shutdown_grace_s=1.0,
                   metrics_listen="127.0.0.1:0",
                   simulation_dir=tmp_path_factory.mktemp("simulations"))


@pytest.fixture
async def engine(database_url):
    engine = create_engine(database_url, pool_size=20)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    yield engine
    await engine.dispose()


@pytest.fixture
async def server(settings, database_url, engine):
    running = await start_server(settings, database_url, address="127.0.0.1:0")
    yield running
    await running.stop(0.5)


@pytest.fixture
def issue_key(engine):
    """issue_key(kind, location_id=None) -> a fresh API key of that kind."""

    async def issue(kind: Kind | str, location_id: str | None = None, **kw) -> str:
        key, _ = await in_transaction(engine, lambda conn: keys.issue(
            conn, Kind(kind), location_id=location_id, **kw))
        return key

    return issue


@pytest.fixture
async def ops_key(issue_key) -> str:
    return await issue_key(Kind.OPS, name="tests")


@pytest.fixture
async def channel(server, ops_key):
    """A channel to the test server whose calls are made as OPS (head office)."""
    async with client.channel(f"127.0.0.1:{server.port}", ops_key) as channel:
        yield channel
