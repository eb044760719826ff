"""Reads and writes of the catalogue, stock levels, reservations and the movement ledger.

Plain SQL through SQLAlchemy Core on asyncpg: on the reservation hot path an
ORM unit of work would cost more than the whole decision, and explicit SQL
keeps the locking visible. Stock rows are locked in one place only
(``lock_stock``), always in (location_id, sku_id) order, so concurrent
transactions cannot deadlock on them. Bulk writes use unnest() so a batch of
any size is one statement.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.access.context import actor
from services.common.database import jsonb
from services.common.idempotency import driver
from services.common.uow import transaction_clock
from services.inventory.catalogue import (
    ClosedPeriod,
    Location,
    LocationKind,
    OpeningHours,
    SaleStatus,
    SaleTerms,
    Sku,
)
from services.inventory.domain import (
    Channel,
    Reservation,
    ReservationLine,
    ReservationState,
    StockChange,
    StockKey,
    StockLevel,
)
from services.inventory.transfers import StockTransfer, TransferState

STOCK_CHANNEL = "onestock_stock"
LOCATIONS_CHANNEL = "onestock_locations"  # payload: nothing; locations changed
SKUS_CHANNEL = "onestock_skus"  # payload: nothing; SKUs changed
NOTIFY_PAYLOAD_LIMIT = 7000  # bytes; PostgreSQL refuses payloads of 8000 or more


async def db_now(conn: AsyncConnection) -> datetime:
    """The transaction's clock (PostgreSQL now(): fixed for the whole transaction), one time
    source for every server process; read once per transaction and kept on the connection."""
    clock = transaction_clock.get()
    now = clock.get("now") if clock is not None else None
    if now is None:
        now = await conn.scalar(text("SELECT now()"))
        if clock is not None:
            clock["now"] = now
    return now


# --- catalogue -----------------------------------------------------------

_LOCATION_COLUMNS = (
    "location_id, name, kind, latitude, longitude, city, can_pickup, can_deliver, "
    "can_transfer, delivery_radius_km, time_zone, opening_hours, dealer_id, closures"
)


def _location(row) -> Location:
    hours = jsonb(row.opening_hours)
    return Location(
        location_id=row.location_id,
        name=row.name,
        kind=LocationKind(row.kind),
        latitude=row.latitude,
        longitude=row.longitude,
        city=row.city,
        can_pickup=row.can_pickup,
        can_deliver=row.can_deliver,
        can_transfer=row.can_transfer,
        delivery_radius_km=row.delivery_radius_km,
        time_zone=row.time_zone,
        opening_hours=tuple(
            OpeningHours(h["open"], h["close"], tuple(h.get("days", ()))) for h in hours
        ),
        dealer_id=row.dealer_id,
        closures=tuple(
            ClosedPeriod(datetime.fromisoformat(c["start"]), datetime.fromisoformat(c["end"]),
                         c.get("reason", ""))
            for c in jsonb(row.closures)
        ),
    )


def _closures_json(location: Location) -> str:
    return json.dumps([{"start": c.start.isoformat(), "end": c.end.isoformat(),
                        "reason": c.reason} for c in location.closures])


def _hours_json(location: Location) -> str:
    return json.dumps(
        [
            {"open": h.open_minute, "close": h.close_minute, "days": list(h.iso_weekdays)}
            for h in location.opening_hours
        ]
    )


async def upsert_locations(conn: AsyncConnection, locations: Sequence[Location]) -> None:
    await conn.execute(
        text(
            f"INSERT INTO locations ({_LOCATION_COLUMNS}) VALUES (:location_id, :name, :kind, "
            ":latitude, :longitude, :city, :can_pickup, :can_deliver, :can_transfer, "
            ":delivery_radius_km, :time_zone, CAST(:opening_hours AS jsonb), :dealer_id, "
            "CAST(:closures AS jsonb)) "
            "ON CONFLICT (location_id) DO UPDATE SET name = excluded.name, kind = excluded.kind, "
            "latitude = excluded.latitude, longitude = excluded.longitude, city = excluded.city, "
            "can_pickup = excluded.can_pickup, can_deliver = excluded.can_deliver, "
            "can_transfer = excluded.can_transfer, delivery_radius_km = excluded.delivery_radius_km, "
            "time_zone = excluded.time_zone, opening_hours = excluded.opening_hours, "
            "dealer_id = excluded.dealer_id, closures = excluded.closures, update_time = now()"
        ),
        [
            {
                "location_id": loc.location_id,
                "name": loc.name,
                "kind": loc.kind.value,
                "latitude": loc.latitude,
                "longitude": loc.longitude,
                "city": loc.city,
                "can_pickup": loc.can_pickup,
                "can_deliver": loc.can_deliver,
                "can_transfer": loc.can_transfer,
                "delivery_radius_km": loc.delivery_radius_km,
                "time_zone": loc.time_zone,
                "opening_hours": _hours_json(loc),
                "dealer_id": loc.dealer_id,
                "closures": _closures_json(loc),
            }
            for loc in locations
        ],
    )
    await conn.execute(text("SELECT pg_notify(:c, '')"), {"c": LOCATIONS_CHANNEL})


async def all_locations(conn: AsyncConnection) -> list[Location]:
    rows = await conn.execute(text(f"SELECT {_LOCATION_COLUMNS} FROM locations ORDER BY location_id"))
    return [_location(row) for row in rows]


async def online_availability(
    conn: AsyncConnection, location_ids: Iterable[str], sku_ids: Iterable[str]
) -> dict[str, dict[str, int]]:
    """location -> SKU -> units an online order may take (safety stock kept back)."""
    db = await driver(conn)
    rows = await db.fetch(
        "SELECT location_id, sku_id, greatest(on_hand - reserved - safety_stock, 0) "
        "FROM stock_levels WHERE location_id = ANY($1::text[]) AND sku_id = ANY($2::text[]) "
        "AND on_hand - reserved - safety_stock > 0",
        list(location_ids), list(sku_ids))
    stock: dict[str, dict[str, int]] = {}
    for location_id, sku_id, units in rows:
        stock.setdefault(location_id, {})[sku_id] = units
    return stock


async def online_stock_snapshot(conn: AsyncConnection) -> list[tuple[str, str, int]]:
    """(location, SKU, units an online order may take) for every stock row that has some,
    of SKUs the mall sells: the starting shelves of a routing simulation."""
    rows = await conn.execute(text(
        "SELECT location_id, sku_id, on_hand - reserved - safety_stock "
        "FROM stock_levels JOIN skus USING (sku_id) "
        "WHERE on_hand - reserved - safety_stock > 0 AND sale_status = 'ON_SALE' "
        "ORDER BY location_id, sku_id"))
    return [tuple(row) for row in rows]


async def get_locations(conn: AsyncConnection, location_ids: Iterable[str]) -> dict[str, Location]:
    rows = await conn.execute(
        text(f"SELECT {_LOCATION_COLUMNS} FROM locations WHERE location_id = ANY(CAST(:ids AS text[]))"),
        {"ids": list(location_ids)},
    )
    return {row.location_id: _location(row) for row in rows}


async def list_locations(
    conn: AsyncConnection, *, city: str, kind: str, after_id: str | None, limit: int
) -> list[Location]:
    rows = await conn.execute(
        text(
            f"SELECT {_LOCATION_COLUMNS} FROM locations "
            "WHERE (:city = '' OR city = :city) AND (:kind = '' OR kind = :kind) "
            "AND (CAST(:after AS text) IS NULL OR location_id > :after) "
            "ORDER BY location_id LIMIT :limit"
        ),
        {"city": city, "kind": kind, "after": after_id, "limit": limit},
    )
    return [_location(row) for row in rows]


async def locations_in_box(
    conn: AsyncConnection, box: tuple[float, float, float, float]
) -> list[Location]:
    min_lat, max_lat, min_lng, max_lng = box
    rows = await conn.execute(
        text(
            f"SELECT {_LOCATION_COLUMNS} FROM locations WHERE latitude BETWEEN :a AND :b "
            "AND longitude BETWEEN :c AND :d"
        ),
        {"a": min_lat, "b": max_lat, "c": min_lng, "d": max_lng},
    )
    return [_location(row) for row in rows]


_SKU_COLUMNS = "sku_id, name, spec, price_minor, currency, sale_status"


def _sku(row) -> Sku:
    return Sku(row.sku_id, row.name, row.price_minor, row.currency, row.spec,
               SaleStatus(row.sale_status))


async def upsert_skus(conn: AsyncConnection, skus: Sequence[Sku]) -> None:
    """Create or replace ``skus``; one without a sale status keeps its own (a new one goes
    on sale)."""
    await conn.execute(
        text(
            "INSERT INTO skus (sku_id, name, spec, price_minor, currency, sale_status) "
            "VALUES (:sku_id, :name, :spec, :price_minor, :currency, "
            "coalesce(CAST(:sale_status AS text), 'ON_SALE')) "
            "ON CONFLICT (sku_id) DO UPDATE SET name = excluded.name, spec = excluded.spec, "
            "price_minor = excluded.price_minor, currency = excluded.currency, "
            "sale_status = coalesce(CAST(:sale_status AS text), skus.sale_status), "
            "update_time = now()"
        ),
        [
            {"sku_id": s.sku_id, "name": s.name, "spec": s.spec, "price_minor": s.price_minor,
             "currency": s.currency, "sale_status": s.sale_status}
            for s in skus
        ],
    )
    await conn.execute(text("SELECT pg_notify(:c, '')"), {"c": SKUS_CHANNEL})


async def all_skus(conn: AsyncConnection) -> list[Sku]:
    rows = await conn.execute(text(f"SELECT {_SKU_COLUMNS} FROM skus ORDER BY sku_id"))
    return [_sku(row) for row in rows]


async def sale_terms(conn: AsyncConnection) -> dict[str, SaleTerms]:
    """Every SKU's catalogue price (minor units) and sale status, by id."""
    rows = await conn.execute(text("SELECT sku_id, price_minor, sale_status FROM skus"))
    return {sku_id: SaleTerms(price, SaleStatus(status)) for sku_id, price, status in rows}


