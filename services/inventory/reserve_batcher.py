"""ReserveStock's hot path: concurrent requests coalesced into one transaction.

When 200 tills and phones reserve the same hot SKU, serving them one
transaction each makes every request queue for the same row lock. Instead
(services/common/coalescing.py), a writer takes every request waiting, locks
the stock rows once (in key order), lets ``allocate_batch`` decide each request
in arrival order, and writes the outcome with one statement per table.

Idempotency holds per request inside a batch: its request_id is claimed in
the batch's transaction, a replay returns the stored response, and a refused
request leaves no key behind.
"""

from __future__ import annotations

import uuid

from onestock.inventory.v1 import inventory_service_pb2 as pb
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.common import metrics
from services.common.coalescing import (
    NO_LINGER,
    Coalescer,
    Linger,
    Outcome,
    Pending,
    claim_batch,
    refused_claims,
)
from services.common.errors import InsufficientStock, NotFound
from services.common.idempotency import FORGET_SQL, driver
from services.common.uow import in_transaction
from services.inventory import repository as repo
from services.inventory.domain import (
    Reservation,
    ReservationLine,
    ReservationState,
    ReserveCommand,
    allocate_batch,
    refuse_over_hold_limit,
)
from services.inventory.mapping import reservation_to_pb

METHOD = "ReserveStock"


class ReservationBatcher:
    """ReserveStock calls served in shared transactions (see the module's docstring)."""

    def __init__(self, engine: AsyncEngine, workers: int = 2, max_batch: int = 500,
                 hold_limit: int = 0, linger: Linger = NO_LINGER):
        self._engine = engine
        self._hold_limit = hold_limit
        self._coalescer: Coalescer[ReserveCommand] = Coalescer(
            "reserve", self._write, workers=workers, max_batch=max_batch, linger=linger)
        self.start, self.stop = self._coalescer.start, self._coalescer.stop

    async def reserve(self, command: ReserveCommand, fingerprint: bytes) -> pb.ReserveStockResponse:
        return await self._coalescer.submit(command.request_id, command, fingerprint)

    async def _write(self, batch: list[Pending[ReserveCommand]]) -> list[Outcome]:
        outcomes = await in_transaction(
            self._engine, lambda conn: _write_batch(conn, batch, self._hold_limit))
        _count(outcomes)
        return outcomes


def _count(outcomes: list[Outcome]) -> None:
    made = sum(1 for o in outcomes if isinstance(o, pb.ReserveStockResponse))
    short = sum(1 for o in outcomes if isinstance(o, InsufficientStock))
    limited = sum(1 for o in outcomes if getattr(o, "reason", "") == "MEMBER_HOLD_LIMIT")
    metrics.RESERVATIONS.labels("made").inc(made)
    metrics.RESERVATIONS.labels("rejected_stock").inc(short)
    metrics.RESERVATIONS.labels("rejected_limit").inc(limited)


async def _write_batch(conn: AsyncConnection, batch: list[Pending[ReserveCommand]],
                       hold_limit: int) -> list[Outcome]:
    """Decide and write a whole batch in the caller's transaction; one outcome per request.

    Round trips, in the common case: claim the request ids (and read the
    clock), lock the stock rows, write everything in one statement, commit.
    Requests for a member first lock that member and read what it holds.
    """
    db = await driver(conn)
    outcomes, fresh, now = await claim_batch(db, METHOD, batch, pb.ReserveStockResponse)
    claimed = list(fresh)
    fresh = await _refuse_over_hold_limit(db, batch, fresh, outcomes, hold_limit)
    keys = {line.key for i in fresh for line in batch[i].command.lines}
    levels = await repo.lock_stock(conn, keys)
    await _refuse_unknown(conn, batch, fresh, keys - levels.keys(), outcomes)
    fresh = [i for i in fresh if outcomes[i] is None]

    commands = [batch[i].command for i in fresh]
    allocation = allocate_batch(commands, levels)
    write = ReservationWrite(now)
    for j, afters in allocation.granted.items():
        outcomes[fresh[j]] = write.add(commands[j], afters)
    for j, refusal in allocation.refused.items():
        outcomes[fresh[j]] = refusal
    write.forget = refused_claims(batch, outcomes, claimed)
    await write.execute(db, allocation.changed_levels(levels))
    return outcomes  # type: ignore[return-value]


WRITE_BATCH_SQL = """
WITH levels AS (
    UPDATE stock_levels AS s SET reserved = t.r, update_time = now()
    FROM unnest($1::text[], $2::text[], $3::bigint[]) AS t(l, k, r)
    WHERE s.location_id = t.l AND s.sku_id = t.k RETURNING 1),
reservation_rows AS (
    INSERT INTO reservations (reservation_id, channel, reference, state, request_id,
                              create_time, expire_time, actor, member_id)
    SELECT id, ch, ref, 'ACTIVE', req, $4, et, act, nullif(mem, '')
    FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[],
                $23::text[], $24::text[])
         AS t(id, ch, ref, req, et, act, mem) RETURNING 1),
line_rows AS (
    INSERT INTO reservation_lines (reservation_id, line_no, location_id, sku_id, quantity)
    SELECT * FROM unnest($10::text[], $11::int[], $12::text[], $13::text[], $14::bigint[])
    RETURNING 1),
movement_rows AS (
    INSERT INTO stock_movements (location_id, sku_id, kind, reserved_delta, on_hand_after,
                                 reserved_after, reservation_id, request_id, actor)
    SELECT l, k, 'RESERVE', d, o, r, res, req, act
    FROM unnest($12::text[], $13::text[], $14::bigint[], $15::bigint[], $16::bigint[],
                $10::text[], $17::text[], $25::text[])
         WITH ORDINALITY AS t(l, k, d, o, r, res, req, act, n)
    ORDER BY n RETURNING 1),
remembered AS (
    UPDATE idempotency_keys AS i SET response = t.r
    FROM unnest($8::text[], $18::bytea[]) AS t(k, r)
    WHERE i.method = $19 AND i.request_id = ANY($8::text[]) AND i.request_id = t.k
      AND t.r IS NOT NULL RETURNING 1),
forgotten AS (
    DELETE FROM idempotency_keys WHERE method = $19 AND request_id = ANY($20::text[])
    RETURNING 1)
SELECT pg_notify($21, p) FROM unnest($22::text[]) AS p
"""


