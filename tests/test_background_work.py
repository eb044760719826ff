"""The server's background parts keep going through their own failures: the LISTEN
connection that WatchStock and the routing caches hang on, and the periodic sweeps."""

import asyncio

import asyncpg
import pytest
from sqlalchemy import text

from services.common.background import Periodic
from services.common.notifications import Listener
from services.common.server import asyncpg_dsn
from tests.helpers import LISTEN_BACKENDS, allow_connections, kill_listen_connections

CHANNEL = "background_work_test"


async def notify(engine, payload: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("SELECT pg_notify(:channel, :payload)"),
                           {"channel": CHANNEL, "payload": payload})


@pytest.fixture
async def listener(database_url):
    listener = Listener(asyncpg_dsn(database_url))
    yield listener
    await listener.stop()


async def test_a_failing_handler_does_not_keep_a_notification_from_the_others(listener, engine):
    heard: asyncio.Queue[str] = asyncio.Queue()

    def broken(payload: str) -> None:
        raise RuntimeError("a bug in one subscriber")

    listener.subscribe(CHANNEL, broken)
    listener.subscribe(CHANNEL, heard.put_nowait)
    await listener.start()
    await notify(engine, "first")
    await notify(engine, "second")
    assert [await asyncio.wait_for(heard.get(), 5) for _ in range(2)] == ["first", "second"]


async def test_a_lost_listen_connection_is_retried_until_the_database_takes_it_back(
        listener, engine, database_url):
    """As in a database restart: the connection drops and new ones are refused for a
    while. The listener tells its subscribers at once that notices are being missed (so
    that watchers reopen), keeps trying, then tells them again that notices were missed
    (so that caches are dropped) and hears new ones again."""
    heard: asyncio.Queue[str] = asyncio.Queue()
    lost, reconnected = asyncio.Event(), asyncio.Event()
    listener.subscribe(CHANNEL, heard.put_nowait, on_reconnect=reconnected.set,
                       on_lost=lost.set)
    await listener.start()
    assert listener.hearing
    await allow_connections(database_url, False)
    try:
        await kill_listen_connections(engine)
        await asyncio.wait_for(lost.wait(), 5)
        assert not listener.hearing  # caches stop trusting their copies
        await asyncio.sleep(1.0)  # attempts after 0.1, 0.2 and 0.4 s, each refused
        assert not reconnected.is_set() and not listener.hearing
    finally:
        await allow_connections(database_url, True)
    await asyncio.wait_for(reconnected.wait(), 10)
    assert listener.hearing
    await notify(engine, "after the restart")
    assert await asyncio.wait_for(heard.get(), 5) == "after the restart"


def cut_mid_listen(conn) -> Exception:
    """What asyncpg raises when the server drops the connection during LISTEN."""
    conn.terminate()
    return asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")


def closed_under_us(conn) -> Exception:
    """What asyncpg raises for a connection it already knows is closed."""
    return asyncpg.InterfaceError("cannot call Connection.add_listener(): connection is closed")


@pytest.mark.parametrize("failure", [cut_mid_listen, closed_under_us])
async def test_a_reconnection_that_fails_half_way_is_retried_with_one_connection_left_listening(
        listener, engine, monkeypatch, failure):
    """The first attempt to listen again fails between connecting and listening. The
    listener neither gives up (deaf to every other process until restarted) nor takes the
    half-made connection's end for another loss (a second reconnection beside the first,
    and watchers told to reopen again)."""
    heard: asyncio.Queue[str] = asyncio.Queue()
    reconnected, losses = asyncio.Event(), []
    listener.subscribe(CHANNEL, heard.put_nowait, on_reconnect=reconnected.set,
                       on_lost=lambda: losses.append("lost"))
    await listener.start()
    add_listener, failed = asyncpg.Connection.add_listener, []

    async def fail_once(conn, channel, callback):
        if not failed:
            failed.append(channel)
            raise failure(conn)
        return await add_listener(conn, channel, callback)

    monkeypatch.setattr(asyncpg.Connection, "add_listener", fail_once)
    await kill_listen_connections(engine)
    await asyncio.wait_for(reconnected.wait(), 10)
    assert failed == [CHANNEL]
    assert losses == ["lost"]  # the one connection cut, and only it
    await notify(engine, "after the restart")
    assert await asyncio.wait_for(heard.get(), 5) == "after the restart"
    await asyncio.sleep(0.5)
    assert heard.empty()
    async with engine.connect() as conn:
        assert await conn.scalar(text(f"SELECT count(*) {LISTEN_BACKENDS}")) == 1


async def test_a_periodic_round_that_fails_is_logged_and_the_next_round_runs(caplog):
    rounds: list[int] = []

    async def sweep() -> None:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise ConnectionResetError("the database went away")

    periodic = Periodic("test sweep", 0.01, sweep)
    periodic.start()
    try:
        for _ in range(200):
            if len(rounds) >= 3:
                break
            await asyncio.sleep(0.01)
    finally:
        await periodic.stop()
    assert len(rounds) >= 3
    assert "test sweep failed; retrying" in caplog.text