async def get_skus(conn: AsyncConnection, sku_ids: Iterable[str]) -> dict[str, Sku]:
    rows = await conn.execute(
        text(f"SELECT {_SKU_COLUMNS} FROM skus WHERE sku_id = ANY(CAST(:ids AS text[]))"),
        {"ids": list(sku_ids)},
    )
    return {row.sku_id: _sku(row) for row in rows}


async def list_skus(conn: AsyncConnection, *, after_id: str | None, limit: int,
                    sale_status: str = "") -> list[Sku]:
    """One page of SKUs in id order; of one sale status unless ``sale_status`` is ""."""
    rows = await conn.execute(
        text(
            f"SELECT {_SKU_COLUMNS} FROM skus "
            "WHERE (CAST(:after AS text) IS NULL OR sku_id > :after) "
            "AND (:status = '' OR sale_status = :status) ORDER BY sku_id LIMIT :limit"
        ),
        {"after": after_id, "limit": limit, "status": sale_status},
    )
    return [_sku(row) for row in rows]


async def unknown_ids(
    conn: AsyncConnection, location_ids: Iterable[str], sku_ids: Iterable[str]
) -> tuple[set[str], set[str]]:
    """Which of the given location and SKU ids the catalogue does not know."""
    locations, skus = set(location_ids), set(sku_ids)
    row = (
        await conn.execute(
            text(
                "SELECT ARRAY(SELECT location_id FROM locations "
                "WHERE location_id = ANY(CAST(:l AS text[]))), "
                "ARRAY(SELECT sku_id FROM skus WHERE sku_id = ANY(CAST(:s AS text[])))"
            ),
            {"l": list(locations), "s": list(skus)},
        )
    ).one()
    return locations - set(row[0]), skus - set(row[1])


