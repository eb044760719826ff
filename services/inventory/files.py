"""The catalogue's files: locations, SKUs and stock counts, as CSV or Parquet.

Read by ``onestock load`` into the live catalogue and by the simulator into a scenario;
written by ``onestock export`` and the simulator's live snapshot with every column, so that
what they write loads back exactly, a location's weekday hours and a SKU's currency
included. A file may leave columns out: a row replacing a location or SKU keeps their
values. Fields are checked by the API's rules (``services.inventory.validation``), so a
file and a request refuse the same values. docs/simulation.md shows each format.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar

from services.common import input_files as f
from services.common.input_files import BadField, FileKind, InputError
from services.common.ranges import TIMES_SAID, within_times
from services.common.validation import check_text
from services.inventory.catalogue import (
    DEFAULT_CURRENCY,
    DEFAULT_TIME_ZONE,
    ClosedPeriod,
    Location,
    LocationKind,
    OpeningHours,
    SaleStatus,
    Sku,
    in_start_order,
    is_time_zone,
)
from services.inventory.domain import StockCount, StockKey
from services.inventory.validation import (
    CURRENCIES_MINOR_UNITS,
    MAX_CLOSURE_REASON,
    MAX_CLOSURES,
    MAX_DELIVERY_RADIUS_KM,
    MAX_NAME,
    MAX_OPENING_WINDOWS,
)

MAX_UNITS = 10**9
LOCATION_COLUMNS = ("location_id", "name", "kind", "latitude", "longitude", "city", "can_pickup",
                    "can_deliver", "can_transfer", "delivery_radius_km", "time_zone", "opens",
                    "closes", "opening_hours", "dealer_id", "closures")
SKU_COLUMNS = ("sku_id", "name", "price_minor", "currency", "spec", "sale_status")
LOCATIONS = FileKind("locations", ("location_id", "kind", "latitude", "longitude", "city"))
SKUS = FileKind("skus", ("sku_id",))
STOCK_COUNTS = FileKind("stock_counts", ("location_id", "sku_id", "on_hand"))

HOURS_COLUMNS = ("opens", "closes", "opening_hours")
EMPTY: Mapping = MappingProxyType({})
T = TypeVar("T")

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # ISO weekday n is DAYS[n - 1]
_WINDOW = re.compile(r"(?:(?P<days>\S+)\s+)?(?P<opens>\d{1,2}:\d\d)-(?P<closes>\d{1,2}:\d\d)")


class _Replacing:
    """A row that may replace a location or SKU already in the catalogue (``old``; None for
    a new one). A column the file leaves out (not in the row at all) keeps the old value, so
    a file of prices alone does not reset names, specs and currencies; a column that is there
    but empty sets the default, as in a new row."""

    def __init__(self, row: dict, old: Location | Sku | None):
        self.row, self.old = row, old

    def value(self, attr: str, parse: Callable[[], T], columns: tuple[str, ...] = ()) -> T:
        if self.old is not None and not any(c in self.row for c in columns or (attr,)):
            return getattr(self.old, attr)
        return parse()


def location(row: dict, current: Mapping[str, Location] = EMPTY) -> Location:
    """The row's location; one in ``current`` keeps what the row's file leaves out."""
    location_id = f.identifier(row, "location_id")
    cell = _Replacing(row, current.get(location_id))
    kind_text = f.text(row, "kind").upper()
    if kind_text not in LocationKind.__members__:
        raise BadField("kind", f"{kind_text!r} must be STORE or WAREHOUSE")
    latitude, longitude = f.point(row)
    time_zone = cell.value("time_zone", lambda: _time_zone(row))
    hours = cell.value("opening_hours", lambda: _opening_hours(row), HOURS_COLUMNS)
    can_deliver = cell.value("can_deliver", lambda: f.flag(row, "can_deliver"))
    radius = cell.value("delivery_radius_km", lambda: _radius(row))
    if can_deliver and radius <= 0:
        raise BadField("delivery_radius_km", "must be above 0 for a location that delivers")
    return Location(
        location_id=location_id,
        name=cell.value("name", lambda: f.checked_text(row, "name", MAX_NAME, default=location_id)),
        kind=LocationKind(kind_text), latitude=latitude, longitude=longitude,
        city=f.checked_text(row, "city", MAX_NAME),
        can_pickup=cell.value("can_pickup", lambda: f.flag(row, "can_pickup")),
        can_deliver=can_deliver,
        can_transfer=cell.value("can_transfer", lambda: f.flag(row, "can_transfer")),
        delivery_radius_km=radius, time_zone=time_zone, opening_hours=hours,
        dealer_id=cell.value("dealer_id", lambda: f.identifier(row, "dealer_id", optional=True)),
        closures=cell.value("closures", lambda: parse_closures(f.text(row, "closures", default=""))))


def _time_zone(row: dict) -> str:
    time_zone = f.text(row, "time_zone", default=DEFAULT_TIME_ZONE)
    if not is_time_zone(time_zone):
        raise BadField("time_zone", f"{time_zone!r} is not an IANA time zone")
    return time_zone


def _radius(row: dict) -> float:
    radius = f.number(row, "delivery_radius_km", default=0.0)
    if not 0 <= radius <= MAX_DELIVERY_RADIUS_KM:
        raise BadField("delivery_radius_km",
                       f"{radius!r} must be between 0 and {MAX_DELIVERY_RADIUS_KM:g}")
    return radius


def sku(row: dict, current: Mapping[str, Sku] = EMPTY) -> Sku:
    """The row's SKU; one in ``current`` keeps what the row's file leaves out."""
    sku_id = f.identifier(row, "sku_id")
    cell = _Replacing(row, current.get(sku_id))
    return Sku(sku_id,
               cell.value("name", lambda: f.checked_text(row, "name", MAX_NAME, default=sku_id)),
               cell.value("price_minor", lambda: f.whole(row, "price_minor", minimum=0,
                                                         maximum=10**12, default=0)),
               currency=cell.value("currency", lambda: _currency(row)),
               spec=cell.value("spec", lambda: f.checked_text(row, "spec", MAX_NAME, default="")),
               sale_status=cell.value("sale_status", lambda: _sale_status(row)))


def _sale_status(row: dict) -> SaleStatus:
    status = f.text(row, "sale_status", default=SaleStatus.ON_SALE).upper()
    if status not in SaleStatus.__members__:
        raise BadField("sale_status", f"{status!r} must be one of {', '.join(SaleStatus)}")
    return SaleStatus(status)


def _currency(row: dict) -> str:
    currency = f.text(row, "currency", default=DEFAULT_CURRENCY)
    if currency not in CURRENCIES_MINOR_UNITS:
        raise BadField("currency", f"{currency!r} must be one of {sorted(CURRENCIES_MINOR_UNITS)}")
    return currency


def known_pair(row: dict, known_locations, known_skus) -> tuple[str, str]:
    """The row's location and SKU, each one the chain has."""
    location_id, sku_id = f.identifier(row, "location_id"), f.identifier(row, "sku_id")
    return (known_location(location_id, "location_id", known_locations),
            known_sku(sku_id, "sku_id", known_skus))


