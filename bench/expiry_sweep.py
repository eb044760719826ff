"""Unpaid orders running out together: how long until the server has cancelled them all and
their stock is available again.

A flash sale leaves thousands of carts unpaid, and they run out within moments of each
other. This creates ``--orders`` unpaid single-line orders on the demo chain through the
server, then moves every one's payment deadline (and its reservations') to now, as if they
had all been placed at the same instant, and times the server's sweeper (it looks every
ONESTOCK_EXPIRY_INTERVAL_S, 1 s) until none is left unpaid. At the end no unit may still be
reserved.

    .venv/bin/python -m bench.expiry_sweep [--orders 3000]
"""

from __future__ import annotations

import asyncio
import time

import asyncpg
from onestock.orders.v1 import order_service_pb2_grpc as pb_grpc

from bench.create_order import order_requests
from bench.harness import Connections, arguments, database, seed_demo, server_process, write_result
from services.common.cli import event_loop_factory
from services.common.server import asyncpg_dsn


async def create(server, count: int) -> None:
    connections = Connections(server, 10)
    stubs = connections.stubs(pb_grpc.OrderServiceStub)
    slots = asyncio.Semaphore(100)

    async def one(n: int, request) -> None:
        async with slots:
            await stubs[n % len(stubs)].CreateOrder(request, metadata=connections.metadata)

    try:
        await asyncio.gather(*(one(n, r) for n, r in enumerate(order_requests(count))))
    finally:
        await connections.close()


async def run(server, url: str, count: int) -> dict:
    await create(server, count)
    db = await asyncpg.connect(asyncpg_dsn(url))
    try:
        async with db.transaction():  # all run out now
            unpaid = await db.fetchval(
                "WITH o AS (UPDATE orders SET expire_time = now() "
                "WHERE state = 'PENDING_PAYMENT' RETURNING order_id) SELECT count(*) FROM o")
            await db.execute("UPDATE reservations SET expire_time = now() WHERE state = 'ACTIVE'")
        began = time.perf_counter()
        while True:  # the sweeper is in the server: poll its outcome
            if not await db.fetchval("SELECT count(*) FROM orders "
                                     "WHERE state = 'PENDING_PAYMENT'"):
                break
            await asyncio.sleep(0.05)
        took = time.perf_counter() - began
        still_reserved = await db.fetchval("SELECT COALESCE(sum(reserved), 0) FROM stock_levels")
    finally:
        await db.close()
    return {"unpaid_orders": unpaid, "all_cancelled_s": round(took, 2),
            "orders_per_s": round(unpaid / took, 1), "units_still_reserved": int(still_reserved)}


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--orders", type=int, default=3000)
    args = parser.parse_args()
    with database() as url:
        asyncio.run(seed_demo(url))
        with server_process(url, ONESTOCK_ORDER_PAYMENT_TTL_S=3600) as server, \
                asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            result = runner.run(run(server, url, args.orders))
    write_result("expiry_sweep", result)


if __name__ == "__main__":
    main()
