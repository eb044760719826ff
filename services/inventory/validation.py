"""Turn inventory requests into domain commands, naming every bad field at once.

Nothing here touches the database: a request that fails validation changes
nothing. Existence of ids (NOT_FOUND) is checked by the handlers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from onestock.inventory.v1 import inventory_service_pb2 as pb

from services.common.config import Limits
from services.common.errors import Collector
from services.common.validation import (
    check_enum,
    check_id,
    check_optional_id,
    check_point,
    check_request_id,
    check_text,
    check_time,
    sku_counts,
)
from services.inventory import mapping
from services.inventory.catalogue import Location, Sku, is_time_zone
from services.inventory.domain import AdjustmentReason, LineRequest, ReserveCommand
from services.inventory.transfers import NewTransfer

CURRENCIES_MINOR_UNITS = {"CNY", "HKD", "TWD", "USD", "EUR", "JPY", "SGD", "MOP"}
MAX_NAME = 200
MAX_NOTE = 500
MAX_REFERENCE = 128
MAX_TRANSFER_NOTE = 200
MAX_DELIVERY_RADIUS_KM = 100.0
# Routing reads a location's windows for every order it considers the location for: a week
# of split shifts is a few dozen; more is a mistake in the data, refused before it slows
# every order.
MAX_OPENING_WINDOWS = 50
# Closed periods: a few a year is usual; routing checks them for every order.
MAX_CLOSURES = 50
MAX_CLOSURE_REASON = 200


def _check_location(errors: Collector, loc: pb.Location, at: str) -> None:
    check_id(errors, loc.location_id, f"{at}.location_id")
    check_text(errors, loc.name, f"{at}.name", MAX_NAME, required=True)
    check_enum(errors, loc.kind, mapping.LOCATION_KIND_FROM_PB, f"{at}.kind", pb.LocationKind)
    check_point(errors, loc.latitude, loc.longitude, f"{at}.")
    check_text(errors, loc.city, f"{at}.city", MAX_NAME, required=True)
    radius = loc.delivery_radius_km
    errors.check(math.isfinite(radius) and 0 <= radius <= MAX_DELIVERY_RADIUS_KM,
                 f"{at}.delivery_radius_km", f"must be between 0 and {MAX_DELIVERY_RADIUS_KM:g}")
    errors.check(not loc.time_zone or is_time_zone(loc.time_zone), f"{at}.time_zone",
                 "is not an IANA time zone")
    check_optional_id(errors, loc.dealer_id, f"{at}.dealer_id")
    errors.check(len(loc.opening_hours) <= MAX_OPENING_WINDOWS, f"{at}.opening_hours",
                 f"must hold at most {MAX_OPENING_WINDOWS} windows")
    for j, hours in enumerate(loc.opening_hours[:MAX_OPENING_WINDOWS]):
        h = f"{at}.opening_hours[{j}]"
        errors.check(0 <= hours.open_minute <= 1439, f"{h}.open_minute", "must be 0 to 1439")
        errors.check(hours.open_minute < hours.close_minute <= 1440, f"{h}.close_minute",
                     "must be after open_minute and at most 1440")
        errors.check(all(1 <= d <= 7 for d in hours.iso_weekdays), f"{h}.iso_weekdays",
                     "must be 1 (Monday) to 7 (Sunday)")
        errors.check(len(set(hours.iso_weekdays)) == len(hours.iso_weekdays),
                     f"{h}.iso_weekdays", "must name each day at most once")
    errors.check(len(loc.closures) <= MAX_CLOSURES, f"{at}.closures",
                 f"must hold at most {MAX_CLOSURES} periods")
    for j, closure in enumerate(loc.closures[:MAX_CLOSURES]):
        c = f"{at}.closures[{j}]"
        start = check_time(errors, closure, "start_time", f"{c}.start_time")
        end = check_time(errors, closure, "end_time", f"{c}.end_time")
        if start is not None and end is not None:
            errors.check(start < end, f"{c}.end_time", "must be after start_time")
        check_text(errors, closure.reason, f"{c}.reason", MAX_CLOSURE_REASON)


def upsert_locations(request: pb.UpsertLocationsRequest, limits: Limits) -> list[Location]:
    errors = Collector()
    check_request_id(errors, request.request_id)
    _check_batch(errors, len(request.locations), "locations", limits)
    seen: set[str] = set()
    for i, loc in enumerate(request.locations):
        _check_location(errors, loc, f"locations[{i}]")
        errors.check(loc.location_id not in seen, f"locations[{i}].location_id", "is listed twice")
        seen.add(loc.location_id)
    errors.raise_if_any()
    return [mapping.location_from_pb(loc) for loc in request.locations]


def upsert_skus(request: pb.UpsertSkusRequest, limits: Limits) -> list[Sku]:
    errors = Collector()
    check_request_id(errors, request.request_id)
    _check_batch(errors, len(request.skus), "skus", limits)
    seen: set[str] = set()
    for i, sku in enumerate(request.skus):
        at = f"skus[{i}]"
        check_id(errors, sku.sku_id, f"{at}.sku_id")
        errors.check(sku.sku_id not in seen, f"{at}.sku_id", "is listed twice")
        seen.add(sku.sku_id)
        check_text(errors, sku.name, f"{at}.name", MAX_NAME, required=True)
        check_text(errors, sku.spec, f"{at}.spec", MAX_NAME)
        errors.check(0 <= sku.price_minor <= 10**12, f"{at}.price_minor",
                     "must be 0 to 10^12 minor units")
        errors.check(not sku.currency or sku.currency in CURRENCIES_MINOR_UNITS, f"{at}.currency",
                     f"must be one of {sorted(CURRENCIES_MINOR_UNITS)}")
        if sku.sale_status:  # unset keeps the stored status
            check_enum(errors, sku.sale_status, mapping.SALE_STATUS_FROM_PB,
                       f"{at}.sale_status", pb.SaleStatus)
    errors.raise_if_any()
    return [mapping.sku_from_pb(s) for s in request.skus]


def _check_batch(errors: Collector, count: int, field: str, limits: Limits) -> None:
    errors.check(1 <= count <= limits.max_batch_upsert, field,
                 f"must hold 1 to {limits.max_batch_upsert} entries")


@dataclass(frozen=True)
class AdjustCommand:
    request_id: str
    location_id: str
    sku_id: str
    delta: int | None
    set_on_hand: int | None
    reason: AdjustmentReason
    note: str


def adjust_stock(request: pb.AdjustStockRequest, limits: Limits) -> AdjustCommand:
    errors = Collector()
    check_request_id(errors, request.request_id)
    command = _adjustment(errors, request, request.request_id, limits)
    errors.raise_if_any()
    return command


def batch_adjust_stock(request: pb.BatchAdjustStockRequest, limits: Limits) -> list[AdjustCommand]:
    """Every adjustment of the batch, each carrying the batch's request id; the same
    location and SKU may come twice (a receipt, then a write-off), applied in order."""
    errors = Collector()
    check_request_id(errors, request.request_id)
    _check_batch(errors, len(request.adjustments), "adjustments", limits)
    commands = [_adjustment(errors, adjustment, request.request_id, limits, f"adjustments[{i}].")
                for i, adjustment in enumerate(request.adjustments[:limits.max_batch_upsert])]
    errors.raise_if_any()
    return commands


def _adjustment(errors: Collector, message: pb.AdjustStockRequest | pb.StockAdjustment,
                request_id: str, limits: Limits, at: str = "") -> AdjustCommand:
    """The fields an AdjustStockRequest and a batch's StockAdjustment share, checked alike."""
    check_id(errors, message.location_id, f"{at}location_id")
    check_id(errors, message.sku_id, f"{at}sku_id")
    bound = limits.max_adjust_units
    change = message.WhichOneof("change")
    if change is None:
        errors.add(f"{at}change", "one of delta or set_on_hand is required")
    elif change == "delta":
        errors.check(message.delta != 0 and abs(message.delta) <= bound, f"{at}delta",
                     f"must be non-zero and at most {bound} either way")
    else:
        errors.check(0 <= message.set_on_hand <= bound, f"{at}set_on_hand",
                     f"must be 0 to {bound}")
    check_enum(errors, message.reason, mapping.REASON_FROM_PB, f"{at}reason", pb.AdjustmentReason)
    check_text(errors, message.note, f"{at}note", MAX_NOTE)
    return AdjustCommand(
        request_id, message.location_id, message.sku_id,
        message.delta if change == "delta" else None,
        message.set_on_hand if change == "set_on_hand" else None,
        mapping.REASON_FROM_PB.get(message.reason), message.note,
    )