def known_location(location_id: str, field: str, known_locations) -> str:
    """``location_id``, read from ``field``, when the chain has it."""
    if location_id not in known_locations:
        raise BadField(field, f"unknown location {location_id!r}")
    return location_id


def known_sku(sku_id: str, field: str, known_skus) -> str:
    """``sku_id``, read from ``field``, when the catalogue has it."""
    if sku_id not in known_skus:
        raise BadField(field, f"unknown SKU {sku_id!r}")
    return sku_id


def stock_count(known_locations, known_skus) -> Callable[[dict], StockCount]:
    def parse(row: dict) -> StockCount:
        location_id, sku_id = known_pair(row, known_locations, known_skus)
        safety = (None if f.text(row, "safety_stock", default="") == "" else
                  f.whole(row, "safety_stock", minimum=0, maximum=MAX_UNITS))
        return StockCount(location_id, sku_id, f.whole(row, "on_hand", minimum=0,
                                                       maximum=MAX_UNITS), safety)
    return parse


# --- opening hours ----------------------------------------------------------------


def _opening_hours(row: dict) -> tuple[OpeningHours, ...]:
    """One window every day (``opens``/``closes``), or any windows (``opening_hours``);
    nothing at all: open around the clock."""
    opens, closes = _minute(row, "opens"), _minute(row, "closes")
    written = f.text(row, "opening_hours", default="")
    if written:
        if opens is not None or closes is not None:
            raise BadField("opening_hours", "give either opens and closes or opening_hours, not both")
        return parse_opening_hours(written)
    if (opens is None) != (closes is None):
        raise BadField("closes" if closes is None else "opens",
                       "opens and closes go together (both empty: always open)")
    if opens is None:
        return ()
    if opens >= closes:
        raise BadField("closes", "must be later than opens")
    return (OpeningHours(opens, closes),)


