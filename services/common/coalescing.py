"""Concurrent requests coalesced into shared transactions, for the hot write paths.

When hundreds of tills and phones write at once, one transaction per request
makes each of them pay the database's round trips and queue for the same
rows. Instead, requests wait in a queue; a writer takes everything waiting and
serves it with one ``write_batch`` call (one transaction, a few statements for
the whole batch). Batches form by themselves: while one is being written, the
next one fills up. ReserveStock and CreateOrder both use this.

Under a burst, a writer first waits a moment for more (see ``Linger``), so that
each batch's fixed cost is shared by more requests.

Two requests with the same request_id never share a batch: the later one waits
for the next batch, where it sees the first one's outcome (its stored response,
or no key at all if the first was refused).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from google.protobuf.message import Message

from services.common import metrics
from services.common.errors import OneStockError
from services.common.idempotency import claim_many

log = logging.getLogger(__name__)

C = TypeVar("C")
Outcome = Message | OneStockError  # a request's response, or the error it is answered with


@dataclass
class Pending(Generic[C]):
    """One request waiting for its batch: what to do, and its request_id's fingerprint."""

    request_id: str
    command: C
    fingerprint: bytes
    future: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())


WriteBatch = Callable[[list[Pending[C]]], Awaitable[list[Outcome]]]


@dataclass(frozen=True)
class Linger:
    """When a writer waits for more requests before it starts a batch, and for how long.

    A batch costs the server and the database a couple of milliseconds of CPU
    whatever its size (round trips, planning, the transaction), so small batches
    waste the server's process when it has no CPU to spare. When it is that busy
    (``busy``: the share of a core it used lately) and at least ``backlog`` requests
    arrived while the last batch was written, more are on their way: the writer
    waits ``seconds`` for them. Otherwise it starts at once, adding no latency.
    PostgreSQL's group commit (commit_delay, commit_siblings) makes the same trade.
    """

    seconds: float = 0.0  # 0: never wait
    backlog: int = 8
    # The event loop is one thread: a process serving all it can uses about one core
    # (0.93-1.09 in bench.reserve_hot's closed loop), at 1,000 reservations a second 0.6-0.7.
    busy: float = 0.85

    def applies(self, backlog: int, max_batch: int, busy: Callable[[], float]) -> bool:
        """Whether to wait, given the requests already queued and how busy the process
        is; a full batch never waits. A writer that never waits never reads the meter;
        one that may reads it every batch, so that its window keeps up with the load."""
        if self.seconds <= 0:
            return False
        share = busy()
        return self.backlog <= backlog < max_batch and share >= self.busy


class BusyMeter:
    """The share of one core this process used over about the last ``window`` seconds
    (its threads together, gRPC's included)."""

    def __init__(self, window: float = 0.1):
        self._window = window
        self._since = (time.monotonic(), time.process_time())
        self._share = 0.0

    def __call__(self) -> float:
        now = (time.monotonic(), time.process_time())
        elapsed = now[0] - self._since[0]
        if elapsed >= self._window:
            self._share = (now[1] - self._since[1]) / elapsed
            self._since = now
        return self._share


NO_LINGER = Linger()  # every batch starts as soon as a request waits


class Coalescer(Generic[C]):
    """Queue, writers and hand-back of outcomes; ``write_batch`` decides and writes, one
    outcome per request, in order. If it raises, every request of the batch hears of it."""

    def __init__(self, name: str, write_batch: WriteBatch, *, workers: int = 1,
                 max_batch: int = 500, linger: Linger = NO_LINGER,
                 busy: Callable[[], float] | None = None):
        self._name = name
        self._write_batch = write_batch
        self._workers = workers
        self._max_batch = max_batch
        self._linger = linger
        self._busy = busy or BusyMeter()
        self._queue: asyncio.Queue[Pending[C]] = asyncio.Queue()
        self._tasks: list[asyncio.Task] = []
        self._size = metrics.BATCH_SIZE.labels(name)
        self._lingers = metrics.BATCH_LINGERS.labels(name)

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._run(), name=f"{self._name}-writer-{i}")
                       for i in range(self._workers)]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        while not self._queue.empty():
            pending = self._queue.get_nowait()
            pending.future.cancel()  # as a batch stopped mid-write: no-op if done

    async def submit(self, request_id: str, command: C, fingerprint: bytes):
        """Wait for the batch that serves this request; its response, or its error raised."""
        pending = Pending(request_id, command, fingerprint)
        self._queue.put_nowait(pending)
        return await pending.future

    async def _run(self) -> None:
        while True:
            # what waits now arrived while the last batch was written; nothing is taken
            # from the queue before the wait, so stop() fails every request still queued
            if self._linger.applies(self._queue.qsize(), self._max_batch, self._busy):
                self._lingers.inc()
                await asyncio.sleep(self._linger.seconds)
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            await self._serve(batch)

    async def _serve(self, batch: list[Pending[C]]) -> None:
        batch = [p for p in batch if not p.future.done()]  # callers gone (deadline): no work
        batch, later = _split_duplicates(batch)
        for pending in later:
            self._queue.put_nowait(pending)
        if not batch:
            return
        self._size.observe(len(batch))
        try:
            _answer(batch, await self._write_batch(batch))
        except asyncio.CancelledError:  # stopped mid-write: its callers must not wait forever
            for pending in batch:
                pending.future.cancel()
            raise
        except Exception as error:  # noqa: BLE001 - every waiter must hear of it, and the
            # writer must go on: one that died would leave every later caller waiting
            log.exception("%s batch of %d failed", self._name, len(batch))
            for pending in batch:
                if not pending.future.done():
                    pending.future.set_exception(error)


def _answer(batch: list[Pending], outcomes: list[Outcome]) -> None:
    """Each caller its outcome; ValueError if there is not one per request."""
    for pending, outcome in zip(batch, outcomes, strict=True):
        if pending.future.done():  # the caller went away (cancelled)
            continue
        if isinstance(outcome, OneStockError):
            pending.future.set_exception(outcome)
        else:
            pending.future.set_result(outcome)


def _split_duplicates(batch: list[Pending]) -> tuple[list[Pending], list[Pending]]:
    seen: set[str] = set()
    now, later = [], []
    for pending in batch:
        (later if pending.request_id in seen else now).append(pending)
        seen.add(pending.request_id)
    return now, later


async def claim_batch(db, method: str, batch: list[Pending], response_type: type[Message]
                      ) -> tuple[list[Outcome | None], list[int], datetime]:
    """Claim every request id of a batch in its transaction (AIP-155).

    Returns the outcomes known already (a replay's stored response, a reused
    id's error; None where the batch must decide), the indexes of the requests
    to decide, and the transaction's clock (which claim_many keeps for ``db_now``).
    """
    claims, now = await claim_many(db, method, [(p.request_id, p.fingerprint) for p in batch])
    outcomes: list[Outcome | None] = [None] * len(batch)
    fresh: list[int] = []
    for i, pending in enumerate(batch):
        claim = claims[pending.request_id]
        if claim.error:
            outcomes[i] = claim.error
        elif claim.response is not None:
            outcomes[i] = response_type.FromString(claim.response)
        else:
            fresh.append(i)
    return outcomes, fresh, now


def refused_claims(batch: list[Pending], outcomes: list[Outcome | None], fresh: list[int]
                   ) -> list[str]:
    """Request ids this batch claimed but refused: their keys go, so a retry runs afresh."""
    return [batch[i].request_id for i in fresh if isinstance(outcomes[i], OneStockError)]
