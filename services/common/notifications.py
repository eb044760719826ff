"""One LISTEN connection per server process, dispatching PostgreSQL notifications by channel.

NOTIFY is transactional: a notification is delivered on commit, to every
listening connection, whichever process sent it. That is how WatchStock
streams and cached routing indexes stay in step across server processes.
If the connection drops, every subscriber's ``on_lost`` runs at once; the connection
is re-established in the background and every subscriber's ``on_reconnect`` runs,
since notifications sent meanwhile are lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import asyncpg

log = logging.getLogger(__name__)


# How old a cached copy of what notices keep current may be used while notices cannot
# arrive (hearing is False): a change made through another process then holds here within it.
DEAF_MAX_AGE_S = 1.0


class Listener:
    def __init__(self, dsn: str):
        self._dsn = dsn
        self._conn: asyncpg.Connection | None = None
        self._handlers: dict[str, list[Callable[[str], None]]] = {}
        self._on_lost: list[Callable[[], None]] = []
        self._on_reconnect: list[Callable[[], None]] = []
        self._stopping = False
        self._reconnect_task: asyncio.Task | None = None
        self.hearing = False  # whether notifications reach this process now

    def max_age(self, kept_s: float) -> float:
        """How long a copy that notices keep current may be used: ``kept_s`` while they
        reach this process, at most DEAF_MAX_AGE_S while they cannot."""
        return kept_s if self.hearing else min(kept_s, DEAF_MAX_AGE_S)

    def subscribe(self, channel: str, handler: Callable[[str], None],
                  on_reconnect: Callable[[], None] | None = None,
                  on_lost: Callable[[], None] | None = None) -> None:
        """Call ``handler(payload)`` for each notification on ``channel`` (register before
        start); ``on_lost()`` when the connection drops, ``on_reconnect()`` once it is back:
        notifications sent in between are never heard."""
        self._handlers.setdefault(channel, []).append(handler)
        if on_lost is not None:
            self._on_lost.append(on_lost)
        if on_reconnect is not None:
            self._on_reconnect.append(on_reconnect)

    async def start(self) -> None:
        self._stopping = False
        await self._connect()

    async def stop(self) -> None:
        self._stopping = True
        self.hearing = False
        if self._reconnect_task is not None:
            self._reconnect_task.cancel()
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def _connect(self) -> None:
        """Connect and LISTEN on every channel. The loss of the connection is watched for
        only once it listens on all of them: one lost half way is this call's error, not a
        second reconnection running beside the first."""
        conn = await asyncpg.connect(self._dsn)
        try:
            for channel in self._handlers:
                await conn.add_listener(channel, self._dispatch)
            if conn.is_closed():
                raise asyncpg.ConnectionDoesNotExistError("LISTEN connection lost while opening")
        except BaseException:
            conn.terminate()
            raise
        conn.add_termination_listener(self._lost)
        self._conn = conn
        self.hearing = True

    def _dispatch(self, _conn, _pid, channel: str, payload: str) -> None:
        for handler in self._handlers.get(channel, ()):
            try:
                handler(payload)
            except Exception:  # noqa: BLE001 - one bad handler must not starve the others
                log.exception("notification handler for %s failed", channel)

    def _lost(self, _conn) -> None:
        self.hearing = False
        if self._stopping:
            return
        log.warning("LISTEN connection lost; notifications are missed until it is back")
        _call_each(self._on_lost)
        self._reconnect_task = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        """Retry until connected, however each attempt fails: a listener that gave up would
        leave the process deaf to every other process's changes until restarted."""
        delay = 0.1
        while not self._stopping:
            try:
                await self._connect()
            except Exception as error:  # noqa: BLE001 - refused, reset, closed half way: retry
                log.info("LISTEN connection not back yet (%r); retrying in %.1f s", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            log.warning("LISTEN connection re-established; notifications sent meanwhile were missed")
            _call_each(self._on_reconnect)
            return


def _call_each(callbacks: list[Callable[[], None]]) -> None:
    for callback in callbacks:
        try:
            callback()
        except Exception:  # noqa: BLE001 - one bad subscriber must not keep the others in the dark
            log.exception("notification subscriber's callback failed")
