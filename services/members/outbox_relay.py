"""Delivering member events to the chain's CRM from the transactional outbox.

Events are written to the outbox in the same transaction as the points change
(services.members.ledger), so an event exists if and only if the change does.
The relay sends them to a sink and marks each delivered once the sink has
acknowledged it. Per member, only the oldest undelivered event is eligible,
so a member's events reach the CRM in order even while the CRM fails; other
members' events keep flowing. A failure schedules a retry with exponential
backoff and jitter. Each event goes in its own short transaction, with its row
locked (SKIP LOCKED lets relays in several server processes share the work).
A crash after the CRM answered but before the commit sends that event again,
with the same event_id: the CRM deduplicates on it.
"""

from __future__ import annotations

import json
import logging
import random
from typing import Protocol

import grpc
from google.protobuf import json_format
from onestock.members.v1 import member_service_pb2 as pb
from onestock.members.v1 import member_service_pb2_grpc as pb_grpc
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.idempotency import driver

log = logging.getLogger(__name__)
crm_log = logging.getLogger("onestock.crm")

DUE_HEADS_SQL = """
SELECT o.seq FROM outbox o
WHERE o.delivered_time IS NULL AND o.next_attempt_time <= now()
  AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.member_id = o.member_id
                  AND p.delivered_time IS NULL AND p.seq < o.seq)
ORDER BY o.seq LIMIT $1
"""


class Sink(Protocol):
    async def deliver(self, event: pb.MemberEvent) -> None:
        """Return when the CRM has acknowledged the event; raise otherwise."""

    async def close(self) -> None: ...


class LogSink:
    """The default sink: one JSON line per event on the "onestock.crm" logger."""

    async def deliver(self, event: pb.MemberEvent) -> None:
        crm_log.info(json.dumps(json_format.MessageToDict(event), ensure_ascii=False))

    async def close(self) -> None:
        return None


class GrpcSink:
    """The CRM's MemberSyncService at ``address`` (host:port)."""

    def __init__(self, address: str, timeout_s: float = 5.0):
        self._channel = grpc.aio.insecure_channel(address)
        self._stub = pb_grpc.MemberSyncServiceStub(self._channel)
        self._timeout_s = timeout_s

    async def deliver(self, event: pb.MemberEvent) -> None:
        await self._stub.DeliverMemberEvent(pb.DeliverMemberEventRequest(event=event),
                                            timeout=self._timeout_s)

    async def close(self) -> None:
        await self._channel.close()


def sink_from_setting(value: str) -> Sink:
    """ONESTOCK_CRM_SINK: "log" (default) or "grpc://host:port"."""
    if value in ("", "log"):
        return LogSink()
    if value.startswith("grpc://"):
        return GrpcSink(value.removeprefix("grpc://"))
    raise ValueError(f"ONESTOCK_CRM_SINK must be 'log' or 'grpc://host:port', got {value!r}")


def backoff_s(attempts: int, base_s: float, cap_s: float) -> float:
    """Wait before retry number ``attempts``: doubling from base_s, capped, +-20% jitter."""
    return min(cap_s, base_s * 2 ** max(0, attempts - 1)) * random.uniform(0.8, 1.2)


class OutboxRelay:
    def __init__(self, engine: AsyncEngine, sink: Sink, *, batch: int = 100,
                 base_backoff_s: float = 0.5, max_backoff_s: float = 60.0):
        self.engine = engine
        self.sink = sink
        self.batch = batch
        self.base_backoff_s = base_backoff_s
        self.max_backoff_s = max_backoff_s

    async def deliver_due(self) -> int:
        """Offer every due event to the sink once; returns how many were acknowledged."""
        async with self.engine.connect() as conn:
            seqs = [r[0] for r in await (await driver(conn)).fetch(DUE_HEADS_SQL, self.batch)]
        delivered = 0
        for seq in seqs:
            delivered += await self._deliver_one(seq)
        return delivered

    async def _deliver_one(self, seq: int) -> int:
        async with self.engine.begin() as conn:
            db = await driver(conn)
            row = await db.fetchrow(
                "SELECT payload, attempts FROM outbox WHERE seq = $1 AND delivered_time IS NULL "
                "FOR UPDATE SKIP LOCKED", seq)
            if row is None:
                return 0  # another relay has it, or delivered it
            event = pb.MemberEvent.FromString(row["payload"])
            try:
                await self.sink.deliver(event)
            except Exception as error:  # noqa: BLE001 - any failure means: try again later
                wait = backoff_s(row["attempts"] + 1, self.base_backoff_s, self.max_backoff_s)
                await db.execute(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = $2, "
                    "next_attempt_time = now() + make_interval(secs => $3) WHERE seq = $1",
                    seq, _describe(error), wait)
                log.warning("CRM sink refused event %s (%s); retry in %.1fs", event.event_id,
                            _describe(error), wait)
                return 0
            await db.execute("UPDATE outbox SET delivered_time = now(), attempts = attempts + 1 "
                             "WHERE seq = $1", seq)
            return 1

    async def stop(self) -> None:
        await self.sink.close()


def _describe(error: Exception) -> str:
    if isinstance(error, grpc.aio.AioRpcError):
        return f"{error.code().name}: {error.details()}"[:500]
    return f"{type(error).__name__}: {error}"[:500]


async def backlog(engine: AsyncEngine) -> pb.GetSyncBacklogResponse:
    async with engine.connect() as conn:
        row = await (await driver(conn)).fetchrow(
            "SELECT count(*), count(DISTINCT member_id), "
            "COALESCE(EXTRACT(EPOCH FROM now() - min(create_time)), 0), "
            "count(*) FILTER (WHERE attempts > 0), "
            "(SELECT last_error FROM outbox WHERE delivered_time IS NULL AND last_error IS NOT NULL "
            " ORDER BY seq DESC LIMIT 1) "
            "FROM outbox WHERE delivered_time IS NULL")
    return pb.GetSyncBacklogResponse(
        pending_events=row[0], pending_members=row[1], oldest_pending_age_seconds=float(row[2]),
        retrying_events=row[3], last_error=row[4] or "")
