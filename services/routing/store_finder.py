"""The mini-program's single entry: the stores nearest a customer, for the mall to match
them to one (门店定位). That store then serves them: its goods, its promotions, its staff.

Pure: the chain's spatial index answers, each store's hours and closed periods say whether
it is open; the servicer only validates and maps.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from services.inventory.catalogue import Location, LocationKind
from services.routing.chain import Chain


class StoreService(enum.StrEnum):
    ANY = "ANY"  # every store
    PICKUP = "PICKUP"  # has a pickup counter
    SAME_CITY_DELIVERY = "SAME_CITY_DELIVERY"  # delivers to the customer's point


@dataclass(frozen=True, slots=True)
class NearbyStore:
    location: Location
    distance_km: float  # from the customer: by road when measured, else great-circle
    delivers_here: bool  # delivers, and the customer is within its delivery radius
    opens_at: datetime | None  # None while open; else when it next opens (after a closed period)


def stores_to_measure(chain: Chain, latitude: float, longitude: float, radius_km: float
                      ) -> list[Location]:
    """Stores a road-distance provider should measure for a search: those within the radius
    as the crow flies, since no road is shorter, so none farther could come within it."""
    return [loc for _, loc in chain.index.within(latitude, longitude, radius_km)
            if loc.kind is LocationKind.STORE]


def nearest_stores(chain: Chain, latitude: float, longitude: float, *, service: StoreService,
                   radius_km: float, limit: int, now: datetime,
                   road_km: Mapping[str, float] | None = None) -> list[NearbyStore]:
    """Stores within ``radius_km`` of the customer that offer ``service``, nearest first
    (ties by id), at most ``limit``. Warehouses serve no customer, so they are left out.
    A store closed now is listed with when it opens: the nearest store in a week-long
    refit is no store to match a customer to, and the mall can tell from that.

    With ``road_km`` (a provider's measure of ``stores_to_measure``), distances, the radius,
    the order and whether a store delivers here go by road, as checkout routes the order:
    the store the mall matches the customer to is the one routing will find nearest. A
    store with no road to the customer (math.inf) is out of every radius."""
    nearby = [(d, loc) for d, loc in chain.index.within(latitude, longitude, radius_km)
              if loc.kind is LocationKind.STORE]
    if road_km is not None:
        nearby = sorted(((road_km.get(loc.location_id, d), loc) for d, loc in nearby),
                        key=lambda pair: (pair[0], pair[1].location_id))
    found = []
    for distance, loc in nearby:
        if distance > radius_km:
            break
        delivers = loc.can_deliver and distance <= loc.delivery_radius_km
        if (service is StoreService.PICKUP and not loc.can_pickup) or (
                service is StoreService.SAME_CITY_DELIVERY and not delivers):
            continue
        opens = loc.opens_at(now)
        found.append(NearbyStore(loc, distance, delivers, None if opens == now else opens))
        if len(found) == limit:
            break
    return found
