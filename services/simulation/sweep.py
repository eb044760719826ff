"""Run many (scenario, policy) replays: in this process, in worker processes, or on Ray.

A job is a ScenarioSpec and a policy, both small and picklable: each worker
builds the scenario itself (the generator is seeded, files are read where they
lie), so nothing of millions of orders crosses a process boundary but the
KPIs. Progress flows back as order counts; cancelling stops every worker at
its next progress report.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass

from services.routing.policy import RoutingPolicy
from services.simulation.build import build
from services.simulation.replay import replay, simulation_chain
from services.simulation.scenario import ScenarioSpec

# How simulation work leaves the calling process: spawned, not forked, as the caller may be a
# gRPC server, whose threads do not survive a fork.
CHILD_PROCESSES = multiprocessing.get_context("spawn")


@dataclass(frozen=True)
class Job:
    spec: ScenarioSpec
    policy_name: str
    policy: RoutingPolicy


class Tracker:
    """Where progress goes: the CLI's bar, the RPC's stream. Totals grow as scenarios load."""

    def add_total(self, orders: int) -> None: ...

    def advance(self, orders: int) -> None: ...


class Cancelled(Exception):
    """The caller went away (Ctrl-C, a cancelled RPC): the sweep stopped early."""


class SweepUnavailable(Exception):
    """Where the sweep was asked to run, it cannot: Ray is not installed, or no cluster
    answers at the address given."""


def run(jobs: Sequence[Job], *, workers: int = 1, ray_address: str | None = None,
        tracker: Tracker | None = None, cancel: threading.Event | None = None,
        isolate: bool = False) -> list[dict]:
    """Each job's KPIs (with its scenario's summary under "scenario"), in job order.

    ``isolate`` runs even a single job in a worker process: a server keeps its own
    process (and the GIL) for the calls it serves."""
    tracker = tracker or Tracker()
    cancel = cancel or threading.Event()
    if ray_address:
        from services.simulation import ray_sweep

        return ray_sweep.run(jobs, ray_address, tracker, cancel)
    if not isolate and (workers <= 1 or len(jobs) == 1):
        return _in_process(jobs, tracker, cancel)
    return _in_processes(jobs, workers, tracker, cancel)


def _in_process(jobs, tracker: Tracker, cancel: threading.Event) -> list[dict]:
    built: dict[ScenarioSpec, tuple] = {}  # each scenario built, and indexed, once

    def advance(n: int) -> None:
        if cancel.is_set():
            raise Cancelled()
        tracker.advance(n)

    results = []
    for job in jobs:
        if job.spec not in built:
            scenario = build(job.spec)
            built[job.spec] = (scenario, simulation_chain(scenario), scenario.summary())
            tracker.add_total(len(scenario.orders) * sum(j.spec == job.spec for j in jobs))
        scenario, chain, summary = built[job.spec]
        kpis = replay(scenario, job.policy, job.policy_name, advance, chain)
        results.append({**kpis, "scenario": summary})
    return results


def run_job(job: Job, report: Callable[[str, int], None] | None = None) -> dict:
    """One job, start to end: what a worker process or a Ray task runs."""
    report = report or (lambda kind, n: None)
    scenario = build(job.spec)
    report("total", len(scenario.orders))
    kpis = replay(scenario, job.policy, job.policy_name, lambda n: report("done", n))
    return {**kpis, "scenario": scenario.summary()}


# --- worker processes -----------------------------------------------------------------

_progress_queue = None
_cancelled = None


def _worker_init(progress_queue, cancelled) -> None:
    global _progress_queue, _cancelled
    _progress_queue, _cancelled = progress_queue, cancelled


def _worker_job(job: Job) -> dict:
    def report(kind: str, n: int) -> None:
        if _cancelled.is_set():
            raise Cancelled()
        _progress_queue.put((kind, n))
    return run_job(job, report)


def _in_processes(jobs, workers: int, tracker: Tracker, cancel: threading.Event) -> list[dict]:
    progress, cancelled = CHILD_PROCESSES.Queue(), CHILD_PROCESSES.Event()
    with ProcessPoolExecutor(max_workers=max(1, min(workers, len(jobs))),
                             mp_context=CHILD_PROCESSES,
                             initializer=_worker_init, initargs=(progress, cancelled)) as pool:
        futures = [pool.submit(_worker_job, job) for job in jobs]
        pending = set(futures)
        try:
            while pending:
                _, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                _drain(progress, tracker)
                if cancel.is_set():
                    cancelled.set()
                    raise Cancelled()
            _drain(progress, tracker)
            return [f.result() for f in futures]
        except BaseException:
            cancelled.set()
            for future in futures:
                future.cancel()
            raise


def _drain(progress, tracker: Tracker) -> None:
    while True:
        try:
            kind, n = progress.get_nowait()
        except queue.Empty:
            return
        (tracker.add_total if kind == "total" else tracker.advance)(n)
