"""The chain's files: locations, SKUs, stock, orders and replenishment as CSV or Parquet,
read by the simulator, and locations, SKUs and stock counts read by ``onestock load``.

Every row is checked field by field. A bad row raises ``ScenarioError`` naming
the file, the line (CSV: the line in the file, header = 1; Parquet: the row
number, first row = 1) and the field; with ``skip`` the row is counted in
``Scenario.skipped`` instead and the load goes on. A missing file or column
always stops the load. docs/simulation.md shows each format with examples.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.common.errors import Collector
from services.common.text import NotUtf8, utf8_text
from services.common.validation import check_optional_id, check_point, check_text
from services.inventory.catalogue import (
    DEFAULT_TIME_ZONE,
    Location,
    LocationKind,
    OpeningHours,
    Sku,
    is_time_zone,
)
from services.inventory.domain import StockCount, StockKey
from services.inventory.validation import MAX_NAME
from services.routing.model import Mode, OrderLine, RouteRequest
from services.simulation.scenario import START_RANGE, Replenishment, ScenarioError, SimOrder

SUFFIXES = (".csv", ".parquet")
MAX_LINES = 100
MAX_QUANTITY = 10_000

LOCATION_COLUMNS = ("location_id", "name", "kind", "latitude", "longitude", "city", "can_pickup",
                    "can_deliver", "can_transfer", "delivery_radius_km", "time_zone", "opens",
                    "closes", "dealer_id")
SKU_COLUMNS = ("sku_id", "name", "price_minor", "spec")
STOCK_COLUMNS = ("location_id", "sku_id", "units")
MAX_UNITS = 10**9
ORDER_COLUMNS = ("order_id", "placed_at", "member_id", "lines", "latitude", "longitude", "city",
                 "mode", "pickup_location_id")
REPLENISHMENT_COLUMNS = ("at", "location_id", "sku_id", "units")
REQUIRED = {  # columns a file may not leave out; the others have defaults
    "locations": ("location_id", "kind", "latitude", "longitude", "city"),
    "skus": ("sku_id",),
    "stock": STOCK_COLUMNS,
    "stock_counts": ("location_id", "sku_id", "on_hand"),
    "orders": ("order_id", "placed_at", "lines", "latitude", "longitude", "mode"),
    "replenishment": REPLENISHMENT_COLUMNS,
}


class _Bad(Exception):
    """A field that cannot be used: raised by the parsers, located by ``_load``."""

    def __init__(self, field_name: str, problem: str):
        self.field, self.problem = field_name, problem


def find(directory: str | Path, stem: str, *, required: bool = True) -> Path | None:
    """``stem.csv`` or ``stem.parquet`` in ``directory`` (exactly one of them)."""
    found = [path for path in (Path(directory) / f"{stem}{s}" for s in SUFFIXES) if path.exists()]
    if len(found) > 1:
        raise ScenarioError(directory, None, stem, "both a .csv and a .parquet file; keep one")
    if not found:
        if required:
            raise ScenarioError(directory, None, stem, f"no {stem}.csv or {stem}.parquet here")
        return None
    return found[0]


def rows(path: Path, kind: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line, row) for every data row, after checking the required columns are there."""
    if not path.exists():
        raise ScenarioError(path, None, kind, "file not found")
    if path.suffix == ".parquet":
        yield from _parquet_rows(path, kind)
    elif path.suffix == ".csv":
        yield from _csv_rows(path, kind)
    else:
        raise ScenarioError(path, None, kind, "must be a .csv or .parquet file")


def _check_columns(path: Path, kind: str, columns) -> None:
    missing = [c for c in REQUIRED[kind] if c not in columns]
    if missing:
        raise ScenarioError(path, 1 if path.suffix == ".csv" else None, missing[0],
                            f"column missing (the {kind} file needs {', '.join(REQUIRED[kind])})")


