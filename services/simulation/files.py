"""The simulator's own files: stock levels, orders, replenishment and head office's moves,
as CSV or Parquet.

A scenario's chain is the catalogue's locations and SKUs (``services.inventory.files``)
plus these: the units online orders may take at the start, the day's orders, the
deliveries during it and the transfers head office makes (``onestock rebalance``'s file
reads as one). Rows are read and checked by ``services.common.input_files``; a bad
one is an ``InputError`` naming its file, line and field, or is counted in
``Scenario.skipped`` when the scenario skips bad rows. docs/simulation.md shows each format.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from services.common import input_files as f
from services.common.input_files import BadField, FileKind
from services.common.ranges import FIRST_TIME
from services.inventory.files import MAX_UNITS, known_location, known_pair, known_sku
from services.routing.model import Mode, OrderLine, RouteRequest
from services.simulation.scenario import START_RANGE, HeadOfficeMove, Replenishment, SimOrder

MAX_LINES = 100
MAX_QUANTITY = 10_000
STOCK_COLUMNS = ("location_id", "sku_id", "units")
REPLENISHMENT_COLUMNS = ("at", "location_id", "sku_id", "units")
STOCK = FileKind("stock", STOCK_COLUMNS)
ORDERS = FileKind("orders", ("order_id", "placed_at", "lines", "latitude", "longitude", "mode"))
REPLENISHMENT = FileKind("replenishment", REPLENISHMENT_COLUMNS)
MOVES = FileKind("moves", ("sku_id", "source_location_id", "destination_location_id", "units"))


def stock_level(known_locations, known_skus) -> Callable[[dict], tuple[str, str, int]]:
    def parse(row: dict) -> tuple[str, str, int]:
        location_id, sku_id = known_pair(row, known_locations, known_skus)
        return location_id, sku_id, f.whole(row, "units", minimum=0, maximum=MAX_UNITS)
    return parse


def replenishment(known_locations, known_skus) -> Callable[[dict], Replenishment]:
    check = stock_level(known_locations, known_skus)

    def parse(row: dict) -> Replenishment:
        at = instant(row, "at")
        location_id, sku_id, units = check(row)
        return Replenishment(at, location_id, sku_id, units)
    return parse


def move(known_locations, known_skus) -> Callable[[dict], HeadOfficeMove]:
    def parse(row: dict) -> HeadOfficeMove:
        at = instant(row, "at") if row.get("at") not in (None, "") else None
        source, destination = (known_location(f.identifier(row, name), name, known_locations)
                               for name in ("source_location_id", "destination_location_id"))
        if source == destination:
            raise BadField("destination_location_id", "must differ from source_location_id")
        sku_id = known_sku(f.identifier(row, "sku_id"), "sku_id", known_skus)
        return HeadOfficeMove(at, source, destination, sku_id,
                              f.whole(row, "units", minimum=1, maximum=MAX_UNITS))
    return parse


def order(known_locations, known_skus) -> Callable[[dict], SimOrder]:
    def parse(row: dict) -> SimOrder:
        mode_text = f.text(row, "mode").upper()
        if mode_text not in Mode.__members__:
            raise BadField("mode", f"{mode_text!r} must be PICKUP, SAME_CITY_DELIVERY or AUTO")
        mode = Mode(mode_text)
        latitude, longitude = f.point(row)
        city = f.text(row, "city", default="")
        if mode is not Mode.PICKUP and not city:
            raise BadField("city", "is required for same-city delivery")
        pickup = f.identifier(row, "pickup_location_id", optional=True)
        if pickup and mode is not Mode.PICKUP:
            raise BadField("pickup_location_id", "is only for PICKUP orders")
        if pickup:
            known_location(pickup, "pickup_location_id", known_locations)
        request = RouteRequest(_lines(f.text(row, "lines"), known_skus), latitude, longitude, city,
                               mode, instant(row, "placed_at"), pickup or None)
        return SimOrder(f.identifier(row, "order_id"),
                        f.identifier(row, "member_id", optional=True), request)
    return parse


def _lines(text: str, known_skus) -> tuple[OrderLine, ...]:
    """``SKU:quantity`` pairs separated by ';' (a bare SKU means one unit)."""
    lines, seen = [], set()
    for part in text.split(";"):
        sku_id, _, qty = part.strip().partition(":")
        if not sku_id:
            raise BadField("lines", f"{text!r} must be SKU:quantity pairs separated by ';'")
        known_sku(sku_id, "lines", known_skus)
        if sku_id in seen:
            raise BadField("lines", f"SKU {sku_id!r} is listed twice")
        quantity = qty.strip() or "1"
        if not quantity.isdigit() or not 1 <= int(quantity) <= MAX_QUANTITY:
            raise BadField("lines", f"quantity {quantity!r} of {sku_id} must be 1 to {MAX_QUANTITY}")
        seen.add(sku_id)
        lines.append(OrderLine(sku_id, int(quantity)))
    if len(lines) > MAX_LINES:
        raise BadField("lines", f"at most {MAX_LINES} lines per order")
    return tuple(lines)


def instant(row: dict, name: str) -> datetime:
    value = row.get(name)
    if isinstance(value, datetime):
        moment = value
    else:
        text = f.text(row, name)
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise BadField(name, f"{text!r} is not an ISO 8601 timestamp") from None
    if moment.tzinfo is None:
        raise BadField(name, "must carry a UTC offset (e.g. 2026-11-23T12:30:00Z or +08:00)")
    if moment.date() not in START_RANGE:  # ETAs after it must fit too
        raise BadField(name, f"must be between {START_RANGE.low} and {START_RANGE.high}")
    return moment.astimezone(UTC)


# --- whole files ----------------------------------------------------------------


def load_stock(path: Path, locations, skus, skipped: Counter | None) -> dict[str, dict[str, int]]:
    stock: dict[str, dict[str, int]] = {}
    levels = f.parse_rows(path, STOCK, stock_level(locations, skus), skipped)
    for location_id, sku_id, units in levels:
        have = stock.setdefault(location_id, {})
        have[sku_id] = have.get(sku_id, 0) + units
    return stock


def load_orders(path: Path, locations, skus, skipped: Counter | None) -> list[SimOrder]:
    orders = list(f.parse_rows(path, ORDERS, order(locations, skus), skipped))
    orders.sort(key=lambda o: o.placed_at)  # stable: same-instant orders keep file order
    return orders


def load_replenishments(path: Path, locations, skus, skipped: Counter | None
                        ) -> list[Replenishment]:
    found = list(f.parse_rows(path, REPLENISHMENT, replenishment(locations, skus), skipped))
    found.sort(key=lambda r: r.at)
    return found


def load_moves(path: Path, locations, skus, skipped: Counter | None) -> list[HeadOfficeMove]:
    """Head office's moves, those with no time first (they ship when the replay starts),
    then in time order; file order within the same moment."""
    found = list(f.parse_rows(path, MOVES, move(locations, skus), skipped))
    found.sort(key=lambda m: (m.at is not None, m.at or FIRST_TIME))
    return found
