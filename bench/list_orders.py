"""ListOrders: how long a page of a member's orders takes, by page size, on the demo chain.

Creates 300 online orders for one member through the server, then asks for the
newest page of each size 30 times and reports the median and the fastest. A page's
orders are read in four queries whatever its size, so a page of 100 should cost
little more than a page of 10.

    .venv/bin/python -m bench.list_orders [--orders 300 --repeats 30]
"""

from __future__ import annotations

import statistics
import time

from onestock.orders.v1 import order_service_pb2 as pb
from onestock.orders.v1 import order_service_pb2_grpc as pb_grpc

from bench.create_order import order_requests
from bench.harness import Connections, ServerProcesses, against_demo_server, arguments, write_result

MEMBER = "M-LIST"
PAGE_SIZES = (10, 50, 100)


async def run(server: ServerProcesses, orders: int, repeats: int) -> dict:
    connection = Connections(server, 1)
    [stub] = connection.stubs(pb_grpc.OrderServiceStub)
    try:
        for request in order_requests(orders):
            request.member_id = MEMBER
            await stub.CreateOrder(request, metadata=connection.metadata)
        result = {"orders": orders, "repeats": repeats}
        for size in PAGE_SIZES:
            took = []
            for _ in range(repeats):
                began = time.perf_counter()
                page = await stub.ListOrders(pb.ListOrdersRequest(member_id=MEMBER, page_size=size),
                                             metadata=connection.metadata)
                took.append((time.perf_counter() - began) * 1000)
            assert len(page.orders) == size
            result[f"page_{size}_median_ms"] = round(statistics.median(took), 2)
            result[f"page_{size}_min_ms"] = round(min(took), 2)
        return result
    finally:
        await connection.close()


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    write_result("list_orders", against_demo_server(
        lambda server: run(server, args.orders, args.repeats)))


if __name__ == "__main__":
    main()