# --- stock levels --------------------------------------------------------


def _keys_params(keys: Iterable[StockKey]) -> dict:
    ordered = sorted(set(keys))
    return {"locs": [k[0] for k in ordered], "skus": [k[1] for k in ordered]}


STOCK_OF_KEYS = (
    "SELECT s.location_id, s.sku_id, s.on_hand, s.reserved, s.safety_stock "
    "FROM stock_levels s JOIN unnest($1::text[], $2::text[]) AS k(l, s) "
    "ON s.location_id = k.l AND s.sku_id = k.s"
)
# For a load's thousands of keys the planner would hash the whole table to join them, a cost
# that grows with the chain (for 5,000 keys on 200,000 shelves: a locking read 127 ms, an
# update 181 ms); bounded to the keys' locations, which 5,000 keys in key order span one or
# two of, it reads just their rows (32 and 74 ms). The hot path's few keys need no bound.
AT_THEIR_LOCATIONS = (
    "s.location_id BETWEEN (SELECT min(l) FROM unnest($1::text[]) AS l) "
    "AND (SELECT max(l) FROM unnest($1::text[]) AS l)"
)
IN_KEY_ORDER_LOCKED = " ORDER BY s.location_id, s.sku_id FOR UPDATE OF s"


async def lock_stock(conn: AsyncConnection, keys: Iterable[StockKey], *,
                     bulk: bool = False) -> dict[StockKey, StockLevel]:
    """Lock the stock rows of ``keys`` in key order and return them (missing rows are absent);
    ``bulk`` for thousands of keys in key order.

    On asyncpg directly: this runs once per reservation batch.
    """
    return await _stock_of(conn, keys, (" WHERE " + AT_THEIR_LOCATIONS if bulk else "")
                           + IN_KEY_ORDER_LOCKED)


async def read_stock(conn: AsyncConnection, keys: Iterable[StockKey], *,
                     bulk: bool = False) -> dict[StockKey, StockLevel]:
    """The stock rows of ``keys``, unlocked; ``bulk`` for thousands of keys in key order."""
    return await _stock_of(conn, keys, " WHERE " + AT_THEIR_LOCATIONS if bulk else "")


