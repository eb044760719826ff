"""Live stock changes for WatchStock, shared by every server process through PostgreSQL.

Every transaction that changes stock calls pg_notify (see repository.notify_stock),
which PostgreSQL delivers on commit to every connection LISTENing on the
channel, whichever process made the change. Each server process keeps one
such connection and fans notifications out to its subscribers' queues.
A subscriber that falls too far behind is dropped rather than allowed to
grow memory without bound; its stream ends with RESOURCE_EXHAUSTED.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

import asyncpg

from services.inventory.domain import StockLevel
from services.inventory.repository import STOCK_CHANNEL, parse_notification

log = logging.getLogger(__name__)

QUEUE_LIMIT = 10_000


class SubscriberTooSlow(Exception):
    pass


class Subscription:
    def __init__(self, feed: StockFeed, location_ids: Iterable[str], sku_ids: Iterable[str]):
        self._feed = feed
        self.location_ids = frozenset(location_ids)
        self.sku_ids = frozenset(sku_ids)
        self.queue: asyncio.Queue[StockLevel | None] = asyncio.Queue()
        self.overflowed = False

    def matches(self, level: StockLevel) -> bool:
        return (not self.location_ids or level.location_id in self.location_ids) and (
            not self.sku_ids or level.sku_id in self.sku_ids
        )

    def offer(self, level: StockLevel) -> None:
        if self.queue.qsize() >= QUEUE_LIMIT:
            self.overflowed = True
            self._feed.unsubscribe(self)
        else:
            self.queue.put_nowait(level)

    async def next(self) -> StockLevel:
        level = await self.queue.get()
        if level is None:
            raise SubscriberTooSlow() if self.overflowed else asyncio.CancelledError()
        return level

    def close(self) -> None:
        self._feed.unsubscribe(self)


class StockFeed:
    """One LISTEN connection per process, fanned out to WatchStock streams."""

    def __init__(self, dsn: str):
        self._dsn = dsn
        self._conn: asyncpg.Connection | None = None
        self._subscribers: set[Subscription] = set()

    async def start(self) -> None:
        self._stopping = False
        await self._connect()

    async def _connect(self) -> None:
        self._conn = await asyncpg.connect(self._dsn)
        self._conn.add_termination_listener(self._on_lost)
        await self._conn.add_listener(STOCK_CHANNEL, self._on_notify)

    def _on_lost(self, _conn) -> None:
        """The LISTEN connection died: reconnect in the background until it works."""
        if not self._stopping:
            self._reconnect_task = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        delay = 0.1
        while not self._stopping:
            try:
                await self._connect()
                log.warning("stock feed reconnected; changes made while it was down were missed")
                return
            except (OSError, asyncpg.PostgresError):
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def stop(self) -> None:
        self._stopping = True
        for sub in list(self._subscribers):
            self.unsubscribe(sub)
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    def subscribe(self, location_ids: Iterable[str], sku_ids: Iterable[str]) -> Subscription:
        sub = Subscription(self, location_ids, sku_ids)
        self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        if sub in self._subscribers:
            self._subscribers.discard(sub)
            sub.queue.put_nowait(None)  # ends the reader's stream

    def _on_notify(self, _conn, _pid, _channel, payload: str) -> None:
        if not self._subscribers:
            return
        try:
            levels = parse_notification(payload)
        except (ValueError, TypeError):
            log.warning("ignored malformed stock notification")
            return
        for sub in list(self._subscribers):
            for level in levels:
                if sub.matches(level):
                    sub.offer(level)
