"""ReserveStock's hot path: concurrent requests coalesced into one transaction.

When 200 tills and phones reserve the same hot SKU, serving them one
transaction each makes every request queue for the same row lock. Instead,
requests wait in a queue; a writer takes everything waiting, locks the stock
rows once (in key order), lets ``allocate_batch`` decide each request in
arrival order, and writes the outcome with one statement per table. Batches
form by themselves: while one is being written, the next one fills up.

Idempotency holds per request inside a batch: its request_id is claimed in
the batch's transaction, a replay returns the stored response, and a refused
request leaves no key behind. Two requests with the same request_id never
share a batch: the later one waits for the next batch, where it sees the
first one's outcome.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field

from onestock.inventory.v1 import inventory_service_pb2 as pb
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.common.errors import NotFound, OneStockError
from services.common.idempotency import claim_many, forget_many, remember_many
from services.common.uow import in_transaction
from services.inventory import repository as repo
from services.inventory.domain import (
    MovementKind,
    Reservation,
    ReservationLine,
    ReservationState,
    ReserveCommand,
    StockChange,
    allocate_batch,
)
from services.inventory.mapping import reservation_to_pb

log = logging.getLogger(__name__)

METHOD = "ReserveStock"


@dataclass
class _Pending:
    command: ReserveCommand
    fingerprint: bytes
    future: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())


Outcome = pb.ReserveStockResponse | OneStockError


class ReservationBatcher:
    def __init__(self, engine: AsyncEngine, workers: int = 2, max_batch: int = 500):
        self._engine = engine
        self._workers = workers
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._tasks: list[asyncio.Task] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._run(), name=f"reserve-writer-{i}")
                       for i in range(self._workers)]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        while not self._queue.empty():
            pending = self._queue.get_nowait()
            if not pending.future.done():
                pending.future.set_exception(asyncio.CancelledError())

    async def reserve(self, command: ReserveCommand, fingerprint: bytes) -> pb.ReserveStockResponse:
        pending = _Pending(command, fingerprint)
        self._queue.put_nowait(pending)
        return await pending.future

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            await self._serve(batch)

    async def _serve(self, batch: list[_Pending]) -> None:
        batch, later = _split_duplicates(batch)
        for pending in later:
            self._queue.put_nowait(pending)
        try:
            outcomes = await in_transaction(self._engine, lambda conn: _write_batch(conn, batch))
        except Exception as error:  # noqa: BLE001 - every waiter must hear of it
            log.exception("reservation batch of %d failed", len(batch))
            for pending in batch:
                if not pending.future.done():
                    pending.future.set_exception(error)
            return
        for pending, outcome in zip(batch, outcomes, strict=True):
            if pending.future.done():  # the caller went away (cancelled)
                continue
            if isinstance(outcome, OneStockError):
                pending.future.set_exception(outcome)
            else:
                pending.future.set_result(outcome)


def _split_duplicates(batch: list[_Pending]) -> tuple[list[_Pending], list[_Pending]]:
    seen: set[str] = set()
    now, later = [], []
    for pending in batch:
        (later if pending.command.request_id in seen else now).append(pending)
        seen.add(pending.command.request_id)
    return now, later


async def _write_batch(conn: AsyncConnection, batch: list[_Pending]) -> list[Outcome]:
    """Decide and write a whole batch in the caller's transaction; one outcome per request."""
    claims = await claim_many(conn, METHOD, [(p.command.request_id, p.fingerprint) for p in batch])
    outcomes: list[Outcome | None] = [None] * len(batch)
    fresh: list[int] = []
    for i, pending in enumerate(batch):
        claim = claims[pending.command.request_id]
        if claim.error:
            outcomes[i] = claim.error
        elif claim.response is not None:
            outcomes[i] = pb.ReserveStockResponse.FromString(claim.response)
        else:
            fresh.append(i)

    keys = {line.key for i in fresh for line in batch[i].command.lines}
    levels = await repo.lock_stock(conn, keys)
    await _refuse_unknown(conn, batch, fresh, keys - levels.keys(), outcomes)
    fresh = [i for i in fresh if outcomes[i] is None]

    commands = [batch[i].command for i in fresh]
    allocation = allocate_batch(commands, levels)
    now = await repo.db_now(conn)
    reservations, request_ids, changes, responses = [], [], [], {}
    for j, afters in allocation.granted.items():
        command = commands[j]
        reservation = _new_reservation(command, now)
        reservations.append(reservation)
        request_ids.append(command.request_id)
        changes += [
            StockChange(MovementKind.RESERVE, after, reserved_delta=line.quantity,
                        reservation_id=reservation.reservation_id, request_id=command.request_id)
            for line, after in zip(command.lines, afters, strict=True)
        ]
        response = pb.ReserveStockResponse(reservation=reservation_to_pb(reservation))
        outcomes[fresh[j]] = response
        responses[command.request_id] = response.SerializeToString()
    for j, refusal in allocation.refused.items():
        outcomes[fresh[j]] = refusal

    if reservations:
        changed = allocation.changed_levels(levels)
        await repo.write_levels(conn, changed)
        await repo.insert_reservations(conn, reservations, request_ids)
        await repo.append_movements(conn, changes)
        await repo.notify_stock(conn, changed)
    await remember_many(conn, METHOD, responses)
    refused = [batch[i].command.request_id for i, o in enumerate(outcomes)
               if isinstance(o, OneStockError) and claims[batch[i].command.request_id].error is None]
    await forget_many(conn, METHOD, refused)
    return outcomes  # type: ignore[return-value]


async def _refuse_unknown(conn, batch, fresh, missing_keys, outcomes) -> None:
    """NOT_FOUND for requests naming a location or SKU the catalogue does not know.

    Known pairs without a stock row simply have nothing available.
    """
    if not missing_keys:
        return
    unknown_locations, unknown_skus = await repo.unknown_ids(
        conn, {k[0] for k in missing_keys}, {k[1] for k in missing_keys}
    )
    for i in fresh:
        lines = batch[i].command.lines
        bad_locations = [ln.location_id for ln in lines if ln.location_id in unknown_locations]
        bad_skus = [ln.sku_id for ln in lines if ln.sku_id in unknown_skus]
        if bad_locations:
            outcomes[i] = NotFound("location", bad_locations)
        elif bad_skus:
            outcomes[i] = NotFound("sku", bad_skus)


def _new_reservation(command: ReserveCommand, now) -> Reservation:
    return Reservation(
        reservation_id=str(uuid.uuid4()),
        channel=command.channel,
        reference=command.reference,
        state=ReservationState.ACTIVE,
        lines=[ReservationLine(ln.location_id, ln.sku_id, ln.quantity) for ln in command.lines],
        create_time=now,
        expire_time=repo.expire_time(now, command.ttl_s),
    )