async def _stock_of(conn: AsyncConnection, keys: Iterable[StockKey],
                    clauses: str) -> dict[StockKey, StockLevel]:
    params = _keys_params(keys)
    db = await driver(conn)
    rows = await db.fetch(STOCK_OF_KEYS + clauses, params["locs"], params["skus"])
    return {(r[0], r[1]): StockLevel(*r) for r in rows}


async def read_stock_matching(
    conn: AsyncConnection, location_ids: Sequence[str], sku_ids: Sequence[str], limit: int
) -> list[StockLevel]:
    """Stock rows at any of location_ids (if given) for any of sku_ids (if given)."""
    rows = await conn.execute(
        text(
            "SELECT location_id, sku_id, on_hand, reserved, safety_stock FROM stock_levels "
            "WHERE (cardinality(CAST(:locs AS text[])) = 0 OR location_id = ANY(CAST(:locs AS text[]))) "
            "AND (cardinality(CAST(:skus AS text[])) = 0 OR sku_id = ANY(CAST(:skus AS text[]))) "
            "ORDER BY location_id, sku_id LIMIT :limit"
        ),
        {"locs": list(location_ids), "skus": list(sku_ids), "limit": limit},
    )
    return [StockLevel(*r) for r in rows]


async def list_stock_levels(conn: AsyncConnection, *, location_id: str, sold_out_online: bool,
                            after_sku: str | None, limit: int) -> list[StockLevel]:
    """One location's levels in sku_id order, after ``after_sku``; the primary key's order,
    so a page reads only its own rows however large the store's range."""
    rows = await conn.execute(
        text(
            "SELECT location_id, sku_id, on_hand, reserved, safety_stock FROM stock_levels "
            "WHERE location_id = :loc AND (CAST(:after AS text) IS NULL OR sku_id > :after) "
            "AND (NOT :sold_out OR on_hand - reserved <= safety_stock) "
            "ORDER BY sku_id LIMIT :limit"
        ),
        {"loc": location_id, "after": after_sku, "sold_out": sold_out_online, "limit": limit},
    )
    return [StockLevel(*r) for r in rows]


async def create_stock_rows(conn: AsyncConnection, keys: Iterable[StockKey]) -> None:
    """Zero rows for keys that have none yet, so they can be locked like any other."""
    await conn.execute(
        text(
            "INSERT INTO stock_levels (location_id, sku_id) "
            "SELECT l, s FROM unnest(CAST(:locs AS text[]), CAST(:skus AS text[])) AS k(l, s) "
            "ORDER BY l, s ON CONFLICT DO NOTHING"
        ),
        _keys_params(keys),
    )


async def insert_new_levels(conn: AsyncConnection, levels: Iterable[StockLevel]) -> set[StockKey]:
    """Create stock rows with their first levels, in key order; returns the keys created.
    A key another transaction created first is left alone (and not returned), for the caller
    to lock and change like any other row."""
    levels = sorted(levels, key=lambda lv: lv.key)
    if not levels:
        return set()
    db = await driver(conn)
    rows = await db.fetch(
        "INSERT INTO stock_levels (location_id, sku_id, on_hand, reserved, safety_stock) "
        "SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[]) "
        "AS t(l, s, o, r, ss) ORDER BY l, s ON CONFLICT DO NOTHING RETURNING location_id, sku_id",
        [lv.location_id for lv in levels], [lv.sku_id for lv in levels],
        [lv.on_hand for lv in levels], [lv.reserved for lv in levels],
        [lv.safety_stock for lv in levels])
    return {(r[0], r[1]) for r in rows}


async def write_levels(conn: AsyncConnection, levels: Iterable[StockLevel], *,
                       bulk: bool = False) -> None:
    """Store new on_hand / reserved / safety_stock for rows this transaction has locked;
    ``bulk`` for thousands of rows in key order (see AT_THEIR_LOCATIONS)."""
    levels = sorted(levels, key=lambda lv: lv.key)
    if not levels:
        return
    db = await driver(conn)
    await db.execute(
        "UPDATE stock_levels AS s SET on_hand = t.o, reserved = t.r, safety_stock = t.ss, "
        "update_time = now() FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], "
        "$5::bigint[]) AS t(l, k, o, r, ss) WHERE s.location_id = t.l AND s.sku_id = t.k"
        + (" AND " + AT_THEIR_LOCATIONS if bulk else ""),
        [lv.location_id for lv in levels], [lv.sku_id for lv in levels],
        [lv.on_hand for lv in levels], [lv.reserved for lv in levels],
        [lv.safety_stock for lv in levels])


