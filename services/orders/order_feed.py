"""WatchOrder's fan-out: order changes from every server process, by order id."""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict

from services.common.notifications import DEAF_MAX_AGE_S, Listener
from services.orders.repository import ORDERS_CHANNEL


class OrderFeed:
    def __init__(self, listener: Listener):
        self._watchers: dict[str, set[asyncio.Queue]] = defaultdict(set)
        self._listener = listener
        listener.subscribe(ORDERS_CHANNEL, self._on_notify,
                           on_lost=self._wake_all, on_reconnect=self._wake_all)

    def watch(self, order_id: str) -> asyncio.Queue:
        """A queue that receives a wake-up whenever the order may have changed."""
        queue: asyncio.Queue = asyncio.Queue(maxsize=1)
        self._watchers[order_id].add(queue)
        return queue

    async def changed(self, queue: asyncio.Queue) -> None:
        """Until the watched order may have changed: a wake-up, or, while no notice can
        arrive (the LISTEN connection is down), DEAF_MAX_AGE_S, so that watchers read the
        order again rather than wait for a connection that may be a while coming back."""
        if self._listener.hearing:
            await queue.get()
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(queue.get(), DEAF_MAX_AGE_S)

    def unwatch(self, order_id: str, queue: asyncio.Queue) -> None:
        watchers = self._watchers.get(order_id)
        if watchers is not None:
            watchers.discard(queue)
            if not watchers:
                del self._watchers[order_id]

    def _on_notify(self, order_id: str) -> None:
        for queue in self._watchers.get(order_id, ()):
            if queue.empty():  # one pending wake-up is enough: the reader reloads the order
                queue.put_nowait(None)

    def _wake_all(self) -> None:
        for order_id in list(self._watchers):
            self._on_notify(order_id)

    async def stop(self) -> None:
        self._watchers.clear()
