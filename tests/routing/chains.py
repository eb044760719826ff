"""Small hand-built chains around People's Square, Shanghai, whose right answers are obvious."""

from datetime import UTC, datetime

from services.inventory.catalogue import Location, LocationKind, OpeningHours
from services.routing.model import Mode, OrderLine, RouteRequest

CUSTOMER = (31.2304, 121.4737)
KM_PER_DEG_LAT = 111.195
# 14:00 in Shanghai on a Monday: every store is open.
AFTERNOON = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
# 23:30 in Shanghai: stores (10:00-22:00) are closed.
NIGHT = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
STORE_HOURS = (OpeningHours(600, 1320),)


def north(km: float, origin=CUSTOMER) -> tuple[float, float]:
    return origin[0] + km / KM_PER_DEG_LAT, origin[1]


def store(location_id, km, *, city="Shanghai", pickup=True, deliver=True, radius=5.0,
          transfer=False, hours=STORE_HOURS) -> Location:
    lat, lng = north(km)
    return Location(location_id, location_id, LocationKind.STORE, lat, lng, city, can_pickup=pickup,
                    can_deliver=deliver, can_transfer=transfer,
                    delivery_radius_km=radius if deliver else 0.0, opening_hours=hours)


def warehouse(location_id, km, *, city="Shanghai") -> Location:
    lat, lng = north(km)
    return Location(location_id, location_id, LocationKind.WAREHOUSE, lat, lng, city,
                    can_transfer=True)


def order(*lines, mode=Mode.PICKUP, at=AFTERNOON, pickup=None, city="Shanghai",
          point=CUSTOMER) -> RouteRequest:
    return RouteRequest(tuple(OrderLine(s, q) for s, q in lines), point[0], point[1], city, mode,
                        at, pickup)


def trace_of(plan, location_id, role):
    """The plan's trace entry for a location in a role."""
    return next(c for c in plan.trace if c.location_id == location_id and c.role == role)