async def append_movements(
    conn: AsyncConnection, changes: Sequence[StockChange]
) -> list[tuple[int, datetime]]:
    """Append ledger entries in order; returns each one's (movement_id, create_time)."""
    if not changes:
        return []
    result = await conn.execute(
        text(
            "INSERT INTO stock_movements (location_id, sku_id, kind, reason, on_hand_delta, "
            "reserved_delta, safety_stock_delta, on_hand_after, reserved_after, reservation_id, "
            "request_id, note, actor) SELECT l, k, kd, rs, od, rd, sd, oa, ra, res, req, nt, "
            "CAST(:actor AS text) FROM "
            "unnest(CAST(:locs AS text[]), CAST(:skus AS text[]), CAST(:kinds AS text[]), "
            "CAST(:reasons AS text[]), CAST(:od AS bigint[]), CAST(:rd AS bigint[]), "
            "CAST(:sd AS bigint[]), CAST(:oa AS bigint[]), CAST(:ra AS bigint[]), "
            "CAST(:res AS text[]), CAST(:req AS text[]), CAST(:notes AS text[])) WITH ORDINALITY "
            "AS t(l, k, kd, rs, od, rd, sd, oa, ra, res, req, nt, n) ORDER BY n "
            "RETURNING movement_id, create_time"
        ),
        {
            "locs": [c.after.location_id for c in changes],
            "skus": [c.after.sku_id for c in changes],
            "kinds": [c.kind.value for c in changes],
            "reasons": [c.reason.value if c.reason else None for c in changes],
            "od": [c.on_hand_delta for c in changes],
            "rd": [c.reserved_delta for c in changes],
            "sd": [c.safety_stock_delta for c in changes],
            "oa": [c.after.on_hand for c in changes],
            "ra": [c.after.reserved for c in changes],
            "res": [c.reservation_id for c in changes],
            "req": [c.request_id for c in changes],
            "notes": [c.note for c in changes],
            "actor": actor(),
        },
    )
    return sorted((row[0], row[1]) for row in result)


def notification_payloads(levels: Iterable[StockLevel]) -> list[str]:
    """JSON payloads of new levels, split to stay under PostgreSQL's NOTIFY size limit."""
    payloads, chunk, size = [], [], 2
    for lv in levels:
        item = [lv.location_id, lv.sku_id, lv.on_hand, lv.reserved, lv.safety_stock]
        item_size = len(json.dumps(item, ensure_ascii=False).encode()) + 1
        if chunk and size + item_size > NOTIFY_PAYLOAD_LIMIT:
            payloads.append(json.dumps(chunk, ensure_ascii=False))
            chunk, size = [], 2
        chunk.append(item)
        size += item_size
    if chunk:
        payloads.append(json.dumps(chunk, ensure_ascii=False))
    return payloads


async def notify_stock(conn: AsyncConnection, levels: Iterable[StockLevel]) -> None:
    """Tell every listening server process (WatchStock) about new levels, on commit."""
    payloads = notification_payloads(levels)
    if payloads:
        db = await driver(conn)
        await db.execute("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p",
                         STOCK_CHANNEL, payloads)


def parse_notification(payload: str) -> list[StockLevel]:
    return [StockLevel(*item) for item in json.loads(payload)]


# --- the movement ledger -------------------------------------------------


async def list_movements(
    conn: AsyncConnection,
    *,
    location_id: str,
    sku_id: str,
    reservation_id: str,
    before_id: int | None,
    limit: int,
):
    return (
        await conn.execute(
            text(
                "SELECT movement_id, location_id, sku_id, kind, reason, on_hand_delta, "
                "reserved_delta, safety_stock_delta, on_hand_after, reserved_after, "
                "reservation_id, request_id, note, create_time, actor FROM stock_movements "
                "WHERE (:loc = '' OR location_id = :loc) AND (:sku = '' OR sku_id = :sku) "
                "AND (:res = '' OR reservation_id = :res) "
                "AND (CAST(:before AS bigint) IS NULL OR movement_id < :before) "
                "ORDER BY movement_id DESC LIMIT :limit"
            ),
            {"loc": location_id, "sku": sku_id, "res": reservation_id, "before": before_id,
             "limit": limit},
        )
    ).all()