def set_safety_stock(request: pb.SetSafetyStockRequest, limits: Limits) -> None:
    errors = Collector()
    check_request_id(errors, request.request_id)
    check_id(errors, request.location_id, "location_id")
    check_id(errors, request.sku_id, "sku_id")
    errors.check(0 <= request.safety_stock <= limits.max_adjust_units, "safety_stock",
                 f"must be 0 to {limits.max_adjust_units}")
    errors.raise_if_any()


def _lines(errors: Collector, lines, limits: Limits, *, min_quantity: int) -> list[LineRequest]:
    if not 1 <= len(lines) <= limits.max_lines:
        errors.add("lines", f"must hold 1 to {limits.max_lines} lines")
    seen: set[tuple[str, str]] = set()
    result = []
    for i, line in enumerate(lines[: limits.max_lines]):
        ok = check_id(errors, line.location_id, f"lines[{i}].location_id")
        ok = check_id(errors, line.sku_id, f"lines[{i}].sku_id") and ok
        if not min_quantity <= line.quantity <= limits.max_quantity:
            errors.add(f"lines[{i}].quantity", f"must be {min_quantity} to {limits.max_quantity}")
            ok = False
        key = (line.location_id, line.sku_id)
        if key in seen:
            errors.add(f"lines[{i}]", f"duplicates the line for {key[0]}/{key[1]}")
            ok = False
        seen.add(key)
        if ok:
            result.append(LineRequest(line.location_id, line.sku_id, line.quantity))
    return result


