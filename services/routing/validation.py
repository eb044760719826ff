"""Turn routing requests into the core's RouteRequest, naming every bad field at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from google.protobuf import json_format
from onestock.routing.v1 import routing_service_pb2 as pb

from services.common.config import Limits
from services.common.errors import Collector
from services.common.ranges import TIMES_SAID, within_times
from services.common.validation import (
    check_enum,
    check_id,
    check_optional_id,
    check_point,
    check_text,
)
from services.routing.model import Mode, OrderLine, RouteRequest
from services.routing.policy import PolicyError, RoutingPolicy, policy_from_dict
from services.routing.store_finder import StoreService

SERVICE_FROM_PB = {pb.STORE_SERVICE_UNSPECIFIED: StoreService.ANY,
                   pb.STORE_SERVICE_PICKUP: StoreService.PICKUP,
                   pb.STORE_SERVICE_SAME_CITY_DELIVERY: StoreService.SAME_CITY_DELIVERY}
MAX_STORE_SEARCH_KM = 100.0
MAX_STORES = 50

MODE_FROM_PB = {pb.FULFILMENT_MODE_PICKUP: Mode.PICKUP,
                pb.FULFILMENT_MODE_SAME_CITY_DELIVERY: Mode.SAME_CITY_DELIVERY,
                pb.FULFILMENT_MODE_AUTO: Mode.AUTO}

# Whether a RouteOrder response carries the plan's trace, per view (AIP-157: unset is FULL).
TRACE_IN_VIEW = {pb.PLAN_VIEW_UNSPECIFIED: True, pb.PLAN_VIEW_BASIC: False,
                 pb.PLAN_VIEW_FULL: True}


def with_trace(view: int) -> bool:
    """Whether the response to a RouteOrder asking for ``view`` carries the trace."""
    errors = Collector()
    check_enum(errors, view, TRACE_IN_VIEW, "view", pb.PlanView)
    errors.raise_if_any()
    return TRACE_IN_VIEW[view]


@dataclass(frozen=True)
class StoreSearch:
    latitude: float
    longitude: float
    service: StoreService
    radius_km: float | None  # None: the policy's pickup radius
    limit: int
    at: datetime


def store_search(msg: pb.FindNearestStoresRequest) -> StoreSearch:
    errors = Collector()
    check_point(errors, msg.latitude, msg.longitude)
    check_enum(errors, msg.service, SERVICE_FROM_PB, "service", pb.StoreService)
    errors.check(msg.radius_km == 0 or 0 < msg.radius_km <= MAX_STORE_SEARCH_KM, "radius_km",
                 f"must be above 0 and at most {MAX_STORE_SEARCH_KM:g} km, or 0 for the "
                 "policy's pickup radius")
    errors.check(0 <= msg.max_stores <= MAX_STORES, "max_stores",
                 f"must be 1 to {MAX_STORES}, or 0 for 10")
    at = _moment(errors, msg, "at_time")
    errors.raise_if_any()
    return StoreSearch(msg.latitude, msg.longitude, SERVICE_FROM_PB[msg.service],
                       msg.radius_km or None, msg.max_stores or 10, at)


def _moment(errors: Collector, msg, field: str, now: datetime | None = None,
            prefix: str = "") -> datetime:
    """The message's timestamp ``field``, from 1970 to 2199; ``now`` when unset."""
    when = now or datetime.now(UTC)
    if msg.HasField(field):
        try:
            when = getattr(msg, field).ToDatetime(tzinfo=UTC)
        except (ValueError, OverflowError):
            errors.add(f"{prefix}{field}", "is not a valid timestamp")
        else:
            errors.check(within_times(when), f"{prefix}{field}", TIMES_SAID)
    return when


def route_request(msg: pb.RouteRequest, limits: Limits, *, prefix: str = "order.",
                  require_mode: bool = True, now: datetime | None = None) -> RouteRequest:
    errors = Collector()
    if not 1 <= len(msg.lines) <= limits.max_lines:
        errors.add(f"{prefix}lines", f"must hold 1 to {limits.max_lines} lines")
    seen: set[str] = set()
    for i, line in enumerate(msg.lines[: limits.max_lines]):
        at = f"{prefix}lines[{i}]"
        if check_id(errors, line.sku_id, f"{at}.sku_id") and line.sku_id in seen:
            errors.add(f"{at}.sku_id", "is listed twice")
        seen.add(line.sku_id)
        if not 1 <= line.quantity <= limits.max_quantity:
            errors.add(f"{at}.quantity", f"must be 1 to {limits.max_quantity}")
    check_point(errors, msg.latitude, msg.longitude, prefix)
    check_text(errors, msg.city, f"{prefix}city", 200)
    if require_mode:
        check_enum(errors, msg.mode, MODE_FROM_PB, f"{prefix}mode", pb.FulfilmentMode)
    mode = MODE_FROM_PB.get(msg.mode)
    delivery_possible = mode in (Mode.SAME_CITY_DELIVERY, Mode.AUTO) or not require_mode
    if delivery_possible and not msg.city.strip():
        errors.add(f"{prefix}city", "is required for same-city delivery")
    check_optional_id(errors, msg.pickup_location_id, f"{prefix}pickup_location_id")
    if msg.pickup_location_id and mode not in (Mode.PICKUP, None):
        errors.add(f"{prefix}pickup_location_id", "is only for PICKUP orders")
    placed_at = _moment(errors, msg, "order_time", now, prefix)
    errors.raise_if_any()
    return RouteRequest(
        lines=tuple(OrderLine(ln.sku_id, ln.quantity) for ln in msg.lines),
        latitude=msg.latitude, longitude=msg.longitude, city=msg.city.strip(),
        mode=mode or Mode.AUTO, placed_at=placed_at,
        pickup_location_id=msg.pickup_location_id or None,
    )


def policy_for(msg: pb.RouteRequest, base: RoutingPolicy, prefix: str = "order.") -> RoutingPolicy:
    """The server's policy with this request's overrides, each key checked like a policy file."""
    if not msg.HasField("policy_overrides"):
        return base
    where = f"{prefix}policy_overrides"
    try:
        return policy_from_dict(json_format.MessageToDict(msg.policy_overrides), where, base)
    except PolicyError as error:
        errors = Collector()
        errors.add(f"{where}.{error.key}", error.problem)
        errors.raise_if_any()
        raise