async def note_shelves_counted(conn: AsyncConnection, load_request_id: str, last: StockKey,
                               shelves: int, after: StockKey | None,
                               counts_digest: str | None) -> bool:
    """A load has counted ``shelves`` more, from the shelf after ``after`` (None: from its
    first) up to ``last`` in key order, every count up to there dealt with: in the same
    transaction as those counts, so the note never runs ahead of them or behind. False, noting
    nothing, when the load's note is not at ``after``: another run under the same request id
    got there first (a load resumed twice at once), and the caller rolls its counts back
    rather than count shelves twice. ``counts_digest`` names the counts (CountsLoad)."""
    params = {"request_id": load_request_id, "loc": last[0], "sku": last[1],
              "shelves": shelves, "actor": actor(), "digest": counts_digest}
    if after is None:
        statement = (
            "INSERT INTO stock_count_loads (request_id, last_location_id, last_sku_id, shelves, "
            "actor, counts_digest) VALUES (:request_id, :loc, :sku, :shelves, :actor, :digest) "
            "ON CONFLICT (request_id) DO NOTHING RETURNING 1")
    else:
        statement = (
            "UPDATE stock_count_loads SET last_location_id = :loc, last_sku_id = :sku, "
            "shelves = shelves + :shelves, actor = :actor, update_time = now(), "
            "counts_digest = :digest WHERE request_id = :request_id "
            "AND (last_location_id, last_sku_id) = (:after_loc, :after_sku) RETURNING 1")
        params |= {"after_loc": after[0], "after_sku": after[1]}
    return (await conn.execute(text(statement), params)).first() is not None


async def counted_so_far(conn: AsyncConnection, load_request_id: str
                         ) -> tuple[StockKey, int] | None:
    """The shelf, in key order, up to which a load has dealt with every count, and how many
    shelves it has counted in all its runs; None if it counted none."""
    row = (await conn.execute(text(
        "SELECT last_location_id, last_sku_id, shelves FROM stock_count_loads "
        "WHERE request_id = :request_id"), {"request_id": load_request_id})).first()
    return None if row is None else ((row[0], row[1]), row[2])


@dataclass(frozen=True)
class CountsLoad:
    """A load of one set of stock counts (named by their digest): every count up to the
    shelf ``through``, in key order, dealt with; ``shelves`` of them written."""

    request_id: str
    through: StockKey
    shelves: int
    actor: str
    update_time: datetime


async def loads_of_counts(conn: AsyncConnection, counts_digest: str) -> list[CountsLoad]:
    """Every load of the counts with this digest, the latest first."""
    rows = await conn.execute(text(
        "SELECT request_id, last_location_id, last_sku_id, shelves, actor, update_time "
        "FROM stock_count_loads WHERE counts_digest = :digest "
        "ORDER BY update_time DESC, request_id"), {"digest": counts_digest})
    return [CountsLoad(r[0], (r[1], r[2]), r[3], r[4], r[5]) for r in rows]


async def hold_counts(conn: AsyncConnection, counts_digest: str) -> None:
    """Until this transaction ends, no other load of these counts may note its first part:
    two fresh loads of one file at once (a night job retried while it runs) take turns."""
    await conn.execute(text(
        "SELECT pg_advisory_xact_lock(hashtextextended('onestock-counts:' || :digest, 0))"),
        {"digest": counts_digest})


# --- reservations --------------------------------------------------------


RESERVATION_COLUMNS = ("reservation_id, channel, reference, state, create_time, expire_time, "
                       "close_time, member_id, request_id")


async def load_reservation(
    conn: AsyncConnection, reservation_id: str, *, lock: bool = False
) -> Reservation | None:
    found = await load_reservations(conn, [reservation_id], lock=lock)
    return found[0] if found else None


async def load_reservations(conn: AsyncConnection, reservation_ids: Sequence[str], *,
                            lock: bool = False) -> list[Reservation]:
    """The reservations with these ids (unknown ones left out), in id order, locked in that
    order with ``lock``: two queries however many, for the sweepers that close hundreds."""
    db = await driver(conn)
    rows = await db.fetch(
        f"SELECT {RESERVATION_COLUMNS} FROM reservations WHERE reservation_id = ANY($1::text[]) "
        "ORDER BY reservation_id" + (" FOR UPDATE" if lock else ""), list(reservation_ids))
    return await _with_lines(db, rows)


async def list_active_reservations(conn: AsyncConnection, *, location_id: str,
                                   sku_id: str | None, after: tuple[datetime, str] | None,
                                   limit: int) -> list[Reservation]:
    """ACTIVE reservations holding units of ``sku_id`` (any, when None) at ``location_id``,
    soonest to expire first, each with only those lines.

    The ACTIVE reservations are walked in expiry order through their partial index, each
    probed for a line here (a LATERAL subquery, so that PostgreSQL cannot trade the probes
    for a scan of every line ever reserved, which it otherwise picks). That costs about
    5 us per ACTIVE reservation in the chain, however long the history: no index on
    reservation_lines by location, which every reservation on the hot path would pay for."""
    db = await driver(conn)
    rows = await db.fetch(
        f"SELECT {RESERVATION_COLUMNS} FROM reservations r CROSS JOIN LATERAL ("
        "SELECT 1 FROM reservation_lines l WHERE l.reservation_id = r.reservation_id "
        "AND l.location_id = $1 AND ($2::text IS NULL OR l.sku_id = $2) LIMIT 1) holds_here "
        "WHERE state = 'ACTIVE' "
        "AND ($3::timestamptz IS NULL OR (expire_time, reservation_id) > ($3, $4::text)) "
        "ORDER BY expire_time, reservation_id LIMIT $5",
        location_id, sku_id, *(after or (None, None)), limit)
    return await _with_lines(db, rows, location_id=location_id, sku_id=sku_id)


