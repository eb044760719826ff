"""What every benchmark needs: a database, a migrated schema, a server in its own process,
and a closed-loop load generator that reports throughput and latency percentiles.

Figures are only compared within one run (the ratio to the health-check
ceiling), because these machines are shared and noisy.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc

from services.common.database import fresh_database

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


@dataclass
class Stats:
    name: str
    calls: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    server_cpu_s: float = 0.0
    database_cpu_s: float | None = None  # None: the database's processes are not visible

    @property
    def server_cpu_us_per_call(self) -> float:
        return self.server_cpu_s / max(1, self.calls) * 1e6

    @property
    def database_cpu_us_per_call(self) -> float | None:
        if self.database_cpu_s is None:
            return None
        return self.database_cpu_s / max(1, self.calls) * 1e6

    @property
    def per_s(self) -> float:
        return self.calls / self.seconds

    def line(self) -> str:
        database = self.database_cpu_us_per_call
        return (f"{self.name:<28} {self.per_s:9.0f}/s  p50 {self.p50_ms:6.2f} ms  "
                f"p99 {self.p99_ms:6.2f} ms  server CPU {self.server_cpu_us_per_call:5.0f} us/call  "
                + (f"database CPU {database:5.0f} us/call  " if database is not None else "")
                + f"({self.calls} calls, {self.errors} errors)")


def database():
    """A fresh, migrated database: on DATABASE_URL's server, else an embedded one."""
    return fresh_database("onestock_bench")


def _cpu_ticks(pid: int) -> int:
    """User + system CPU of one process so far, in clock ticks (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def _children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


class DatabaseProcesses:
    """The PostgreSQL server's processes (postmaster, backends, WAL writer, checkpointer),
    when it runs on this machine: the CPU a call costs the database, beside the server's.
    Backends are pooled, so they live through a phase; one that exits mid-phase is
    left out (an undercount)."""

    def __init__(self, postmaster: int):
        self.postmaster = postmaster

    @classmethod
    def of(cls, url: str) -> DatabaseProcesses | None:
        """Found through the server's data directory; None when it is not readable here."""
        import asyncpg
        from sqlalchemy import make_url

        async def data_directory() -> str:
            conn = await asyncpg.connect(
                make_url(url).set(drivername="postgresql").render_as_string(hide_password=False))
            try:
                return await conn.fetchval("SHOW data_directory")
            finally:
                await conn.close()

        try:
            pid_file = Path(asyncio.run(data_directory())) / "postmaster.pid"
            return cls(int(pid_file.read_text().split()[0]))
        except (OSError, ValueError, asyncpg.PostgresError):
            return None

    def ticks(self) -> dict[int, int]:
        found = {}
        for pid in (self.postmaster, *_children(self.postmaster)):
            with contextlib.suppress(OSError):  # exited meanwhile
                found[pid] = _cpu_ticks(pid)
        return found

    @staticmethod
    def seconds_between(before: dict[int, int], after: dict[int, int]) -> float:
        return sum(t - before.get(pid, 0) for pid, t in after.items()) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ServerProcesses:
    address: str
    pids: list[int]
    api_key: str  # an OPS key: send ``metadata`` with every call
    database: DatabaseProcesses | None = None

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.api_key}"),)

    def cpu_seconds(self) -> float:
        """User + system CPU the server processes have used so far (from /proc)."""
        return sum(_cpu_ticks(pid) for pid in self.pids) / os.sysconf("SC_CLK_TCK")

    def meter(self) -> CpuMeter:
        return CpuMeter(self)


class CpuMeter:
    """The CPU the server and the database use between ``start`` and ``stop``."""

    def __init__(self, server: ServerProcesses):
        self.server = server

    def start(self) -> None:
        self._server = self.server.cpu_seconds()
        self._database = self.server.database.ticks() if self.server.database else None

    def stop(self) -> tuple[float, float | None]:
        server = self.server.cpu_seconds() - self._server
        if self._database is None:
            return server, None
        return server, DatabaseProcesses.seconds_between(self._database,
                                                         self.server.database.ticks())


