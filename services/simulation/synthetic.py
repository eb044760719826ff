"""A seeded synthetic chain and order stream, shaped like the chains' own reports.

- Locations: stores and a few warehouses around 25 Chinese city centres; stores
  open 10:00-22:00 local time, warehouses never close.
- Stock: popular SKUs are carried widely and deep, the long tail rarely and thin (a
  store carries about 1,500 of 20,000, up to 90 units of a best seller); warehouses
  carry most of the range, deeper.
- Members live around the stores; a fifth of them place about four fifths of the
  orders (lognormal activity), and each orders to their own address.
- Orders follow the hour-of-day shape in DOMAIN.md: peaks at 11-12, 15-16 and
  20-22 (21-22 the busiest), a quarter while stores are closed (22:00-10:00).
  One to five lines, SKUs drawn Zipf-like by popularity.

Same spec, same scenario, to the unit: everything is drawn from numpy
Generators seeded from the spec.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, time, timedelta

import numpy as np

from services.inventory.catalogue import Location, LocationKind, OpeningHours, Sku, zone
from services.routing.model import Mode, OrderLine, RouteRequest
from services.simulation.scenario import SimOrder, SyntheticOrdersSpec

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
TIME_ZONE = "Asia/Shanghai"
KM_PER_DEGREE = 111.195

# Share of a day's orders placed in each local hour: 25% from 22:00 to 10:00,
# peaks at 11, 15 and 20-21 (21 the busiest). Sums to 100.
HOURLY_SHARE = (
    2.0, 1.0, 0.5, 0.3, 0.3, 0.5, 1.2, 2.5, 3.5, 4.7,  # 00-09 (closed)
    5.0, 7.5, 6.0, 4.8, 5.2, 7.3, 6.0, 5.0, 5.5, 6.2, 7.8, 8.7,  # 10-21 (open)
    5.0, 3.5,  # 22-23 (closed)
)
LINES_PER_ORDER = ((1, 2, 3, 4, 5), (0.45, 0.28, 0.15, 0.08, 0.04))
QUANTITY = ((1, 2, 3), (0.8, 0.15, 0.05))
MODES = ((Mode.PICKUP, Mode.SAME_CITY_DELIVERY, Mode.AUTO), (0.35, 0.40, 0.25))
ORDERS_PER_MEMBER = 8  # members = orders / 8 (a few orders each, heavy for the top fifth)
ZIPF_S = 1.1


def chain_locations(count: int, seed: int) -> list[Location]:
    """Stores (70% deliver within 3-5 km, a fifth ship transfers) and 2% warehouses per city
    (at least one where a city has two locations or more)."""
    rng = np.random.default_rng(seed)
    per_city = count // len(CITY_CENTRES)
    result = []
    for c, (city, lat, lng) in enumerate(CITY_CENTRES):
        n_here = per_city + (1 if c < count % len(CITY_CENTRES) else 0)
        warehouses = max(1, n_here // 50) if n_here >= 2 else 0  # every city keeps a store
        for n in range(n_here):
            warehouse = n < warehouses
            r_km, theta = abs(rng.normal(0, 9)), rng.uniform(0, 2 * math.pi)
            delivers = not warehouse and rng.random() < 0.7
            result.append(Location(
                location_id=f"C{c:02d}-{'W' if warehouse else 'S'}{n:04d}", name=f"{city} {n}",
                kind=LocationKind.WAREHOUSE if warehouse else LocationKind.STORE,
                latitude=round(lat + r_km * math.cos(theta) / KM_PER_DEGREE, 6),
                longitude=round(lng + r_km * math.sin(theta)
                                / (KM_PER_DEGREE * math.cos(math.radians(lat))), 6),
                city=city, can_pickup=not warehouse, can_deliver=delivers,
                can_transfer=warehouse or rng.random() < 0.2,
                delivery_radius_km=float(rng.choice((3.0, 4.0, 5.0))) if delivers else 0.0,
                time_zone=TIME_ZONE, opening_hours=() if warehouse else STORE_HOURS,
            ))
    return result


def catalogue(count: int, seed: int) -> dict[str, Sku]:
    """SKUs ranked by popularity: SKU-000000 is the best seller."""
    prices = np.random.default_rng(seed + 1).integers(290, 19_900, count) // 10 * 10
    return {f"SKU-{i:06d}": Sku(f"SKU-{i:06d}", f"SKU {i}", int(p)) for i, p in enumerate(prices)}


def chain_stock(locations: Sequence[Location], sku_ids: Sequence[str], seed: int
                ) -> dict[str, dict[str, int]]:
    rng = np.random.default_rng(seed + 2)
    ranks = np.arange(len(sku_ids))
    store_carry = np.minimum(0.95, 400.0 / (ranks + 400.0))
    store_depth = np.rint(80.0 * 20.0 / (ranks + 20.0)).astype(np.int64)
    skus = np.array(sku_ids, dtype=object)  # the same str objects, picked out by numpy
    stock = {}
    for loc in locations:
        if loc.kind is LocationKind.WAREHOUSE:
            carried = np.nonzero(rng.random(len(sku_ids)) < 0.8)[0]
            units = rng.integers(20, 400, carried.size)
        else:  # best sellers deeper: about a day of a busy store's demand for the top ones
            carried = np.nonzero(rng.random(len(sku_ids)) < store_carry)[0]
            units = rng.integers(1, 13, carried.size) + store_depth[carried]
        stock[loc.location_id] = dict(zip(skus[carried].tolist(), units.tolist(), strict=True))
    return stock


class OrderStream(Sequence[SimOrder]):
    """Orders in time order, kept as numpy columns and built one at a time as the
    replay walks them: a million orders cost tens of MB, not gigabytes."""

    def __init__(self, epoch_s, member, lat, lng, city, mode, line_start, line_sku, line_qty,
                 cities: list[str], sku_ids: Sequence[str]):
        self._epoch, self._member, self._lat, self._lng = epoch_s, member, lat, lng
        self._city, self._mode, self._start = city, mode, line_start
        self._sku, self._qty = line_sku, line_qty
        self._cities, self._sku_ids = cities, sku_ids

    def __len__(self) -> int:
        return len(self._epoch)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            first, stop, step = i.indices(len(self))
            if step == 1:
                return list(self._build(first, max(first, stop)))
            return [self[j] for j in range(first, stop, step)]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return next(self._build(i, i + 1))

    def __iter__(self) -> Iterator[SimOrder]:
        return self._build(0, len(self))

    def _build(self, first: int, stop: int) -> Iterator[SimOrder]:
        """Orders ``first`` to ``stop``, converting only those rows of the columns to Python
        values: one order or a slice costs its own rows, not the whole stream's."""
        rows = slice(first, stop)
        epoch, member = self._epoch[rows].tolist(), self._member[rows].tolist()
        lat, lng = self._lat[rows].tolist(), self._lng[rows].tolist()
        city, mode = self._city[rows].tolist(), self._mode[rows].tolist()
        start = self._start[first:stop + 1].tolist()  # one more than orders: never empty
        base, end = start[0], start[-1]
        skus, qtys = self._sku[base:end].tolist(), self._qty[base:end].tolist()
        cities, sku_ids, modes = self._cities, self._sku_ids, MODES[0]
        fromtimestamp = datetime.fromtimestamp
        for n in range(stop - first):
            i = first + n
            first_line, end_line = start[n] - base, start[n + 1] - base
            if end_line - first_line == 1:  # about half the orders
                lines: tuple[OrderLine, ...] = (OrderLine(sku_ids[skus[first_line]],
                                                          qtys[first_line]),)
            else:
                merged: dict[str, int] = {}
                for k in range(first_line, end_line):
                    sku = sku_ids[skus[k]]
                    merged[sku] = merged.get(sku, 0) + qtys[k]
                lines = tuple([OrderLine(s, q) for s, q in merged.items()])
            request = RouteRequest(lines, lat[n], lng[n], cities[city[n]], modes[mode[n]],
                                   fromtimestamp(epoch[n], UTC))
            yield SimOrder(f"O{i:08d}", f"M{member[n]:07d}", request)


