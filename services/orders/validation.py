"""Turn order requests into commands, naming every bad field at once."""

from __future__ import annotations

from datetime import UTC, datetime

from onestock.orders.v1 import order_service_pb2 as pb

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
from services.members import member_codes
from services.members.rules import (
    DEFAULT_RULES,
    MemberRules,
    discount_for,
    smallest_redemption,
)
from services.orders.handlers import NewOrder, goods_minor
from services.orders.sales_credit import MAX_SALES_PERIOD
from services.routing.model import Mode, OrderLine, RouteRequest

MAX_UNIT_PRICE_MINOR = 10**10
MAX_POINTS_TO_REDEEM = 10**12
ONLINE_MODES = {pb.FULFILMENT_METHOD_PICKUP: Mode.PICKUP,
                pb.FULFILMENT_METHOD_SAME_CITY_DELIVERY: Mode.SAME_CITY_DELIVERY,
                pb.FULFILMENT_METHOD_AUTO: Mode.AUTO}
METHODS = (*ONLINE_MODES, pb.FULFILMENT_METHOD_IN_STORE)
CHANNELS = {pb.CHANNEL_MINI_PROGRAM: "MINI_PROGRAM", pb.CHANNEL_POS: "POS"}


def create_order(request: pb.CreateOrderRequest, limits: Limits,
                 rules: MemberRules = DEFAULT_RULES) -> NewOrder:
    errors = Collector()
    check_request_id(errors, request.request_id)
    check_enum(errors, request.channel, CHANNELS, "channel", pb.Channel)
    channel = CHANNELS.get(request.channel)
    check_optional_id(errors, request.member_id, "member_id")
    lines = _lines(errors, request.lines, limits)
    f = request.fulfilment
    method = f.method
    route = None
    if method == pb.FULFILMENT_METHOD_IN_STORE:
        if channel != "POS":
            errors.add("fulfilment.method", "IN_STORE is for POS sales")
        check_id(errors, f.location_id, "fulfilment.location_id")
        if f.reservation_id:
            check_text(errors, f.reservation_id, "fulfilment.reservation_id", 64)
    elif method in ONLINE_MODES:
        if channel == "POS":
            errors.add("fulfilment.method", "a POS sale is IN_STORE")
        mode = ONLINE_MODES[method]
        if f.location_id:
            if mode is not Mode.PICKUP:
                errors.add("fulfilment.location_id", "is only for PICKUP or IN_STORE")
            check_id(errors, f.location_id, "fulfilment.location_id")
        check_point(errors, f.latitude, f.longitude, "fulfilment.")
        check_text(errors, f.city, "fulfilment.city", 200, required=mode is not Mode.PICKUP)
        if f.reservation_id:
            errors.add("fulfilment.reservation_id", "is only for IN_STORE sales")
        route = RouteRequest(tuple(OrderLine(s, q) for s, q, _ in lines), f.latitude, f.longitude,
                             f.city.strip(), mode, datetime.now(UTC), f.location_id or None)
    else:
        check_enum(errors, method, METHODS, "fulfilment.method", pb.FulfilmentMethod)
    discount = _points_discount(errors, request, goods_minor(lines), rules)
    in_store = method == pb.FULFILMENT_METHOD_IN_STORE
    _check_member_code(errors, request, in_store, rules)
    errors.raise_if_any()
    return NewOrder(request.request_id, channel, request.member_id or None, tuple(lines), route,
                    till_location_id=f.location_id if in_store else None,
                    till_reservation_id=(f.reservation_id or None) if in_store else None,
                    points_to_redeem=request.points_to_redeem, points_discount_minor=discount,
                    member_code=request.member_code or None)


def _points_discount(errors: Collector, request: pb.CreateOrderRequest, goods: int,
                     rules: MemberRules) -> int:
    """What the points to redeem take off the goods, in fen; whether the member has them is
    for the transaction that spends them."""
    points = request.points_to_redeem
    if points == 0:
        return 0
    if not 0 < points <= MAX_POINTS_TO_REDEEM:
        errors.add("points_to_redeem", f"must be 0 to {MAX_POINTS_TO_REDEEM}")
        return 0
    if not (request.member_id or request.member_code):
        errors.add("points_to_redeem", "needs member_id (or, at the till, member_code): only a "
                   "member has points to spend")
    discount = discount_for(points, rules.points_per_yuan_off)
    if discount is None:
        errors.add("points_to_redeem", f"must be a multiple of {smallest_redemption(rules.points_per_yuan_off)}, "
                   "so that the points make whole fen")
        return 0
    most = rules.most_points_may_pay(goods)
    if discount > most:
        share = ("" if rules.points_max_share_percent == 100
                 else f" ({rules.points_max_share_percent}% of the {goods})")
        errors.add("points_to_redeem", f"{points} points take {discount} fen off, more than "
                   f"the {most} fen of goods points may pay{share}")
    return discount