def reserve_stock(request: pb.ReserveStockRequest, limits: Limits) -> ReserveCommand:
    errors = Collector()
    check_request_id(errors, request.request_id)
    check_enum(errors, request.channel, mapping.CHANNEL_FROM_PB, "channel", pb.Channel)
    check_text(errors, request.reference, "reference", MAX_REFERENCE)
    lines = _lines(errors, request.lines, limits, min_quantity=1)
    if not 0 <= request.ttl_seconds <= limits.max_ttl_s:
        errors.add("ttl_seconds", f"must be 1 to {limits.max_ttl_s}, or 0 for the default")
    check_optional_id(errors, request.member_id, "member_id")
    errors.raise_if_any()
    return ReserveCommand(
        request_id=request.request_id,
        channel=mapping.CHANNEL_FROM_PB[request.channel],
        reference=request.reference,
        lines=tuple(lines),
        ttl_s=request.ttl_seconds or limits.default_ttl_s,
        member_id=request.member_id,
    )


def commit_reservation(request: pb.CommitReservationRequest, limits: Limits) -> list[LineRequest]:
    errors = Collector()
    check_request_id(errors, request.request_id)
    check_reservation_id(errors, request.reservation_id)
    lines = _lines(errors, request.lines, limits, min_quantity=0) if request.lines else []
    errors.raise_if_any()
    return lines


def release_reservation(request: pb.ReleaseReservationRequest) -> None:
    errors = Collector()
    check_request_id(errors, request.request_id)
    check_reservation_id(errors, request.reservation_id)
    errors.raise_if_any()


def extend_reservation(request: pb.ExtendReservationRequest, limits: Limits) -> None:
    errors = Collector()
    check_request_id(errors, request.request_id)
    check_reservation_id(errors, request.reservation_id)
    errors.check(1 <= request.ttl_seconds <= limits.max_ttl_s, "ttl_seconds",
                 f"must be 1 to {limits.max_ttl_s}")
    errors.raise_if_any()


def get_reservation(request: pb.GetReservationRequest) -> None:
    errors = Collector()
    check_reservation_id(errors, request.reservation_id)
    errors.raise_if_any()


