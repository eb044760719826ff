"""SummarizeSales: how long a month's sales credits take to sum, through the server.

Writes two months of completed orders straight into the tables (the demo chain's 40
stores, 7 dealers, two lines an order, one order in fifty partly returned), as a chain's
history would stand, then asks the server for one month of every store's credits, and of
one dealer's, several times each: the median and the fastest. The reads are two range
scans over indexes (hand-overs and returns in the period), so a month costs what its own
hand-overs do, not the whole history.

    .venv/bin/python -m bench.sales_summary [--orders 400000 --repeats 5]
"""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import UTC, datetime

from onestock.orders.v1 import order_service_pb2 as pb
from onestock.orders.v1 import order_service_pb2_grpc as pb_grpc
from sqlalchemy import text

from bench.harness import Connections, arguments, database, seed_demo, server_process, write_result
from services.common.cli import event_loop_factory
from services.common.database import command_engine

HISTORY_START = datetime(2026, 10, 1, tzinfo=UTC)
HISTORY_DAYS = 61  # October and November
MONTH = (datetime(2026, 10, 31, 16, tzinfo=UTC), datetime(2026, 11, 30, 16, tzinfo=UTC))
DEALERS = 7

ORDERS_SQL = """
INSERT INTO orders (order_id, request_id, channel, state, goods_minor, total_minor, create_time)
SELECT 'o' || i, 'o' || i, 'MINI_PROGRAM', 'COMPLETED', 0, 0,
       $2::timestamptz + i * interval '1 second' * $3::int * 86400 / $1::int
FROM generate_series(1, $1::int) i"""
LINES_SQL = """
INSERT INTO order_lines (order_id, line_no, sku_id, quantity, unit_price_minor)
SELECT 'o' || i, k, s.sku_id, 1 + i % 3, s.price_minor
FROM generate_series(1, $1) i, generate_series(0, 1) k,
     LATERAL (SELECT sku_id, price_minor FROM skus ORDER BY sku_id
              OFFSET (i * 7 + k * 13) % 50 LIMIT 1) s"""
GROUPS_SQL = """
INSERT INTO fulfilment_groups (group_id, order_id, group_no, kind, state, location_id, dealer_id,
                               lines, handover_time)
SELECT o.order_id || '-1', o.order_id, 1, 'PICKUP', 'HANDED_OVER', st.location_id,
       'D-' || (o.n % $1), l.lines, o.create_time + interval '2 hours'
FROM (SELECT order_id, create_time, substr(order_id, 2)::bigint AS n FROM orders) o,
     LATERAL (SELECT location_id FROM locations WHERE kind = 'STORE'
              ORDER BY location_id OFFSET o.n % 40 LIMIT 1) st,
     LATERAL (SELECT jsonb_agg(jsonb_build_array(sku_id, quantity)) AS lines
              FROM order_lines WHERE order_id = o.order_id) l"""
RETURNS_SQL = """
INSERT INTO order_returns (return_id, order_id, return_no, location_id, lines, refund_minor,
                           create_time, debits)
SELECT 'r-' || g.order_id, g.order_id, 1, g.location_id, '[]', 0, g.handover_time + interval '3 days',
       jsonb_build_array(jsonb_build_array(g.location_id, g.dealer_id, g.lines -> 0 ->> 0, 1, 100))
FROM fulfilment_groups g WHERE substr(g.order_id, 2)::bigint % 50 = 0"""


async def write_history(url: str, orders: int) -> float:
    """Orders spread evenly over the history, each handed over two hours after it was
    placed, written in four statements; the seconds it took."""
    async with command_engine(url) as engine, engine.begin() as conn:
        began = time.perf_counter()
        db = (await conn.get_raw_connection()).driver_connection
        await db.execute(ORDERS_SQL, orders, HISTORY_START, HISTORY_DAYS)
        await db.execute(LINES_SQL, orders)
        await db.execute(GROUPS_SQL, DEALERS)
        await db.execute(RETURNS_SQL)
        await conn.execute(text("ANALYZE"))
        return time.perf_counter() - began


async def summaries(server, repeats: int) -> dict:
    connection = Connections(server, 1)
    [stub] = connection.stubs(pb_grpc.OrderServiceStub)
    result = {}
    try:
        for name, dealer in (("every_store", ""), ("one_dealer", "D-3")):
            request = pb.SummarizeSalesRequest(dealer_id=dealer, page_size=1000)
            request.start_time.FromDatetime(MONTH[0])
            request.end_time.FromDatetime(MONTH[1])
            took = []
            for _ in range(repeats):
                began = time.perf_counter()
                answer = await stub.SummarizeSales(request, metadata=connection.metadata)
                took.append(time.perf_counter() - began)
            result[name] = {
                "rows": len(answer.store_sales),
                "groups_handed_over": sum(r.groups_handed_over for r in answer.store_sales),
                "median_s": round(statistics.median(took), 3), "min_s": round(min(took), 3)}
        return result
    finally:
        await connection.close()


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--orders", type=int, default=400_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with database() as url:
        asyncio.run(seed_demo(url))
        written = asyncio.run(write_history(url, args.orders))
        with server_process(url) as server, asyncio.Runner(
                loop_factory=event_loop_factory()) as runner:
            result = {"orders_in_history": args.orders, "history_written_s": round(written, 1),
                      **runner.run(summaries(server, args.repeats))}
    write_result("sales_summary", result)


if __name__ == "__main__":
    main()
