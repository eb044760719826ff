"""The one-stock ledger's rules, with no I/O: what is available, who gets units, what may change.

Repositories load stock levels and reservations, these functions decide, and
the repositories write the outcome. The same functions serve the gRPC server,
the tests and any simulator, so a rule lives here exactly once.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from services.common.errors import (
    FailedPrecondition,
    FieldViolation,
    InsufficientStock,
    InvalidArgument,
    ResourceExhausted,
    Shortfall,
)
from services.inventory.catalogue import SaleStatus, SaleTerms

StockKey = tuple[str, str]  # (location_id, sku_id)


class Channel(enum.StrEnum):
    MINI_PROGRAM = "MINI_PROGRAM"
    POS = "POS"
    OPS = "OPS"

    @property
    def may_use_safety_stock(self) -> bool:
        """Only counter sales dip into safety stock: it exists for walk-in customers."""
        return self is not Channel.MINI_PROGRAM


def sold_through(status: SaleStatus, channel: Channel) -> bool:
    """The mall sells only what is on sale everywhere; a till and head office also sell
    what was taken off the mall."""
    return status.sold_online if channel is Channel.MINI_PROGRAM else status.sold_in_stores


def require_on_sale(sku_ids: Iterable[str], terms: Mapping[str, SaleTerms], channel: Channel,
                    field: str) -> None:
    """FAILED_PRECONDITION SKU_NOT_ON_SALE naming every SKU ``channel`` may not sell now.
    SKUs missing from ``terms`` are left to the caller's NOT_FOUND."""
    off = {sku: terms[sku].sale_status for sku in sku_ids
           if sku in terms and not sold_through(terms[sku].sale_status, channel)}
    if off:
        listed = ", ".join(f"{sku} ({status})" for sku, status in sorted(off.items()))
        raise FailedPrecondition(
            f"not on sale through {channel}: {listed} ({field})", reason="SKU_NOT_ON_SALE",
            metadata={"field": field, "sku_ids": ",".join(sorted(off)), "channel": channel})


class ReservationState(enum.StrEnum):
    ACTIVE = "ACTIVE"
    COMMITTED = "COMMITTED"
    RELEASED = "RELEASED"
    EXPIRED = "EXPIRED"


class MovementKind(enum.StrEnum):
    ADJUSTMENT = "ADJUSTMENT"
    RESERVE = "RESERVE"
    COMMIT = "COMMIT"
    RELEASE = "RELEASE"
    EXPIRE = "EXPIRE"
    SAFETY_STOCK = "SAFETY_STOCK"


class AdjustmentReason(enum.StrEnum):
    RECEIPT = "RECEIPT"
    CYCLE_COUNT = "CYCLE_COUNT"
    DAMAGE = "DAMAGE"
    CORRECTION = "CORRECTION"
    RETURN = "RETURN"


@dataclass(frozen=True, slots=True)
class StockLevel:
    """Units of one SKU at one location. Invariant: 0 <= reserved <= on_hand."""

    location_id: str
    sku_id: str
    on_hand: int = 0
    reserved: int = 0
    safety_stock: int = 0

    @property
    def key(self) -> StockKey:
        return (self.location_id, self.sku_id)

    @property
    def available_online(self) -> int:
        return max(0, self.on_hand - self.reserved - self.safety_stock)

    @property
    def available_pos(self) -> int:
        return self.on_hand - self.reserved

    def available_for(self, channel: Channel) -> int:
        return self.available_pos if channel.may_use_safety_stock else self.available_online


@dataclass(frozen=True, slots=True)
class StockChange:
    """One ledger entry's worth of change to a stock level, and the level after it."""

    kind: MovementKind
    after: StockLevel
    on_hand_delta: int = 0
    reserved_delta: int = 0
    safety_stock_delta: int = 0
    reason: AdjustmentReason | None = None
    reservation_id: str | None = None
    request_id: str | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class LineRequest:
    location_id: str
    sku_id: str
    quantity: int

    @property
    def key(self) -> StockKey:
        return (self.location_id, self.sku_id)


@dataclass(frozen=True, slots=True)
class ReserveCommand:
    request_id: str
    channel: Channel
    reference: str
    lines: tuple[LineRequest, ...]
    ttl_s: int
    member_id: str = ""  # the member the units are held for; the hold limit applies
    actor: str = ""  # principal id recorded on the reservation and its ledger entries


@dataclass(slots=True)
class ReservationLine:
    location_id: str
    sku_id: str
    quantity: int
    committed_quantity: int = 0

    @property
    def key(self) -> StockKey:
        return (self.location_id, self.sku_id)


@dataclass(slots=True)
class Reservation:
    reservation_id: str
    channel: Channel
    reference: str
    state: ReservationState
    lines: list[ReservationLine]
    create_time: datetime
    expire_time: datetime
    close_time: datetime | None = None
    member_id: str = ""
    request_id: str = ""  # "order:..." or "transfer:..." for the holds those keep

    def is_expired(self, now: datetime) -> bool:
        return self.state is ReservationState.ACTIVE and self.expire_time <= now


# --- who gets units ------------------------------------------------------


