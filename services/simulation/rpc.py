"""RunSimulation for the RoutingService: the request checked, the run streamed, the KPIs mapped.

The replay and the report's charts run in child processes (``simulate(isolate=True)``),
so a simulation of millions of orders never holds up the calls the server is serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from google.protobuf import json_format
from onestock.routing.v1 import routing_service_pb2 as pb
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.errors import (
    Collector,
    FieldViolation,
    InvalidArgument,
    ResourceExhausted,
    request_id_reused,
)
from services.common.idempotency import request_hash
from services.common.input_files import InputError
from services.common.validation import check_id, check_optional_id, check_request_id
from services.routing.policy import LivePolicy, PolicyError, RoutingPolicy, policy_from_dict
from services.simulation import report, snapshot
from services.simulation.run import DEFAULT_NAME, simulate
from services.simulation.scenario import (
    CASE_UNITS_RANGE,
    DAYS_RANGE,
    LOCATIONS_RANGE,
    SEED_RANGE,
    SKUS_RANGE,
    ScenarioSpec,
    SyntheticChainSpec,
    SyntheticOrdersSpec,
    start_date,
)
from services.simulation.sweep import Cancelled, Tracker

MAX_POLICIES = 16
PROGRESS_EVERY_S = 0.25
FINGERPRINT = "request.sha256"
RUN_LOCK = ".running.lock"  # in reports/: held by the one simulation running

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SimulationRequest:
    request_id: str
    spec: ScenarioSpec
    live_snapshot: bool
    policies: list[tuple[str, RoutingPolicy]]
    workers: int


class _Stream(Tracker):
    """Progress from the sweep's thread, handed to the event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, events: asyncio.Queue):
        self.loop, self.events = loop, events
        self.total = self.done = 0

    def add_total(self, orders: int) -> None:
        self.total += orders
        self.loop.call_soon_threadsafe(self.events.put_nowait, ("progress", None))

    def advance(self, orders: int) -> None:
        self.done += orders
        self.loop.call_soon_threadsafe(self.events.put_nowait, ("progress", None))


def prune_runs(reports: Path, keep: int) -> list[Path]:
    """Remove all but the ``keep`` newest runs (by when they started); returns the removed.

    A run on a live snapshot holds a copy of the chain's whole stock, so run folders
    would fill the disk. A retry of a removed run's request id runs it afresh."""
    runs = sorted((d for d in reports.iterdir() if (d / FINGERPRINT).is_file()),
                  key=lambda d: ((d / FINGERPRINT).stat().st_mtime_ns, d.name))
    removed = runs[:-keep] if len(runs) > keep else []
    for run in removed:
        shutil.rmtree(run, ignore_errors=True)
    return removed