async def _with_lines(db, rows, *, location_id: str | None = None, sku_id: str | None = None
                      ) -> list[Reservation]:
    """Reservations from their rows, with their lines (only those at ``location_id`` and of
    ``sku_id``, when given) read in one query."""
    lines: dict[str, list[ReservationLine]] = {}
    for line in await db.fetch(
            "SELECT reservation_id, location_id, sku_id, quantity, committed_quantity "
            "FROM reservation_lines WHERE reservation_id = ANY($1::text[]) "
            "AND ($2::text IS NULL OR location_id = $2) AND ($3::text IS NULL OR sku_id = $3) "
            "ORDER BY reservation_id, line_no", [r["reservation_id"] for r in rows],
            location_id, sku_id):
        lines.setdefault(line["reservation_id"], []).append(ReservationLine(*list(line)[1:]))
    return [Reservation(
        reservation_id=r["reservation_id"], channel=Channel(r["channel"]),
        reference=r["reference"], state=ReservationState(r["state"]),
        lines=lines.get(r["reservation_id"], []), create_time=r["create_time"],
        expire_time=r["expire_time"], close_time=r["close_time"],
        member_id=r["member_id"] or "", request_id=r["request_id"]) for r in rows]


async def close_unsold(conn: AsyncConnection, reservations: Sequence[Reservation],
                       state: ReservationState) -> None:
    """Record that ACTIVE reservations ended with nothing sold (released or expired), in one
    statement."""
    db = await driver(conn)
    closed = dict(await db.fetch(
        "UPDATE reservations SET state = $2, close_time = now() "
        "WHERE reservation_id = ANY($1::text[]) AND state = 'ACTIVE' "
        "RETURNING reservation_id, close_time",
        [r.reservation_id for r in reservations], state.value))
    for reservation in reservations:
        reservation.state, reservation.close_time = state, closed.get(reservation.reservation_id)


async def close_reservation(
    conn: AsyncConnection, reservation: Reservation, state: ReservationState, sold: Sequence[int]
) -> None:
    """Record how an ACTIVE reservation ended and what each line sold."""
    reservation.close_time = await conn.scalar(
        text(
            "UPDATE reservations SET state = :state, close_time = now() "
            "WHERE reservation_id = :id AND state = 'ACTIVE' RETURNING close_time"
        ),
        {"state": state.value, "id": reservation.reservation_id},
    )
    reservation.state = state
    if any(sold):
        await conn.execute(
            text(
                "UPDATE reservation_lines AS l SET committed_quantity = t.q FROM "
                "unnest(CAST(:nos AS int[]), CAST(:qs AS bigint[])) AS t(n, q) "
                "WHERE l.reservation_id = :id AND l.line_no = t.n"
            ),
            {"id": reservation.reservation_id, "nos": list(range(len(sold))), "qs": list(sold)},
        )
        for line, units in zip(reservation.lines, sold, strict=True):
            line.committed_quantity = units


async def extend_reservation(
    conn: AsyncConnection, reservation: Reservation, ttl_s: int
) -> None:
    reservation.expire_time = await conn.scalar(
        text(
            "UPDATE reservations SET expire_time = now() + make_interval(secs => :ttl) "
            "WHERE reservation_id = :id RETURNING expire_time"
        ),
        {"ttl": ttl_s, "id": reservation.reservation_id},
    )


async def lock_expired_reservations(conn: AsyncConnection, limit: int) -> list[str]:
    """ACTIVE reservations past their expiry that no other transaction holds."""
    rows = await conn.execute(
        text(
            "SELECT reservation_id FROM reservations WHERE state = 'ACTIVE' "
            "AND expire_time <= now() ORDER BY expire_time LIMIT :limit FOR UPDATE SKIP LOCKED"
        ),
        {"limit": limit},
    )
    return list(rows.scalars())


def expire_time(now: datetime, ttl_s: int) -> datetime:
    return now + timedelta(seconds=ttl_s)


LOCK_MEMBERS_SQL = (
    "SELECT pg_advisory_xact_lock(hashtextextended('onestock-member:' || m, 0)) "
    "FROM unnest($1::text[]) AS m ORDER BY m")
MEMBER_HOLDS_SQL = (
    "SELECT r.member_id, l.sku_id, sum(l.quantity)::bigint "
    "FROM reservations r JOIN reservation_lines l USING (reservation_id) "
    "WHERE r.state = 'ACTIVE' AND r.member_id = ANY($1::text[]) AND l.sku_id = ANY($2::text[]) "
    "GROUP BY r.member_id, l.sku_id")