def shortfalls_of(
    lines: Iterable[LineRequest], levels: Mapping[StockKey, StockLevel], channel: Channel
) -> list[Shortfall]:
    """Every line the levels cannot serve in full, in the order asked."""
    short = []
    for line in lines:
        level = levels.get(line.key) or StockLevel(*line.key)
        available = level.available_for(channel)
        if line.quantity > available:
            short.append(Shortfall(line.location_id, line.sku_id, line.quantity, available))
    return short


@dataclass
class BatchAllocation:
    """Outcome of serving a batch of reservations against one snapshot of stock."""

    # index of each granted command -> the level after each of its lines, in line order
    granted: dict[int, list[StockLevel]] = field(default_factory=dict)
    refused: dict[int, InsufficientStock] = field(default_factory=dict)  # index -> why
    levels: dict[StockKey, StockLevel] = field(default_factory=dict)  # every level after

    def changed_levels(self, before: Mapping[StockKey, StockLevel]) -> list[StockLevel]:
        return [lv for key, lv in self.levels.items() if before.get(key) != lv]


def allocate_batch(
    commands: Sequence[ReserveCommand], levels: Mapping[StockKey, StockLevel]
) -> BatchAllocation:
    """Serve commands first come, first served, each all lines or none.

    This is what lets concurrent ReserveStock calls for one hot row share a
    single transaction: the row is read once, every request is decided here in
    arrival order, and one UPDATE writes the result.
    """
    result = BatchAllocation(levels=dict(levels))
    for index, command in enumerate(commands):
        short = shortfalls_of(command.lines, result.levels, command.channel)
        if short:
            result.refused[index] = InsufficientStock(short)
            continue
        afters = []
        for line in command.lines:
            level = result.levels.get(line.key) or StockLevel(*line.key)
            level = replace(level, reserved=level.reserved + line.quantity)
            result.levels[line.key] = level
            afters.append(level)
        result.granted[index] = afters
    return result


MemberSku = tuple[str, str]  # (member_id, sku_id)


class HoldLimitExceeded(ResourceExhausted):
    """One member would hold more units of a SKU than a flash sale allows anyone to."""

    def __init__(self, member_id: str, over: list[tuple[str, int]], limit: int):
        self.over = over
        skus = ", ".join(f"{sku} ({units} units)" for sku, units in over)
        super().__init__(
            f"member {member_id} may hold at most {limit} units of one SKU at once: {skus} "
            "(member_id)", reason="MEMBER_HOLD_LIMIT",
            metadata={"member_id": member_id, "limit": limit, "skus": ",".join(s for s, _ in over)})


def refuse_over_hold_limit(commands: Sequence[ReserveCommand], held: Mapping[MemberSku, int],
                           limit: int) -> dict[int, HoldLimitExceeded]:
    """Which commands would take their member past ``limit`` units of one SKU, in order.

    ``held`` is what each member already holds in ACTIVE reservations. A command
    let through here counts against later ones even if it then finds no stock:
    the limit is never exceeded, at worst met early within one batch.
    """
    if limit <= 0:
        return {}
    running = dict(held)
    refused: dict[int, HoldLimitExceeded] = {}
    for index, command in enumerate(commands):
        if not command.member_id:
            continue
        wanted: dict[str, int] = {}
        for line in command.lines:
            wanted[line.sku_id] = wanted.get(line.sku_id, 0) + line.quantity
        totals = {sku: running.get((command.member_id, sku), 0) + q for sku, q in wanted.items()}
        over = sorted((sku, total) for sku, total in totals.items() if total > limit)
        if over:
            refused[index] = HoldLimitExceeded(command.member_id, over, limit)
            continue
        for sku, total in totals.items():
            running[(command.member_id, sku)] = total
    return refused


# --- what may change -----------------------------------------------------


def adjust_on_hand(
    level: StockLevel, *, delta: int | None = None, set_on_hand: int | None = None
) -> StockLevel:
    """The level after an adjustment; units held by reservations cannot vanish.

    A count below what is reserved means reservations promise units that are
    not there: the caller must release them first, so the refusal is explicit.
    """
    new_on_hand = level.on_hand + delta if delta is not None else set_on_hand
    if new_on_hand is None:
        raise ValueError("either delta or set_on_hand is required")
    if new_on_hand < level.reserved:
        raise FailedPrecondition(
            f"on_hand would be {new_on_hand} at {level.location_id}/{level.sku_id}, "
            f"below the {level.reserved} units reserved",
            reason="ON_HAND_BELOW_RESERVED",
            metadata={
                "location_id": level.location_id,
                "sku_id": level.sku_id,
                "on_hand_after": new_on_hand,
                "reserved": level.reserved,
            },
        )
    return replace(level, on_hand=new_on_hand)


@dataclass(frozen=True, slots=True)
class StockCount:
    """A counted shelf (盘点): ``on_hand`` units there, and the safety stock to keep
    (None: leave it as it is)."""

    location_id: str
    sku_id: str
    on_hand: int
    safety_stock: int | None = None

    @property
    def key(self) -> StockKey:
        return (self.location_id, self.sku_id)