@contextlib.contextmanager
def server_process(url: str, processes: int = 1, **env) -> Iterator[ServerProcesses]:
    """`onestock serve --processes N`, out of the load generator's process, as in production."""
    address = f"127.0.0.1:{free_port()}"
    environ = {**os.environ, "DATABASE_URL": url, "ONESTOCK_LISTEN": address,
               "ONESTOCK_METRICS_LISTEN": "127.0.0.1:0",  # several servers side by side
               **{k: str(v) for k, v in env.items()}}
    proc = subprocess.Popen([sys.executable, "-m", "services.common.cli", "--log-level", "WARNING",
                             "serve", "--processes", str(processes)], env=environ, cwd=ROOT)
    try:
        channel = grpc.insecure_channel(address)
        grpc.channel_ready_future(channel).result(timeout=60)
        channel.close()
        time.sleep(1.0 if processes > 1 else 0)  # let every process bind
        key = subprocess.run([sys.executable, "-m", "services.common.cli", "keys", "create",
                              "--kind", "OPS", "--name", "bench"], env=environ, cwd=ROOT,
                             check=True, capture_output=True, text=True).stdout.strip()
        yield ServerProcesses(address, [proc.pid, *_children(proc.pid)], key,
                              DatabaseProcesses.of(url))
    finally:
        proc.terminate()
        proc.wait(timeout=30)


async def open_loop(
    name: str,
    call: Callable[[int], Awaitable[object]],
    *,
    rate_per_s: float,
    duration_s: float,
    server: ServerProcesses | None = None,
) -> Stats:
    """Calls started at a fixed rate whatever the answers (an open loop): the latency a
    customer sees at that load, free of the closed loop's concurrency / throughput bound."""
    latencies: list[float] = []
    errors = 0
    tasks = []

    async def one(n: int) -> None:
        nonlocal errors
        began = time.perf_counter()
        try:
            await call(n)
        except grpc.RpcError:
            errors += 1
        latencies.append(time.perf_counter() - began)

    meter = server.meter() if server else None
    if meter:
        meter.start()
    start = time.perf_counter()
    total = int(rate_per_s * duration_s)
    for n in range(total):
        delay = start + n / rate_per_s - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(n)))
    await asyncio.gather(*tasks)
    cpu, database_cpu = meter.stop() if meter else (0.0, None)
    latencies.sort()
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return Stats(name, len(latencies), errors, duration_s, q[49] * 1000, q[98] * 1000, cpu,
                 database_cpu)


async def closed_loop(
    name: str,
    call: Callable[[int], Awaitable[object]],
    *,
    concurrency: int,
    duration_s: float,
    warmup_s: float = 1.0,
    server: ServerProcesses | None = None,
) -> Stats:
    """``concurrency`` callers each issuing ``call(n)`` back to back for ``duration_s``."""
    latencies: list[float] = []
    errors = 0
    counter = iter(range(10**12))
    start = time.perf_counter()
    measure_from = start + warmup_s
    stop_at = measure_from + duration_s

    async def caller() -> None:
        nonlocal errors
        while (now := time.perf_counter()) < stop_at:
            try:
                await call(next(counter))
                ok = True
            except grpc.RpcError:
                ok = False
            done = time.perf_counter()
            if now >= measure_from:
                latencies.append(done - now)
                errors += not ok

    async def cpu_meter() -> tuple[float, float | None]:
        meter = server.meter()
        await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
        meter.start()
        await asyncio.sleep(max(0.0, stop_at - time.perf_counter()))
        return meter.stop()

    metered = asyncio.create_task(cpu_meter()) if server else None
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    cpu, database_cpu = await metered if metered else (0.0, None)
    latencies.sort()
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return Stats(name, len(latencies), errors, duration_s, q[49] * 1000, q[98] * 1000, cpu,
                 database_cpu)


class Connections:
    """Calls spread over several HTTP/2 connections to one server, as many tills and phones
    would make them, with the health check every ceiling is measured by."""

    def __init__(self, server: ServerProcesses, count: int):
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        self.metadata = server.metadata
        self.channels = [grpc.aio.insecure_channel(server.address) for _ in range(count)]
        self._health = self.stubs(health_pb2_grpc.HealthStub)
        self._check = health_pb2.HealthCheckRequest()

    def stubs(self, stub_class) -> list:
        """One stub per connection; call ``stubs[n % len(stubs)]`` to spread the load."""
        return [stub_class(channel) for channel in self.channels]

    async def noop(self, n: int):
        return await self._health[n % len(self._health)].Check(self._check)

    async def close(self) -> None:
        for channel in self.channels:
            await channel.close()


