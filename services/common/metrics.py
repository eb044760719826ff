"""Prometheus metrics, served over HTTP on ONESTOCK_METRICS_LISTEN.

Counters and histograms are updated where things happen (the call
interceptor, the batch writers, the expiry sweeper). Gauges that are
facts about the database (orders in flight by state, the outbox backlog) are
refreshed by a periodic query, so a scrape never waits on the database.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, start_http_server
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.idempotency import driver

CALLS = Counter("onestock_rpc_calls", "RPCs served, by method and status code",
                ["method", "code"])
LATENCY = Histogram("onestock_rpc_latency_seconds", "RPC latency, by method", ["method"],
                    buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
RESERVATIONS = Counter("onestock_reservations", "Reservations by outcome: made, "
                       "rejected_stock (not enough available), rejected_limit (member cap), "
                       "expired", ["outcome"])
BATCH_SIZE = Histogram("onestock_batch_size", "Requests served per coalesced transaction, by "
                       "hot path (reserve, orders)", ["path"],
                       buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500))
BATCH_LINGERS = Counter("onestock_batch_lingers", "Batches a writer waited for more requests "
                        "before writing, a burst's backlog having queued up "
                        "(ONESTOCK_RESERVE_LINGER_MS, ONESTOCK_ORDER_LINGER_MS), by hot path "
                        "(reserve, orders)", ["path"])
ROAD_DISTANCES = Counter("onestock_road_distance_lookups", "Road distances for an order's "
                         "customer: measured (asked the provider), remembered (all kept from "
                         "before), failed (the provider was asked and failed), skipped (not "
                         "asked: it failed within ONESTOCK_ROAD_DISTANCE_RETRY_S), stale "
                         "(failed or skipped, and served distances kept past "
                         "ONESTOCK_ROAD_DISTANCE_KEEP_S instead of great-circle km)",
                         ["outcome"])
OVERDUE_ORDERS = Counter("onestock_overdue_orders", "Paid orders still open at their fulfil-by "
                         "time: cancelled as NOT_COLLECTED or NOT_FULFILLED, PART_CANCELLED (the "
                         "groups still at a store), or EXTENDED (goods on their way)", ["outcome"])
ORDERS = Gauge("onestock_orders", "Orders in flight by state (PENDING_PAYMENT, PAID)", ["state"])
OUTBOX_BACKLOG = Gauge("onestock_outbox_backlog", "Member events not yet delivered to the CRM")
OUTBOX_OLDEST_AGE = Gauge("onestock_outbox_oldest_age_seconds",
                          "Age of the oldest undelivered member event (0 when none)")

# Finished orders (COMPLETED, CANCELLED) are left out: counting them would read every order
# the chain has ever taken, every few seconds, in every server process.
OPEN_ORDERS_SQL = ("SELECT (SELECT count(*) FROM orders WHERE state = 'PENDING_PAYMENT'), "
                   "(SELECT count(*) FROM orders WHERE state = 'PAID')")


def serve_metrics(listen: str) -> tuple[object, int]:
    """Start the /metrics HTTP endpoint; returns (server, port) (port 0 picks one)."""
    host, _, port = listen.rpartition(":")
    server, _thread = start_http_server(int(port), addr=host or "127.0.0.1")
    return server, server.server_port


async def refresh_database_gauges(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        db = await driver(conn)
        pending, paid = await db.fetchrow(OPEN_ORDERS_SQL)  # each from its partial index
        backlog, oldest = await db.fetchrow(
            "SELECT count(*), coalesce(extract(epoch FROM now() - min(create_time)), 0) "
            "FROM outbox WHERE delivered_time IS NULL")
    ORDERS.labels("PENDING_PAYMENT").set(pending)
    ORDERS.labels("PAID").set(paid)
    OUTBOX_BACKLOG.set(backlog)
    OUTBOX_OLDEST_AGE.set(float(oldest))
