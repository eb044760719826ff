"""RouteOrder through the server on the demo chain, against the health check (no-op) on the
same server in the same run. Target (issue 3): at least 0.7 of the no-op ceiling.

Orders: AUTO, 1 to 3 lines of demo SKUs, customers scattered around the demo
stores of both cities. Each RouteOrder reads live availability (one query) and
returns the plan with its full trace (the issue's figure); then the same orders
in the basic view (PLAN_VIEW_BASIC: the plan without its trace, as a checkout page
asks for it), against a ceiling of their own.

    .venv/bin/python -m bench.route_rpc [--rounds 3 --seconds 5 --concurrency 100]
"""

from __future__ import annotations

import random

from onestock.routing.v1 import routing_service_pb2 as pb
from onestock.routing.v1 import routing_service_pb2_grpc as pb_grpc

from bench.harness import against_ceiling, run_on_demo_chain
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
    requests = demo_orders(2000)

    def route_over(view):
        def over(connections):
            routing = connections.stubs(pb_grpc.RoutingServiceStub)
            ask = [pb.RouteOrderRequest(order=r.order, view=view) for r in requests]

            async def route(n):
                response = await routing[n % len(routing)].RouteOrder(
                    ask[n % len(ask)], metadata=connections.metadata)
                assert bool(response.plan.trace) == (view == pb.PLAN_VIEW_FULL)
            return route
        return over

    full = await against_ceiling(args, server, "RouteOrder (AUTO, trace)", "route",
                                 route_over(pb.PLAN_VIEW_FULL))
    basic = await against_ceiling(args, server, "RouteOrder (AUTO, basic view)", "route",
                                  route_over(pb.PLAN_VIEW_BASIC))
    return {**full, "basic_view": basic}


def main() -> None:
    run_on_demo_chain(__doc__, "route_rpc", run, target_ratio=0.7)


if __name__ == "__main__":
    main()
