"""Inventory use cases: load what a decision needs, let the domain decide, write the outcome.

Each handler runs inside a transaction it is given (see services.common.uow)
and never commits: the caller's unit of work does, or rolls everything back.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial

from sqlalchemy.ext.asyncio import AsyncConnection

from services.access.context import SYSTEM_ACCESS, Access
from services.common import metrics
from services.common.errors import FailedPrecondition, FieldViolation, InvalidArgument, NotFound
from services.common.geo import bounding_box, haversine_km
from services.common.uow import after_commit
from services.inventory import repository as repo
from services.inventory.catalogue import Location, SaleStatus
from services.inventory.domain import (
    AdjustmentReason,
    LineRequest,
    MovementKind,
    Reservation,
    ReservationState,
    StockChange,
    StockCount,
    StockKey,
    StockLevel,
    adjust_on_hand,
    close_changes,
    commit_quantities,
    count_changes,
    ensure_active,
    require_unheld,
)
from services.inventory.validation import AdjustCommand, AvailabilityQuery


async def require_known(conn: AsyncConnection, location_ids, sku_ids) -> None:
    """NOT_FOUND naming every unknown location, else every unknown SKU."""
    missing_locations, missing_skus = await repo.unknown_ids(conn, location_ids, sku_ids)
    if missing_locations:
        raise NotFound("location", missing_locations)
    if missing_skus:
        raise NotFound("sku", missing_skus)


async def _lock_one(conn: AsyncConnection, location_id: str, sku_id: str) -> StockLevel:
    await require_known(conn, [location_id], [sku_id])
    key = (location_id, sku_id)
    await repo.create_stock_rows(conn, [key])
    return (await repo.lock_stock(conn, [key]))[key]


async def record_changes(conn: AsyncConnection, changes: list[StockChange],
                         inserted: Collection[StockKey] = (), *, bulk: bool = False):
    """Write levels, append ledger entries and notify watchers for a list of changes; rows
    ``inserted`` already hold their final levels; ``bulk`` for thousands in key order."""
    final = {c.after.key: c.after for c in changes}
    await repo.write_levels(conn, [lv for key, lv in final.items() if key not in inserted],
                            bulk=bulk)
    stamps = await repo.append_movements(conn, changes)
    await repo.notify_stock(conn, final.values())
    return stamps


async def adjust_stock(conn: AsyncConnection, cmd: AdjustCommand) -> tuple[StockChange, int, object]:
    level = await _lock_one(conn, cmd.location_id, cmd.sku_id)
    change = _adjustment(level, cmd)
    [(movement_id, created)] = await record_changes(conn, [change])
    return change, movement_id, created


async def batch_adjust_stock(conn: AsyncConnection, commands: Sequence[AdjustCommand]
                             ) -> list[tuple[StockChange, int, object]]:
    """Every adjustment in order, or none. The rows are locked first, in key order as every
    writer locks them, so two batches over the same shelves wait for each other instead of
    deadlocking; every adjustment that would leave fewer units than are reserved is named in
    one refusal, not only the first."""
    keys = sorted({(c.location_id, c.sku_id) for c in commands})
    await require_known(conn, {k[0] for k in keys}, {k[1] for k in keys})
    await repo.create_stock_rows(conn, keys)
    levels = await repo.lock_stock(conn, keys)
    changes, refused = [], {}
    for i, cmd in enumerate(commands):
        try:
            change = _adjustment(levels[(cmd.location_id, cmd.sku_id)], cmd)
        except FailedPrecondition as refusal:
            refused[f"adjustments[{i}]"] = refusal
            continue
        levels[change.after.key] = change.after
        changes.append(change)
    if refused:
        raise FailedPrecondition(
            "; ".join(f"{field}: {refusal.message}" for field, refusal in refused.items()),
            reason="ON_HAND_BELOW_RESERVED",
            metadata={field: "{location_id}/{sku_id}:{on_hand_after}:{reserved}".format(
                **refusal.metadata) for field, refusal in refused.items()})
    stamps = await record_changes(conn, changes)
    return [(change, movement_id, created)
            for change, (movement_id, created) in zip(changes, stamps, strict=True)]


def _adjustment(level: StockLevel, cmd: AdjustCommand) -> StockChange:
    after = adjust_on_hand(level, delta=cmd.delta, set_on_hand=cmd.set_on_hand)
    return StockChange(
        MovementKind.ADJUSTMENT, after, on_hand_delta=after.on_hand - level.on_hand,
        reason=cmd.reason, request_id=cmd.request_id, note=cmd.note,
    )


async def receive_units(conn: AsyncConnection, location_id: str, units: Mapping[str, int],
                        request_id: str, note: str,
                        reason: AdjustmentReason = AdjustmentReason.RECEIPT
                        ) -> dict[StockKey, StockLevel]:
    """Units arriving at a location (a transfer, a return) join its on_hand through the
    ledger; returns the levels of the rows they landed on, locked in key order."""
    keys = sorted((location_id, sku) for sku, count in units.items() if count)
    await repo.create_stock_rows(conn, keys)
    levels = await repo.lock_stock(conn, keys)
    changes = []
    for key in keys:
        after = replace(levels[key], on_hand=levels[key].on_hand + units[key[1]])
        changes.append(StockChange(MovementKind.ADJUSTMENT, after, on_hand_delta=units[key[1]],
                                   reason=reason, request_id=request_id, note=note))
        levels[key] = after
    await record_changes(conn, changes)
    return levels


async def set_safety_stock(
    conn: AsyncConnection, request_id: str, location_id: str, sku_id: str, units: int
) -> StockLevel:
    level = await _lock_one(conn, location_id, sku_id)
    if level.safety_stock == units:
        return level
    after = replace(level, safety_stock=units)
    await record_changes(conn, [StockChange(MovementKind.SAFETY_STOCK, after,
                                     safety_stock_delta=units - level.safety_stock,
                                     request_id=request_id)])
    return after


async def apply_stock_counts(conn: AsyncConnection, counts: Sequence[StockCount],
                             request_id: str, note: str = "") -> int:
    """Bring each counted level to its count, in the caller's transaction; returns the ledger
    entries written. Locations and SKUs must exist. Every row is locked, in key order as
    every writer locks them, until the transaction ends: the caller keeps ``counts`` short
    (services.inventory.load). A shelf counted for the first time is created with its count
    in one write, not created empty and then changed (a quarter off a chain's first load)."""
    ordered = sorted(counts, key=lambda c: c.key)
    levels = await repo.lock_stock(conn, [c.key for c in ordered], bulk=True)
    first = {c.key: count_changes(StockLevel(*c.key), c, request_id, note)
             for c in ordered if c.key not in levels}
    created = await repo.insert_new_levels(
        conn, [changes[-1].after if changes else StockLevel(*key)
               for key, changes in first.items()])
    if len(created) < len(first):  # another writer created some first: change them as such
        levels |= await repo.lock_stock(conn, first.keys() - created, bulk=True)
    changes = [change for c in ordered for change in (
        first[c.key] if c.key in created else count_changes(levels[c.key], c, request_id, note))]
    if changes:
        await record_changes(conn, changes, inserted=created, bulk=True)
    return len(changes)


async def load_reservation(conn: AsyncConnection, reservation_id: str, *, lock: bool,
                           access: Access = SYSTEM_ACCESS) -> Reservation:
    """The reservation, if the caller may touch it: a till only its own store's."""
    reservation = await repo.load_reservation(conn, reservation_id, lock=lock)
    if reservation is None:
        raise NotFound("reservation", reservation_id)
    access.require_location({line.location_id for line in reservation.lines}, "reservation_id")
    return reservation


async def reservation_to_change(conn: AsyncConnection, reservation_id: str, access: Access
                    ) -> Reservation:
    """The reservation, locked, for a change: a caller's own call (a till's, head office's)
    may not move what an order or a stock transfer holds (their own steps call with
    SYSTEM_ACCESS)."""
    reservation = await load_reservation(conn, reservation_id, lock=True, access=access)
    if access is not SYSTEM_ACCESS:
        require_unheld(reservation)
    return reservation


async def commit_reservation(
    conn: AsyncConnection, request_id: str, reservation_id: str, lines: list[LineRequest],
    access: Access = SYSTEM_ACCESS,
) -> Reservation:
    """Sell reserved units. The row lock and the database clock make a commit racing
    the expiry sweeper end in exactly one of the two."""
    reservation = await reservation_to_change(conn, reservation_id, access)
    ensure_active(reservation, await repo.db_now(conn))
    sold = commit_quantities(reservation, lines)
    levels = await repo.lock_stock(conn, [line.key for line in reservation.lines])
    # units sold leave the shelf; the rest of a partial commit go back (RELEASE)
    await record_changes(conn, close_changes(reservation, sold, levels, MovementKind.RELEASE,
                                             request_id))
    await repo.close_reservation(conn, reservation, ReservationState.COMMITTED, sold)
    return reservation


async def release_reservation(conn: AsyncConnection, request_id: str, reservation_id: str,
                              access: Access = SYSTEM_ACCESS) -> Reservation:
    reservation = await reservation_to_change(conn, reservation_id, access)
    ensure_active(reservation, await repo.db_now(conn))
    await give_back_locked(conn, [reservation], ReservationState.RELEASED, [request_id])
    return reservation


async def give_back_locked(conn: AsyncConnection, reservations: Sequence[Reservation],
                           state: ReservationState, request_ids: Sequence[str | None]) -> None:
    """Give back every unit of locked ACTIVE reservations, released or expired, expired or
    not (a cancelled order releases what it holds even if the expiry sweeper has not been by
    yet). A handful of statements however many: the sweepers close hundreds at a time."""
    if not reservations:
        return
    levels = await repo.lock_stock(conn, [ln.key for r in reservations for ln in r.lines])
    kind = MovementKind.EXPIRE if state is ReservationState.EXPIRED else MovementKind.RELEASE
    changes: list[StockChange] = []
    for reservation, request_id in zip(reservations, request_ids, strict=True):
        closing = close_changes(reservation, [0] * len(reservation.lines), levels, kind,
                                request_id)
        levels.update((change.after.key, change.after) for change in closing)
        changes += closing
    await record_changes(conn, changes)
    await repo.close_unsold(conn, reservations, state)


async def give_back_active(conn: AsyncConnection, notes: Mapping[str, str | None],
                           state: ReservationState = ReservationState.RELEASED) -> None:
    """Give back what the still ACTIVE ones of these reservations hold (id -> the request
    id their ledger entries carry), locked in id order: an order or a stock transfer calling
    off holds that the expiry sweep may have closed already."""
    held = [r for r in await repo.load_reservations(conn, sorted(notes), lock=True)
            if r.state is ReservationState.ACTIVE]
    await give_back_locked(conn, held, state, [notes[r.reservation_id] for r in held])


async def extend_reservation(conn: AsyncConnection, reservation_id: str, ttl_s: int,
                             access: Access = SYSTEM_ACCESS) -> Reservation:
    reservation = await reservation_to_change(conn, reservation_id, access)
    ensure_active(reservation, await repo.db_now(conn))
    await repo.extend_reservation(conn, reservation, ttl_s)
    return reservation


async def expire_due(conn: AsyncConnection, limit: int = 200) -> int:
    """Expire ACTIVE reservations past their time; returns how many."""
    ids = await repo.lock_expired_reservations(conn, limit)
    expired = await repo.load_reservations(conn, ids)  # locked just now
    await give_back_locked(conn, expired, ReservationState.EXPIRED, [None] * len(expired))
    after_commit(partial(metrics.RESERVATIONS.labels("expired").inc, len(ids)))
    return len(ids)


async def availability(
    conn: AsyncConnection, query: AvailabilityQuery, max_entries: int
) -> list[tuple[StockLevel, float, datetime | None, SaleStatus]]:
    """(level, distance_km, reopening, the SKU's sale status) per location and SKU: nearest
    first when asked near a point; the reopening is set for a location in a closed period
    now. More than ``max_entries`` of them (what one answer can carry) is refused, naming
    what to narrow, before any stock is read."""
    if query.near is None:  # read once: whether each exists, and its closed periods
        found = await repo.get_locations(conn, query.location_ids)
        if missing := set(query.location_ids) - found.keys():
            raise NotFound("location", missing)
        located = [(found[loc_id], 0.0) for loc_id in query.location_ids]
    else:
        lat, lng, radius = query.near
        nearby = []
        for loc in await repo.locations_in_box(conn, bounding_box(lat, lng, radius)):
            distance = haversine_km(lat, lng, loc.latitude, loc.longitude)
            if distance <= radius:
                nearby.append((distance, loc.location_id, loc))
        located = [(loc, d) for d, _, loc in sorted(nearby, key=lambda n: n[:2])]
    skus = await repo.get_skus(conn, query.sku_ids)
    if missing_skus := set(query.sku_ids) - skus.keys():
        raise NotFound("sku", missing_skus)
    now = datetime.now(UTC)
    ordered = [(loc.location_id, d, _reopening(loc, now)) for loc, d in located]
    entries = len(ordered) * len(query.sku_ids)
    if entries > max_entries:
        raise InvalidArgument([FieldViolation(
            "near.radius_km" if query.near else "locations.location_ids",
            f"{len(ordered):,} locations x {len(query.sku_ids):,} SKUs is {entries:,} answers; "
            f"one reply holds at most {max_entries:,}: narrow the "
            f"{'radius' if query.near else 'locations'}, or ask for fewer SKUs")])
    keys = [(loc_id, sku) for loc_id, _, _ in ordered for sku in query.sku_ids]
    levels = await repo.read_stock(conn, keys)
    return [
        (levels.get((loc_id, sku)) or StockLevel(loc_id, sku), distance, reopens,
         skus[sku].sale_status)
        for loc_id, distance, reopens in ordered
        for sku in query.sku_ids
    ]


def _reopening(loc: Location, now: datetime) -> datetime | None:
    """When a location in a closed period now opens again; None when it is in none."""
    return loc.opens_at(now) if loc.in_closed_period(now) else None
