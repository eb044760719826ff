"""The same sweep on a Ray cluster (``pip install 'onestock[ray]'``), for chains that
outgrow one machine: one Ray task per (scenario, policy) job, running ``sweep.run_job``.

``address`` is a cluster address (``ray://head:10001``, ``auto``) or ``local`` to start
a Ray instance on this machine. Every node needs OneStock installed, and the
scenario files at the same path (or a synthetic scenario, which each task generates).
Progress is reported per finished job.
"""

from __future__ import annotations

import socket
import threading

from services.simulation.sweep import Cancelled, Job, SweepUnavailable, Tracker, run_job

POLL_S = 0.5
CONNECT_TIMEOUT_S = 5.0


def run(jobs: list[Job], address: str, tracker: Tracker, cancel: threading.Event) -> list[dict]:
    try:
        import ray
    except ImportError:
        raise SweepUnavailable("the Ray sweep needs Ray: pip install 'onestock[ray]'") from None
    started_here = not ray.is_initialized()
    if started_here:
        _require_answer(address)
        ray.init(address=None if address == "local" else address, include_dashboard=False,
                 log_to_driver=False, configure_logging=False)
    try:
        task = ray.remote(run_job)
        refs = [task.remote(job) for job in jobs]
        pending = list(refs)
        results: dict = {}
        while pending:
            if cancel.is_set():
                for ref in pending:
                    ray.cancel(ref, force=True)
                raise Cancelled()
            done, pending = ray.wait(pending, num_returns=1, timeout=POLL_S)
            for ref in done:
                kpis = ray.get(ref)
                tracker.add_total(kpis["orders"])
                tracker.advance(kpis["orders"])
                results[ref] = kpis
        return [results[ref] for ref in refs]
    finally:
        if started_here:
            ray.shutdown()


def cluster_endpoint(address: str) -> tuple[str, int] | None:
    """(host, port) of a cluster address (host:port or ray://host:port); None for ``auto``
    (the cluster this machine belongs to) and ``local``; ValueError for anything else."""
    if address in ("local", "auto"):
        return None
    host, _, port = address.split("://", 1)[-1].rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"{address!r} is not a Ray address (host:port, ray://host:port, "
                         "auto or local)")
    return host, int(port)


def _require_answer(address: str) -> None:
    """Fail fast when nothing listens at a cluster address: Ray itself retries for minutes,
    logging a warning every few seconds, before it gives up."""
    try:
        endpoint = cluster_endpoint(address)
        if endpoint is not None:
            with socket.create_connection(endpoint, timeout=CONNECT_TIMEOUT_S):
                pass
    except (OSError, ValueError) as error:
        raise SweepUnavailable(f"no Ray cluster answers at {address} ({error})") from None
