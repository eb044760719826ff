"""RouteOrder through the server on the demo chain, against the health check (no-op) on the
same server in the same run. Target (issue 3): at least 0.7 of the no-op ceiling.

Orders: AUTO, 1 to 3 lines of demo SKUs, customers scattered around the demo
stores of both cities. Each RouteOrder reads live availability (one query) and
returns the plan with its full trace.

    .venv/bin/python -m bench.route_rpc [--rounds 3 --seconds 5 --concurrency 100]
"""

from __future__ import annotations

import random

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from onestock.routing.v1 import routing_service_pb2 as pb
from onestock.routing.v1 import routing_service_pb2_grpc as pb_grpc

from bench.harness import run_on_demo_chain, summarize, versus_ceiling
from services.inventory.catalogue import LocationKind
from services.inventory.demo_chain import build_demo_chain


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


async def run(args, server) -> dict:
    channels = [grpc.aio.insecure_channel(server.address) for _ in range(args.connections)]
    routing = [pb_grpc.RoutingServiceStub(c) for c in channels]
    health = [health_pb2_grpc.HealthStub(c) for c in channels]
    requests = demo_orders(2000)
    check = health_pb2.HealthCheckRequest()

    async def noop(n):
        return await health[n % len(health)].Check(check)

    async def route(n):
        response = await routing[n % len(routing)].RouteOrder(requests[n % len(requests)],
                                                              metadata=server.metadata)
        assert response.plan.trace

    rounds = await versus_ceiling("RouteOrder (AUTO, trace)", route, noop,
                                  rounds=args.rounds, concurrency=args.concurrency,
                                  seconds=args.seconds, server=server)
    for channel in channels:
        await channel.close()
    return {"concurrency": args.concurrency, "rounds": args.rounds,
            "seconds_per_phase": args.seconds, **summarize("route", rounds)}


def main() -> None:
    run_on_demo_chain(__doc__, "route_rpc", run, target_ratio=0.7)


if __name__ == "__main__":
    main()
