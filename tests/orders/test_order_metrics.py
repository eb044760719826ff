"""The orders-in-flight gauge: right counts, read from partial indexes, never from history."""

from onestock.orders.v1 import order_service_pb2 as pb
from prometheus_client import REGISTRY
from sqlalchemy import text

from services.common import metrics
from tests.orders.conftest import order, pay


def gauge(state: str) -> float | None:
    return REGISTRY.get_sample_value("onestock_orders", {"state": state})


async def test_orders_in_flight_are_counted_by_state_and_finished_ones_are_not(stubs, engine):
    _, orders, _ = stubs
    await orders.CreateOrder(order("unpaid", ("LAMP", 1, 10_000)))
    paid = (await orders.CreateOrder(order("paid", ("LAMP", 1, 10_000)))).order
    await pay(orders, paid)
    await orders.CreateOrder(order("till", ("LAMP", 1, 10_000), location="A", channel=pb.CHANNEL_POS,
                                   method=pb.FULFILMENT_METHOD_IN_STORE))
    await metrics.refresh_database_gauges(engine)
    assert (gauge("PENDING_PAYMENT"), gauge("PAID")) == (1, 1)
    assert gauge("COMPLETED") is None and gauge("CANCELLED") is None


async def test_the_gauge_reads_partial_indexes_not_every_order(engine):
    async with engine.connect() as conn:
        await conn.execute(text("SET enable_seqscan = off"))  # tiny tables: ask for the index
        plan = "\n".join(row[0] for row in await conn.execute(
            text("EXPLAIN " + metrics.OPEN_ORDERS_SQL)))
    assert "orders_unpaid_expiry" in plan and "orders_paid" in plan
    assert "Seq Scan" not in plan
