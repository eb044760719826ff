"""The chain's catalogue as plain values: locations (stores, warehouses) and SKUs.

Pure: routing and simulation use these types without a database.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

DEFAULT_TIME_ZONE = "Asia/Shanghai"
DEFAULT_CURRENCY = "CNY"


class LocationKind(enum.StrEnum):
    STORE = "STORE"
    WAREHOUSE = "WAREHOUSE"


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


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


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

    def is_open_at(self, when_utc: datetime) -> bool:
        """Whether the location is open at a UTC instant (no opening hours: always open)."""
        if not self.opening_hours:
            return True
        local = when_utc.astimezone(zone(self.time_zone))
        minute = local.hour * 60 + local.minute
        weekday = local.isoweekday()
        return any(h.covers(weekday, minute) for h in self.opening_hours)


@dataclass(frozen=True, slots=True)
class Sku:
    sku_id: str
    name: str
    price_minor: int
    currency: str = DEFAULT_CURRENCY
    spec: str = ""