class ReservationWrite:
    """Everything one batch writes, gathered as columns for WRITE_BATCH_SQL."""

    def __init__(self, now):
        self.now = now
        self.reservations: list[Reservation] = []
        self.request_ids: list[str] = []
        self.actors: list[str] = []
        self.members: list[str] = []
        self.responses: list[bytes] = []
        self.lines: list[tuple[str, int, ReservationLine, object]] = []
        self.forget: list[str] = []

    def add(self, command: ReserveCommand, afters, *, remember: bool = True
            ) -> pb.ReserveStockResponse | Reservation:
        """Queue a granted reservation; with ``remember`` its response is stored for its
        request_id (ReserveStock), without it the caller keeps its own record (orders)."""
        reservation = _new_reservation(command, self.now)
        self.reservations.append(reservation)
        self.request_ids.append(command.request_id)
        self.actors.append(command.actor)
        self.members.append(command.member_id)
        self.lines += [(reservation.reservation_id, n, line, after)
                       for n, (line, after) in enumerate(zip(reservation.lines, afters, strict=True))]
        if not remember:
            return reservation
        response = pb.ReserveStockResponse(reservation=reservation_to_pb(reservation))
        self.responses.append(response.SerializeToString())
        return response

    async def execute(self, db, changed) -> None:
        if not self.reservations:
            if self.forget:
                await db.execute(FORGET_SQL, METHOD, self.forget)
            return
        res, lines = self.reservations, self.lines
        await db.execute(
            WRITE_BATCH_SQL,
            [lv.location_id for lv in changed], [lv.sku_id for lv in changed],
            [lv.reserved for lv in changed],
            self.now,
            [r.reservation_id for r in res], [r.channel.value for r in res],
            [r.reference for r in res], self.request_ids, [r.expire_time for r in res],
            [rid for rid, _, _, _ in lines], [n for _, n, _, _ in lines],
            [ln.location_id for _, _, ln, _ in lines], [ln.sku_id for _, _, ln, _ in lines],
            [ln.quantity for _, _, ln, _ in lines],
            [after.on_hand for _, _, _, after in lines],
            [after.reserved for _, _, _, after in lines],
            [self.request_ids[i] for i, r in enumerate(res) for _ in r.lines],
            self.responses, METHOD, self.forget,
            repo.STOCK_CHANNEL, repo.notification_payloads(changed),
            self.actors, self.members,
            [self.actors[i] for i, r in enumerate(res) for _ in r.lines],
        )


async def _refuse_over_hold_limit(db, batch, fresh: list[int], outcomes, hold_limit: int
                                  ) -> list[int]:
    members = {batch[i].command.member_id for i in fresh} - {""}
    if hold_limit <= 0 or not members:
        return fresh
    commands = [batch[i].command for i in fresh]
    held = await repo.member_holdings(db, members, {ln.sku_id for c in commands for ln in c.lines})
    refused = refuse_over_hold_limit(commands, held, hold_limit)
    for j, error in refused.items():
        outcomes[fresh[j]] = error
    return [i for j, i in enumerate(fresh) if j not in refused]


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


async def reserve_locked(conn: AsyncConnection, commands: list[ReserveCommand], levels: dict
                         ) -> list[Reservation]:
    """Hold stock for ``commands`` inside the caller's transaction, against stock rows
    the caller has locked (``levels``, updated in place); all or nothing. No member hold
    limit: its callers (a till's sale, a transfer received) hold for the chain, not a member."""
    allocation = allocate_batch(commands, levels)
    if allocation.refused:
        raise next(iter(allocation.refused.values()))
    now = await repo.db_now(conn)
    write = ReservationWrite(now)
    reservations = [write.add(commands[j], afters, remember=False)
                    for j, afters in allocation.granted.items()]
    await write.execute(await driver(conn), allocation.changed_levels(levels))
    levels.update(allocation.levels)
    return reservations


def _new_reservation(command: ReserveCommand, now) -> Reservation:
    return Reservation(
        reservation_id=str(uuid.uuid4()),
        channel=command.channel,
        reference=command.reference,
        state=ReservationState.ACTIVE,
        lines=[ReservationLine(ln.location_id, ln.sku_id, ln.quantity) for ln in command.lines],
        create_time=now,
        expire_time=repo.expire_time(now, command.ttl_s),
        member_id=command.member_id,
    )
