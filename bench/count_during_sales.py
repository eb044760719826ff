"""A night's stock count loaded while the tills and phones keep reserving.

A chain of 100 stores by 2,000 SKUs (200,000 shelves) is loaded with `onestock load`; then a
server starts, an open loop of ReserveStock calls (1 unit of a random shelf, --rate a second)
runs for a few seconds alone, and goes on while `onestock load` writes a recount of every
shelf. Reported: each load's wall time, and the reservations' latency alone and during the
recount (p50, p99, the slowest), with how many failed. A load that held every counted shelf
until it committed would make a reservation wait for the rest of the load.

    .venv/bin/python -m bench.count_during_sales [--stores 100 --skus 2000 --rate 50]
"""

from __future__ import annotations

import asyncio
import csv
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import grpc
from onestock.inventory.v1 import inventory_service_pb2 as pb
from onestock.inventory.v1 import inventory_service_pb2_grpc as pb_grpc

from bench.harness import ROOT, arguments, database, server_process, write_result


def write_chain(folder: Path, stores: int, skus: int, on_hand: int) -> None:
    """locations, skus and stock_counts files: every store counts every SKU at ``on_hand``."""
    folder.mkdir()
    rng = random.Random(1)
    with (folder / "locations.csv").open("w", newline="") as out:
        rows = csv.writer(out)
        rows.writerow(["location_id", "kind", "latitude", "longitude", "city"])
        rows.writerows([f"S{n:04d}", "STORE", round(31.1 + rng.random() * 0.3, 5),
                        round(121.3 + rng.random() * 0.3, 5), "Shanghai"] for n in range(stores))
    with (folder / "skus.csv").open("w", newline="") as out:
        rows = csv.writer(out)
        rows.writerow(["sku_id", "price_minor"])
        rows.writerows([f"K{n:05d}", 100 + n] for n in range(skus))
    write_counts(folder, stores, skus, on_hand)


def write_counts(folder: Path, stores: int, skus: int, on_hand: int) -> None:
    folder.mkdir(exist_ok=True)
    with (folder / "stock_counts.csv").open("w", newline="") as out:
        rows = csv.writer(out)
        rows.writerow(["location_id", "sku_id", "on_hand"])
        rows.writerows([f"S{s:04d}", f"K{k:05d}", on_hand]
                       for s in range(stores) for k in range(skus))


def load_command(folder: Path) -> list[str]:
    return [sys.executable, "-m", "services.common.cli", "--log-level", "WARNING", "load",
            "--no-progress", str(folder)]


class Reservations:
    """An open loop of single-unit reservations on random shelves, timed one by one."""

    def __init__(self, server, stores: int, skus: int, rate: float):
        self.channel = grpc.aio.insecure_channel(server.address)
        self.stub = pb_grpc.InventoryServiceStub(self.channel)
        self.metadata, self.stores, self.skus, self.rate = server.metadata, stores, skus, rate
        self.rng, self.sent = random.Random(7), 0

    async def until(self, done: asyncio.Future | float) -> tuple[list[float], int]:
        """Latencies (s) and failures of the calls started before ``done`` (a time or a
        future)."""
        latencies, failed, tasks = [], 0, []

        async def one(n: int) -> None:
            nonlocal failed
            started = time.perf_counter()
            try:
                await self.stub.ReserveStock(pb.ReserveStockRequest(
                    request_id=f"r{n}", channel=pb.CHANNEL_POS, lines=[pb.ReservationLineInput(
                        location_id=f"S{self.rng.randrange(self.stores):04d}",
                        sku_id=f"K{self.rng.randrange(self.skus):05d}", quantity=1)]),
                    metadata=self.metadata, timeout=300)
            except grpc.RpcError:
                failed += 1
            latencies.append(time.perf_counter() - started)

        start = time.perf_counter()
        for n in range(10**9):
            if done.done() if isinstance(done, asyncio.Future) else time.perf_counter() >= done:
                break
            await asyncio.sleep(max(0.0, start + n / self.rate - time.perf_counter()))
            tasks.append(asyncio.create_task(one(self.sent)))
            self.sent += 1
        await asyncio.gather(*tasks)
        return latencies, failed


def summary(latencies: list[float], failed: int) -> dict:
    q = statistics.quantiles(sorted(latencies), n=100, method="inclusive")
    return {"calls": len(latencies), "failed": failed, "p50_ms": round(q[49] * 1000, 1),
            "p99_ms": round(q[98] * 1000, 1), "max_ms": round(max(latencies) * 1000, 1)}


async def recount_during_sales(server, url: str, folder: Path, args) -> dict:
    sales = Reservations(server, args.stores, args.skus, args.rate)
    alone = await sales.until(time.perf_counter() + args.seconds)
    env = {**os.environ, "DATABASE_URL": url}
    started = time.perf_counter()
    load = await asyncio.create_subprocess_exec(*load_command(folder), cwd=ROOT, env=env)
    waited = asyncio.ensure_future(load.wait())
    during = await sales.until(waited)
    assert await waited == 0, "the recount failed"
    loaded_s = time.perf_counter() - started
    await sales.channel.close()
    return {"recount_s": round(loaded_s, 1), "alone": summary(*alone),
            "during_recount": summary(*during)}


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--stores", type=int, default=100)
    parser.add_argument("--skus", type=int, default=2_000)
    parser.add_argument("--rate", type=float, default=50, help="reservations a second")
    parser.add_argument("--seconds", type=float, default=5, help="reservations alone, first")
    args = parser.parse_args()
    with database() as url, tempfile.TemporaryDirectory() as tmp:
        chain, recount = Path(tmp) / "chain", Path(tmp) / "recount"
        write_chain(chain, args.stores, args.skus, on_hand=50)
        write_counts(recount, args.stores, args.skus, on_hand=51)  # every shelf changes
        started = time.perf_counter()
        subprocess.run(load_command(chain), cwd=ROOT, env={**os.environ, "DATABASE_URL": url},
                       check=True)
        first_s = time.perf_counter() - started
        with server_process(url) as server:
            result = asyncio.run(recount_during_sales(server, url, recount, args))
    result = {"shelves": args.stores * args.skus, "rate_per_s": args.rate,
              "first_load_s": round(first_s, 1), **result}
    write_result("count_during_sales", result)
    during = result["during_recount"]
    print(f"recount of {result['shelves']:,} shelves in {result['recount_s']} s; reservations "
          f"during it p99 {during['p99_ms']} ms, slowest {during['max_ms']} ms "
          f"(alone p99 {result['alone']['p99_ms']} ms), {during['failed']} failed")


if __name__ == "__main__":
    main()