async def member_holdings(db, member_ids: Iterable[str], sku_ids: Iterable[str]
                          ) -> dict[tuple[str, str], int]:
    """Units each member holds of each SKU in ACTIVE reservations, under a per-member lock.

    The advisory lock (taken in member order, before any stock row lock) keeps
    two transactions for one member from both passing the hold limit.
    """
    members = sorted(set(member_ids) - {""})
    if not members:
        return {}
    await db.execute(LOCK_MEMBERS_SQL, members)
    rows = await db.fetch(MEMBER_HOLDS_SQL, members, sorted(set(sku_ids)))
    return {(r[0], r[1]): r[2] for r in rows}


# --- stock transfers (services/inventory/transfers.py) ------------------------------

_TRANSFER_COLUMNS = ("transfer_id, source_location_id, destination_location_id, lines, state, "
                     "note, reservation_id, hold_expire_time, created_by, create_time, "
                     "ship_time, receive_time, cancel_time, cancel_reason")


def _transfer(row) -> StockTransfer:
    lines = jsonb(row["lines"])
    return StockTransfer(
        transfer_id=row["transfer_id"], source_id=row["source_location_id"],
        destination_id=row["destination_location_id"], lines=[tuple(x) for x in lines],
        state=TransferState(row["state"]), reservation_id=row["reservation_id"],
        hold_expire_time=row["hold_expire_time"], note=row["note"],
        created_by=row["created_by"], create_time=row["create_time"],
        ship_time=row["ship_time"], receive_time=row["receive_time"],
        cancel_time=row["cancel_time"], cancel_reason=row["cancel_reason"])


async def insert_transfer(conn: AsyncConnection, transfer: StockTransfer) -> None:
    db = await driver(conn)
    transfer.create_time = await db.fetchval(
        "INSERT INTO stock_transfers (transfer_id, source_location_id, destination_location_id, "
        "lines, state, note, reservation_id, hold_expire_time, created_by) "
        "VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9) RETURNING create_time",
        transfer.transfer_id, transfer.source_id, transfer.destination_id,
        json.dumps(transfer.lines), transfer.state.value, transfer.note,
        transfer.reservation_id, transfer.hold_expire_time, transfer.created_by)


async def load_transfer(conn: AsyncConnection, transfer_id: str, *, lock: bool = False
                        ) -> StockTransfer | None:
    row = await (await driver(conn)).fetchrow(
        f"SELECT {_TRANSFER_COLUMNS} FROM stock_transfers WHERE transfer_id = $1"
        + (" FOR UPDATE" if lock else ""), transfer_id)
    return _transfer(row) if row else None


async def save_transfer(conn: AsyncConnection, transfer: StockTransfer) -> None:
    """Write a locked transfer's state, lines and times back."""
    await (await driver(conn)).execute(
        "UPDATE stock_transfers SET state = $2, lines = $3::jsonb, ship_time = $4, "
        "receive_time = $5, cancel_time = $6, cancel_reason = $7 WHERE transfer_id = $1",
        transfer.transfer_id, transfer.state.value, json.dumps(transfer.lines),
        transfer.ship_time, transfer.receive_time, transfer.cancel_time, transfer.cancel_reason)


LAPSED_TRANSFERS_SQL = (
    "SELECT transfer_id FROM stock_transfers WHERE state = 'REQUESTED' "
    "AND hold_expire_time <= now() ORDER BY hold_expire_time LIMIT $1 FOR UPDATE SKIP LOCKED")


async def lock_lapsed_transfers(conn: AsyncConnection, limit: int) -> list[str]:
    """REQUESTED transfers whose hold ran out, locked (one a racing step holds is left to
    the next sweep)."""
    return [r[0] for r in await (await driver(conn)).fetch(LAPSED_TRANSFERS_SQL, limit)]


async def list_transfers(conn: AsyncConnection, *, location_id: str, state: str,
                         after: tuple | None, limit: int) -> list[StockTransfer]:
    """Transfers leaving or reaching ``location_id`` (of ``state`` unless ""), newest first,
    after the page key (create_time, transfer_id)."""
    rows = await (await driver(conn)).fetch(
        f"SELECT {_TRANSFER_COLUMNS} FROM stock_transfers "
        "WHERE (source_location_id = $1 OR destination_location_id = $1) "
        "AND ($2 = '' OR state = $2) "
        "AND ($3::timestamptz IS NULL OR (create_time, transfer_id) < ($3, $4)) "
        "ORDER BY create_time DESC, transfer_id DESC LIMIT $5",
        location_id, state, after[0] if after else None, after[1] if after else "", limit)
    return [_transfer(row) for row in rows]
