"""A day of mini-program checkouts, compressed: CreateOrder at the chains' hour-of-day shape.

DOMAIN.md asks load tests to follow the chains' day, not a flat rate: peaks at 11, 15
and 20-21 (21:00 the busiest), a quarter of orders while stores are closed. Each local
hour becomes ``--seconds-per-hour`` of an open loop whose offered rate is that hour's
share of the day, scaled so that 21:00 offers ``--peak-rate`` orders a second. Orders
are drawn like the simulator's: 1-5 lines, pickup, same-city delivery or AUTO, customers
around the demo chain's stores. The figures say what a customer waits at the peak and
in the quiet hours, at a load the chain would really see.

    .venv/bin/python -m bench.order_day [--peak-rate 600 --seconds-per-hour 2]
"""

from __future__ import annotations

import random
from collections import Counter

import grpc
from onestock.orders.v1 import order_service_pb2 as pb
from onestock.orders.v1 import order_service_pb2_grpc as pb_grpc

from bench.harness import (
    Connections,
    ServerProcesses,
    against_demo_server,
    arguments,
    open_loop,
    round_or_none,
    write_result,
)
from services.inventory.catalogue import LocationKind
from services.inventory.demo_chain import build_demo_chain
from services.routing.model import Mode
from services.simulation.synthetic import HOURLY_SHARE, LINES_PER_ORDER, MODES, QUANTITY

METHOD = {Mode.PICKUP: pb.FULFILMENT_METHOD_PICKUP,
          Mode.SAME_CITY_DELIVERY: pb.FULFILMENT_METHOD_SAME_CITY_DELIVERY,
          Mode.AUTO: pb.FULFILMENT_METHOD_AUTO}
MEMBERS = 5_000


def day_of_orders(count: int, seed: int = 21) -> list[pb.CreateOrderRequest]:
    """Online orders drawn with the simulator's mix of lines, quantities and modes."""
    chain = build_demo_chain()
    rng = random.Random(seed)
    stores = [loc for loc in chain.locations if loc.kind is LocationKind.STORE]
    prices = {s.sku_id: s.price_minor for s in chain.skus}
    skus = list(prices)
    out = []
    for n in range(count):
        near = rng.choice(stores)
        lines = rng.sample(skus, rng.choices(*LINES_PER_ORDER)[0])
        mode = rng.choices(*MODES)[0]
        out.append(pb.CreateOrderRequest(
            request_id=f"day-{n}", channel=pb.CHANNEL_MINI_PROGRAM,
            member_id=f"M-{rng.randrange(MEMBERS)}",
            lines=[pb.OrderLineInput(sku_id=s, quantity=rng.choices(*QUANTITY)[0],
                                     unit_price_minor=prices[s]) for s in lines],
            fulfilment=pb.FulfilmentRequest(
                method=METHOD[mode], latitude=near.latitude + rng.gauss(0, 0.01),
                longitude=near.longitude + rng.gauss(0, 0.01), city=near.city)))
    return out


def hourly_rates(peak_rate: float) -> list[float]:
    """Offered orders a second for each local hour, 21:00 at ``peak_rate``."""
    busiest = max(HOURLY_SHARE)
    return [peak_rate * share / busiest for share in HOURLY_SHARE]


async def run(server: ServerProcesses, peak_rate: float, seconds_per_hour: float) -> dict:
    rates = hourly_rates(peak_rate)
    requests = day_of_orders(int(sum(rates) * seconds_per_hour) + 1)
    connections = Connections(server, 20)
    stubs = connections.stubs(pb_grpc.OrderServiceStub)
    sent = 0
    refused: Counter[str] = Counter()  # status code: orders the service turned down

    async def create(n: int) -> None:
        try:
            await stubs[n % len(stubs)].CreateOrder(requests[sent + n],
                                                    metadata=connections.metadata)
        except grpc.RpcError as error:
            refused[error.code().name] += 1
            raise

    hours = []
    try:
        for hour, rate in enumerate(rates):
            stats = await open_loop(f"{hour:02d}:00 at {rate:5.0f}/s", create, rate_per_s=rate,
                                    duration_s=seconds_per_hour, server=server)
            sent += stats.calls
            print(stats.line(), flush=True)
            hours.append({"hour": hour, "offered_per_s": round(rate), "calls": stats.calls,
                          "errors": stats.errors, "p50_ms": round(stats.p50_ms, 2),
                          "p99_ms": round(stats.p99_ms, 2),
                          "server_cpu_us_per_call": round(stats.server_cpu_us_per_call),
                          "database_cpu_us_per_call": round_or_none(
                              stats.database_cpu_us_per_call)})
    finally:
        await connections.close()
    peak = max(hours, key=lambda h: h["offered_per_s"])
    quiet = [h for h in hours if h["hour"] >= 22 or h["hour"] < 10]
    return {"peak_rate_per_s": peak_rate, "seconds_per_hour": seconds_per_hour,
            "orders": sent, "errors": sum(h["errors"] for h in hours), "refused": dict(refused),
            "peak_hour": peak, "worst_p99_ms": max(h["p99_ms"] for h in hours),
            "closed_hours_p99_ms": max(h["p99_ms"] for h in quiet), "hours": hours}


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--peak-rate", type=float, default=600.0)
    parser.add_argument("--seconds-per-hour", type=float, default=2.0)
    args = parser.parse_args()
    if min(hourly_rates(args.peak_rate)) * args.seconds_per_hour < 2:
        parser.error("--peak-rate x --seconds-per-hour leaves the quietest hour fewer than 2 "
                     "orders to time; raise either")
    result = against_demo_server(lambda server: run(server, args.peak_rate,
                                                    args.seconds_per_hour))
    write_result("order_day", result)
    peak = result["peak_hour"]
    print(f"peak hour 21:00 at {peak['offered_per_s']}/s: p50 {peak['p50_ms']} ms, "
          f"p99 {peak['p99_ms']} ms; worst hour p99 {result['worst_p99_ms']} ms; "
          f"{result['errors']} of {result['orders']} orders refused {result['refused']}")


if __name__ == "__main__":
    main()
