"""Assemble the OneStock gRPC server: every service in one process, plus health and reflection.

``start_server`` is separate from ``serve`` (route_guide's lesson) so tests and
benchmarks start a real server on port 0 and call it through real channels.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from onestock.inventory.v1 import inventory_service_pb2 as inventory_pb
from onestock.inventory.v1 import inventory_service_pb2_grpc as inventory_grpc
from onestock.members.v1 import member_service_pb2 as members_pb
from onestock.members.v1 import member_service_pb2_grpc as members_grpc
from onestock.orders.v1 import order_service_pb2 as orders_pb
from onestock.orders.v1 import order_service_pb2_grpc as orders_grpc
from onestock.routing.v1 import routing_service_pb2 as routing_pb
from onestock.routing.v1 import routing_service_pb2_grpc as routing_grpc
from sqlalchemy.ext.asyncio import AsyncEngine

from services.access.guard import Guard
from services.common import idempotency, metrics, tracing
from services.common.background import Periodic
from services.common.coalescing import Linger
from services.common.config import Settings
from services.common.database import create_engine
from services.common.interceptors import CallInterceptor
from services.common.notifications import Listener
from services.common.uow import in_transaction
from services.inventory import handlers as inventory_handlers
from services.inventory import transfer_handlers
from services.inventory.reserve_batcher import ReservationBatcher
from services.inventory.servicer import InventoryServicer
from services.inventory.stock_feed import StockFeed
from services.members.outbox_relay import OutboxRelay, sink_from_setting
from services.members.rules import MemberRules
from services.members.servicer import MemberServicer
from services.orders import handlers as order_handlers
from services.orders.order_batcher import OrderBatcher
from services.orders.order_feed import OrderFeed
from services.orders.servicer import OrderServicer
from services.routing.chain_cache import ChainCache
from services.routing.policy import LivePolicy, PolicyError
from services.routing.road_distances import RoadDistances
from services.routing.servicer import RoutingServicer
from services.simulation.rpc import Simulations

log = logging.getLogger(__name__)

SERVICE_NAMES = (
    inventory_pb.DESCRIPTOR.services_by_name["InventoryService"].full_name,
    routing_pb.DESCRIPTOR.services_by_name["RoutingService"].full_name,
    members_pb.DESCRIPTOR.services_by_name["MemberService"].full_name,
    orders_pb.DESCRIPTOR.services_by_name["OrderService"].full_name,
)
IDEMPOTENCY_PURGE_INTERVAL_S = 600.0
METRICS_REFRESH_S = 5.0


def asyncpg_dsn(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+asyncpg://", "postgresql://", 1)


@dataclass
class RunningServer:
    server: grpc.aio.Server
    port: int
    engine: AsyncEngine
    settings: Settings
    owns_engine: bool
    health: health.aio.HealthServicer
    policy: LivePolicy
    parts: list = field(default_factory=list)  # started components, stopped in reverse
    metrics_port: int | None = None
    metrics_server: object | None = None

    def reload_policy(self) -> None:
        """Reread ONESTOCK_ROUTING_POLICY (on SIGHUP); a bad file is logged and changes nothing."""
        try:
            changed = self.policy.reload()
        except PolicyError as error:
            log.error("routing policy not reloaded, the one in force stays: %s", error)
            return
        if self.policy.path is None:
            log.info("no ONESTOCK_ROUTING_POLICY file to reload: the built-in defaults stay")
        else:
            log.info("routing policy reloaded from %s: %s", self.policy.path,
                     "; ".join(changed) if changed else "nothing changed")

    async def stop(self, grace_s: float | None = None) -> None:
        """Say NOT_SERVING, finish in-flight calls (up to the grace), then stop the parts."""
        await self.health.enter_graceful_shutdown()
        await self.server.stop(self.settings.shutdown_grace_s if grace_s is None else grace_s)
        for part in reversed(self.parts):
            await part.stop()
        if self.metrics_server is not None:
            self.metrics_server.shutdown()
            self.metrics_server.server_close()
        if self.owns_engine:
            await self.engine.dispose()


def keepalive_options(settings: Settings) -> list[tuple[str, int]]:
    """Ping every connection, streams idle for hours included, and drop one whose peer does
    not answer; let clients keep their own connections alive with pings 10 s apart or more
    (gRPC's default refuses any closer than 5 minutes, closing the connection)."""
    return [
        ("grpc.keepalive_time_ms", round(settings.keepalive_s * 1000)),
        ("grpc.keepalive_timeout_ms", round(settings.keepalive_timeout_s * 1000)),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.max_pings_without_data", 0),  # an idle stream is still pinged
        ("grpc.http2.min_recv_ping_interval_without_data_ms", 10_000),
    ]


async def start_server(
    settings: Settings, url: str, *, address: str | None = None, engine: AsyncEngine | None = None
) -> RunningServer:
    """Start every OneStock service on ``address`` (default settings.listen; port 0 picks one)."""
    owns_engine = engine is None
    engine = engine or create_engine(url, settings.db_pool_size)
    options = [
        ("grpc.max_receive_message_length", settings.max_message_bytes),
        ("grpc.max_send_message_length", settings.max_message_bytes),
        *keepalive_options(settings),
    ]
    if not settings.auth_enabled:
        log.warning("AUTHENTICATION IS DISABLED (ONESTOCK_AUTH=disabled): every caller is "
                    "treated as OPS. Use this for local experiments only.")
    guard = Guard(engine, enabled=settings.auth_enabled, cache_s=settings.auth_cache_s,
                  pos_requires_client_cert=settings.pos_requires_client_cert)
    interceptors = [CallInterceptor(guard)]
    if settings.otel_exporter:
        interceptors.insert(0, tracing.start(settings.otel_exporter))
    server = grpc.aio.server(interceptors=interceptors, options=options)
    # the port first: an address in use stops the start before anything else has started
    port = _add_port(server, address or settings.listen, settings)

    # a bad policy file stops the start, naming file and key
    policy = LivePolicy(settings.routing_policy_path)
    listener = Listener(asyncpg_dsn(url))
    guard.listen(listener)
    feed = StockFeed(listener)
    chains = ChainCache(engine, listener)
    roads = road_distances(settings)
    order_feed = OrderFeed(listener, engine)
    await listener.start()
    batcher = ReservationBatcher(
        engine, workers=settings.reserve_workers, max_batch=settings.reserve_max_batch,
        linger=Linger(settings.reserve_linger_ms / 1000, settings.batch_linger_backlog),
        hold_limit=settings.limits.member_sku_hold_limit)
    batcher.start()
    orders = OrderBatcher(
        engine, settings.order_payment_ttl_s, hold_limit=settings.limits.member_sku_hold_limit,
        workers=settings.order_workers, max_batch=settings.order_max_batch,
        linger=Linger(settings.order_linger_ms / 1000, settings.batch_linger_backlog))
    orders.start()
    expiry = Periodic("expiry", settings.expiry_interval_s,
                      lambda: _expire_all_due(engine, settings.order_hold_s,
                                              settings.member_rules))
    expiry.start()
    purge = Periodic("idempotency-purge", IDEMPOTENCY_PURGE_INTERVAL_S,
                     lambda: in_transaction(engine, lambda c: idempotency.purge_older_than(
                         c, settings.idempotency_retention_h)))
    purge.start()
    relay = OutboxRelay(engine, sink_from_setting(settings.crm_sink))
    relaying = Periodic("outbox-relay", settings.outbox_interval_s, relay.deliver_due)
    relaying.start()
    gauges = Periodic("metrics-gauges", METRICS_REFRESH_S,
                      lambda: metrics.refresh_database_gauges(engine))
    gauges.start()

    inventory_grpc.add_InventoryServiceServicer_to_server(
        InventoryServicer(engine, settings.limits, batcher, feed, settings.max_message_bytes,
                          chains), server)
    routing_grpc.add_RoutingServiceServicer_to_server(
        RoutingServicer(engine, chains, policy, settings.limits, Simulations(
            engine, settings.simulation_dir, policy, settings.simulation_workers,
            settings.simulation_max_orders, settings.simulation_keep_runs), roads), server)
    members_grpc.add_MemberServiceServicer_to_server(MemberServicer(engine, settings), server)
    orders_grpc.add_OrderServiceServicer_to_server(
        OrderServicer(engine, chains, policy, settings, order_feed, orders, roads), server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for name in (*SERVICE_NAMES, ""):
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    if settings.reflection:
        reflection.enable_server_reflection(
            (*SERVICE_NAMES, health.SERVICE_NAME, reflection.SERVICE_NAME), server)

    await server.start()
    running = RunningServer(server, port, engine, settings, owns_engine, health_servicer, policy,
                            parts=[listener, feed, order_feed, batcher, orders, expiry, purge, relay,
                                   relaying, gauges, *([roads] if roads else [])])
    if settings.metrics_enabled:
        try:
            running.metrics_server, running.metrics_port = _serve_metrics(
                settings.metrics_listen)
        except CannotListen:
            await running.stop(grace_s=0)
            raise
    log.info("OneStock serving on port %d (%s)", port, "TLS" if settings.tls_cert else "plaintext")
    return running


def road_distances(settings: Settings) -> RoadDistances | None:
    """The road-distance provider's client, when ONESTOCK_ROAD_DISTANCE_URL names one."""
    if not settings.road_distance_url:
        return None
    log.info("customer distances by road from %s (profile %s), great-circle when it has not "
             "answered within %d ms (asked again %g s after a failure); each address's kept "
             "for %g s", settings.road_distance_url, settings.road_distance_profile,
             settings.road_distance_timeout_ms, settings.road_distance_retry_s,
             settings.road_distance_keep_s)
    return RoadDistances(settings.road_distance_url, settings.road_distance_profile,
                         settings.road_distance_timeout_ms / 1000,
                         retry_s=settings.road_distance_retry_s,
                         keep_s=settings.road_distance_keep_s)


class CannotListen(Exception):
    """An address to serve on is taken, or not this machine's."""


def _add_port(server: grpc.aio.Server, address: str, settings: Settings) -> int:
    """Plaintext, TLS, or mutual TLS, as configured (Settings.checked() vetted the files)."""
    try:
        if settings.tls_cert is None:
            return server.add_insecure_port(address)
        credentials = grpc.ssl_server_credentials(
            [(settings.tls_key.read_bytes(), settings.tls_cert.read_bytes())],
            root_certificates=settings.tls_client_ca.read_bytes() if settings.tls_client_ca
            else None,
            require_client_auth=settings.tls_client_ca is not None)
        return server.add_secure_port(address, credentials)
    except RuntimeError:  # grpc says only "Failed to bind"
        raise CannotListen(f"cannot serve gRPC on {address} (ONESTOCK_LISTEN): the address is "
                           "in use, or not one of this machine's") from None


def _serve_metrics(listen: str) -> tuple[object, int]:
    try:
        return metrics.serve_metrics(listen)
    except OSError as error:
        raise CannotListen(f"cannot serve metrics on {listen} (ONESTOCK_METRICS_LISTEN): "
                           f"{error.strerror}") from None


async def _expire_all_due(engine: AsyncEngine, order_hold_s: int, rules: MemberRules) -> None:
    """Cancel unpaid orders past their time and settle paid ones past theirs, cancel stock
    transfers whose hold ran out, then expire reservations past theirs: orders and
    transfers first, so that they release their own holds."""
    while await in_transaction(engine, order_handlers.expire_unpaid) > 0:
        pass
    while await in_transaction(
            engine, lambda conn: order_handlers.settle_overdue(conn, order_hold_s,
                                                               rules=rules)) > 0:
        pass
    while await in_transaction(engine, transfer_handlers.lapse_due) > 0:
        pass
    while await in_transaction(engine, inventory_handlers.expire_due) > 0:
        pass


async def serve(settings: Settings, url: str) -> None:
    """Serve until SIGTERM or SIGINT, then drain in-flight calls and exit; SIGHUP rereads the
    routing policy file."""
    running = await start_server(settings, url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGHUP, running.reload_policy)
    print(f"OneStock listening on {settings.listen} (port {running.port})", flush=True)
    await stop.wait()
    log.info("draining in-flight calls (up to %.0fs)", settings.shutdown_grace_s)
    await running.stop()