def parse_opening_hours(written: str) -> tuple[OpeningHours, ...]:
    """``Mon-Fri 10:00-22:00; Sat,Sun 09:00-23:00``: windows separated by ';', each on the
    days it names (none: every day), in the location's local time."""
    windows = []
    for part in filter(None, (p.strip() for p in written.split(";"))):
        match = _WINDOW.fullmatch(part)
        if match is None:
            raise BadField("opening_hours", f"{part!r} must look like 'Mon-Fri 10:00-22:00' "
                                            "or '10:00-22:00' (every day)")
        opens, closes = (_clock(match[end], part) for end in ("opens", "closes"))
        if opens >= closes:
            raise BadField("opening_hours", f"{part!r} must close after it opens")
        days = _days(match["days"], part) if match["days"] else ()
        windows.append(OpeningHours(opens, closes, days))
    if len(windows) > MAX_OPENING_WINDOWS:
        raise BadField("opening_hours", f"must hold at most {MAX_OPENING_WINDOWS} windows")
    return tuple(windows)


def _days(written: str, part: str) -> tuple[int, ...]:
    days: list[int] = []
    for item in written.split(","):
        first, _, last = item.partition("-")
        start, end = _day(first, part), _day(last or first, part)
        if end < start:
            raise BadField("opening_hours", f"{item!r} in {part!r} must run forward, e.g. Mon-Fri")
        days.extend(range(start, end + 1))
    if len(set(days)) != len(days):
        raise BadField("opening_hours", f"{part!r} names a day twice")
    return tuple(sorted(days))


def _day(name: str, part: str) -> int:
    for number, day in enumerate(DAYS, start=1):
        if name.strip().lower() == day.lower():
            return number
    raise BadField("opening_hours", f"{name!r} in {part!r} is not a day (Mon, Tue, ... Sun)")


def _clock(written: str, part: str) -> int:
    minute = _time_of_day(*written.split(":"))
    if minute is None:
        raise BadField("opening_hours", f"{written!r} in {part!r} is not a time of day")
    return minute


def _minute(row: dict, name: str) -> int | None:
    value = row.get(name)
    if value is None or str(value).strip() == "":
        return None
    written = str(value).strip()
    hours, _, minutes = written.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise BadField(name, f"{written!r} must be HH:MM")
    minute = _time_of_day(hours, minutes)
    if minute is None:
        raise BadField(name, f"{written!r} is not a time of day")
    return minute


def _time_of_day(hours: str, minutes: str) -> int | None:
    """Minutes after midnight, 24:00 (closing at midnight) included; None past it."""
    minute = int(hours) * 60 + int(minutes)
    return minute if int(minutes) < 60 and minute <= 24 * 60 else None


def opening_hours_text(hours: tuple[OpeningHours, ...]) -> str:
    """The ``opening_hours`` column for ``hours``, read back by ``parse_opening_hours``."""
    return "; ".join(f"{_days_text(h.iso_weekdays)} {_hhmm(h.open_minute)}-{_hhmm(h.close_minute)}"
                     .lstrip() for h in hours)


def _days_text(days: tuple[int, ...]) -> str:
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ",".join(DAYS[r[0] - 1] if len(r) == 1 else f"{DAYS[r[0] - 1]}-{DAYS[r[-1] - 1]}"
                    for r in runs)


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


# --- closed periods -------------------------------------------------------------------


def parse_closures(written: str) -> tuple[ClosedPeriod, ...]:
    """``2027-02-05T16:00Z/2027-02-12T02:00Z Spring Festival; ...``: periods separated by
    ';', each its start and end (ISO 8601 with an offset) and an optional reason."""
    closures = []
    for part in filter(None, (p.strip() for p in written.split(";"))):
        span, _, reason = part.partition(" ")
        start_text, slash, end_text = span.partition("/")
        if not slash:
            raise BadField("closures", f"{part!r} must look like "
                                       "'2027-02-05T16:00Z/2027-02-12T02:00Z Spring Festival'")
        start, end = _closure_instant(start_text, part), _closure_instant(end_text, part)
        if start >= end:
            raise BadField("closures", f"{part!r} must end after it starts")
        f.by_rule(check_text, reason.strip(), "closures", MAX_CLOSURE_REASON)
        closures.append(ClosedPeriod(start, end, reason.strip()))
    if len(closures) > MAX_CLOSURES:
        raise BadField("closures", f"must hold at most {MAX_CLOSURES} periods")
    return in_start_order(closures)


