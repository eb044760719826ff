"""Every setting OneStock reads from the environment, in one place.

Each field documents its variable and default; README.md lists them too.
Settings are read once at start-up (``Settings.from_env``) and passed down,
so tests can build their own without touching the process environment.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from services.members.rules import MemberRules, parse_tiers


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


def _member_rules(env: dict[str, str]) -> MemberRules:
    tiers = MemberRules.tiers
    if env.get("ONESTOCK_MEMBER_TIERS"):
        try:
            tiers = parse_tiers(env["ONESTOCK_MEMBER_TIERS"])
        except ValueError as error:
            raise ValueError(f"ONESTOCK_MEMBER_TIERS: {error}") from None
    per_yuan = _int(env, "ONESTOCK_POINTS_PER_YUAN_OFF", MemberRules.points_per_yuan_off)
    if not 1 <= per_yuan <= 1_000_000:
        raise ValueError(f"ONESTOCK_POINTS_PER_YUAN_OFF must be 1 to 1000000, got {per_yuan}")
    share = _int(env, "ONESTOCK_POINTS_MAX_SHARE_PERCENT", MemberRules.points_max_share_percent)
    if not 0 <= share <= 100:
        raise ValueError(f"ONESTOCK_POINTS_MAX_SHARE_PERCENT must be 0 to 100, got {share}")
    return MemberRules(tiers, per_yuan, share,
                       _bool(env, "ONESTOCK_TILL_EARNING_NEEDS_MEMBER_CODE",
                             MemberRules.till_earning_needs_code))


def _float(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc


def _bool(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on", "enabled"):
        return True
    if raw.lower() in ("0", "false", "no", "off", "disabled"):
        return False
    raise ValueError(f"{name} must be true or false, got {raw!r}")


def _choice(env: dict[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    raw = env.get(name, default).lower()
    if raw not in choices:
        raise ValueError(f"{name} must be one of {', '.join(c or '(empty)' for c in choices)}, "
                         f"got {raw!r}")
    return raw


def is_postgresql_url(url: str) -> bool:
    """postgresql:// or postgres://, with any driver spelling (postgresql+asyncpg://)."""
    scheme, separator, _ = url.partition("://")
    return bool(separator) and scheme.split("+", 1)[0] in ("postgres", "postgresql")


