"""Periodic background work (expiry sweeps, purges) that survives its own failures."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Periodic:
    """Runs ``work`` every ``interval_s`` seconds until stopped; an error is logged, not fatal."""

    def __init__(self, name: str, interval_s: float, work: Callable[[], Awaitable[object]]):
        self.name = name
        self.interval_s = interval_s
        self.work = work
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _loop(self) -> None:
        while True:
            try:
                await self.work()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - keep sweeping; the next round may succeed
                log.exception("%s failed; retrying in %.1fs", self.name, self.interval_s)
            await asyncio.sleep(self.interval_s)
