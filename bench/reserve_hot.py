"""ReserveStock on one hot SKU at one location, against the health check (a no-op RPC)
on the same server in the same run.

Phases, interleaved over several rounds so that drift on a shared machine hits
every phase alike:

- closed loop, 200 concurrent callers: health Check (the ceiling), then
  ReserveStock with coalescing (the shipped design);
- the same ReserveStock load on a second server with coalescing off
  (ONESTOCK_RESERVE_MAX_BATCH=1: one transaction per call, every call
  queueing for the hot row), to show what the design buys;
- open loop at a fixed offered rate (--open-rate), for the latency a customer
  sees at that load rather than the closed loop's concurrency/throughput bound.

Afterwards the units reserved in the database must equal the successful calls.

    make bench            # or: .venv/bin/python -m bench.reserve_hot
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics

from onestock.inventory.v1 import inventory_service_pb2 as pb
from onestock.inventory.v1 import inventory_service_pb2_grpc as pb_grpc
from sqlalchemy import text

from bench.harness import (
    Connections,
    closed_loop,
    database,
    load_arguments,
    open_loop,
    server_process,
    write_result,
)
from services.common.cli import event_loop_factory
from services.common.database import command_engine

HOT = ("SH-HOT", "FLASH-SALE")


async def seed(stub, metadata) -> None:
    await stub.UpsertLocations(pb.UpsertLocationsRequest(request_id="b-loc", locations=[
        pb.Location(location_id=HOT[0], name="Hot store", kind=pb.LOCATION_KIND_STORE,
                    latitude=31.23, longitude=121.47, city="Shanghai")]), metadata=metadata)
    await stub.UpsertSkus(pb.UpsertSkusRequest(request_id="b-sku", skus=[
        pb.Sku(sku_id=HOT[1], name="Flash sale", price_minor=990)]), metadata=metadata)
    await stub.AdjustStock(pb.AdjustStockRequest(
        request_id="b-stock", location_id=HOT[0], sku_id=HOT[1], set_on_hand=100_000_000,
        reason=pb.ADJUSTMENT_REASON_RECEIPT), metadata=metadata)


async def reserved_units(url: str) -> tuple[int, int]:
    async with command_engine(url) as engine, engine.connect() as conn:
        units = await conn.scalar(text(
            "SELECT reserved FROM stock_levels WHERE location_id = :l AND sku_id = :s"),
            {"l": HOT[0], "s": HOT[1]})
        count = await conn.scalar(text("SELECT count(*) FROM reservations"))
    return units, count


class Client:
    """Callers spread over several HTTP/2 connections, as many tills and phones would be."""

    def __init__(self, server, connections: int, tag: str):
        self.connections = Connections(server, connections)
        self.metadata = self.connections.metadata
        self.inventory = self.connections.stubs(pb_grpc.InventoryServiceStub)
        self.noop = self.connections.noop
        self.close = self.connections.close
        self.tag = tag
        self.ok = 0
        self.phase = 0

    async def reserve(self, n: int):
        await self.inventory[n % len(self.inventory)].ReserveStock(pb.ReserveStockRequest(
            request_id=f"{self.tag}-{self.phase}-{n}", channel=pb.CHANNEL_MINI_PROGRAM,
            ttl_seconds=3600, lines=[pb.ReservationLineInput(
                location_id=HOT[0], sku_id=HOT[1], quantity=1)]), metadata=self.metadata)
        self.ok += 1


async def run(args, url: str, shipped, naive) -> dict:
    fast, slow = Client(shipped, args.connections, "c"), Client(naive, args.connections, "n")
    await seed(fast.inventory[0], fast.metadata)
    loop = dict(concurrency=args.concurrency, duration_s=args.seconds)
    rounds = []
    for r in range(args.rounds):
        fast.phase = slow.phase = r
        ceiling = await closed_loop("health Check (ceiling)", fast.noop, server=shipped, **loop)
        hot = await closed_loop("ReserveStock coalesced", fast.reserve, server=shipped, **loop)
        per_call = await closed_loop("ReserveStock 1 txn/call", slow.reserve, server=naive, **loop)
        for stats in (ceiling, hot, per_call):
            print(stats.line(), flush=True)
        rounds.append((ceiling, hot, per_call))
    fast.phase = slow.phase = args.rounds
    rate = dict(rate_per_s=args.open_rate, duration_s=args.seconds, server=shipped)
    open_noop = await open_loop(f"health Check open {args.open_rate}/s", fast.noop, **rate)
    opened = await open_loop(f"ReserveStock open {args.open_rate}/s", fast.reserve, **rate)
    print(open_noop.line())
    print(opened.line())
    await fast.close()
    await slow.close()
    units, reservations = await reserved_units(url)

    def column(index, attr):
        return [None if (v := getattr(r[index], attr)) is None else round(v, 2) for r in rounds]

    ratios = [h.per_s / c.per_s for c, h, _ in rounds]
    return {
        "concurrency": args.concurrency, "connections": args.connections,
        "rounds": args.rounds, "seconds_per_phase": args.seconds,
        "ceiling_per_s": column(0, "per_s"), "ceiling_p99_ms": column(0, "p99_ms"),
        "ceiling_cpu_us_per_call": column(0, "server_cpu_us_per_call"),
        "reserve_per_s": column(1, "per_s"), "reserve_p50_ms": column(1, "p50_ms"),
        "reserve_p99_ms": column(1, "p99_ms"),
        "reserve_cpu_us_per_call": column(1, "server_cpu_us_per_call"),
        "reserve_database_cpu_us_per_call": column(1, "database_cpu_us_per_call"),
        "ratio_to_ceiling": [round(x, 3) for x in ratios],
        "median_ratio_to_ceiling": round(statistics.median(ratios), 3),
        "uncoalesced_per_s": column(2, "per_s"), "uncoalesced_p99_ms": column(2, "p99_ms"),
        "coalescing_speedup": round(statistics.median(
            h.per_s / n.per_s for _, h, n in rounds), 2),
        "open_loop_rate_per_s": args.open_rate,
        "open_loop_noop_p50_ms": round(open_noop.p50_ms, 2),
        "open_loop_noop_p99_ms": round(open_noop.p99_ms, 2),
        "open_loop_p50_ms": round(opened.p50_ms, 2),
        "open_loop_p99_ms": round(opened.p99_ms, 2), "open_loop_errors": opened.errors,
        "successful_calls": fast.ok + slow.ok, "reserved_units": units,
        "reservations": reservations, "discrepancy": units - (fast.ok + slow.ok),
    }


def main() -> None:
    parser = load_arguments(__doc__, concurrency=200)
    parser.add_argument("--open-rate", type=int, default=1000,
                        help="offered calls per second in the open-loop phase")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(database())
        shipped = stack.enter_context(server_process(url))
        naive = stack.enter_context(server_process(
            url, ONESTOCK_RESERVE_MAX_BATCH=1, ONESTOCK_RESERVE_WORKERS=16,
            ONESTOCK_DB_POOL_SIZE=16))
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            result = runner.run(run(args, url, shipped, naive))
    write_result("reserve_hot", result)
    met = (result["median_ratio_to_ceiling"] >= 0.8 and max(result["reserve_p99_ms"]) < 50
           and result["discrepancy"] == 0)
    print(f"median ratio {result['median_ratio_to_ceiling']:.2f} of the no-op ceiling, "
          f"coalescing x{result['coalescing_speedup']}, discrepancy {result['discrepancy']}; "
          f"issue targets (>= 0.8, p99 < 50 ms, 0) met: {met}")


if __name__ == "__main__":
    main()