def _check_member_code(errors: Collector, request: pb.CreateOrderRequest, in_store: bool,
                       rules: MemberRules) -> None:
    """At the till the member code names the member and proves they are there; points are
    spent only with it, and earned only with it where the chain says so. Online, the mall
    has signed the member in."""
    code = request.member_code
    if code and not in_store:
        errors.add("member_code", "is only for till sales (IN_STORE): online orders name "
                   "member_id")
    elif code and not member_codes.well_formed(code):
        errors.add("member_code", f"must be the {member_codes.DIGITS} digits the member's "
                   "app shows")
    elif in_store and request.points_to_redeem and not code:
        errors.add("member_code", "a till sale spends points only with the member's code, "
                   "scanned from their app: naming member_id proves nothing")
    elif in_store and request.member_id and not code and rules.till_earning_needs_code:
        errors.add("member_code", "this chain credits a till sale to a member only with the "
                   "member's code, scanned from their app (ONESTOCK_TILL_EARNING_NEEDS_MEMBER_CODE)")


def _lines(errors: Collector, lines, limits: Limits) -> list[tuple[str, int, int]]:
    if not 1 <= len(lines) <= limits.max_lines:
        errors.add("lines", f"must hold 1 to {limits.max_lines} lines")
    seen: set[str] = set()
    out = []
    for i, line in enumerate(lines[: limits.max_lines]):
        ok = check_id(errors, line.sku_id, f"lines[{i}].sku_id")
        if line.sku_id in seen:
            errors.add(f"lines[{i}].sku_id", "is listed twice")
            ok = False
        seen.add(line.sku_id)
        if not 1 <= line.quantity <= limits.max_quantity:
            errors.add(f"lines[{i}].quantity", f"must be 1 to {limits.max_quantity}")
            ok = False
        if not 0 <= line.unit_price_minor <= MAX_UNIT_PRICE_MINOR:
            errors.add(f"lines[{i}].unit_price_minor", f"must be 0 to {MAX_UNIT_PRICE_MINOR}")
            ok = False
        if ok:
            out.append((line.sku_id, line.quantity, line.unit_price_minor))
    return out


def order_ref(request, *, field: str = "order_id", needs_request_id: bool = True,
              errors: Collector | None = None) -> None:
    """Check the request id and the order (or group) id. With ``errors`` the findings join
    the caller's, so one BadRequest names every bad field; without, they are raised here."""
    own = errors is None
    errors = errors or Collector()
    if needs_request_id:
        check_request_id(errors, request.request_id)
    value = getattr(request, field)
    if not value:
        errors.add(field, "is required")
    elif len(value) > 80 or not value.isprintable():
        errors.add(field, f"is not a valid {field.removesuffix('_id')} id")
    if own:
        errors.raise_if_any()


def return_lines(request: pb.ReturnOrderLinesRequest, limits: Limits) -> list[tuple[str, int]]:
    errors = Collector()
    check_request_id(errors, request.request_id)
    if not request.order_id or len(request.order_id) > 80:
        errors.add("order_id", "is required")
    check_id(errors, request.location_id, "location_id")
    returned = sku_counts(errors, request.lines, "lines", limits, min_quantity=1, required=True)
    errors.raise_if_any()
    return list(returned.items())


def courier_reference(value: str, errors: Collector) -> None:
    """The courier's own reference for a delivery: stored as text, so no control characters
    (PostgreSQL refuses a NUL outright)."""
    if errors.check(0 < len(value) <= 128, "courier_reference", "must be 1 to 128 characters"):
        check_text(errors, value, "courier_reference", 128)


def sales_period(request: pb.SummarizeSalesRequest, errors: Collector
                 ) -> tuple[datetime, datetime] | None:
    """SummarizeSales' [start_time, end_time), or None with the reasons in ``errors``."""
    start = check_time(errors, request, "start_time", "start_time")
    end = check_time(errors, request, "end_time", "end_time")
    for field in ("location_id", "dealer_id"):
        check_optional_id(errors, getattr(request, field), field)
    if start is None or end is None:
        return None
    if not errors.check(start < end, "end_time", "must be after start_time"):
        return None
    if not errors.check(end - start <= MAX_SALES_PERIOD, "end_time",
                        f"must be at most {MAX_SALES_PERIOD.days} days after start_time"):
        return None
    return start, end
