"""Live stock changes for WatchStock, shared by every server process through PostgreSQL.

Every transaction that changes stock calls pg_notify (see repository.notify_stock),
which PostgreSQL delivers on commit to the process's Listener
(services.common.notifications), whichever process made the change; this
fans them out to the subscribers' queues.
A subscriber that falls too far behind is dropped rather than allowed to
grow memory without bound; its stream ends with RESOURCE_EXHAUSTED. When the
LISTEN connection drops, changes go unheard until it is back, so every stream
ends, with UNAVAILABLE, when it drops, and none opens until it is back: a
watcher reopens and starts from a fresh snapshot, instead of showing levels
that silently stopped changing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from services.common.notifications import Listener
from services.inventory.domain import StockLevel
from services.inventory.repository import STOCK_CHANNEL, parse_notification

log = logging.getLogger(__name__)

QUEUE_LIMIT = 10_000


class SubscriberTooSlow(Exception):
    """The subscriber fell QUEUE_LIMIT changes behind; what it was sent stays true."""


class ChangesMissed(Exception):
    """The process stopped hearing stock changes for a while: the levels sent may be stale."""


class Subscription:
    def __init__(self, feed: StockFeed, location_ids: Iterable[str], sku_ids: Iterable[str]):
        self._feed = feed
        self.location_ids = frozenset(location_ids)
        self.sku_ids = frozenset(sku_ids)
        self.queue: asyncio.Queue[StockLevel | None] = asyncio.Queue()
        self.ended_by: Exception | None = None  # why the feed ended the stream, if it did

    def matches(self, level: StockLevel) -> bool:
        return (not self.location_ids or level.location_id in self.location_ids) and (
            not self.sku_ids or level.sku_id in self.sku_ids
        )

    def offer(self, level: StockLevel) -> None:
        if self.queue.qsize() >= QUEUE_LIMIT:
            self._feed.unsubscribe(self, SubscriberTooSlow())
        else:
            self.queue.put_nowait(level)

    async def next(self) -> StockLevel:
        level = await self.queue.get()
        if level is None:
            raise self.ended_by or asyncio.CancelledError()
        return level

    def close(self) -> None:
        self._feed.unsubscribe(self)


class StockFeed:
    """WatchStock's fan-out of the process's stock notifications to its streams."""

    def __init__(self, listener: Listener):
        self._subscribers: set[Subscription] = set()
        self._listener = listener
        listener.subscribe(STOCK_CHANNEL, self._on_notify, on_lost=self._changes_missed)

    @property
    def watching(self) -> int:
        """How many streams are subscribed now."""
        return len(self._subscribers)

    def subscribe(self, location_ids: Iterable[str], sku_ids: Iterable[str]) -> Subscription:
        """The changes to come; ChangesMissed while the process cannot hear them."""
        if not self._listener.hearing:
            raise ChangesMissed()
        sub = Subscription(self, location_ids, sku_ids)
        self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription, why: Exception | None = None) -> None:
        """End ``sub``'s stream once it has read what is queued: with ``why`` raised, or as
        cancelled when the server stops or the stream's caller went away."""
        if sub in self._subscribers:
            self._subscribers.discard(sub)
            sub.ended_by = why
            sub.queue.put_nowait(None)

    async def stop(self) -> None:
        for sub in list(self._subscribers):
            self.unsubscribe(sub)

    def _changes_missed(self) -> None:
        for sub in list(self._subscribers):
            self.unsubscribe(sub, ChangesMissed())

    def _on_notify(self, payload: str) -> None:
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
