"""One simulation, start to end: policies x scenarios through the sweep, then the report.

The command line (``onestock simulate``) and the RoutingService's RunSimulation
both call ``simulate``, so for the same scenario they give the same KPIs.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from services.routing.policy import DEFAULT_POLICY, PolicyError, RoutingPolicy, load_policy
from services.simulation import report, sweep
from services.simulation.scenario import ScenarioSpec

DEFAULT_NAME = "default"


@dataclass
class Outcome:
    results: list[dict]  # KPIs per (scenario, policy), in the order asked
    paths: dict[str, Path]  # report.html, kpis.csv, kpis.json


def policies_from_files(paths: Sequence[str | Path]) -> list[tuple[str, RoutingPolicy]]:
    """(name, policy) per file, named after the file; the built-in defaults when none."""
    if not paths:
        return [(DEFAULT_NAME, DEFAULT_POLICY)]
    named = [(Path(p).stem, load_policy(p)) for p in paths]
    names = [n for n, _ in named]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise PolicyError("--policy", ", ".join(duplicates),
                          "two policy files with the same name; the report tells them apart by name")
    return named


def simulate(specs: Sequence[ScenarioSpec], policies: Sequence[tuple[str, RoutingPolicy]],
             out_dir: str | Path, *, workers: int = 1, ray_address: str | None = None,
             tracker: sweep.Tracker | None = None, cancel: threading.Event | None = None,
             isolate: bool = False) -> Outcome:
    several = len(specs) > 1
    jobs = [sweep.Job(spec, f"{spec.label()}/{name}" if several else name, policy)
            for spec in specs for name, policy in policies]
    results = sweep.run(jobs, workers=workers, ray_address=ray_address, tracker=tracker,
                        cancel=cancel, isolate=isolate)
    scenario = dict(results[0]["scenario"])
    if several:
        scenario["name"] = ", ".join(spec.label() for spec in specs)
    return Outcome(results, write_report(results, scenario, out_dir, isolate=isolate))


def write_report(results: list[dict], scenario: dict, out_dir: str | Path, *,
                 isolate: bool = False) -> dict[str, Path]:
    """The report files; with ``isolate``, written by a child process as the replay was:
    drawing the charts takes a second or two of CPU that a server's calls would wait for."""
    if not isolate:
        return report.write(results, scenario, out_dir)
    with ProcessPoolExecutor(max_workers=1, mp_context=sweep.CHILD_PROCESSES) as child:
        return child.submit(report.write, results, scenario, out_dir).result()