async def against_ceiling(args, server: ServerProcesses, name: str, key: str,
                          call_over: Callable[[Connections], Callable]) -> dict:
    """The whole of a benchmark against the no-op ceiling: ``call_over(connections)``
    gives the call to measure; the result holds the run's settings and ``summarize``."""
    connections = Connections(server, args.connections)
    try:
        rounds = await versus_ceiling(name, call_over(connections), connections.noop,
                                      rounds=args.rounds, concurrency=args.concurrency,
                                      seconds=args.seconds, server=server)
    finally:
        await connections.close()
    return {"concurrency": args.concurrency, "rounds": args.rounds,
            "seconds_per_phase": args.seconds, **summarize(key, rounds)}


async def versus_ceiling(name: str, call, noop, *, rounds: int, concurrency: int,
                         seconds: float, server: ServerProcesses) -> list[tuple[Stats, Stats]]:
    """Interleave the no-op ceiling and ``call`` for ``rounds`` rounds, so drift on a
    shared machine hits both alike; prints each phase as it ends."""
    loop = dict(concurrency=concurrency, duration_s=seconds, server=server)
    results = []
    for _ in range(rounds):
        ceiling = await closed_loop("health Check (ceiling)", noop, **loop)
        measured = await closed_loop(name, call, **loop)
        print(ceiling.line(), flush=True)
        print(measured.line(), flush=True)
        results.append((ceiling, measured))
    return results


def summarize(key: str, rounds: list[tuple[Stats, Stats]]) -> dict:
    """The figures every "against the ceiling" benchmark reports, per round."""
    ratios = [m.per_s / c.per_s for c, m in rounds]
    return {
        "ceiling_per_s": [round(c.per_s) for c, _ in rounds],
        "ceiling_cpu_us_per_call": [round(c.server_cpu_us_per_call) for c, _ in rounds],
        f"{key}_per_s": [round(m.per_s) for _, m in rounds],
        f"{key}_p50_ms": [round(m.p50_ms, 2) for _, m in rounds],
        f"{key}_p99_ms": [round(m.p99_ms, 2) for _, m in rounds],
        f"{key}_cpu_us_per_call": [round(m.server_cpu_us_per_call) for _, m in rounds],
        f"{key}_database_cpu_us_per_call": [round_or_none(m.database_cpu_us_per_call)
                                            for _, m in rounds],
        f"{key}_errors": sum(m.errors for _, m in rounds),
        "ratio_to_ceiling": [round(x, 3) for x in ratios],
        "median_ratio_to_ceiling": round(statistics.median(ratios), 3),
    }


def round_or_none(value: float | None) -> int | None:
    """A figure to report, or None where it could not be measured (database CPU elsewhere)."""
    return None if value is None else round(value)


def write_result(name: str, result: dict) -> None:
    import json

    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


async def seed_demo(url: str) -> None:
    """Load the demo chain into a benchmark's database."""
    from services.common.database import command_engine
    from services.common.uow import in_transaction
    from services.inventory.demo_chain import build_demo_chain, seed_demo_chain

    chain = build_demo_chain()
    async with command_engine(url) as engine:
        await in_transaction(engine, lambda conn: seed_demo_chain(conn, chain))


def arguments(doc: str):
    """A benchmark's command line, whose help is the script's docstring as written."""
    import argparse

    return argparse.ArgumentParser(description=doc,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)


def load_arguments(doc: str, concurrency: int = 100):
    """The options every load benchmark takes; a script may add its own before parsing."""
    parser = arguments(doc)
    parser.add_argument("--concurrency", type=int, default=concurrency)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    return parser


def against_demo_server(work: Callable[[ServerProcesses], Awaitable[dict]]) -> dict:
    """A fresh database with the demo chain, a server on it, and ``work(server)``'s result."""
    from services.common.cli import event_loop_factory

    with contextlib.ExitStack() as stack:
        url = stack.enter_context(database())
        asyncio.run(seed_demo(url))
        server = stack.enter_context(server_process(url))
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            return runner.run(work(server))


def run_on_demo_chain(doc: str, name: str, run, target_ratio: float) -> None:
    """Command line, database, demo chain and server for a benchmark against the ceiling;
    ``run(args, server)`` returns the result, written to bench/results/<name>.json."""
    args = load_arguments(doc).parse_args()
    result = against_demo_server(lambda server: run(args, server))
    write_result(name, result)
    ratio = result["median_ratio_to_ceiling"]
    print(f"median ratio {ratio:.2f} of the no-op ceiling; target >= {target_ratio} met: "
          f"{ratio >= target_ratio}")
