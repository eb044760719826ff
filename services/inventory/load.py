"""`onestock load DIR`: a chain's locations, SKUs and stock counts, from files into the live
catalogue and ledger, in one transaction.

The files are the catalogue's (services/inventory/files.py), which the simulator reads too,
plus a ``stock_counts`` file of counted on-hand units, so ops keep one folder per chain. A row
replaces its location or SKU, except for the columns its file leaves out: a file of prices
alone changes prices alone. Every row is checked before anything is written, and the load
lands whole or not at all: a bad row, or a count below the units reserved on that shelf,
stops it with the file, line and field. Each change to stock is a ledger entry (CYCLE_COUNT,
or SAFETY_STOCK); a count that matches the shelf writes none, and a row that matches the
catalogue is not written, so loading the same files twice changes nothing.
"""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncConnection

from services.access.context import Access, current_access
from services.access.principals import command_line
from services.common.database import command_engine
from services.common.errors import FailedPrecondition
from services.common.input_files import SUFFIXES, InputError, find
from services.common.uow import in_transaction
from services.inventory import files, handlers
from services.inventory import repository as repo
from services.inventory.catalogue import Location, Sku
from services.inventory.domain import StockCount, StockKey


@dataclass(frozen=True)
class Rows:
    """A file's rows of one kind: how many, and how many of them new or changed; the
    others matched the catalogue and were not written."""

    listed: int = 0
    new: int = 0
    changed: int = 0


@dataclass(frozen=True)
class Loaded:
    """What a load wrote: catalogue rows, shelves counted, ledger entries appended."""

    locations: Rows
    skus: Rows
    counts: int
    entries: int
    request_id: str


def _unheard(units: int) -> None:
    pass


@dataclass(frozen=True)
class Progress:
    """Who hears how far a load has got, in its two long steps: stock-count rows read and
    checked, then shelves brought to their count. A chain's millions of counts take minutes."""

    checked: Callable[[int], None] = _unheard
    counted: Callable[[int], None] = _unheard


@dataclass(frozen=True)
class ChainFiles:
    """A folder's files, every row checked; ``counts`` keeps each count's line."""

    locations: list[Location]
    skus: dict[str, Sku]
    counts: dict[StockKey, tuple[int, StockCount]]
    counts_path: Path | None


def read_chain(directory: Path, current_locations: Mapping[str, Location],
               current_skus: Mapping[str, Sku], progress: Progress = Progress()) -> ChainFiles:
    """Read and check the files against the catalogue as it is: a row replacing a location or
    SKU keeps what its file's columns leave out, and counts may name those loaded before."""
    if not directory.is_dir():
        raise InputError(directory, None, "directory", "is not a folder")
    found = {stem: find(directory, stem, required=False)
             for stem in ("locations", "skus", "stock_counts")}
    if not any(found.values()):
        raise InputError(directory, None, "files",
                         "no locations, skus or stock_counts file (.csv or .parquet) here")
    locations = (files.load_locations(found["locations"], None, current_locations)
                 if found["locations"] else [])
    skus = files.load_skus(found["skus"], None, current_skus) if found["skus"] else {}
    counts = files.load_counts(
        found["stock_counts"], current_locations.keys() | {loc.location_id for loc in locations},
        current_skus.keys() | set(skus), progress.checked) if found["stock_counts"] else {}
    return ChainFiles(locations, skus, counts, found["stock_counts"])


async def load_chain(conn: AsyncConnection, directory: Path, request_id: str,
                     progress: Progress = Progress()) -> Loaded:
    """Check every file in ``directory``, then write what differs in ``conn``'s transaction.

    Rows that match the catalogue are not written: their update times stay, and servers
    rebuild their chain index only when a location did change."""
    current_locations = {loc.location_id: loc for loc in await repo.all_locations(conn)}
    current_skus = {sku.sku_id: sku for sku in await repo.all_skus(conn)}
    chain = await asyncio.to_thread(read_chain, directory, current_locations, current_skus,
                                    progress)
    locations, location_rows = _to_write(chain.locations, current_locations,
                                         lambda loc: loc.location_id)
    if locations:
        await repo.upsert_locations(conn, locations)
    skus, sku_rows = _to_write(chain.skus.values(), current_skus, lambda sku: sku.sku_id)
    if skus:
        await repo.upsert_skus(conn, skus)
    counts = chain.counts
    try:
        entries = await handlers.apply_stock_counts(
            conn, [count for _, count in counts.values()], request_id,
            note=f"stock count from {chain.counts_path.name}" if counts else "",
            counted=progress.counted)
    except FailedPrecondition as refused:  # a count below the units reserved on a shelf
        key = (refused.metadata["location_id"], refused.metadata["sku_id"])
        raise InputError(chain.counts_path, counts[key][0], "on_hand",
                         refused.message) from None
    return Loaded(location_rows, sku_rows, len(counts), entries, request_id)


