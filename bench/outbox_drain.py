"""The CRM outbox: how fast a backlog drains to a CRM that takes a while to answer.

Writes ``--events`` points awards (``--per-member`` per member) to the outbox, then drains
them through a real gRPC MemberSyncService in this process that answers each event after
``--crm-ms``, as the server's relay does (a round every ONESTOCK_OUTBOX_INTERVAL_S, 0.5 s).
Once with one event in flight at a time, then (the backlog reset) with the relay's default
of 16, in one run. A backlog must drain faster than a peak hour fills it: a chain completing
30 orders a second writes at least 30 events a second.

    .venv/bin/python -m bench.outbox_drain [--events 2000 --per-member 5 --crm-ms 20]
"""

from __future__ import annotations

import asyncio
import time

import grpc
from onestock.members.v1 import member_service_pb2 as pb
from onestock.members.v1 import member_service_pb2_grpc as pb_grpc
from sqlalchemy import text

from bench.harness import arguments, database, write_result
from services.common.database import create_engine
from services.common.uow import in_transaction
from services.members.ledger import award_order
from services.members.outbox_relay import GrpcSink, OutboxRelay

INTERVAL_S = 0.5  # the server's default ONESTOCK_OUTBOX_INTERVAL_S


class SlowCrm(pb_grpc.MemberSyncServiceServicer):
    def __init__(self, delay_s: float):
        self.delay_s = delay_s
        self.acked = 0

    async def DeliverMemberEvent(self, request, context):
        await asyncio.sleep(self.delay_s)
        self.acked += 1
        return pb.DeliverMemberEventResponse()


async def write_awards(engine, events: int, per_member: int) -> None:
    async def member(m: int) -> None:
        for i in range(per_member):
            await in_transaction(engine, lambda c, i=i: award_order(
                c, f"M-{m:05d}", f"O-{m:05d}-{i}", 10_000))

    members = range(events // per_member)
    for start in range(0, len(members), 20):
        await asyncio.gather(*(member(m) for m in members[start:start + 20]))


async def drain(engine, address: str, concurrency: int, events: int) -> dict:
    relay = OutboxRelay(engine, GrpcSink(address), concurrency=concurrency)
    began, rounds, delivered = time.perf_counter(), 0, 0
    try:
        while delivered < events:
            delivered += await relay.deliver_due()
            rounds += 1
            if delivered < events:
                await asyncio.sleep(INTERVAL_S)
    finally:
        await relay.stop()
    took = time.perf_counter() - began
    return {"concurrency": concurrency, "seconds": round(took, 2),
            "events_per_s": round(events / took, 1), "relay_rounds": rounds}


async def run(url: str, events: int, per_member: int, crm_ms: float) -> dict:
    engine = create_engine(url, 10)
    crm_server, crm = grpc.aio.server(), SlowCrm(crm_ms / 1000)
    pb_grpc.add_MemberSyncServiceServicer_to_server(crm, crm_server)
    port = crm_server.add_insecure_port("127.0.0.1:0")
    await crm_server.start()
    try:
        await write_awards(engine, events, per_member)
        result: dict = {"events": events, "per_member": per_member, "crm_ms": crm_ms}
        for concurrency in (1, 16):
            async with engine.begin() as conn:  # the same backlog, undelivered again
                await conn.execute(text("UPDATE outbox SET delivered_time = NULL, attempts = 0, "
                                        "next_attempt_time = now()"))
            result[f"in_flight_{concurrency}"] = await drain(
                engine, f"127.0.0.1:{port}", concurrency, events)
        result["speedup"] = round(result["in_flight_16"]["events_per_s"]
                                  / result["in_flight_1"]["events_per_s"], 2)
        return result
    finally:
        await crm_server.stop(0)
        await engine.dispose()


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--per-member", type=int, default=5)
    parser.add_argument("--crm-ms", type=float, default=20.0)
    args = parser.parse_args()
    with database() as url:
        write_result("outbox_drain", asyncio.run(
            run(url, args.events, args.per_member, args.crm_ms)))


if __name__ == "__main__":
    main()
