"""Which stock to move between locations so that shelves sell out less and sit full less
(一盘货: stock is shared and reallocated as it sells). Pure: the caller reads the shelves and
what each store sold lately; head office reviews the suggestions and makes the transfers it
wants (CreateStockTransfer).

A store should hold ``cover_days`` of what it sells a day, on top of its safety stock. One
holding less is short; a transfer source (a warehouse, or a store allowed to ship transfers)
holding more than ``surplus_days`` of its own sales beyond its safety stock has units to
spare. For each SKU, the shortest stores are served first, each from the nearest sources
with units to spare. Suggestions stay within a city (a transfer to another city takes days)
and between locations of the same owner: a franchise dealer's stock moved to another owner's
shelf would be a sale between them, not a rebalancing.

Units already on their way to a store (transfers requested or in transit) count as its own,
so that head office acting on one run's suggestions does not get them again from the next. A
SKU halted everywhere (停售: a recall) moves nowhere, and a location inside a closed period
(a refit, a holiday) neither sends nor receives.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from services.common.geo import haversine_km
from services.inventory.catalogue import Location, LocationKind

Key = tuple[str, str]  # (location_id, sku_id)


@dataclass(frozen=True)
class Targets:
    """How many days of sales a store should hold, and beyond how many a source spares."""

    cover_days: int = 7
    surplus_days: int = 21
    min_units: int = 1  # smaller moves are not worth a trip


@dataclass(frozen=True)
class Shelf:
    """One location's SKU: what it holds unreserved, keeps back, sold over some days, and
    has coming from transfers not yet received."""

    free: int  # on hand less reserved
    safety_stock: int = 0
    sold: int = 0
    over_days: int = 1
    incoming: int = 0

    @property
    def expected(self) -> int:
        """What the shelf will hold once the transfers on their way arrive."""
        return self.free + self.incoming

    def wanted(self, days: int) -> int:
        """Units to hold for ``days`` of sales beside the safety stock, in whole numbers (29
        sold in a week is 29 for the next week, where floats would say 30)."""
        return -(-self.sold * days // self.over_days) + self.safety_stock

    def cover_days(self, held: int | None = None) -> float:
        """Days the shelf lasts beyond its safety stock at its rate of sale, holding ``held``
        units (by default what it expects)."""
        left = (self.expected if held is None else held) - self.safety_stock
        return math.inf if self.sold <= 0 else max(left, 0) * self.over_days / self.sold


@dataclass(frozen=True)
class Move:
    """A suggested transfer of one SKU."""

    sku_id: str
    source: Location
    destination: Location
    units: int
    distance_km: float
    cover_before: float  # the destination's days of cover, before and after the move
    cover_after: float


def suggest(locations: Iterable[Location], shelves: Mapping[Key, Shelf],
            targets: Targets = Targets(), *, halted: Collection[str] = (),
            at: datetime | None = None) -> list[Move]:
    """The moves, by SKU, then destination (shortest first), then source (nearest first);
    ties by id, so the same shelves always give the same suggestions. ``halted``: SKUs not
    to move; ``at``: the UTC time whose closed periods keep a location out."""
    by_id = {loc.location_id: loc for loc in locations
             if at is None or not loc.in_closed_period(at)}
    short: dict[str, list[tuple[int, str]]] = {}
    spare: dict[str, dict[str, int]] = {}
    for (location_id, sku), shelf in shelves.items():
        loc = by_id.get(location_id)
        if loc is None or sku in halted:
            continue
        if loc.kind is LocationKind.STORE and shelf.expected < shelf.wanted(targets.cover_days):
            short.setdefault(sku, []).append((shelf.wanted(targets.cover_days) - shelf.expected,
                                              location_id))
        if loc.can_transfer and (extra := shelf.free - shelf.wanted(targets.surplus_days)) > 0:
            spare.setdefault(sku, {})[location_id] = extra
    moves = []
    for sku in sorted(short):
        left = spare.get(sku, {})
        for need, location_id in sorted(short[sku], key=lambda s: (-s[0], s[1])):
            moves += _fill(sku, by_id[location_id], need, left, by_id, shelves, targets)
    return moves


def _fill(sku: str, destination: Location, need: int, spare: dict[str, int],
          by_id: Mapping[str, Location], shelves: Mapping[Key, Shelf], targets: Targets
          ) -> list[Move]:
    """Moves into ``destination`` from the nearest sources of its city and owner, taking what
    they spare (``spare`` is drawn down)."""
    here = destination.latitude, destination.longitude
    sources = sorted(
        (haversine_km(*here, by_id[s].latitude, by_id[s].longitude), s) for s in spare
        if s != destination.location_id and by_id[s].city == destination.city
        and by_id[s].dealer_id == destination.dealer_id)
    shelf = shelves[(destination.location_id, sku)]
    held, moves = shelf.expected, []
    for distance, source_id in sources:
        units = min(need, spare[source_id])
        if units < targets.min_units:
            continue
        spare[source_id] -= units
        need -= units
        moves.append(Move(sku, by_id[source_id], destination, units, distance,
                          shelf.cover_days(held), shelf.cover_days(held + units)))
        held += units
        if need == 0:
            break
    return moves
