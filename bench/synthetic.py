"""A large synthetic chain for benchmarks: cities across China, stores and warehouses,
a long-tailed assortment, and customers around the stores. Seeded: same input, same chain."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.inventory.catalogue import Location, LocationKind, OpeningHours
from services.routing.model import Mode, OrderLine, RouteRequest

CITY_CENTRES = [  # (name, latitude, longitude)
    ("Shanghai", 31.23, 121.47), ("Hangzhou", 30.27, 120.16), ("Suzhou", 31.30, 120.59),
    ("Nanjing", 32.06, 118.80), ("Beijing", 39.90, 116.41), ("Tianjin", 39.08, 117.20),
    ("Guangzhou", 23.13, 113.26), ("Shenzhen", 22.54, 114.06), ("Chengdu", 30.57, 104.07),
    ("Chongqing", 29.56, 106.55), ("Wuhan", 30.59, 114.31), ("Xi'an", 34.34, 108.94),
    ("Changsha", 28.23, 112.94), ("Zhengzhou", 34.75, 113.63), ("Qingdao", 36.07, 120.38),
    ("Xiamen", 24.48, 118.09), ("Ningbo", 29.87, 121.54), ("Hefei", 31.82, 117.23),
    ("Jinan", 36.65, 117.12), ("Kunming", 25.04, 102.71), ("Shenyang", 41.81, 123.43),
    ("Dalian", 38.91, 121.61), ("Fuzhou", 26.07, 119.30), ("Wuxi", 31.49, 120.31),
    ("Dongguan", 23.02, 113.75),
]
STORE_HOURS = (OpeningHours(600, 1320),)


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
    rng = random.Random(seed)
    per_city = locations // len(CITY_CENTRES)
    result = []
    for c, (city, lat, lng) in enumerate(CITY_CENTRES):
        count = per_city + (1 if c < locations % len(CITY_CENTRES) else 0)
        for n in range(count):
            warehouse = n < max(1, count // 50)
            r_km = abs(rng.gauss(0, 9))
            theta = rng.uniform(0, 2 * math.pi)
            plat = lat + r_km * math.cos(theta) / 111.195
            plng = lng + r_km * math.sin(theta) / (111.195 * math.cos(math.radians(lat)))
            delivers = not warehouse and rng.random() < 0.7
            result.append(Location(
                location_id=f"C{c:02d}-{'W' if warehouse else 'S'}{n:04d}", name=f"{city} {n}",
                kind=LocationKind.WAREHOUSE if warehouse else LocationKind.STORE,
                latitude=plat, longitude=plng, city=city,
                can_pickup=not warehouse, can_deliver=delivers,
                can_transfer=warehouse or rng.random() < 0.2,
                delivery_radius_km=rng.choice((3.0, 4.0, 5.0)) if delivers else 0.0,
                opening_hours=() if warehouse else STORE_HOURS,
            ))
    return SyntheticChain(result, [f"SKU-{i:06d}" for i in range(skus)], seed)


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
