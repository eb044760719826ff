"""Small builders and checks shared by the tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from onestock.inventory.v1 import inventory_service_pb2 as pb
from sqlalchemy import make_url, text

from services.access import client
from services.common.database import with_database
from services.common.server import asyncpg_dsn


def store(location_id: str, lat: float, lng: float, city: str = "Shanghai", **kw) -> pb.Location:
    return pb.Location(
        location_id=location_id, name=kw.pop("name", location_id), kind=pb.LOCATION_KIND_STORE,
        latitude=lat, longitude=lng, city=city,
        capabilities=pb.Capabilities(pickup=True, same_city_delivery=True),
        delivery_radius_km=kw.pop("radius", 5.0), **kw,
    )


def sku(sku_id: str, price_minor: int = 1000) -> pb.Sku:
    return pb.Sku(sku_id=sku_id, name=sku_id.title(), price_minor=price_minor, currency="CNY")


def line(location_id: str, sku_id: str, quantity: int) -> pb.ReservationLineInput:
    return pb.ReservationLineInput(location_id=location_id, sku_id=sku_id, quantity=quantity)


async def seed(stub, locations, skus, stock: dict[tuple[str, str], int] | None = None,
               safety: dict[tuple[str, str], int] | None = None) -> None:
    """Create a catalogue and stock through the public RPCs, so the ledger is complete."""
    await stub.UpsertLocations(pb.UpsertLocationsRequest(request_id="seed-loc", locations=locations))
    await stub.UpsertSkus(pb.UpsertSkusRequest(request_id="seed-sku", skus=skus))
    for (loc, s), units in (stock or {}).items():
        await stub.AdjustStock(pb.AdjustStockRequest(
            request_id=f"seed-{loc}-{s}", location_id=loc, sku_id=s, set_on_hand=units,
            reason=pb.ADJUSTMENT_REASON_RECEIPT))
    for (loc, s), units in (safety or {}).items():
        await stub.SetSafetyStock(pb.SetSafetyStockRequest(
            request_id=f"safety-{loc}-{s}", location_id=loc, sku_id=s, safety_stock=units))


def error_info(error: grpc.RpcError) -> error_details_pb2.ErrorInfo | None:
    status = rpc_status.from_call(error)
    for detail in status.details if status else ():
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info
    return None


def bad_fields(error: grpc.RpcError) -> list[str]:
    status = rpc_status.from_call(error)
    for detail in status.details if status else ():
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            return [v.field for v in bad.field_violations]
    return []


async def stock_of(engine, location_id: str, sku_id: str) -> tuple[int, int, int]:
    async with engine.connect() as conn:
        row = (await conn.execute(text(
            "SELECT on_hand, reserved, safety_stock FROM stock_levels "
            "WHERE location_id = :l AND sku_id = :s"), {"l": location_id, "s": sku_id})).first()
    return tuple(row) if row else (0, 0, 0)


async def assert_ledger_consistent(engine) -> None:
    """The invariants the ledger promises, checked against the whole database:

    - reserved equals the units of ACTIVE reservation lines, per location and SKU;
    - 0 <= reserved <= on_hand;
    - replaying the movement ledger gives every stock level exactly.
    """
    async with engine.connect() as conn:
        mismatched = (await conn.execute(text(
            "SELECT s.location_id, s.sku_id, s.reserved, COALESCE(a.units, 0) "
            "FROM stock_levels s LEFT JOIN ("
            "  SELECT l.location_id, l.sku_id, SUM(l.quantity) AS units FROM reservation_lines l "
            "  JOIN reservations r USING (reservation_id) WHERE r.state = 'ACTIVE' "
            "  GROUP BY 1, 2) a USING (location_id, sku_id) "
            "WHERE s.reserved <> COALESCE(a.units, 0)"))).all()
        assert mismatched == [], f"reserved differs from ACTIVE reservations: {mismatched}"
        broken = (await conn.execute(text(
            "SELECT location_id, sku_id FROM stock_levels "
            "WHERE reserved < 0 OR reserved > on_hand OR safety_stock < 0"))).all()
        assert broken == []
        drift = (await conn.execute(text(
            "SELECT s.location_id, s.sku_id FROM stock_levels s LEFT JOIN ("
            "  SELECT location_id, sku_id, SUM(on_hand_delta) o, SUM(reserved_delta) r, "
            "  SUM(safety_stock_delta) ss FROM stock_movements GROUP BY 1, 2) m "
            "USING (location_id, sku_id) WHERE s.on_hand <> COALESCE(m.o, 0) "
            "OR s.reserved <> COALESCE(m.r, 0) OR s.safety_stock <> COALESCE(m.ss, 0)"))).all()
        assert drift == [], f"ledger does not add up to stock levels: {drift}"


async def allow_connections(database_url: str, allowed: bool) -> None:
    """Let in, or turn away, new connections to the tests' database (from another one:
    PostgreSQL won't have a database shut its own door)."""
    url = make_url(database_url)
    admin = await asyncpg.connect(asyncpg_dsn(with_database(database_url, "postgres")))
    try:
        await admin.execute(f'ALTER DATABASE "{url.database}" ALLOW_CONNECTIONS {allowed}')
    finally:
        await admin.close()


