"""A deterministic demo chain: 40 stores and 2 warehouses in Shanghai and Hangzhou.

Stores open 10:00-22:00 local time (the chains' reports: a quarter of online
orders arrive while stores are closed); warehouses never close. Every store
offers pickup, most deliver within 3-5 km, some may ship transfers. Stores
carry a subset of the 300 SKUs, some sold out, some with safety stock.
The same seed always gives the same chain, to the unit.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.inventory import repository as repo
from services.inventory.catalogue import Location, LocationKind, OpeningHours, Sku
from services.inventory.domain import AdjustmentReason, MovementKind, StockChange, StockLevel

SEED_REQUEST_ID = "seed-demo"
STORE_HOURS = (OpeningHours(10 * 60, 22 * 60),)

# (city, code, centre latitude, centre longitude, districts, warehouse point)
CITIES = (
    ("Shanghai", "SH", 31.2304, 121.4737,
     ("黄浦", "静安", "徐汇", "长宁", "普陀", "虹口", "杨浦", "浦东", "闵行", "宝山", "嘉定",
      "松江", "青浦"), (31.3390, 121.2650)),
    ("Hangzhou", "HZ", 30.2741, 120.1551,
     ("上城", "拱墅", "西湖", "滨江", "萧山", "余杭", "临平"), (30.3860, 120.3030)),
)
STORES_PER_CITY = {"SH": 24, "HZ": 16}
CATEGORIES = (  # (prefix, name, spec, price range in fen)
    ("MILK", "鲜牛奶", "950 ml", (1290, 2590)),
    ("YOG", "酸奶", "200 g x 4", (990, 1990)),
    ("BRD", "吐司面包", "400 g", (890, 1690)),
    ("COF", "挂耳咖啡", "10 x 10 g", (3900, 8900)),
    ("TEA", "茶饮", "500 ml", (450, 990)),
    ("SNK", "坚果零食", "150 g", (1590, 4590)),
    ("CARE", "洗护用品", "400 ml", (2990, 9900)),
    ("FRZ", "速冻水饺", "1 kg", (2290, 4990)),
    ("RICE", "东北大米", "5 kg", (3990, 8990)),
    ("OIL", "食用油", "1.8 L", (2990, 7990)),
)
SKUS_PER_CATEGORY = 30


@dataclass(frozen=True)
class DemoChain:
    locations: list[Location]
    skus: list[Sku]
    stock: list[StockLevel]


def build_demo_chain(seed: int = 20261122) -> DemoChain:
    rng = random.Random(seed)
    locations: list[Location] = []
    for city, code, lat, lng, districts, (wh_lat, wh_lng) in CITIES:
        for n in range(1, STORES_PER_CITY[code] + 1):
            delivers = rng.random() < 0.75
            locations.append(Location(
                location_id=f"{code}-S{n:03d}",
                name=f"{city} {districts[(n - 1) % len(districts)]}店 #{n}",
                kind=LocationKind.STORE,
                latitude=round(lat + rng.gauss(0, 0.06), 6),
                longitude=round(lng + rng.gauss(0, 0.07), 6),
                city=city,
                can_pickup=True,
                can_deliver=delivers,
                can_transfer=rng.random() < 0.25,
                delivery_radius_km=rng.choice((3.0, 4.0, 5.0)) if delivers else 0.0,
                opening_hours=STORE_HOURS,
            ))
        locations.append(Location(
            location_id=f"{code}-W01", name=f"{city} 中心仓", kind=LocationKind.WAREHOUSE,
            latitude=wh_lat, longitude=wh_lng, city=city, can_transfer=True,
        ))
    skus = [
        Sku(f"{prefix}-{i:03d}", f"{name} {i}号", rng.randrange(lo, hi, 10), spec=spec)
        for prefix, name, spec, (lo, hi) in CATEGORIES
        for i in range(1, SKUS_PER_CATEGORY + 1)
    ]
    stock = []
    for loc in locations:
        for sku in skus:
            if loc.kind is LocationKind.WAREHOUSE:
                stock.append(StockLevel(loc.location_id, sku.sku_id, rng.randint(200, 2000)))
            elif rng.random() < 0.6:
                on_hand = 0 if rng.random() < 0.1 else rng.randint(1, 40)
                safety = rng.choice((0, 0, 1, 2, 3)) if on_hand else 0
                stock.append(StockLevel(loc.location_id, sku.sku_id, on_hand, 0, safety))
    return DemoChain(locations, skus, stock)


async def seed_demo_chain(conn: AsyncConnection, chain: DemoChain) -> bool:
    """Load the chain. The catalogue is upserted every time; stock only on the first
    run, so re-seeding never wipes live reservations or sales. Returns True when stock was loaded."""
    await repo.upsert_locations(conn, chain.locations)
    await repo.upsert_skus(conn, chain.skus)
    already = await conn.scalar(
        text("SELECT EXISTS (SELECT 1 FROM stock_movements WHERE request_id = :r)"),
        {"r": SEED_REQUEST_ID},
    )
    if already:
        return False
    await repo.create_stock_rows(conn, [lv.key for lv in chain.stock])
    await repo.lock_stock(conn, [lv.key for lv in chain.stock])
    await repo.write_levels(conn, chain.stock)
    changes = [
        StockChange(MovementKind.ADJUSTMENT, lv, on_hand_delta=lv.on_hand,
                    safety_stock_delta=lv.safety_stock, reason=AdjustmentReason.RECEIPT,
                    request_id=SEED_REQUEST_ID, note="demo chain")
        for lv in chain.stock
    ]
    await repo.append_movements(conn, changes)
    return True
