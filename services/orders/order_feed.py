"""WatchOrder's fan-out: order changes from every server process, by order id.

Changes arrive as PostgreSQL notices. While the process cannot hear them (its LISTEN
connection is down), one query a second finds which of the orders watched here changed,
by the newest entry of each one's history: every change writes one. A query per watcher
would put thousands of them on the pool at the moment the database is struggling.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict

from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.notifications import DEAF_MAX_AGE_S, Listener
from services.orders import repository as repo

log = logging.getLogger(__name__)


class OrderFeed:
    def __init__(self, listener: Listener, engine: AsyncEngine):
        self._watchers: dict[str, set[asyncio.Queue]] = defaultdict(set)
        self._engine = engine
        self._poll: asyncio.Task | None = None
        listener.subscribe(repo.ORDERS_CHANNEL, self._on_notify,
                           on_lost=self._deaf, on_reconnect=self._hearing_again)

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

    def _deaf(self) -> None:
        if self._poll is None:
            self._poll = asyncio.get_running_loop().create_task(self._poll_while_deaf())

    def _hearing_again(self) -> None:
        self._stop_polling()
        self._wake_all()  # what changed while deaf was never announced

    async def _poll_while_deaf(self) -> None:
        """Wake the watchers of each order whose history grew since the last round; the
        first round wakes them all, as nothing says what changed before it."""
        newest: dict[str, int] = {}
        while True:
            await asyncio.sleep(DEAF_MAX_AGE_S)
            if not self._watchers:
                continue
            try:
                async with self._engine.connect() as conn:
                    now = await repo.newest_events(conn, list(self._watchers))
            except Exception as error:  # noqa: BLE001 - the database may be down too: next round
                log.info("orders changed while deaf: not read (%r); retrying", error)
                continue
            for order_id, event_id in now.items():
                if newest.get(order_id) != event_id:
                    self._on_notify(order_id)
            newest = now

    def _stop_polling(self) -> None:
        if self._poll is not None:
            self._poll.cancel()
            self._poll = None

    async def stop(self) -> None:
        poll = self._poll
        self._stop_polling()
        if poll is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await poll
        self._watchers.clear()
