"""A large synthetic chain for benchmarks: cities across China, stores and warehouses,
a long-tailed assortment, and customers around the stores. Seeded: same input, same chain."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.inventory.catalogue import Location, LocationKind
from services.routing.model import Mode, OrderLine, RouteRequest
from services.simulation.synthetic import chain_locations


@dataclass
class SyntheticChain:
    locations: list[Location]
    sku_ids: list[str]
    seed: int

    def units(self, location_index: int, sku_index: int) -> int:
        """Units of a SKU at a location: popular SKUs are carried widely, the tail rarely."""
        h = hash((self.seed, location_index, sku_index)) & 0xFFFFFFFF
        warehouse = self.locations[location_index].kind is LocationKind.WAREHOUSE
        carried = 0.8 if warehouse else min(0.9, 40.0 / (sku_index + 40))
        if (h % 10_000) / 10_000 >= carried:
            return 0
        return (h >> 16) % (200 if warehouse else 12)

    def stock_for(self, location_ids, sku_ids) -> dict[str, dict[str, int]]:
        """What the server would read from the database for one decision."""
        index = self._index
        sku_index = {s: int(s[4:]) for s in sku_ids}
        stock = {}
        for loc_id in location_ids:
            li = index[loc_id]
            have = {s: q for s, si in sku_index.items() if (q := self.units(li, si)) > 0}
            if have:
                stock[loc_id] = have
        return stock

    def __post_init__(self):
        self._index = {loc.location_id: i for i, loc in enumerate(self.locations)}


def synthetic_chain(locations: int = 5_000, skus: int = 20_000, seed: int = 7) -> SyntheticChain:
    """The simulator's synthetic chain layout, with this module's per-decision stock."""
    return SyntheticChain(chain_locations(locations, seed), [f"SKU-{i:06d}" for i in range(skus)],
                          seed)


def zipf_sku(rng: random.Random, skus: int, s: float = 1.1) -> int:
    """A SKU index drawn with Zipf-like popularity (rank 0 the most popular)."""
    u = rng.random()
    return min(skus - 1, int((skus ** (1 - s) * u + (1 - u)) ** (1 / (1 - s))) - 1)


def orders(chain: SyntheticChain, count: int, lines: int = 5, mode: Mode = Mode.AUTO,
           seed: int = 11) -> list[RouteRequest]:
    rng = random.Random(seed)
    stores = [loc for loc in chain.locations if loc.kind is LocationKind.STORE]
    start = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    result = []
    for _ in range(count):
        near = rng.choice(stores)
        picked: set[int] = set()
        while len(picked) < lines:
            picked.add(zipf_sku(rng, len(chain.sku_ids)))
        result.append(RouteRequest(
            lines=tuple(OrderLine(chain.sku_ids[i], rng.randint(1, 2)) for i in sorted(picked)),
            latitude=near.latitude + rng.gauss(0, 0.02), longitude=near.longitude + rng.gauss(0, 0.02),
            city=near.city, mode=mode, placed_at=start + timedelta(seconds=rng.randrange(86_400)),
        ))
    return result
