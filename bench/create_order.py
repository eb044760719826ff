"""CreateOrder (route + reserve + write the order) for single-line orders on the demo chain,
100 concurrent clients, against the health check on the same server in the same run.
Target (issue 4): at least 0.5 of the no-op ceiling.

    .venv/bin/python -m bench.create_order [--rounds 3 --seconds 5 --concurrency 100]
"""

from __future__ import annotations

import random

from onestock.orders.v1 import order_service_pb2 as pb
from onestock.orders.v1 import order_service_pb2_grpc as pb_grpc

from bench.harness import against_ceiling, run_on_demo_chain
from services.inventory.catalogue import LocationKind
from services.inventory.demo_chain import build_demo_chain


def order_requests(count: int, seed_: int = 3) -> list[pb.CreateOrderRequest]:
    chain = build_demo_chain()
    rng = random.Random(seed_)
    stores = [loc for loc in chain.locations if loc.kind is LocationKind.STORE]
    prices = {s.sku_id: s.price_minor for s in chain.skus}
    out = []
    for n in range(count):
        near = rng.choice(stores)
        sku_id = rng.choice(chain.skus).sku_id
        out.append(pb.CreateOrderRequest(
            request_id=f"bench-{n}", channel=pb.CHANNEL_MINI_PROGRAM, member_id=f"M-{n % 500}",
            lines=[pb.OrderLineInput(sku_id=sku_id, quantity=1, unit_price_minor=prices[sku_id])],
            fulfilment=pb.FulfilmentRequest(
                method=pb.FULFILMENT_METHOD_PICKUP, latitude=near.latitude + rng.gauss(0, 0.01),
                longitude=near.longitude + rng.gauss(0, 0.01), city=near.city)))
    return out


async def run(args, server) -> dict:
    next_request = iter(order_requests(200_000))

    def create_over(connections):
        orders = connections.stubs(pb_grpc.OrderServiceStub)

        async def create(n):
            await orders[n % len(orders)].CreateOrder(next(next_request),
                                                      metadata=connections.metadata)
        return create

    return await against_ceiling(args, server, "CreateOrder (1 line, pickup)", "create",
                                 create_over)


def main() -> None:
    run_on_demo_chain(__doc__, "create_order", run, target_ratio=0.5)


if __name__ == "__main__":
    main()
