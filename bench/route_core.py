"""The routing core deciding 5-line AUTO orders on a chain of 5,000 locations and 20,000 SKUs.

Times ``planner.route`` alone, then again with its trace built (the trace is built
lazily, when read: the simulator never reads it, the server always does): for each order the stock of the locations it may
look at is prepared first, exactly as the server reads it from the database,
and is not part of the timing. Target (issue 3): p50 under 0.5 ms.

    .venv/bin/python -m bench.route_core [--orders 3000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from bench.harness import RESULTS
from bench.synthetic import orders, synthetic_chain
from services.routing.chain import Chain
from services.routing.planner import relevant_locations, route
from services.routing.policy import DEFAULT_POLICY


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=3000)
    parser.add_argument("--locations", type=int, default=5000)
    parser.add_argument("--skus", type=int, default=20000)
    args = parser.parse_args()

    synthetic = synthetic_chain(args.locations, args.skus)
    started = time.perf_counter()
    chain = Chain(synthetic.locations)
    build_ms = (time.perf_counter() - started) * 1000
    requests = orders(synthetic, args.orders)
    inputs = []
    for request in requests:
        ids = relevant_locations(chain, request, DEFAULT_POLICY)
        inputs.append((request, synthetic.stock_for(ids, [ln.sku_id for ln in request.lines]), len(ids)))
    for request, stock, _ in inputs[:200]:  # warm the per-destination source lists
        route(chain, request, stock, DEFAULT_POLICY)

    timings, labels = [], {}
    for request, stock, _ in inputs:
        t = time.perf_counter()
        plan = route(chain, request, stock, DEFAULT_POLICY)
        timings.append((time.perf_counter() - t) * 1000)
        labels[plan.label] = labels.get(plan.label, 0) + 1
    timings.sort()
    with_trace = []  # what the server pays: it always reads the trace
    for request, stock, _ in inputs:
        t = time.perf_counter()
        _ = route(chain, request, stock, DEFAULT_POLICY).trace
        with_trace.append((time.perf_counter() - t) * 1000)
    with_trace.sort()
    result = {
        "locations": args.locations, "skus": args.skus, "orders": args.orders,
        "lines_per_order": 5, "mode": "AUTO", "index_build_ms": round(build_ms, 1),
        "candidate_locations_mean": round(statistics.mean(n for _, _, n in inputs), 1),
        "p50_ms": round(timings[len(timings) // 2], 3),
        "p99_ms": round(timings[int(len(timings) * 0.99)], 3),
        "mean_ms": round(statistics.mean(timings), 3),
        "decisions_per_s": round(1000 / statistics.mean(timings)),
        "with_trace_p50_ms": round(with_trace[len(with_trace) // 2], 3),
        "with_trace_p99_ms": round(with_trace[int(len(with_trace) * 0.99)], 3),
        "plans": labels,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "route_core.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    print(f"p50 {result['p50_ms']} ms per decision; target < 0.5 ms met: {result['p50_ms'] < 0.5}")


if __name__ == "__main__":
    main()
