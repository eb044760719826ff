"""WatchOrder's fan-out: order changes from every server process, by order id."""

from __future__ import annotations

import asyncio
from collections import defaultdict

from services.common.notifications import Listener
from services.orders.repository import ORDERS_CHANNEL


class OrderFeed:
    def __init__(self, listener: Listener):
        self._watchers: dict[str, set[asyncio.Queue]] = defaultdict(set)
        listener.subscribe(ORDERS_CHANNEL, self._on_notify, on_reconnect=self._wake_all)

    def watch(self, order_id: str) -> asyncio.Queue:
        """A queue that receives a wake-up whenever the order may have changed."""
        queue: asyncio.Queue = asyncio.Queue(maxsize=1)
        self._watchers[order_id].add(queue)
        return queue

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
