"""What a simulation replays: a chain, its stock at the start, and a stream of orders.

Plain values, built by the file loaders (``files``), the seeded generator
(``synthetic``) or a snapshot of the live database (``snapshot``), and read by
the pure replay (``replay``). A scenario is described by a ``ScenarioSpec``,
small and picklable, so that sweep workers (local processes or a Ray cluster)
build their own copy instead of shipping millions of orders around.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from services.common.ranges import END_OF_TIMES, FIRST_TIME, Range
from services.inventory.catalogue import DEFAULT_TIME_ZONE, Location, Sku
from services.routing.model import RouteRequest


class SimOrder(NamedTuple):
    """One order of the stream: who placed it and what routing is asked. (A NamedTuple, as
    the order lines are: a synthetic stream builds one per order as the replay walks it.)"""

    order_id: str
    member_id: str
    request: RouteRequest

    @property
    def placed_at(self) -> datetime:
        return self.request.placed_at


@dataclass(frozen=True, slots=True)
class Replenishment:
    """Units a location receives at a moment (a delivery from the supplier, a stock count)."""

    at: datetime
    location_id: str
    sku_id: str
    units: int


@dataclass(frozen=True, slots=True)
class HeadOfficeMove:
    """Units head office moves from one location to another (a transfer it decided on, as
    `onestock rebalance` suggests). They leave the source at ``at`` (None: when the replay
    starts), as many as it has then, and reach the destination after the policy's lead time
    for a transfer that far."""

    at: datetime | None
    source_id: str
    destination_id: str
    sku_id: str
    units: int


@dataclass
class Scenario:
    name: str
    locations: list[Location]
    skus: dict[str, Sku]
    # location -> SKU -> units online orders may take at the start (safety stock excluded)
    stock: dict[str, dict[str, int]]
    orders: Sequence[SimOrder]  # in time order
    replenishments: list[Replenishment] = field(default_factory=list)  # in time order
    # Transfers ship in whole cases: the units beyond what the order needs land in the
    # destination's stock when the transfer arrives (1: exactly what the order needs).
    transfer_case_units: int = 1
    time_zone: str = DEFAULT_TIME_ZONE  # the chain's local time, for hour-of-day figures
    skipped: Counter = field(default_factory=Counter)  # bad rows skipped, by file and field
    moves: list[HeadOfficeMove] = field(default_factory=list)  # those with no time first

    def summary(self) -> dict:
        """What the report says about the scenario it replayed."""
        first = self.orders[0].placed_at.isoformat() if len(self.orders) else "-"
        last = self.orders[-1].placed_at.isoformat() if len(self.orders) else "-"
        return {"name": self.name, "orders": len(self.orders), "first_order": first,
                "last_order": last, "locations": len(self.locations), "skus": len(self.skus),
                "stock_units": sum(sum(have.values()) for have in self.stock.values()),
                "replenishments": len(self.replenishments),
                "head_office_moves": len(self.moves),
                "transfer_case_units": self.transfer_case_units, "time_zone": self.time_zone,
                "skipped_rows": dict(sorted(self.skipped.items()))}

    def copy_stock(self) -> dict[str, dict[str, int]]:
        """A private copy for one replay: every policy starts from the same shelves."""
        return {loc: dict(have) for loc, have in self.stock.items()}


# What a scenario may ask for, from the command line and from RunSimulation alike.
LOCATIONS_RANGE = Range(25, 20_000)
SKUS_RANGE = Range(1, 200_000)
DAYS_RANGE = Range(1, 31)
CASE_UNITS_RANGE = Range(1, 1_000)
SEED_RANGE = Range(0, 2**63 - 1)  # numpy's generators refuse a negative seed
# Synthetic days and the timestamps in files: order times the routing core can plan for.
START_RANGE = Range(FIRST_TIME.date(), END_OF_TIMES.date() - timedelta(days=1))


def start_date(text: str) -> date:
    """A synthetic stream's first day, written YYYY-MM-DD, within START_RANGE: the one check
    of the command line's --start and RunSimulation's start_date."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError("must be a date, YYYY-MM-DD") from None
    if day not in START_RANGE:
        raise ValueError(f"must be {START_RANGE}")
    return day


@dataclass(frozen=True)
class SyntheticChainSpec:
    locations: int = 3_000
    skus: int = 20_000
    seed: int = 7


@dataclass(frozen=True)
class SyntheticOrdersSpec:
    orders: int = 100_000
    days: int = 1
    start: date = date(2026, 11, 23)  # local date of the first day
    seed: int = 11


@dataclass(frozen=True)
class ScenarioSpec:
    """How to build a scenario: a chain from files or from the generator, orders likewise.

    ``chain_dir`` holds locations, skus and stock files (CSV or Parquet, see
    docs/simulation.md); ``orders_file``, ``replenishment_file`` and ``moves_file`` are
    optional and default to ``orders.*``, ``replenishment.*`` and ``moves.*`` beside them.
    """

    chain_dir: str | None = None
    synthetic_chain: SyntheticChainSpec | None = None
    orders_file: str | None = None
    synthetic_orders: SyntheticOrdersSpec | None = None
    replenishment_file: str | None = None
    moves_file: str | None = None
    transfer_case_units: int = 1
    skip_bad_rows: bool = False
    name: str = ""

    def label(self) -> str:
        if self.name:
            return self.name
        if self.chain_dir:
            return Path(self.chain_dir).name
        return "synthetic"


def local_time_zone(locations: Iterable[Location]) -> str:
    """The time zone most of the chain's stores keep."""
    zones = Counter(loc.time_zone for loc in locations)
    return zones.most_common(1)[0][0] if zones else DEFAULT_TIME_ZONE