def _csv_rows(path: Path, kind: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Rows of a UTF-8 CSV file, each with the line it starts on (a quoted field may hold
    line breaks); text that is not UTF-8, or not CSV (a field over the csv module's
    128 KiB limit), is a ScenarioError at its line, like any other bad row."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        start = 1
        try:
            header = next(reader, [])
            _check_columns(path, kind, header)
            start = reader.line_num + 1
            for values in reader:
                if values:  # a blank line is no row; a field missing at its end reads as None
                    yield start, dict(zip(header, values, strict=False))
                start = reader.line_num + 1
        except UnicodeDecodeError:
            raise ScenarioError(path, _first_line_not_utf8(path), "encoding",
                                "is not UTF-8 text (save the file as UTF-8)") from None
        except csv.Error as error:
            raise ScenarioError(path, start, "row", f"is not valid CSV: {error}") from None


def _first_line_not_utf8(path: Path) -> int:
    """The line of the first byte that is not UTF-8: the text reader decodes ahead in
    chunks, so where it stopped says nothing about the line."""
    try:
        utf8_text(path.read_bytes(), byte_order_mark=True)
    except NotUtf8 as error:
        return error.line
    return 1


def _parquet_rows(path: Path, kind: str) -> Iterator[tuple[int, dict[str, Any]]]:
    import pyarrow.parquet as pq

    try:
        file = pq.ParquetFile(path)
    except Exception as error:  # pyarrow raises several kinds for a file that is not Parquet
        raise ScenarioError(path, None, kind, f"is not a Parquet file: {error}") from error
    _check_columns(path, kind, file.schema_arrow.names)
    n = 0
    batches = file.iter_batches(batch_size=65_536)
    while True:
        try:  # a damaged page fails only when it is read, with one of several pyarrow errors
            batch = next(batches, None)
        except Exception as error:
            raise ScenarioError(path, n + 1, "row", f"cannot be read: {error}") from None
        if batch is None:
            return
        for row in batch.to_pylist():
            n += 1
            yield n, row


def _load(path: Path, kind: str, parse: Callable[[dict], Any], skipped: Counter | None):
    """Parse every row; a bad one stops the load, or is counted when ``skipped`` is given."""
    for line, row in rows(path, kind):
        try:
            yield parse(row)
        except _Bad as bad:
            if skipped is None:
                raise ScenarioError(path, line, bad.field, bad.problem) from None
            skipped[f"{path.name}: {bad.field}"] += 1


# --- fields -------------------------------------------------------------------


def _text(row: dict, name: str, *, default: str | None = None) -> str:
    value = row.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if default is None:
            raise _Bad(name, "is required")
        return default
    return str(value).strip()


def _by_rule(check, *args) -> None:
    """A field checked by the API's own rule (services.common.validation), so that a file
    and a request refuse the same values with the same words."""
    errors = Collector()
    check(errors, *args)
    if errors.violations:
        raise _Bad(errors.violations[0].field, errors.violations[0].description)


def _name(row: dict, name: str, *, default: str | None = None) -> str:
    value = _text(row, name, default=default)
    _by_rule(check_text, value, name, MAX_NAME)
    return value


def _id(row: dict, name: str, *, optional: bool = False) -> str:
    value = _text(row, name, default="" if optional else None)
    _by_rule(check_optional_id, value, name)
    return value


def _number(row: dict, name: str, *, default: float | None = None) -> float:
    value = row.get(name)
    if value is None or value == "":
        if default is None:
            raise _Bad(name, "is required")
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _Bad(name, f"{value!r} is not a number") from None
    if not math.isfinite(number):
        raise _Bad(name, f"{value!r} is not a finite number")
    return number


def _whole(row: dict, name: str, *, minimum: int, maximum: int, default: int | None = None) -> int:
    number = _number(row, name, default=default)
    if number != int(number) or not minimum <= number <= maximum:
        raise _Bad(name, f"{row.get(name)!r} must be a whole number from {minimum} to {maximum}")
    return int(number)


def _flag(row: dict, name: str) -> bool:
    value = row.get(name)
    if value is None or value == "" or isinstance(value, bool):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("true", "yes", "1", "y"):
        return True
    if text in ("false", "no", "0", "n"):
        return False
    raise _Bad(name, f"{value!r} must be true or false")


def _instant(row: dict, name: str) -> datetime:
    value = row.get(name)
    if isinstance(value, datetime):
        moment = value
    else:
        text = _text(row, name)
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise _Bad(name, f"{text!r} is not an ISO 8601 timestamp") from None
    if moment.tzinfo is None:
        raise _Bad(name, "must carry a UTC offset (e.g. 2026-11-23T12:30:00Z or +08:00)")
    if moment.date() not in START_RANGE:  # ETAs after it must fit too
        raise _Bad(name, f"must be between {START_RANGE.low} and {START_RANGE.high}")
    return moment.astimezone(UTC)


def _minute(row: dict, name: str) -> int | None:
    value = row.get(name)
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip()
    hours, _, minutes = text.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise _Bad(name, f"{text!r} must be HH:MM")
    minute = int(hours) * 60 + int(minutes)
    if not 0 <= minute <= 24 * 60 or int(minutes) >= 60:
        raise _Bad(name, f"{text!r} is not a time of day")
    return minute


def _point(row: dict) -> tuple[float, float]:
    latitude, longitude = _number(row, "latitude"), _number(row, "longitude")
    _by_rule(check_point, latitude, longitude)
    return latitude, longitude


# --- rows -----------------------------------------------------------------------


def location(row: dict) -> Location:
    kind_text = _text(row, "kind").upper()
    if kind_text not in LocationKind.__members__:
        raise _Bad("kind", f"{kind_text!r} must be STORE or WAREHOUSE")
    latitude, longitude = _point(row)
    time_zone = _text(row, "time_zone", default=DEFAULT_TIME_ZONE)
    if not is_time_zone(time_zone):
        raise _Bad("time_zone", f"{time_zone!r} is not an IANA time zone")
    opens, closes = _minute(row, "opens"), _minute(row, "closes")
    if (opens is None) != (closes is None):
        raise _Bad("closes" if closes is None else "opens",
                   "opens and closes go together (both empty: always open)")
    if opens is not None and opens >= closes:
        raise _Bad("closes", "must be later than opens")
    can_deliver = _flag(row, "can_deliver")
    radius = _number(row, "delivery_radius_km", default=0.0)
    if not 0 <= radius <= 100:
        raise _Bad("delivery_radius_km", f"{radius!r} must be between 0 and 100")
    if can_deliver and radius <= 0:
        raise _Bad("delivery_radius_km", "must be above 0 for a location that delivers")
    location_id = _id(row, "location_id")
    return Location(
        location_id=location_id, name=_name(row, "name", default=location_id),
        kind=LocationKind(kind_text), latitude=latitude, longitude=longitude,
        city=_name(row, "city"), can_pickup=_flag(row, "can_pickup"), can_deliver=can_deliver,
        can_transfer=_flag(row, "can_transfer"), delivery_radius_km=radius, time_zone=time_zone,
        opening_hours=() if opens is None else (OpeningHours(opens, closes),),
        dealer_id=_id(row, "dealer_id", optional=True))


def sku(row: dict) -> Sku:
    sku_id = _id(row, "sku_id")
    return Sku(sku_id, _name(row, "name", default=sku_id),
               _whole(row, "price_minor", minimum=0, maximum=10**12, default=0),
               spec=_name(row, "spec", default=""))


def _known_pair(row: dict, known_locations, known_skus) -> tuple[str, str]:
    location_id, sku_id = _id(row, "location_id"), _id(row, "sku_id")
    if location_id not in known_locations:
        raise _Bad("location_id", f"unknown location {location_id!r}")
    if sku_id not in known_skus:
        raise _Bad("sku_id", f"unknown SKU {sku_id!r}")
    return location_id, sku_id


def stock_level(known_locations, known_skus) -> Callable[[dict], tuple[str, str, int]]:
    def parse(row: dict) -> tuple[str, str, int]:
        location_id, sku_id = _known_pair(row, known_locations, known_skus)
        return location_id, sku_id, _whole(row, "units", minimum=0, maximum=MAX_UNITS)
    return parse


def stock_count(known_locations, known_skus) -> Callable[[dict], StockCount]:
    def parse(row: dict) -> StockCount:
        location_id, sku_id = _known_pair(row, known_locations, known_skus)
        safety = (None if _text(row, "safety_stock", default="") == "" else
                  _whole(row, "safety_stock", minimum=0, maximum=MAX_UNITS))
        return StockCount(location_id, sku_id, _whole(row, "on_hand", minimum=0,
                                                      maximum=MAX_UNITS), safety)
    return parse


def replenishment(known_locations, known_skus) -> Callable[[dict], Replenishment]:
    check = stock_level(known_locations, known_skus)

    def parse(row: dict) -> Replenishment:
        at = _instant(row, "at")
        location_id, sku_id, units = check(row)
        return Replenishment(at, location_id, sku_id, units)
    return parse


def order(known_locations, known_skus) -> Callable[[dict], SimOrder]:
    def parse(row: dict) -> SimOrder:
        mode_text = _text(row, "mode").upper()
        if mode_text not in Mode.__members__:
            raise _Bad("mode", f"{mode_text!r} must be PICKUP, SAME_CITY_DELIVERY or AUTO")
        mode = Mode(mode_text)
        latitude, longitude = _point(row)
        city = _text(row, "city", default="")
        if mode is not Mode.PICKUP and not city:
            raise _Bad("city", "is required for same-city delivery")
        pickup = _id(row, "pickup_location_id", optional=True)
        if pickup and mode is not Mode.PICKUP:
            raise _Bad("pickup_location_id", "is only for PICKUP orders")
        if pickup and pickup not in known_locations:
            raise _Bad("pickup_location_id", f"unknown location {pickup!r}")
        request = RouteRequest(_lines(_text(row, "lines"), known_skus), latitude, longitude, city,
                               mode, _instant(row, "placed_at"), pickup or None)
        return SimOrder(_id(row, "order_id"), _id(row, "member_id", optional=True), request)
    return parse


def _lines(text: str, known_skus) -> tuple[OrderLine, ...]:
    """``SKU:quantity`` pairs separated by ';' (a bare SKU means one unit)."""
    lines, seen = [], set()
    for part in text.split(";"):
        sku_id, _, qty = part.strip().partition(":")
        if not sku_id:
            raise _Bad("lines", f"{text!r} must be SKU:quantity pairs separated by ';'")
        if sku_id not in known_skus:
            raise _Bad("lines", f"unknown SKU {sku_id!r}")
        if sku_id in seen:
            raise _Bad("lines", f"SKU {sku_id!r} is listed twice")
        quantity = qty.strip() or "1"
        if not quantity.isdigit() or not 1 <= int(quantity) <= MAX_QUANTITY:
            raise _Bad("lines", f"quantity {quantity!r} of {sku_id} must be 1 to {MAX_QUANTITY}")
        seen.add(sku_id)
        lines.append(OrderLine(sku_id, int(quantity)))
    if len(lines) > MAX_LINES:
        raise _Bad("lines", f"at most {MAX_LINES} lines per order")
    return tuple(lines)


# --- whole files ----------------------------------------------------------------


def load_locations(path: Path, skipped: Counter | None) -> list[Location]:
    found: dict[str, Location] = {}
    for loc in _load(path, "locations", location, skipped):
        if loc.location_id in found:
            raise ScenarioError(path, None, "location_id", f"{loc.location_id!r} appears twice")
        found[loc.location_id] = loc
    return list(found.values())


def load_skus(path: Path, skipped: Counter | None) -> dict[str, Sku]:
    found: dict[str, Sku] = {}
    for s in _load(path, "skus", sku, skipped):
        if s.sku_id in found:
            raise ScenarioError(path, None, "sku_id", f"{s.sku_id!r} appears twice")
        found[s.sku_id] = s
    return found


def load_stock(path: Path, locations, skus, skipped: Counter | None) -> dict[str, dict[str, int]]:
    stock: dict[str, dict[str, int]] = {}
    for location_id, sku_id, units in _load(path, "stock", stock_level(locations, skus), skipped):
        have = stock.setdefault(location_id, {})
        have[sku_id] = have.get(sku_id, 0) + units
    return stock


def load_counts(path: Path, locations, skus) -> dict[StockKey, tuple[int, StockCount]]:
    """Every count with its line. A shelf counted twice is refused: which count would hold?"""
    parse, found = stock_count(locations, skus), {}
    for line, row in rows(path, "stock_counts"):
        try:
            count = parse(row)
        except _Bad as bad:
            raise ScenarioError(path, line, bad.field, bad.problem) from None
        if count.key in found:
            raise ScenarioError(path, line, "sku_id", f"{count.location_id}/{count.sku_id} is "
                                f"counted twice (first on line {found[count.key][0]})")
        found[count.key] = (line, count)
    return found


def load_orders(path: Path, locations, skus, skipped: Counter | None) -> list[SimOrder]:
    orders = list(_load(path, "orders", order(locations, skus), skipped))
    orders.sort(key=lambda o: o.placed_at)  # stable: same-instant orders keep file order
    return orders


def load_replenishments(path: Path, locations, skus, skipped: Counter | None
                        ) -> list[Replenishment]:
    found = list(_load(path, "replenishment", replenishment(locations, skus), skipped))
    found.sort(key=lambda r: r.at)
    return found


# --- writing (database snapshots, synthetic scenarios for ops to edit) ---------------


def write_csv(path: Path, columns: tuple[str, ...], records) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(records)


def location_record(loc: Location) -> tuple:
    hours = loc.opening_hours[0] if loc.opening_hours else None
    return (loc.location_id, loc.name, loc.kind.value, loc.latitude, loc.longitude, loc.city,
            loc.can_pickup, loc.can_deliver, loc.can_transfer, loc.delivery_radius_km,
            loc.time_zone, _hhmm(hours.open_minute) if hours else "",
            _hhmm(hours.close_minute) if hours else "", loc.dealer_id)


def order_record(o: SimOrder) -> tuple:
    r = o.request
    return (o.order_id, r.placed_at.isoformat().replace("+00:00", "Z"), o.member_id,
            ";".join(f"{ln.sku_id}:{ln.quantity}" for ln in r.lines), r.latitude, r.longitude,
            r.city, r.mode.value, r.pickup_location_id or "")


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"