# The backends of this database that LISTEN: a server process's notice connection.
LISTEN_BACKENDS = ("FROM pg_stat_activity "
                   "WHERE datname = current_database() AND query LIKE 'LISTEN%'")


async def kill_listen_connections(engine) -> None:
    """Cut the one LISTEN connection (the test's server process's), as a database restart
    or a network fault would."""
    async with engine.begin() as conn:
        killed = await conn.scalar(
            text(f"SELECT count(pg_terminate_backend(pid)) {LISTEN_BACKENDS}"))
    assert killed == 1


@contextlib.asynccontextmanager
async def notices_cut_off(server, engine, database_url: str, pooled: int = 10):
    """The server's LISTEN connection cut, and new connections refused until the block
    ends, as when the database is at max_connections: the server cannot listen again. It
    keeps its pooled connections, ``pooled`` of them opened first, so that the calls and
    background sweeps made meanwhile need no new one."""
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(pooled):
            await stack.enter_async_context(server.engine.connect())
    await allow_connections(database_url, False)
    try:
        await kill_listen_connections(engine)
        yield
    finally:
        await allow_connections(database_url, True)


async def table_counts(engine) -> dict[str, int]:
    """Row counts and a checksum of stock, to show a rejected call changed nothing."""
    async with engine.connect() as conn:
        counts = {}
        for table in ("locations", "skus", "stock_levels", "reservations", "stock_movements",
                      "idempotency_keys"):
            counts[table] = await conn.scalar(text(f"SELECT count(*) FROM {table}"))
        counts["stock_sum"] = await conn.scalar(text(
            "SELECT COALESCE(SUM(on_hand * 3 + reserved * 5 + safety_stock * 7), 0) FROM stock_levels"))
        return counts


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def own_database_env(database_url: str) -> dict[str, str]:
    """Environment for a `onestock` process on its own new database and a free port."""
    from services.common.database import ensure_database, with_database

    name = f"onestock_proc_{uuid.uuid4().hex[:8]}"
    ensure_database(with_database(database_url, "postgres"), name)
    return {**os.environ, "DATABASE_URL": with_database(database_url, name),
            "ONESTOCK_LISTEN": f"127.0.0.1:{free_port()}",
            "ONESTOCK_METRICS_LISTEN": "127.0.0.1:0"}


async def onestock_env(database_url: str, **settings: str) -> tuple[dict[str, str], str]:
    """For tests that start and kill `onestock serve` themselves: the environment of its own
    migrated database (own_database_env, plus ``settings``) and an OPS key to call it with."""
    env = {**await asyncio.to_thread(own_database_env, database_url), **settings}
    await migrated(env)
    return env, await asyncio.to_thread(cli_key, env)


@contextlib.asynccontextmanager
async def engine_of(env: dict[str, str]) -> AsyncIterator:
    """An engine on the database of ``env``, to look at what a `onestock` process left."""
    from services.common.database import command_engine, to_asyncpg_url

    async with command_engine(to_asyncpg_url(env["DATABASE_URL"])) as engine:
        yield engine


