"""RouteOrder through the server on the demo chain, against the health check (no-op) on the
same server in the same run. Target (issue 3): at least 0.7 of the no-op ceiling.

Orders: AUTO, 1 to 3 lines of demo SKUs, customers scattered around the demo
stores of both cities. Each RouteOrder reads live availability (one query) and
returns the plan with its full trace.

    .venv/bin/python -m bench.route_rpc [--rounds 3 --seconds 5 --concurrency 100]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import statistics

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from onestock.routing.v1 import routing_service_pb2 as pb
from onestock.routing.v1 import routing_service_pb2_grpc as pb_grpc

from bench.harness import RESULTS, closed_loop, database, server_process
from services.common.cli import event_loop_factory
from services.common.database import create_engine
from services.common.uow import in_transaction
from services.inventory.catalogue import LocationKind
from services.inventory.demo_chain import build_demo_chain, seed_demo_chain


def demo_orders(count: int, seed: int = 5) -> list[pb.RouteOrderRequest]:
    chain = build_demo_chain()
    rng = random.Random(seed)
    stores = [loc for loc in chain.locations if loc.kind is LocationKind.STORE]
    skus = [s.sku_id for s in chain.skus]
    out = []
    for _ in range(count):
        near = rng.choice(stores)
        lines = rng.sample(skus, rng.randint(1, 3))
        out.append(pb.RouteOrderRequest(order=pb.RouteRequest(
            lines=[pb.OrderLine(sku_id=s, quantity=1) for s in lines],
            latitude=near.latitude + rng.gauss(0, 0.01), longitude=near.longitude + rng.gauss(0, 0.01),
            city=near.city, mode=pb.FULFILMENT_MODE_AUTO)))
    return out


async def seed(url: str) -> None:
    engine = create_engine(url, pool_size=1)
    chain = build_demo_chain()
    await in_transaction(engine, lambda conn: seed_demo_chain(conn, chain))
    await engine.dispose()


async def run(args, server) -> dict:
    channels = [grpc.aio.insecure_channel(server.address) for _ in range(args.connections)]
    routing = [pb_grpc.RoutingServiceStub(c) for c in channels]
    health = [health_pb2_grpc.HealthStub(c) for c in channels]
    requests = demo_orders(2000)
    check = health_pb2.HealthCheckRequest()

    async def noop(n):
        return await health[n % len(health)].Check(check)

    async def route(n):
        response = await routing[n % len(routing)].RouteOrder(requests[n % len(requests)])
        assert response.plan.trace

    loop = dict(concurrency=args.concurrency, duration_s=args.seconds, server=server)
    rounds = []
    for _ in range(args.rounds):
        ceiling = await closed_loop("health Check (ceiling)", noop, **loop)
        routed = await closed_loop("RouteOrder (AUTO, trace)", route, **loop)
        print(ceiling.line(), flush=True)
        print(routed.line(), flush=True)
        rounds.append((ceiling, routed))
    for channel in channels:
        await channel.close()
    ratios = [r.per_s / c.per_s for c, r in rounds]
    return {
        "concurrency": args.concurrency, "rounds": args.rounds, "seconds_per_phase": args.seconds,
        "ceiling_per_s": [round(c.per_s) for c, _ in rounds],
        "ceiling_cpu_us_per_call": [round(c.server_cpu_us_per_call) for c, _ in rounds],
        "route_per_s": [round(r.per_s) for _, r in rounds],
        "route_p50_ms": [round(r.p50_ms, 2) for _, r in rounds],
        "route_p99_ms": [round(r.p99_ms, 2) for _, r in rounds],
        "route_cpu_us_per_call": [round(r.server_cpu_us_per_call) for _, r in rounds],
        "route_errors": sum(r.errors for _, r in rounds),
        "ratio_to_ceiling": [round(x, 3) for x in ratios],
        "median_ratio_to_ceiling": round(statistics.median(ratios), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(database())
        asyncio.run(seed(url))
        server = stack.enter_context(server_process(url))
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            result = runner.run(run(args, server))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "route_rpc.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    print(f"median ratio {result['median_ratio_to_ceiling']:.2f} of the no-op ceiling; "
          f"target >= 0.7 met: {result['median_ratio_to_ceiling'] >= 0.7}")


if __name__ == "__main__":
    main()
