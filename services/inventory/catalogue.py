"""The chain's catalogue as plain values: locations (stores, warehouses) and SKUs.

Pure: routing and simulation use these types without a database.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo, available_timezones

DEFAULT_TIME_ZONE = "Asia/Shanghai"
DEFAULT_CURRENCY = "CNY"


class LocationKind(enum.StrEnum):
    STORE = "STORE"
    WAREHOUSE = "WAREHOUSE"


class SaleStatus(enum.StrEnum):
    """Where a SKU may be sold. Head office takes an item off the mall (下架) while the
    stores still sell it, or stops it everywhere (停售: a recall, a price error). Its stock
    stays counted, received and moved either way: only new sales are refused."""

    ON_SALE = "ON_SALE"
    STORES_ONLY = "STORES_ONLY"
    HALTED = "HALTED"

    @property
    def sold_online(self) -> bool:
        return self is SaleStatus.ON_SALE

    @property
    def sold_in_stores(self) -> bool:
        return self is not SaleStatus.HALTED


@dataclass(frozen=True, slots=True)
class OpeningHours:
    """Open from open_minute to close_minute (local minutes after midnight) on the given ISO weekdays."""

    open_minute: int
    close_minute: int
    iso_weekdays: tuple[int, ...] = ()  # empty: every day

    def covers(self, iso_weekday: int, minute: int) -> bool:
        if self.iso_weekdays and iso_weekday not in self.iso_weekdays:
            return False
        return self.open_minute <= minute < self.close_minute


@dataclass(frozen=True, slots=True)
class ClosedPeriod:
    """A stretch when a location is closed whatever its hours say (Spring Festival, a
    refit, a typhoon): from ``start`` up to ``end``, UTC instants."""

    start: datetime
    end: datetime
    reason: str = ""

    def covers(self, when_utc: datetime) -> bool:
        return self.start <= when_utc < self.end


def in_start_order(closures) -> tuple[ClosedPeriod, ...]:
    """Closed periods as a Location keeps them: by start, then end, so that equal sets
    compare equal and routing meets them in time order."""
    return tuple(sorted(closures, key=lambda c: (c.start, c.end, c.reason)))


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=1)
def _iana_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_time_zone(name: str) -> bool:
    """Whether ``name`` is an IANA time zone. Checked against the list, not by opening it:
    ``ZoneInfo`` opens ``name`` as a path, so "Asia" (a folder) or a 5,000-character
    name fail with OSError, not the errors a caller would expect."""
    return name in _iana_zones()


@dataclass(frozen=True, slots=True)
class Location:
    location_id: str
    name: str
    kind: LocationKind
    latitude: float
    longitude: float
    city: str
    can_pickup: bool = False
    can_deliver: bool = False
    can_transfer: bool = False
    delivery_radius_km: float = 0.0
    time_zone: str = DEFAULT_TIME_ZONE
    opening_hours: tuple[OpeningHours, ...] = field(default=())
    dealer_id: str = ""
    closures: tuple[ClosedPeriod, ...] = field(default=())  # in start order

    def closure_at(self, when_utc: datetime) -> ClosedPeriod | None:
        """The closed period ``when_utc`` falls in, if any."""
        for closure in self.closures:
            if closure.covers(when_utc):
                return closure
        return None

    def in_closed_period(self, when_utc: datetime) -> bool:
        """Whether ``when_utc`` falls in a closed period (answered without a call for the
        many locations that have none)."""
        return bool(self.closures) and self.closure_at(when_utc) is not None

    def is_open_at(self, when_utc: datetime) -> bool:
        """Whether the location is open at a UTC instant: not in a closed period, and
        within its hours (no opening hours: always open)."""
        return not self.in_closed_period(when_utc) and self._within_hours(when_utc)

    def _within_hours(self, when_utc: datetime) -> bool:
        if not self.opening_hours:
            return True
        local = when_utc.astimezone(zone(self.time_zone))
        minute = local.hour * 60 + local.minute
        weekday = local.isoweekday()
        return any(h.covers(weekday, minute) for h in self.opening_hours)

    def opens_at(self, when_utc: datetime) -> datetime:
        """The first instant at or after ``when_utc`` (UTC) when the location is open.

        An order that arrives at night is prepared from the next opening on. Openings
        are compared as UTC instants, not local clock times: where clocks go back, a local
        time happens twice (both are tried); where they go forward, an opening the clock
        skips counts from the jump. A closed period moves the opening past its end.
        """
        if self.is_open_at(when_utc):
            return when_utc  # open already: most calls, so answered first
        when = self._hours_open_at(when_utc)
        for _ in range(len(self.closures) + 1):  # each closure can push it on once, in order
            closure = self.closure_at(when)
            if closure is None:
                return when
            when = self._hours_open_at(closure.end)
        raise ValueError(f"location {self.location_id} never opens")

    def _hours_open_at(self, when_utc: datetime) -> datetime:
        """The first instant at or after ``when_utc`` within the opening hours."""
        if self._within_hours(when_utc):
            return when_utc
        tz = zone(self.time_zone)
        first_day = when_utc.astimezone(tz).date()
        for days_ahead in range(15):  # a week ahead, or two when clocks skip a whole window
            day = first_day + timedelta(days=days_ahead)
            starts = sorted({instant for h in self.opening_hours
                             if not h.iso_weekdays or day.isoweekday() in h.iso_weekdays
                             for instant in _instants(day, h.open_minute, tz)})
            for start in starts:
                if start >= when_utc and self._within_hours(start):
                    return start
        raise ValueError(f"location {self.location_id} never opens")


@lru_cache(maxsize=4096)
def _instants(day: date, minute: int, tz: ZoneInfo) -> tuple[datetime, ...]:
    """The UTC instants at which a local clock in ``tz`` shows ``minute`` on ``day``: one,
    two where clocks go back, none where they jump forward past it (then the jump).
    Kept: a day's orders ask for the same few openings again and again."""
    wall = time(minute // 60, minute % 60)
    first = datetime.combine(day, wall, tz).astimezone(UTC)
    second = datetime.combine(day, wall.replace(fold=1), tz).astimezone(UTC)
    if first == second:  # the clock shows it once: nearly always
        return (first,)
    if first.astimezone(tz).time() == wall:
        return (first, second)
    return (_clock_jump(tz, min(first, second), max(first, second)),)


def _clock_jump(tz: ZoneInfo, before: datetime, after: datetime) -> datetime:
    """The minute in (before, after] at which the clock in ``tz`` jumps forward."""
    offset = before.astimezone(tz).utcoffset()
    low, high = 0, int((after - before).total_seconds() // 60)
    while high - low > 1:
        middle = (low + high) // 2
        if (before + timedelta(minutes=middle)).astimezone(tz).utcoffset() == offset:
            low = middle
        else:
            high = middle
    return before + timedelta(minutes=high)


@dataclass(frozen=True, slots=True)
class Sku:
    sku_id: str
    name: str
    price_minor: int
    currency: str = DEFAULT_CURRENCY
    spec: str = ""
    # None only on the way in (UpsertSkus left it unset): the stored status stays, and a
    # new SKU goes on sale. A price change must not lift a recall.
    sale_status: SaleStatus | None = SaleStatus.ON_SALE


class SaleTerms(NamedTuple):
    """What a sale of a SKU is checked against: its catalogue price and where it is sold."""

    price_minor: int
    sale_status: SaleStatus