def order_stream(locations: Sequence[Location], sku_ids: Sequence[str],
                 spec: SyntheticOrdersSpec) -> OrderStream:
    rng = np.random.default_rng(spec.seed)
    stores = [loc for loc in locations if loc.kind is LocationKind.STORE]
    cities = sorted({loc.city for loc in stores})
    n_members = max(1, spec.orders // ORDERS_PER_MEMBER)
    # members live within a couple of km of a store, and order to their address
    home = rng.integers(0, len(stores), n_members)
    store_lat = np.array([store.latitude for store in stores])
    store_lng = np.array([store.longitude for store in stores])
    store_city = np.array([cities.index(store.city) for store in stores], dtype=np.int32)
    home_lat = store_lat[home] + rng.normal(0, 1.5, n_members) / KM_PER_DEGREE
    home_lng = store_lng[home] + rng.normal(0, 1.5, n_members) / (
        KM_PER_DEGREE * np.cos(np.radians(home_lat)))
    home_city = store_city[home]
    # lognormal activity: the top fifth of members place about four fifths of the orders,
    # and no single member more than about 0.04% of them
    activity = np.minimum(rng.lognormal(0.0, 1.68, n_members), 200.0)
    member = rng.choice(n_members, spec.orders, p=activity / activity.sum())

    hour = rng.choice(24, spec.orders, p=np.array(HOURLY_SHARE) / sum(HOURLY_SHARE))
    day = rng.integers(0, spec.days, spec.orders)
    tz = zone(TIME_ZONE)
    midnights = np.array([datetime.combine(spec.start + timedelta(days=d), time(0), tz)
                          .astimezone(UTC).timestamp() for d in range(spec.days)])
    epoch = midnights[day] + hour * 3600 + rng.integers(0, 3600, spec.orders)

    n_lines = rng.choice(LINES_PER_ORDER[0], spec.orders, p=LINES_PER_ORDER[1])
    zipf = np.cumsum(1.0 / np.arange(1, len(sku_ids) + 1) ** ZIPF_S)
    line_sku = np.searchsorted(zipf, rng.random(int(n_lines.sum())) * zipf[-1]).astype(np.int32)
    line_qty = rng.choice(QUANTITY[0], line_sku.size, p=QUANTITY[1]).astype(np.int32)
    mode = rng.choice(len(MODES[0]), spec.orders, p=MODES[1]).astype(np.int8)

    order = np.argsort(epoch, kind="stable")  # the replay walks time forwards
    starts = np.concatenate(([0], np.cumsum(n_lines)))
    sorted_lines = n_lines[order]
    line_start = np.concatenate(([0], np.cumsum(sorted_lines)))
    # line k of the sorted stream is line (k - its order's new start) of that order's old place
    flat = (np.repeat(starts[order], sorted_lines)
            + np.arange(line_start[-1]) - np.repeat(line_start[:-1], sorted_lines))
    m = member[order]
    return OrderStream(epoch[order], m, home_lat[m], home_lng[m], home_city[m], mode[order],
                       line_start, line_sku[flat], line_qty[flat], cities, list(sku_ids))