def serve(env: dict[str, str], relay_interval_s: float = 3600):
    """`onestock serve` in a process of its own (a subprocess.Popen), for tests that kill it;
    its CRM relay looks every ``relay_interval_s`` (and once at start)."""
    return subprocess.Popen(
        [sys.executable, "-m", "services.common.cli", "--log-level", "WARNING", "serve"],
        env={**env, "ONESTOCK_OUTBOX_INTERVAL_S": str(relay_interval_s)})


async def ready(address: str, key: str) -> grpc.aio.Channel:
    """A channel to a server started by ``serve``, once it answers."""
    channel = client.channel(address, key)
    await asyncio.wait_for(channel.channel_ready(), 60)
    return channel


# A silenced server is killed once the calls it received have settled: some committed with
# their answers lost, and nothing more committed for SETTLED_FOR_S. Waiting on the database,
# not a fixed time, keeps the case on a slow or loaded machine; SETTLE_LIMIT_S bounds it.
SETTLED_FOR_S = 0.3
SETTLE_LIMIT_S = 30.0


class SilencingProxy:
    """A TCP proxy in front of a server that can stop passing its answers on while still
    passing every request in: what callers see when a server commits their calls and dies
    before replying. Once silenced, whatever the server sends is dropped."""

    def __init__(self, upstream: str):
        self.upstream = upstream
        self.silent = False
        self._listener: asyncio.Server | None = None

    async def start(self) -> str:
        """Starts listening; returns the address callers should dial instead of upstream."""
        self._listener = await asyncio.start_server(self._connect, "127.0.0.1", 0)
        return f"127.0.0.1:{self._listener.sockets[0].getsockname()[1]}"

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()

    async def _connect(self, caller_in: asyncio.StreamReader,
                       caller_out: asyncio.StreamWriter) -> None:
        host, port = self.upstream.rsplit(":", 1)
        try:
            server_in, server_out = await asyncio.open_connection(host, int(port))
        except OSError:
            caller_out.close()
            return
        await asyncio.gather(self._copy(caller_in, server_out, lambda: True),
                             self._copy(server_in, caller_out, lambda: not self.silent),
                             return_exceptions=True)

    @staticmethod
    async def _copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter, passing) -> None:
        """Until either end closes; closing the sink then ends the other direction too."""
        try:
            while data := await source.read(65536):
                if passing():
                    sink.write(data)
                    await sink.drain()
        finally:
            sink.close()


@dataclass
class Burst:
    """How each request of a burst ended (request id -> ("ok", id made) / ("refused", None) /
    ("unknown", None)) before the kill and on the new server; and what the database held when
    the first server died (request id -> id made), answered or not."""

    before: dict[str, tuple]
    after: dict[str, tuple]
    committed: dict[str, str]

    def made(self) -> set[str]:
        """What the calls that ended ok made, by the end (on the new server)."""
        return {made for answer, made in self.after.values() if answer == "ok"}

    def assert_retried_as_committed(self) -> None:
        """Every answer given before the kill was committed and is the answer for good; every
        call committed without an answer gets, on retry, what it made; and some were (the
        case a crash test is for). Calls never committed get a definite answer on retry."""
        answered = {r for r, (answer, _) in self.before.items() if answer == "ok"}
        assert answered <= self.committed.keys(), "an acknowledged call was lost"
        unanswered = {r for r in self.committed if self.before[r][0] == "unknown"}
        assert unanswered, "no call was committed with its answer lost"
        for request_id, answer in self.before.items():
            if answer[0] != "unknown":
                assert self.after[request_id] == answer, request_id
        for request_id, made in self.committed.items():
            assert self.after[request_id] == ("ok", made), request_id
        assert all(answer != "unknown" for answer, _ in self.after.values())