@contextlib.contextmanager
def only_run(lock_path: Path) -> Iterator[None]:
    """Hold the one simulation slot of ``lock_path``'s folder, or refuse with
    SIMULATION_RUNNING. An OS file lock, so that every process of `serve --processes N`
    (which share the folder) waits its turn, and so that it is let go when its holder ends,
    however it ends."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ResourceExhausted("a simulation is already running on this server; "
                                    "retry when it ends", reason="SIMULATION_RUNNING") from None
        yield
    finally:
        os.close(fd)  # and with it the lock


class Simulations:
    """Runs one simulation at a time, each into reports/<request_id>/ under ``root``,
    keeping the newest ``keep_runs`` of them."""

    def __init__(self, engine: AsyncEngine, root: Path, policy: LivePolicy, workers: int,
                 max_orders: int, keep_runs: int):
        self.engine, self.root, self.policy = engine, root, policy
        self.max_workers, self.max_orders, self.keep_runs = workers, max_orders, keep_runs

    async def run(self, msg: pb.RunSimulationRequest) -> AsyncIterator[pb.RunSimulationResponse]:
        request = self.validate(msg)
        out = self.root / "reports" / request.request_id
        fingerprint = request_hash(msg).hex()
        finished = out / report.JSON_FILE
        try:  # a run being removed as a newer one starts reads as never run
            if (out / FINGERPRINT).read_text() != fingerprint:
                raise request_id_reused(request.request_id)
            results = json.loads(finished.read_text())["policies"]
        except FileNotFoundError:
            pass
        else:  # a retry of a finished run: its result again
            yield self._result(results, out)
            return
        with only_run(self.root / "reports" / RUN_LOCK):
            out.mkdir(parents=True, exist_ok=True)
            finished.unlink(missing_ok=True)
            (out / FINGERPRINT).write_text(fingerprint)
            # this run is the newest, so it stays; the folders removed may be large
            removed = await asyncio.to_thread(prune_runs, self.root / "reports", self.keep_runs)
            if removed:
                log.info("removed simulation runs %s (ONESTOCK_SIMULATION_KEEP_RUNS=%d)",
                         ", ".join(run.name for run in removed), self.keep_runs)
            spec = request.spec
            if request.live_snapshot:
                async with self.engine.connect() as conn:
                    chain = await snapshot.read(conn)
                # millions of rows for a real chain: written off the event loop
                written = await asyncio.to_thread(snapshot.write, *chain, out / "snapshot")
                spec = replace(spec, chain_dir=str(written))
            async for message in self._replay(spec, request, out):
                yield message

    async def _replay(self, spec, request: SimulationRequest, out: Path):
        loop, events = asyncio.get_running_loop(), asyncio.Queue()
        stream, cancel = _Stream(loop, events), threading.Event()

        def work():
            return simulate([spec], request.policies, out, workers=request.workers,
                            tracker=stream, cancel=cancel, isolate=True)

        task = loop.run_in_executor(None, work)
        task.add_done_callback(lambda _: events.put_nowait(("end", None)))  # runs on the loop
        last = 0.0
        try:
            while True:
                kind, _ = await events.get()
                if kind == "end":
                    break
                if time.monotonic() - last >= PROGRESS_EVERY_S:
                    last = time.monotonic()
                    yield pb.RunSimulationResponse(progress=pb.SimulationProgress(
                        orders_replayed=stream.done, orders_total=stream.total))
            try:
                outcome = task.result()
            except InputError as error:
                raise InvalidArgument([FieldViolation(_field_of(error), str(error))]) from None
            yield pb.RunSimulationResponse(progress=pb.SimulationProgress(
                orders_replayed=stream.done, orders_total=stream.total))
            yield self._result(outcome.results, out)
        finally:
            if not task.done():  # the caller went away: stop the workers, wait for them
                cancel.set()
                with contextlib.suppress(Cancelled):
                    await task

    def _result(self, results: list[dict], out: Path) -> pb.RunSimulationResponse:
        relative = out.relative_to(self.root)
        return pb.RunSimulationResponse(result=pb.SimulationResult(
            policies=[kpis_to_pb(k) for k in results],
            report_path=str(relative / report.REPORT_FILE),
            kpis_csv_path=str(relative / report.CSV_FILE),
            kpis_json_path=str(relative / report.JSON_FILE)))

    # --- the request ------------------------------------------------------------

    def validate(self, msg: pb.RunSimulationRequest) -> SimulationRequest:
        errors = Collector()
        check_request_id(errors, msg.request_id)
        check_optional_id(errors, msg.request_id, "request_id")  # it names a folder
        source = msg.WhichOneof("chain")
        chain_dir = synthetic_chain = None
        if source is None or (source == "live_snapshot" and not msg.live_snapshot):
            errors.add("chain", "is required: scenario_dir, synthetic_chain or live_snapshot")
        elif source == "scenario_dir":
            chain_dir = self._path(errors, msg.scenario_dir, "scenario_dir")
        elif source == "synthetic_chain":
            synthetic_chain = _synthetic_chain(errors, msg.synthetic_chain)
        orders_file = self._path(errors, msg.orders_file, "orders_file") if msg.orders_file else None
        refills = (self._path(errors, msg.replenishment_file, "replenishment_file")
                   if msg.replenishment_file else None)
        moves = self._path(errors, msg.moves_file, "moves_file") if msg.moves_file else None
        synthetic_orders = None
        if msg.HasField("synthetic_orders"):
            synthetic_orders = self._synthetic_orders(errors, msg.synthetic_orders)
        elif not orders_file and source != "scenario_dir":
            errors.add("synthetic_orders", "is required without an orders file")
        if msg.transfer_case_units and msg.transfer_case_units not in CASE_UNITS_RANGE:
            errors.add("transfer_case_units", f"must be {CASE_UNITS_RANGE} (0: 1)")
        if not 0 <= msg.workers <= self.max_workers:
            errors.add("workers", f"must be 0 to {self.max_workers} (ONESTOCK_SIMULATION_WORKERS)")
        policies = self._policies(errors, msg.policies)
        errors.raise_if_any()
        spec = ScenarioSpec(
            chain_dir=str(chain_dir) if chain_dir else None, synthetic_chain=synthetic_chain,
            orders_file=str(orders_file) if orders_file else None,
            synthetic_orders=synthetic_orders,
            replenishment_file=str(refills) if refills else None,
            moves_file=str(moves) if moves else None,
            transfer_case_units=msg.transfer_case_units or 1, skip_bad_rows=msg.skip_bad_rows,
            name=Path(msg.scenario_dir).name if chain_dir else "")
        if msg.live_snapshot:
            spec = replace(spec, name="live")
        return SimulationRequest(msg.request_id, spec, bool(msg.live_snapshot), policies,
                                 msg.workers or 1)

    def _path(self, errors: Collector, relative: str, field_name: str) -> Path | None:
        """A path inside the simulation folder: requests may not read anything else."""
        root = self.root.resolve()
        if not relative or "\0" in relative or Path(relative).is_absolute() or not (
                path := (root / relative).resolve()).is_relative_to(root):
            errors.add(field_name, "must be a relative path inside ONESTOCK_SIMULATION_DIR")
            return None
        try:
            exists = path.exists()
        except OSError:  # a name too long for the file system, say
            exists = False
        if not exists:
            errors.add(field_name, f"{relative!r} does not exist in ONESTOCK_SIMULATION_DIR")
            return None
        return path

    def _synthetic_orders(self, errors: Collector, msg: pb.SyntheticOrders) -> SyntheticOrdersSpec:
        if not 1 <= msg.orders <= self.max_orders:
            errors.add("synthetic_orders.orders",
                       f"must be 1 to {self.max_orders:,} (ONESTOCK_SIMULATION_MAX_ORDERS)")
        if msg.days and msg.days not in DAYS_RANGE:
            errors.add("synthetic_orders.days", f"must be {DAYS_RANGE} (0: 1)")
        if msg.seed not in SEED_RANGE:
            errors.add("synthetic_orders.seed", "must be 0 or more")
        start = SyntheticOrdersSpec.start
        if msg.start_date:
            try:
                start = start_date(msg.start_date)
            except ValueError as error:
                errors.add("synthetic_orders.start_date", str(error))
        return SyntheticOrdersSpec(max(1, msg.orders), msg.days or 1, start, msg.seed)

    def _policies(self, errors: Collector, policies) -> list[tuple[str, RoutingPolicy]]:
        """The policies asked for, each over the one in force (read once, for all of them)."""
        in_force = self.policy.current
        if not policies:
            return [(DEFAULT_NAME, in_force)]
        if len(policies) > MAX_POLICIES:
            errors.add("policies", f"at most {MAX_POLICIES} per simulation")
        named, seen = [], set()
        for i, p in enumerate(policies[:MAX_POLICIES]):
            if check_id(errors, p.name, f"policies[{i}].name") and p.name in seen:
                errors.add(f"policies[{i}].name", f"{p.name!r} is used twice")
            seen.add(p.name)
            where = f"policies[{i}].settings"
            try:
                named.append((p.name, policy_from_dict(
                    json_format.MessageToDict(p.settings), where, in_force)))
            except PolicyError as error:
                errors.add(f"{where}.{error.key}", error.problem)
        return named


def _synthetic_chain(errors: Collector, msg: pb.SyntheticChain) -> SyntheticChainSpec:
    if msg.locations and msg.locations not in LOCATIONS_RANGE:
        errors.add("synthetic_chain.locations", f"must be {LOCATIONS_RANGE} (0: 3,000)")
    if msg.skus and msg.skus not in SKUS_RANGE:
        errors.add("synthetic_chain.skus", f"must be {SKUS_RANGE} (0: 20,000)")
    if msg.seed not in SEED_RANGE:
        errors.add("synthetic_chain.seed", "must be 0 or more")
    return SyntheticChainSpec(msg.locations or SyntheticChainSpec.locations,
                              msg.skus or SyntheticChainSpec.skus, msg.seed)


def _field_of(error: InputError) -> str:
    """The request field whose file holds the bad row."""
    name = Path(error.path).name
    if name.startswith("orders"):
        return "orders_file"
    if name.startswith("replenishment"):
        return "replenishment_file"
    if name.startswith("moves"):
        return "moves_file"
    return "scenario_dir"


def kpis_to_pb(k: dict) -> pb.PolicyKpis:
    peak = k["peak_store_hour"] or {}
    msg = pb.PolicyKpis(
        policy=k["policy"], orders=k["orders"], filled=k["filled"], unfillable=k["unfillable"],
        fill_rate=k["fill_rate"], unfillable_reasons=k["unfillable_reasons"],
        mode_mix=k["mode_mix"], split_rate=k["split_rate"],
        courier_km=_spread(k["courier_km"]), pickup_trip_km=_spread(k["pickup_trip_km"]),
        eta_minutes=_spread(k["eta_minutes"]), delivery_fees_minor=k["delivery_fees_minor"],
        transfer_costs_minor=k["transfer_costs_minor"], transfers=k["transfers"],
        transfer_units=k["transfer_units"],
        orders_waiting_for_opening=k["orders_waiting_for_opening"], stockouts=k["stockouts"],
        locations_with_stockouts=k["locations_with_stockouts"],
        stockouts_by_location=k["stockouts_by_location"],
        peak_store_hour_location_id=peak.get("location_id", ""),
        peak_store_hour_orders=peak.get("orders", 0),
        store_hour_orders_p95=k["store_hour_orders_p95"],
        hourly_placed=k["hourly_local"]["placed"], hourly_started=k["hourly_local"]["started"],
        head_office_moves=pb.HeadOfficeMoves(**k["head_office_moves"]))
    if peak:
        msg.peak_store_hour_time.FromDatetime(datetime.fromisoformat(peak["hour"]).astimezone(UTC))
    return msg


def _spread(s: dict) -> pb.Spread:
    return pb.Spread(count=s["count"], p50=s["p50"] or 0.0, p95=s["p95"] or 0.0,
                     mean=s["mean"] or 0.0)