def check_reservation_id(errors: Collector, value: str, *, required: bool = True) -> None:
    """A reservation id as the service makes them, or, unless ``required``, none (a filter)."""
    if not value:
        if required:
            errors.add("reservation_id", "is required")
    elif len(value) > 64 or not value.isprintable():
        errors.add("reservation_id", "is not a reservation id")


@dataclass(frozen=True)
class AvailabilityQuery:
    sku_ids: list[str]
    location_ids: list[str]  # empty when near a point
    near: tuple[float, float, float] | None  # (latitude, longitude, radius_km)


def _unique_ids(errors: Collector, ids, field: str, max_count: int) -> list[str]:
    errors.check(1 <= len(ids) <= max_count, field, f"must hold 1 to {max_count} ids")
    seen: set[str] = set()
    for i, value in enumerate(ids[:max_count]):
        if check_id(errors, value, f"{field}[{i}]"):
            errors.check(value not in seen, f"{field}[{i}]", "is listed twice")
        seen.add(value)
    return list(ids)


def get_availability(request: pb.GetAvailabilityRequest, limits: Limits) -> AvailabilityQuery:
    errors = Collector()
    sku_ids = _unique_ids(errors, request.sku_ids, "sku_ids", limits.max_lines)
    scope = request.WhichOneof("scope")
    location_ids: list[str] = []
    near = None
    if scope is None:
        errors.add("scope", "one of locations or near is required")
    elif scope == "locations":
        location_ids = _unique_ids(errors, request.locations.location_ids,
                                   "locations.location_ids", limits.max_watch_keys)
    else:
        p = request.near
        check_point(errors, p.latitude, p.longitude, "near.")
        errors.check(math.isfinite(p.radius_km) and 0 < p.radius_km <= limits.max_radius_km,
                     "near.radius_km", f"must be more than 0 and at most {limits.max_radius_km:g}")
        near = (p.latitude, p.longitude, p.radius_km)
    errors.raise_if_any()
    return AvailabilityQuery(sku_ids, location_ids, near)


def watch_stock(request: pb.WatchStockRequest, limits: Limits) -> tuple[list[str], list[str]]:
    errors = Collector()
    if not request.location_ids and not request.sku_ids:
        errors.add("location_ids", "location_ids or sku_ids is required")
    for field, ids in (("location_ids", request.location_ids), ("sku_ids", request.sku_ids)):
        if ids:
            _unique_ids(errors, ids, field, limits.max_watch_keys)
    errors.raise_if_any()
    return list(request.location_ids), list(request.sku_ids)


def new_transfer(request: pb.CreateStockTransferRequest, limits: Limits) -> NewTransfer:
    errors = Collector()
    check_request_id(errors, request.request_id)
    check_id(errors, request.source_location_id, "source_location_id")
    check_id(errors, request.destination_location_id, "destination_location_id")
    errors.check(request.source_location_id != request.destination_location_id,
                 "destination_location_id", "must differ from source_location_id")
    lines = sku_counts(errors, request.lines, "lines", limits, min_quantity=1, required=True)
    check_text(errors, request.note, "note", MAX_TRANSFER_NOTE)
    if not 0 <= request.ttl_seconds <= limits.max_ttl_s:
        errors.add("ttl_seconds", f"must be 1 to {limits.max_ttl_s}, or 0 for the longest")
    errors.raise_if_any()
    return NewTransfer(request.request_id, request.source_location_id,
                       request.destination_location_id, tuple(lines.items()), request.note,
                       request.ttl_seconds or limits.max_ttl_s)


def transfer_step(request, errors: Collector | None = None) -> None:
    """A step on one transfer: its request id and transfer id."""
    own = errors is None
    errors = errors or Collector()
    check_request_id(errors, request.request_id)
    check_id(errors, request.transfer_id, "transfer_id")
    if own:
        errors.raise_if_any()


def received(request: pb.ReceiveStockTransferRequest, limits: Limits) -> dict[str, int]:
    """Units that arrived per SKU named (the rest arrived whole)."""
    errors = Collector()
    transfer_step(request, errors)
    arrived = sku_counts(errors, request.received_lines, "received_lines", limits,
                          min_quantity=0)
    errors.raise_if_any()
    return arrived