def _closure_instant(written: str, part: str) -> datetime:
    try:
        moment = datetime.fromisoformat(written.replace("Z", "+00:00"))
    except ValueError:
        raise BadField("closures", f"{written!r} in {part!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise BadField("closures", f"{written!r} in {part!r} must carry a UTC offset (Z or +08:00)")
    moment = moment.astimezone(UTC)
    if not within_times(moment):
        raise BadField("closures", f"{written!r} in {part!r} {TIMES_SAID}")
    return moment


def closures_text(closures: tuple[ClosedPeriod, ...]) -> str:
    """The ``closures`` column for ``closures``, read back by ``parse_closures`` (a ';' in a
    reason, which would split the period, is written as ',')."""
    return "; ".join(f"{_iso(c.start)}/{_iso(c.end)} {c.reason.replace(';', ',')}".rstrip()
                     for c in closures)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- whole files ----------------------------------------------------------------


def load_locations(path: Path, skipped: Counter | None,
                   current: Mapping[str, Location] = EMPTY) -> list[Location]:
    """The file's locations; those in ``current`` keep what the file's columns leave out."""
    return list(_by_id(path, f.parse_rows(path, LOCATIONS, lambda row: location(row, current),
                                          skipped), "location_id").values())


def load_skus(path: Path, skipped: Counter | None,
              current: Mapping[str, Sku] = EMPTY) -> dict[str, Sku]:
    """The file's SKUs; those in ``current`` keep what the file's columns leave out."""
    return _by_id(path, f.parse_rows(path, SKUS, lambda row: sku(row, current), skipped),
                  "sku_id")


def _by_id(path: Path, parsed, id_field: str) -> dict:
    """Locations or SKUs by id, in file order; an id listed twice is refused."""
    found: dict = {}
    for item in parsed:
        item_id = getattr(item, id_field)
        if item_id in found:
            raise InputError(path, None, id_field, f"{item_id!r} appears twice")
        found[item_id] = item
    return found


def load_counts(path: Path, locations, skus, checked: Callable[[int], None] = lambda rows: None,
                ) -> dict[StockKey, tuple[int, StockCount]]:
    """Every count with its line. A shelf counted twice is refused: which count would hold?
    ``checked`` hears of every 10,000 rows read, and of the last few: a chain's counts run to
    millions of rows, a minute and more of reading."""
    parse, found = stock_count(locations, skus), {}
    for line, row in f.rows(path, STOCK_COUNTS):
        try:
            count = parse(row)
        except BadField as bad:
            raise InputError(path, line, bad.field, bad.problem) from None
        if count.key in found:
            raise InputError(path, line, "sku_id", f"{count.location_id}/{count.sku_id} is "
                             f"counted twice (first on line {found[count.key][0]})")
        found[count.key] = (line, count)
        if len(found) % 10_000 == 0:
            checked(10_000)
    checked(len(found) % 10_000)
    return found


# --- writing (database snapshots) ---------------------------------------------------


def location_record(loc: Location) -> tuple:
    """A location as a row of LOCATION_COLUMNS: one window every day as ``opens``/``closes``,
    which reads best, any other hours as ``opening_hours``."""
    hours = loc.opening_hours
    daily = hours[0] if len(hours) == 1 and not hours[0].iso_weekdays else None
    return (loc.location_id, loc.name, loc.kind.value, loc.latitude, loc.longitude, loc.city,
            *(str(flag).lower() for flag in (loc.can_pickup, loc.can_deliver, loc.can_transfer)),
            loc.delivery_radius_km, loc.time_zone, _hhmm(daily.open_minute) if daily else "",
            _hhmm(daily.close_minute) if daily else "",
            "" if daily else opening_hours_text(hours), loc.dealer_id,
            closures_text(loc.closures))


def sku_record(s: Sku) -> tuple:
    return (s.sku_id, s.name, s.price_minor, s.currency, s.spec, s.sale_status)