async def kill_mid_burst(env: dict[str, str], key: str, seed, send, callers: list[list],
                         kill_after: int, made: str) -> Burst:
    """A burst of calls, a SIGKILL in the middle of it, and every call again on a new server,
    as callers that lost their answers retry with the same request id.

    ``seed(channel)`` prepares the first server; ``send(channel, request)`` makes one call and
    says how it ended: ("ok", the id it made), ("refused", None) for a refusal that is the
    answer, or ("unknown", None) when the answer was lost. Each list of ``callers`` is sent
    one request after another, the lists side by side. Once ``kill_after`` calls were answered
    ok, the server's answers stop reaching the callers (a proxy drops them), and once the
    calls it has settled in the database (``_settled``) it is killed: some calls are committed
    with their answers lost, every time. ``made`` is the query that lists, in the database,
    (request id, id made) for every call committed."""
    before: dict[str, tuple] = {}
    first, proxy = serve(env), SilencingProxy(env["ONESTOCK_LISTEN"])
    try:
        channel = await ready(await proxy.start(), key)
        await seed(channel)
        enough = asyncio.Event()

        async def caller(requests) -> None:
            for request in requests:
                before[request.request_id] = await send(channel, request)
                if sum(answer == "ok" for answer, _ in before.values()) >= kill_after:
                    enough.set()

        burst = asyncio.gather(*(caller(requests) for requests in callers))
        killing = asyncio.ensure_future(enough.wait())
        await asyncio.wait([burst, killing], return_when=asyncio.FIRST_COMPLETED)
        killing.cancel()  # the burst may end first: the test's own checks say so
        proxy.silent = True
        await _settled(env, made, before)
        first.send_signal(signal.SIGKILL)  # committed or not, callers hear nothing more
        await burst
        await channel.close()
    finally:
        proxy.close()
        first.kill()
        first.wait(30)
    committed = await _committed(env, made)
    after: dict[str, tuple] = {}
    second = serve(env)
    try:
        channel = await ready(env["ONESTOCK_LISTEN"], key)
        for requests in callers:
            for request in requests:
                after[request.request_id] = await send(channel, request)
        await channel.close()
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(30)
    return Burst(before, after, committed)


async def _settled(env: dict[str, str], made: str, before: dict[str, tuple]) -> None:
    """Until the database holds a call whose caller has no answer (a silenced call has not
    returned, so it is not in ``before``) and nothing more commits for SETTLED_FOR_S; at most
    SETTLE_LIMIT_S, after which the burst's checks say what went wrong."""
    deadline = asyncio.get_running_loop().time() + SETTLE_LIMIT_S
    seen: set[str] = set()
    async with engine_of(env) as engine, engine.connect() as conn:
        while asyncio.get_running_loop().time() < deadline:
            now = {request_id for request_id, _ in (await conn.execute(text(made))).all()}
            await conn.rollback()  # a fresh snapshot for the next look
            if now == seen and now - before.keys():
                return
            seen = now
            await asyncio.sleep(SETTLED_FOR_S)


async def _committed(env: dict[str, str], made: str) -> dict[str, str]:
    async with engine_of(env) as engine, engine.connect() as conn:
        return dict((await conn.execute(text(made))).all())


async def migrated(env: dict[str, str]) -> None:
    """`onestock migrate` on the database of ``env``."""
    migrate = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.common.cli", "migrate", env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    assert await migrate.wait() == 0


def cli_key(env: dict[str, str], kind: str = "OPS", *extra: str) -> str:
    """An API key made the way an operator makes one: `onestock keys create`."""
    made = subprocess.run([sys.executable, "-m", "services.common.cli", "keys", "create",
                           "--kind", kind, "--name", "tests", *extra], env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    return made.stdout.strip()


# Seeds of the random walks (tests/*/test_random_*.py): three in the suite, more by hand.
WALK_SEEDS = [int(s) for s in os.environ.get("ONESTOCK_WALK_SEEDS", "1,2,3").split(",")]


async def status_of(call) -> grpc.StatusCode:
    """How one call of a random walk ended; it may be refused, never INTERNAL or UNKNOWN."""
    try:
        await call()
        return grpc.StatusCode.OK
    except grpc.RpcError as error:
        assert error.code() not in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN), \
            f"{call.__name__}: {error.code()} {error.details()}"
        return error.code()


async def every_page(call, request) -> list:
    """Every page a List RPC gives for ``request``, following next_page_token to the end."""
    pages = []
    while True:
        page = await call(request)
        pages.append(page)
        if not page.next_page_token:
            return pages
        request.page_token = page.next_page_token