def _to_write(listed: Collection, current: Mapping, key) -> tuple[list, Rows]:
    """The rows that differ from the catalogue's, and the tally of new and changed ones."""
    differing = [row for row in listed if current.get(key(row)) != row]
    new = sum(1 for row in differing if key(row) not in current)
    return differing, Rows(len(listed), new, len(differing) - new)


class _DryRun(Exception):
    """Leaves the transaction with what it would have written, rolling it all back."""

    def __init__(self, loaded: Loaded):
        self.loaded = loaded


class _Bars:
    """A load's progress on stderr while it is a terminal (tqdm stays silent on a file or a
    pipe, a night job's log): stock-count rows checked, then shelves counted, of as many.
    A load retried whole (after a deadlock) starts its bars again."""

    def __init__(self, shown: bool):
        from tqdm import tqdm

        self._bar = partial(tqdm, unit_scale=True, disable=None if shown else True,
                            file=sys.stderr, leave=False, dynamic_ncols=True)
        self._checking = self._counting = None

    def start(self) -> Progress:
        self.close()
        self._checking, self._counting = self._bar(desc="checking stock counts", unit=" rows"), None
        return Progress(self._checking.update, self._counted)

    def _counted(self, shelves: int) -> None:
        if self._counting is None:
            self._checking.close()
            self._counting = self._bar(desc="counting shelves", unit=" shelves",
                                       total=self._checking.n)
        self._counting.update(shelves)

    def close(self) -> None:
        for bar in (self._checking, self._counting):
            if bar is not None:
                bar.close()


def run(url: str, directory: str, *, dry_run: bool = False, progress: bool = True) -> int:
    """The command: load, print what was written, exit 0; or name the bad row and exit 2.
    A dry run does all of it, the checks against the database included, then rolls back."""
    request_id = f"load-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    bars = _Bars(progress)

    async def work(conn: AsyncConnection) -> Loaded:
        loaded = await load_chain(conn, Path(directory), request_id, bars.start())
        if dry_run:
            raise _DryRun(loaded)
        return loaded

    async def load() -> Loaded:
        current_access.set(Access(command_line(login(), "load")))  # the ledger's actor
        async with command_engine(url) as engine:
            try:
                return await in_transaction(engine, work)
            except _DryRun as rolled_back:
                return rolled_back.loaded

    try:
        try:
            loaded = asyncio.run(load())
        finally:
            bars.close()  # before anything else is printed
    except InputError as error:
        print(f"onestock load: {error} (nothing was loaded)", file=sys.stderr)
        return 2
    print(f"{'would load' if dry_run else 'loaded'} {directory}: "
          f"{_listed(loaded.locations, 'location')}, {_listed(loaded.skus, 'SKU')}, "
          f"{_many(loaded.counts, 'stock count')}; "
          f"{_many(loaded.entries, 'ledger entry', 'ledger entries')} "
          + ("(dry run: nothing was written)" if dry_run else f"(request_id {loaded.request_id})"))
    if not loaded.counts and any((Path(directory) / f"stock{suffix}").exists()
                                 for suffix in SUFFIXES):
        print("note: the stock file (units online orders may take, for the simulator) is not loaded; "
              "counted on-hand units go in stock_counts.csv", file=sys.stderr)
    return 0


def login() -> str:
    """The login of whoever runs the command ("unknown" where the system names none)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container user without a passwd entry
        return "unknown"


def _listed(rows: Rows, one: str) -> str:
    return f"{_many(rows.listed, one)} ({rows.new:,} new, {rows.changed:,} changed)"


def _many(n: int, one: str, more: str = "") -> str:
    return f"{n:,} {one if n == 1 else more or one + 's'}"