def count_changes(level: StockLevel, count: StockCount, request_id: str,
                  note: str = "") -> list[StockChange]:
    """The ledger entries that bring ``level`` to ``count``: a CYCLE_COUNT adjustment and a
    SAFETY_STOCK entry, each only when it changes something, so that a count loaded twice
    writes nothing the second time. A count below the units reserved is refused, as any
    adjustment would be."""
    changes = []
    after = adjust_on_hand(level, set_on_hand=count.on_hand)
    if after.on_hand != level.on_hand:
        changes.append(StockChange(MovementKind.ADJUSTMENT, after,
                                   on_hand_delta=after.on_hand - level.on_hand,
                                   reason=AdjustmentReason.CYCLE_COUNT, request_id=request_id,
                                   note=note))
    if count.safety_stock is not None and count.safety_stock != level.safety_stock:
        before, after = after, replace(after, safety_stock=count.safety_stock)
        changes.append(StockChange(MovementKind.SAFETY_STOCK, after,
                                   safety_stock_delta=after.safety_stock - before.safety_stock,
                                   request_id=request_id, note=note))
    return changes


# The request ids an order's and a stock transfer's holds are made under, and what holds them.
HOLDERS = {"order:": "order", "transfer:": "stock transfer"}


def require_unheld(reservation: Reservation) -> None:
    """A hold an order or a stock transfer keeps moves only with that order's or transfer's
    own steps. Committed, released or extended through the calls a till makes, the order
    would hand over (or the transfer ship) units no longer held for it."""
    for prefix, holder in HOLDERS.items():
        if reservation.request_id.startswith(prefix):
            raise FailedPrecondition(
                f"reservation {reservation.reservation_id} is held for {holder} "
                f"{reservation.reference.removeprefix('transfer:')}: it moves only with that "
                f"{holder}'s own steps", reason="RESERVATION_HELD",
                metadata={"reservation_id": reservation.reservation_id, "holder": holder,
                          "reference": reservation.reference})


def ensure_active(reservation: Reservation, now: datetime) -> None:
    """A reservation can be committed, released or extended only while ACTIVE and unexpired."""
    if reservation.state is ReservationState.EXPIRED:
        raise reservation_expired(reservation)
    if reservation.state is not ReservationState.ACTIVE:
        raise FailedPrecondition(
            f"reservation {reservation.reservation_id} is {reservation.state.value}, not ACTIVE",
            reason="RESERVATION_NOT_ACTIVE",
            metadata={"reservation_id": reservation.reservation_id, "state": reservation.state},
        )
    if reservation.is_expired(now):
        raise reservation_expired(reservation)


def reservation_expired(reservation: Reservation) -> FailedPrecondition:
    return FailedPrecondition(
        f"reservation {reservation.reservation_id} expired at "
        f"{reservation.expire_time.isoformat()}",
        reason="RESERVATION_EXPIRED",
        metadata={
            "reservation_id": reservation.reservation_id,
            "expire_time": reservation.expire_time.isoformat(),
        },
    )


def commit_quantities(
    reservation: Reservation, requested: Sequence[LineRequest]
) -> list[int]:
    """Units to sell per reservation line; an empty request sells every line in full."""
    if not requested:
        return [line.quantity for line in reservation.lines]
    by_key = {line.key: i for i, line in enumerate(reservation.lines)}
    quantities = [0] * len(reservation.lines)
    violations = []
    for i, req in enumerate(requested):
        index = by_key.get(req.key)
        if index is None:
            violations.append(
                FieldViolation(f"lines[{i}]", f"{req.location_id}/{req.sku_id} is not on the reservation")
            )
        elif req.quantity > reservation.lines[index].quantity:
            violations.append(
                FieldViolation(
                    f"lines[{i}].quantity",
                    f"{req.quantity} exceeds the {reservation.lines[index].quantity} units reserved",
                )
            )
        else:
            quantities[index] = req.quantity
    if violations:
        raise InvalidArgument(violations)
    return quantities


def close_changes(
    reservation: Reservation,
    sold: Sequence[int],
    levels: Mapping[StockKey, StockLevel],
    closing_kind: MovementKind,
    request_id: str | None,
) -> list[StockChange]:
    """Ledger entries for closing a reservation: units sold leave the shelf, the rest go back.

    ``sold`` gives units sold per line (all zeros for a release or an expiry);
    ``closing_kind`` names why unsold units return (RELEASE or EXPIRE).
    """
    current = dict(levels)
    changes = []
    for line, units_sold in zip(reservation.lines, sold, strict=True):
        returned = line.quantity - units_sold
        level = current[line.key]
        if units_sold:
            level = replace(level, on_hand=level.on_hand - units_sold, reserved=level.reserved - units_sold)
            changes.append(
                StockChange(MovementKind.COMMIT, level, -units_sold, -units_sold,
                            reservation_id=reservation.reservation_id, request_id=request_id)
            )
        if returned:
            level = replace(level, reserved=level.reserved - returned)
            changes.append(
                StockChange(closing_kind, level, 0, -returned,
                            reservation_id=reservation.reservation_id, request_id=request_id)
            )
        current[line.key] = level
    return changes
