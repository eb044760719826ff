"""The routing simulation at chain scale: one policy over a million orders, then a sweep.

1. A synthetic chain of 3,000 locations and 20,000 SKUs (a store carries about 1,500
   of them) and 1,000,000 orders over one day, replayed under the default policy in
   one process on one core: orders per second, and the peak memory of that process.
   Target (issue 5): under 60 s and 4 GiB. The replay runs in a child process of its
   own so that its peak memory is its own.
2. A sweep of 4 policies over the same chain and a smaller stream, with 1 worker
   process and then with 2, in the same run: the speed-up is the scaling figure.

    .venv/bin/python -m bench.simulate [--orders 1000000 --sweep-orders 100000]
"""

from __future__ import annotations

import multiprocessing
import resource
import time

from bench.harness import arguments, write_result
from services.routing.policy import DEFAULT_POLICY, policy_from_dict
from services.simulation import sweep
from services.simulation.build import build
from services.simulation.replay import replay
from services.simulation.scenario import ScenarioSpec, SyntheticChainSpec, SyntheticOrdersSpec

POLICIES = [
    ("default", DEFAULT_POLICY),
    ("near-pickup", policy_from_dict({"pickup_radius_km": 3.0})),
    ("split-3", policy_from_dict({"max_split": 3})),
    ("cheap-transfers", policy_from_dict({"weights": {"transfer_cost_per_yuan": 0.3}})),
]


def _single(orders: int, answer) -> None:
    """Child process: build the scenario, replay it once, report timings and peak RSS."""
    started = time.perf_counter()
    scenario = build(ScenarioSpec(synthetic_chain=SyntheticChainSpec(),
                                  synthetic_orders=SyntheticOrdersSpec(orders=orders)))
    built = time.perf_counter()
    kpis = replay(scenario, DEFAULT_POLICY)
    replayed = time.perf_counter()
    answer.send({
        "build_s": round(built - started, 2), "replay_s": round(replayed - built, 2),
        "orders_per_s": round(orders / (replayed - built)),
        "stock_rows": sum(len(have) for have in scenario.stock.values()),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "fill_rate": kpis["fill_rate"], "mode_mix": kpis["mode_mix"],
        "transfers": kpis["transfers"]})


def single(orders: int) -> dict:
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_single, args=(orders, send))
    child.start()
    result = receive.recv()
    child.join()
    return result


def sweep_scaling(orders: int) -> dict:
    spec = ScenarioSpec(synthetic_chain=SyntheticChainSpec(),
                        synthetic_orders=SyntheticOrdersSpec(orders=orders))
    jobs = [sweep.Job(spec, name, policy) for name, policy in POLICIES]
    walls = {}
    for workers in (1, 2):
        started = time.perf_counter()
        results = sweep.run(jobs, workers=workers, isolate=True)
        walls[workers] = time.perf_counter() - started
    return {"policies": len(jobs), "orders_per_policy": orders,
            "wall_s_1_worker": round(walls[1], 1), "wall_s_2_workers": round(walls[2], 1),
            "speedup_2_workers": round(walls[1] / walls[2], 2),
            "fill_rate_by_policy": {k["policy"]: k["fill_rate"] for k in results}}


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--sweep-orders", type=int, default=100_000)
    args = parser.parse_args()
    one = single(args.orders)
    result = {"locations": 3_000, "skus": 20_000, "orders": args.orders, "single": one,
              "sweep": sweep_scaling(args.sweep_orders)}
    write_result("simulate", result)
    total = one["build_s"] + one["replay_s"]
    print(f"{args.orders:,} orders: built in {one['build_s']} s, replayed in {one['replay_s']} s "
          f"({one['orders_per_s']:,}/s), peak {one['peak_rss_mib']} MiB; "
          f"target < 60 s and < 4 GiB met: {total < 60 and one['peak_rss_mib'] < 4096}")
    print(f"sweep of {len(POLICIES)} policies: {result['sweep']['speedup_2_workers']}x "
          f"with 2 workers")


if __name__ == "__main__":
    main()
