"""What routing takes and gives: an order to place, and a plan that explains itself.

The request and what a plan is made of (order lines, transfers, shipments, trace
entries) are NamedTuples: immutable and comparable like frozen dataclasses, but
three times cheaper to build, and the simulator builds several per order,
millions of orders a run. (A variant of one is made with ``_replace``.)
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import NamedTuple


class Mode(enum.StrEnum):
    PICKUP = "PICKUP"
    SAME_CITY_DELIVERY = "SAME_CITY_DELIVERY"
    AUTO = "AUTO"


class Reason(enum.StrEnum):
    """Why a candidate location was not chosen (or, for CLOSED, what delays it)."""

    OUT_OF_RADIUS = "OUT_OF_RADIUS"  # beyond the pickup radius or its own delivery radius
    NOT_IN_CITY = "NOT_IN_CITY"  # same-city delivery from another city
    NO_CAPABILITY = "NO_CAPABILITY"  # no pickup counter / no couriers / may not ship transfers
    NO_ROAD_ROUTE = "NO_ROAD_ROUTE"  # the road-distance provider found no road to the customer
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"  # lacks some lines (see short_skus)
    CLOSED = "CLOSED"  # closed when the order arrived: starts at opens_at (not a rejection)
    TEMPORARILY_CLOSED = "TEMPORARILY_CLOSED"  # in a closed period: reopens at opens_at
    FARTHER = "FARTHER"  # could serve, but a nearer or better-scored location was chosen
    TOO_FAR_FOR_TRANSFER = "TOO_FAR_FOR_TRANSFER"  # beyond the policy's last transfer band


# location_id -> sku_id -> units an online order may take (safety stock already excluded)
StockView = Mapping[str, Mapping[str, int]]


class OrderLine(NamedTuple):
    sku_id: str
    quantity: int


class RouteRequest(NamedTuple):
    lines: tuple[OrderLine, ...]
    latitude: float
    longitude: float
    city: str
    mode: Mode
    placed_at: datetime  # UTC
    pickup_location_id: str | None = None
    # Kilometres by road between the customer and the locations near them, measured by a
    # road-distance provider before routing (math.inf: no road); None: great-circle km.
    # A location left out of it is measured great-circle.
    road_km: Mapping[str, float] | None = None

    @property
    def by_road(self) -> bool:
        return self.road_km is not None


class Transfer(NamedTuple):
    """Stock moved from a source to the fulfilling store before it can serve (门店调拨)."""

    source_id: str
    destination_id: str
    lines: tuple[OrderLine, ...]
    distance_km: float
    same_city: bool
    cost_minor: int
    arrive_at: datetime


class Shipment(NamedTuple):
    """One fulfilment group: a store hands these lines to the customer or to a courier."""

    mode: Mode  # PICKUP or SAME_CITY_DELIVERY
    location_id: str
    lines: tuple[OrderLine, ...]  # every unit this group hands over, transferred ones included
    distance_km: float  # store to customer
    fee_minor: int  # courier fee charged to the customer
    prep_start: datetime  # when the store starts picking (its opening, if it was closed)
    ready_at: datetime  # pickup: ready at the counter; delivery: at the customer's door
    transfers: tuple[Transfer, ...] = ()


class Considered(NamedTuple):
    """One line of a plan's trace: a location, its role, and the verdict on it.
    (A NamedTuple: a plan's trace has hundreds of them, built when the trace is read.)"""

    location_id: str
    role: str  # "pickup", "delivery" or "transfer_source"
    distance_km: float
    chosen: bool
    reasons: tuple[Reason, ...] = ()
    short_skus: tuple[str, ...] = ()
    opens_at: datetime | None = None


@dataclass(eq=False)
class Plan:
    """The routing core's answer. Treated as a value, but not a frozen dataclass: building
    one costs three times as much frozen, and the core builds one or two per order."""

    mode: Mode  # PICKUP or SAME_CITY_DELIVERY; the requested mode when nothing is feasible
    shipments: tuple[Shipment, ...]
    score: float
    unfillable: tuple[str, ...] = ()  # why nothing could be planned, when it could not
    label: str = ""  # e.g. "pickup", "pickup after transfer", "split delivery"
    # Builds the trace on first read: the simulator routes millions of orders and reads
    # none of them, the server reads every one.
    trace_builder: Callable[[], tuple[Considered, ...]] | None = field(default=None, repr=False)

    @cached_property
    def trace(self) -> tuple[Considered, ...]:
        """Every location considered, its role, and the verdict on it."""
        return self.trace_builder() if self.trace_builder else ()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Plan):
            return NotImplemented
        return (self.mode, self.shipments, self.score, self.unfillable, self.label, self.trace) == (
            other.mode, other.shipments, other.score, other.unfillable, other.label, other.trace)

    __hash__ = None  # type: ignore[assignment]

    @property
    def feasible(self) -> bool:
        return bool(self.shipments)

    @property
    def delivery_fee_minor(self) -> int:
        return sum(s.fee_minor for s in self.shipments)

    @property
    def transfer_cost_minor(self) -> int:
        return sum(t.cost_minor for s in self.shipments for t in s.transfers)

    @property
    def ready_at(self) -> datetime | None:
        shipments = self.shipments
        if len(shipments) == 1:  # most plans: no generator (the replay asks once per order)
            return shipments[0].ready_at
        return max((s.ready_at for s in shipments), default=None)

    def units_taken(self) -> dict[tuple[str, str], int]:
        """Units each (location, SKU) gives up: shipped from stock or sent as a transfer."""
        taken: dict[tuple[str, str], int] = {}
        for shipment in self.shipments:
            arriving: dict[str, int] = {}
            for transfer in shipment.transfers:
                for line in transfer.lines:
                    key = (transfer.source_id, line.sku_id)
                    taken[key] = taken.get(key, 0) + line.quantity
                    arriving[line.sku_id] = arriving.get(line.sku_id, 0) + line.quantity
            for line in shipment.lines:
                own = line.quantity - arriving.get(line.sku_id, 0)
                if own:
                    key = (shipment.location_id, line.sku_id)
                    taken[key] = taken.get(key, 0) + own
        return taken


@dataclass
class Quote:
    """Every feasible option, per mode, for the mini-program to show."""

    pickup: list[Plan] = field(default_factory=list)
    delivery: list[Plan] = field(default_factory=list)
    transfer: list[Plan] = field(default_factory=list)