def _check_address(name: str, address: str) -> None:
    """host:port (a host name, IPv4, or [IPv6]); port 0 asks for a free one."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65_535:
        raise ValueError(f"{name} must be host:port (port 0 to 65535), got {address!r}")


@dataclass(frozen=True)
class Limits:
    """Bounds on every request, so no single call can exhaust the server."""

    max_lines: int = 100  # ONESTOCK_MAX_LINES: lines per reservation
    max_quantity: int = 100_000  # ONESTOCK_MAX_QUANTITY: units per line
    max_page_size: int = 1_000  # ONESTOCK_MAX_PAGE_SIZE: page_size ceiling of every List RPC
    default_page_size: int = 100
    max_batch_upsert: int = 1_000  # locations or SKUs per upsert
    max_ttl_s: int = 7 * 24 * 3600  # ONESTOCK_MAX_TTL_S
    default_ttl_s: int = 900  # ONESTOCK_DEFAULT_TTL_S: 15 minutes
    max_adjust_units: int = 1_000_000_000
    max_radius_km: float = 500.0
    max_watch_keys: int = 1_000
    # ONESTOCK_MEMBER_SKU_HOLD_LIMIT: units of one SKU one member may hold in ACTIVE
    # reservations at once (orders awaiting payment, holds at a till); 0 = no limit.
    member_sku_hold_limit: int = 20


@dataclass(frozen=True)
class Settings:
    """OneStock's configuration. See README.md, "Configuration"."""

    # DATABASE_URL: a PostgreSQL URL (postgresql://...). Unset: start an
    # embedded PostgreSQL whose data lives in data_dir/pgdata.
    database_url: str | None = None
    # ONESTOCK_DATA_DIR: where the embedded PostgreSQL keeps its data.
    data_dir: Path = Path(".onestock-data")
    # ONESTOCK_LISTEN: gRPC listen address.
    listen: str = "127.0.0.1:50051"
    # ONESTOCK_MAX_MESSAGE_BYTES: largest gRPC message accepted or sent.
    max_message_bytes: int = 4 * 1024 * 1024
    # ONESTOCK_REFLECTION: serve gRPC server reflection.
    reflection: bool = True
    # ONESTOCK_DB_POOL_SIZE: database connections per server process.
    db_pool_size: int = 10
    # ONESTOCK_EXPIRY_INTERVAL_S: how often expired reservations are swept.
    expiry_interval_s: float = 1.0
    # ONESTOCK_IDEMPOTENCY_RETENTION_H: how long request ids are remembered.
    idempotency_retention_h: int = 24
    # ONESTOCK_RESERVE_WORKERS: concurrent batch writers for ReserveStock.
    reserve_workers: int = 1
    # ONESTOCK_RESERVE_MAX_BATCH: most ReserveStock calls coalesced into one
    # transaction; 1 turns coalescing off (one transaction per call).
    reserve_max_batch: int = 500
    # ONESTOCK_ORDER_WORKERS: concurrent batch writers for CreateOrder's online orders.
    order_workers: int = 1
    # ONESTOCK_ORDER_MAX_BATCH: most online CreateOrder calls coalesced into one
    # transaction; 1 turns coalescing off (one transaction per order).
    order_max_batch: int = 100
    # ONESTOCK_RESERVE_LINGER_MS: how long the ReserveStock batch writer waits for more
    # requests under a burst (0: never), so that each batch's fixed cost is shared by
    # more of them (services/common/coalescing.py, Linger).
    reserve_linger_ms: float = 10.0
    # ONESTOCK_ORDER_LINGER_MS: the same for CreateOrder's online orders. Off: an
    # order's own work dwarfs its batch's share, so waiting bought latency, not
    # throughput (docs/benchmarks.md).
    order_linger_ms: float = 0.0
    # ONESTOCK_BATCH_LINGER_BACKLOG: requests that must have queued up while the last
    # batch was written for a writer to wait: below it, it writes at once.
    batch_linger_backlog: int = 8
    # ONESTOCK_ROUTING_POLICY: TOML policy file for routing; unset: built-in defaults
    # (docs/policies/default.toml lists them).
    routing_policy_path: Path | None = None
    # ONESTOCK_ROAD_DISTANCE_URL: an OSRM server (http://host:5000) whose table service
    # measures customer-to-store distances by road; empty: great-circle kilometres.
    # ONESTOCK_ROAD_DISTANCE_PROFILE: the OSRM profile in its URLs (e.g. driving, bike).
    # ONESTOCK_ROAD_DISTANCE_TIMEOUT_MS: how long an order waits for it before it is routed
    # by great-circle kilometres instead.
    # ONESTOCK_ROAD_DISTANCE_RETRY_S: after it fails, how long it is left alone before one
    # order asks it again (0: every order asks).
    # ONESTOCK_ROAD_DISTANCE_KEEP_S: how long a customer point's distances are kept before
    # they are measured again (0: every order asks). See docs/routing.md.
    road_distance_url: str = ""
    road_distance_profile: str = "driving"
    road_distance_timeout_ms: int = 500
    road_distance_retry_s: float = 5.0
    road_distance_keep_s: float = 86_400.0
    # ONESTOCK_CRM_SINK: where member events go: "log" (one JSON line each on the
    # onestock.crm logger) or "grpc://host:port" (the CRM's MemberSyncService).
    crm_sink: str = "log"
    # ONESTOCK_OUTBOX_INTERVAL_S: how often the relay looks for events to deliver.
    outbox_interval_s: float = 0.5
    # ONESTOCK_ORDER_PAYMENT_TTL_S: how long an unpaid online order holds its stock.
    order_payment_ttl_s: int = 900
    # ONESTOCK_ORDER_HOLD_S: how long a paid order's stock stays held for fulfilment.
    order_hold_s: int = 7 * 24 * 3600
    # ONESTOCK_PICKUP_CODE_ATTEMPTS: wrong pickup codes in a row that lock a group's code;
    # ONESTOCK_PICKUP_CODE_LOCKOUT_S: for how long (services/orders/pickup_codes.py).
    pickup_code_attempts: int = 5
    pickup_code_lockout_s: int = 900
    # ONESTOCK_MEMBER_CODE_TTL_S: how long a member code stays valid at the till
    # (services/members/member_codes.py).
    member_code_ttl_s: int = 120
    # ONESTOCK_GRACE_S: how long SIGTERM waits for in-flight calls.
    shutdown_grace_s: float = 10.0
    # ONESTOCK_KEEPALIVE_S / ONESTOCK_KEEPALIVE_TIMEOUT_S: the server pings each connection
    # this often, and drops one whose peer has not answered within the timeout: a phone that
    # left coverage or a till unplugged mid-stream closes nothing, and its WatchStock or
    # WatchOrder stream would otherwise be kept for good.
    keepalive_s: float = 60.0
    keepalive_timeout_s: float = 20.0
    # ONESTOCK_AUTH: "enabled" (every call needs an API key) or "disabled" (local
    # experiments only; the server warns loudly at start).
    auth_enabled: bool = True
    # ONESTOCK_AUTH_CACHE_S: how long a looked-up API key is served from memory
    # (revocations reach every process at once regardless).
    auth_cache_s: float = 30.0
    # ONESTOCK_TLS_CERT / ONESTOCK_TLS_KEY: PEM files; set both to serve TLS.
    tls_cert: Path | None = None
    tls_key: Path | None = None
    # ONESTOCK_TLS_CLIENT_CA: PEM of the CA that issues client certificates; set, every
    # client must present one (mTLS).
    tls_client_ca: Path | None = None
    # ONESTOCK_POS_REQUIRE_CLIENT_CERT: POS keys count only beside a client certificate
    # whose CN is pos:<the key's location> (needs ONESTOCK_TLS_CLIENT_CA).
    pos_requires_client_cert: bool = False
    # ONESTOCK_METRICS_LISTEN: host:port of the Prometheus /metrics endpoint; "off" for none.
    metrics_listen: str = "127.0.0.1:9464"
    # ONESTOCK_LOG_FORMAT: "json" (one object per line) or "text".
    log_format: str = "json"
    # ONESTOCK_OTEL_EXPORTER: "" (no tracing), "console", or "otlp" (needs onestock[otlp];
    # endpoint from the standard OTEL_EXPORTER_OTLP_ENDPOINT).
    otel_exporter: str = ""
    # ONESTOCK_SIMULATION_DIR: the folder RunSimulation reads scenario files from
    # (paths in requests are relative to it) and writes reports/<request_id>/ into.
    simulation_dir: Path = Path("simulations")
    # ONESTOCK_SIMULATION_WORKERS: most worker processes one RunSimulation may use.
    simulation_workers: int = 2
    # ONESTOCK_SIMULATION_MAX_ORDERS: most synthetic orders one RunSimulation may ask for.
    simulation_max_orders: int = 5_000_000
    # ONESTOCK_SIMULATION_KEEP_RUNS: RunSimulation report folders kept, newest first.
    simulation_keep_runs: int = 20
    limits: Limits = field(default_factory=Limits)
    # ONESTOCK_MEMBER_TIERS: growth:points-per-yuan of STANDARD, SILVER, GOLD and DIAMOND
    # (default "0:1.0,1000:1.2,5000:1.5,20000:2.0"); ONESTOCK_POINTS_PER_YUAN_OFF: points
    # that take one yuan off at checkout (default 100); ONESTOCK_POINTS_MAX_SHARE_PERCENT: the
    # most of an order's goods points may pay (default 100; 0 turns spending off);
    # ONESTOCK_TILL_EARNING_NEEDS_MEMBER_CODE: a till sale earns for a member only with their
    # member code (default false: naming member_id will do). See docs/members.md.
    member_rules: MemberRules = field(default_factory=MemberRules)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        limits = Limits(
            max_lines=_int(env, "ONESTOCK_MAX_LINES", Limits.max_lines),
            max_quantity=_int(env, "ONESTOCK_MAX_QUANTITY", Limits.max_quantity),
            max_ttl_s=_int(env, "ONESTOCK_MAX_TTL_S", Limits.max_ttl_s),
            default_ttl_s=_int(env, "ONESTOCK_DEFAULT_TTL_S", Limits.default_ttl_s),
            max_page_size=_int(env, "ONESTOCK_MAX_PAGE_SIZE", Limits.max_page_size),
            member_sku_hold_limit=_int(env, "ONESTOCK_MEMBER_SKU_HOLD_LIMIT",
                                       Limits.member_sku_hold_limit),
        )
        member_rules = _member_rules(env)
        tls = {name: Path(env[var]) if env.get(var) else None for name, var in (
            ("tls_cert", "ONESTOCK_TLS_CERT"), ("tls_key", "ONESTOCK_TLS_KEY"),
            ("tls_client_ca", "ONESTOCK_TLS_CLIENT_CA"))}
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            data_dir=Path(env.get("ONESTOCK_DATA_DIR") or cls.data_dir),
            listen=env.get("ONESTOCK_LISTEN") or cls.listen,
            max_message_bytes=_int(env, "ONESTOCK_MAX_MESSAGE_BYTES", cls.max_message_bytes),
            reflection=_bool(env, "ONESTOCK_REFLECTION", cls.reflection),
            db_pool_size=_int(env, "ONESTOCK_DB_POOL_SIZE", cls.db_pool_size),
            expiry_interval_s=_float(env, "ONESTOCK_EXPIRY_INTERVAL_S", cls.expiry_interval_s),
            idempotency_retention_h=_int(
                env, "ONESTOCK_IDEMPOTENCY_RETENTION_H", cls.idempotency_retention_h
            ),
            reserve_workers=_int(env, "ONESTOCK_RESERVE_WORKERS", cls.reserve_workers),
            reserve_max_batch=_int(env, "ONESTOCK_RESERVE_MAX_BATCH", cls.reserve_max_batch),
            order_workers=_int(env, "ONESTOCK_ORDER_WORKERS", cls.order_workers),
            order_max_batch=_int(env, "ONESTOCK_ORDER_MAX_BATCH", cls.order_max_batch),
            reserve_linger_ms=_float(env, "ONESTOCK_RESERVE_LINGER_MS", cls.reserve_linger_ms),
            order_linger_ms=_float(env, "ONESTOCK_ORDER_LINGER_MS", cls.order_linger_ms),
            batch_linger_backlog=_int(env, "ONESTOCK_BATCH_LINGER_BACKLOG",
                                      cls.batch_linger_backlog),
            shutdown_grace_s=_float(env, "ONESTOCK_GRACE_S", cls.shutdown_grace_s),
            keepalive_s=_float(env, "ONESTOCK_KEEPALIVE_S", cls.keepalive_s),
            keepalive_timeout_s=_float(env, "ONESTOCK_KEEPALIVE_TIMEOUT_S",
                                       cls.keepalive_timeout_s),
            crm_sink=env.get("ONESTOCK_CRM_SINK") or cls.crm_sink,
            road_distance_url=env.get("ONESTOCK_ROAD_DISTANCE_URL", cls.road_distance_url),
            road_distance_profile=env.get("ONESTOCK_ROAD_DISTANCE_PROFILE")
            or cls.road_distance_profile,
            road_distance_timeout_ms=_int(env, "ONESTOCK_ROAD_DISTANCE_TIMEOUT_MS",
                                          cls.road_distance_timeout_ms),
            road_distance_retry_s=_float(env, "ONESTOCK_ROAD_DISTANCE_RETRY_S",
                                         cls.road_distance_retry_s),
            road_distance_keep_s=_float(env, "ONESTOCK_ROAD_DISTANCE_KEEP_S",
                                        cls.road_distance_keep_s),
            order_payment_ttl_s=_int(env, "ONESTOCK_ORDER_PAYMENT_TTL_S", cls.order_payment_ttl_s),
            order_hold_s=_int(env, "ONESTOCK_ORDER_HOLD_S", cls.order_hold_s),
            pickup_code_attempts=_int(env, "ONESTOCK_PICKUP_CODE_ATTEMPTS",
                                      cls.pickup_code_attempts),
            pickup_code_lockout_s=_int(env, "ONESTOCK_PICKUP_CODE_LOCKOUT_S",
                                       cls.pickup_code_lockout_s),
            member_code_ttl_s=_int(env, "ONESTOCK_MEMBER_CODE_TTL_S", cls.member_code_ttl_s),
            outbox_interval_s=_float(env, "ONESTOCK_OUTBOX_INTERVAL_S", cls.outbox_interval_s),
            routing_policy_path=Path(env["ONESTOCK_ROUTING_POLICY"])
            if env.get("ONESTOCK_ROUTING_POLICY") else None,
            limits=limits,
            auth_enabled=_bool(env, "ONESTOCK_AUTH", cls.auth_enabled),
            auth_cache_s=_float(env, "ONESTOCK_AUTH_CACHE_S", cls.auth_cache_s),
            pos_requires_client_cert=_bool(env, "ONESTOCK_POS_REQUIRE_CLIENT_CERT",
                                           cls.pos_requires_client_cert),
            metrics_listen=env.get("ONESTOCK_METRICS_LISTEN") or cls.metrics_listen,
            log_format=_choice(env, "ONESTOCK_LOG_FORMAT", ("json", "text"), cls.log_format),
            otel_exporter=_choice(env, "ONESTOCK_OTEL_EXPORTER", ("", "console", "otlp"),
                                  cls.otel_exporter),
            simulation_dir=Path(env.get("ONESTOCK_SIMULATION_DIR") or cls.simulation_dir),
            simulation_workers=_int(env, "ONESTOCK_SIMULATION_WORKERS", cls.simulation_workers),
            simulation_max_orders=_int(env, "ONESTOCK_SIMULATION_MAX_ORDERS",
                                       cls.simulation_max_orders),
            simulation_keep_runs=_int(env, "ONESTOCK_SIMULATION_KEEP_RUNS",
                                      cls.simulation_keep_runs),
            member_rules=member_rules,
            **tls,
        ).checked()

    def checked(self) -> Settings:
        """Refuse values and combinations that cannot work, naming the variables."""
        if self.database_url is not None and not is_postgresql_url(self.database_url):
            raise ValueError("DATABASE_URL must be a postgresql://user:password@host/database "
                             "URL")
        _check_address("ONESTOCK_LISTEN", self.listen)
        if self.metrics_enabled:
            _check_address("ONESTOCK_METRICS_LISTEN", self.metrics_listen)
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("ONESTOCK_TLS_CERT and ONESTOCK_TLS_KEY must be set together")
        if self.tls_client_ca is not None and self.tls_cert is None:
            raise ValueError("ONESTOCK_TLS_CLIENT_CA needs ONESTOCK_TLS_CERT and ONESTOCK_TLS_KEY")
        if self.pos_requires_client_cert and self.tls_client_ca is None:
            raise ValueError("ONESTOCK_POS_REQUIRE_CLIENT_CERT needs ONESTOCK_TLS_CLIENT_CA")
        for name in ("simulation_workers", "simulation_max_orders", "simulation_keep_runs",
                     "reserve_workers", "reserve_max_batch", "order_workers", "order_max_batch",
                     "batch_linger_backlog",
                     "pickup_code_attempts", "pickup_code_lockout_s", "member_code_ttl_s"):
            if getattr(self, name) < 1:
                raise ValueError(f"ONESTOCK_{name.upper()} must be at least 1")
        if self.member_code_ttl_s > 3600:
            raise ValueError("ONESTOCK_MEMBER_CODE_TTL_S must be at most 3600: a member code "
                             "proves the member is at the till now, not some day")
        for name in ("reserve_linger_ms", "order_linger_ms"):
            if not 0 <= getattr(self, name) <= 1000:  # also refuses nan
                raise ValueError(f"ONESTOCK_{name.upper()} must be 0 to 1000, got "
                                 f"{getattr(self, name):g}")
        self._check_road_distances()
        for name, value in (("ONESTOCK_KEEPALIVE_S", self.keepalive_s),
                            ("ONESTOCK_KEEPALIVE_TIMEOUT_S", self.keepalive_timeout_s)):
            if not 0.1 <= value <= 7200:
                raise ValueError(f"{name} must be 0.1 to 7200 seconds, got {value:g}")
        for path in (self.tls_cert, self.tls_key, self.tls_client_ca):
            if path is not None and not path.is_file():
                raise ValueError(f"TLS file {path} does not exist")
        return self

    def _check_road_distances(self) -> None:
        if self.road_distance_url and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?",
                                                       self.road_distance_url):
            raise ValueError("ONESTOCK_ROAD_DISTANCE_URL must be an http:// or https:// URL "
                             f"(the OSRM server), got {self.road_distance_url!r}")
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", self.road_distance_profile):
            raise ValueError("ONESTOCK_ROAD_DISTANCE_PROFILE must be 1 to 64 letters, digits, "
                             f"'_' or '-', got {self.road_distance_profile!r}")
        if not 1 <= self.road_distance_timeout_ms <= 60_000:
            raise ValueError("ONESTOCK_ROAD_DISTANCE_TIMEOUT_MS must be 1 to 60000, got "
                             f"{self.road_distance_timeout_ms}")
        if not 0 <= self.road_distance_retry_s <= 3600:
            raise ValueError("ONESTOCK_ROAD_DISTANCE_RETRY_S must be 0 to 3600 seconds, got "
                             f"{self.road_distance_retry_s:g}")
        if not 0 <= self.road_distance_keep_s <= 30 * 86_400:
            raise ValueError("ONESTOCK_ROAD_DISTANCE_KEEP_S must be 0 to 2592000 seconds (30 "
                             f"days), got {self.road_distance_keep_s:g}")

    @property
    def metrics_enabled(self) -> bool:
        return self.metrics_listen.lower() not in ("off", "none", "disabled")
