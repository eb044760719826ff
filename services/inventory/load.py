"""`onestock load DIR`: a chain's locations, SKUs and stock counts, from files into the live
catalogue and ledger.

The files are the catalogue's (services/inventory/files.py), which the simulator reads too,
plus a ``stock_counts`` file of counted on-hand units, so ops keep one folder per chain. A row
replaces its location or SKU, except for the columns its file leaves out: a file of prices
alone changes prices alone. Each change to stock is a ledger entry (CYCLE_COUNT, or
SAFETY_STOCK); a count that matches the shelf writes none, and a row that matches the
catalogue is not written, so loading the same files twice, while nothing has sold, changes
nothing.

A load first plans, reading alone (``plan_load``): every row checked, against the catalogue
and the shelves as they stand, so that a bad row or a count below the units reserved stops
it, with the file, line and field, before anything is written. A dry run stops there. Then
it writes (``write_plan``): the catalogue rows in one transaction, and the shelves that
differ a few thousand to a transaction. One transaction for a chain's millions of counts
would hold every counted shelf's lock until the last was written, minutes in which no till
or phone could reserve them; this way a shelf is held for about a second. A load stopped
partway (a reservation made during it, the process killed) leaves the shelves before that
point counted, and ``--resume`` with its request id counts the rest. Loading the folder
afresh instead would count again the shelves counted before, undoing what they sold since:
each load keeps a digest of its counts, and a fresh load of the same counts that would change
a shelf an earlier one counted is refused (CountsLoadedBefore) unless asked for (``recount``).
"""

from __future__ import annotations

import asyncio
import getpass
import hashlib
import re
import shlex
import sys
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.access.context import Access, current_access
from services.access.principals import command_line
from services.common.database import causes, command_engine, database_unavailable
from services.common.errors import FailedPrecondition
from services.common.idempotency import new_request_id
from services.common.input_files import SUFFIXES, InputError, find
from services.common.uow import as_of_one_moment, in_transaction
from services.inventory import files, handlers
from services.inventory import repository as repo
from services.inventory.catalogue import Location, Sku
from services.inventory.domain import StockCount, StockKey, StockLevel, count_changes


@dataclass(frozen=True)
class Rows:
    """A file's rows of one kind: how many, and how many of them new or changed; the
    others matched the catalogue and were not written."""

    listed: int = 0
    new: int = 0
    changed: int = 0


@dataclass(frozen=True)
class Loaded:
    """What a load wrote: catalogue rows, shelves counted, ledger entries appended; and, for
    a resumed load, how many of the counts the stopped load had dealt with."""

    locations: Rows
    skus: Rows
    counts: int
    entries: int
    request_id: str
    counted_before: int = 0


SHELVES_PER_TRANSACTION = 5_000  # each held locked for about a second (docs/inventory.md)
# What run() names a load: load-20261123T074154Z-3f9a1c (loads before the random part had none)
REQUEST_ID = re.compile(r"load-\d{8}T\d{6}Z(?:-[0-9a-f]{6})?")


def _unheard(units: int) -> None:
    pass


class Progress:
    """Who hears how far a load has got. A chain's millions of counts take minutes, in three
    steps: stock-count rows read and checked, shelves compared, shelves counted."""

    def stage(self, name: str, unit: str, total: int | None = None) -> Callable[[int], None]:
        """A step begins; what this returns hears of each part of it done."""
        return _unheard

    def writing(self, request_id: str, shelves: int) -> None:
        """The write step begins: from here on the load may stop partway."""


UNHEARD = Progress()


@dataclass(frozen=True)
class ChainFiles:
    """A folder's files, every row checked; ``counts`` keeps each count's line."""

    locations: list[Location]
    skus: dict[str, Sku]
    counts: dict[StockKey, tuple[int, StockCount]]
    counts_path: Path | None


def read_chain(directory: Path, current_locations: Mapping[str, Location],
               current_skus: Mapping[str, Sku], checked: Callable[[int], None] = _unheard,
               ) -> ChainFiles:
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
        current_skus.keys() | set(skus), checked) if found["stock_counts"] else {}
    return ChainFiles(locations, skus, counts, found["stock_counts"])


@dataclass(frozen=True)
class Plan:
    """What a load would write, found by reading alone: the catalogue rows and the counted
    shelves that differ (each count with its line, in key order), and the ledger entries
    those counts would write as the shelves stood."""

    locations: list[Location]
    skus: list[Sku]
    counts: list[tuple[int, StockCount]]
    counts_path: Path | None
    summary: Loaded
    resuming: Resuming | None = None
    counts_digest: str | None = None  # of every count listed (counts_digest())
    through: StockKey | None = None  # the last shelf listed, in key order
    recount: bool = False  # asked to count again counts loaded before
    known_loads: frozenset[str] = frozenset()  # earlier loads of the same counts, when planned


@dataclass(frozen=True)
class Resuming:
    """How far the stopped load that this one resumes had got: the last shelf it counted,
    in key order, and the shelves it counted in all."""

    last: StockKey
    shelves: int


def counts_digest(counts: Iterable[StockCount]) -> str:
    """What names a set of stock counts, whatever file or format they came in: a SHA-256 of
    every shelf and its figures, in the order given (key order, as loads give them)."""
    digest = hashlib.sha256()
    for count in counts:
        safety = "" if count.safety_stock is None else count.safety_stock
        digest.update(f"{count.location_id}\t{count.sku_id}\t{count.on_hand}\t{safety}\n"
                      .encode())
    return digest.hexdigest()


async def plan_load(conn: AsyncConnection, directory: Path, progress: Progress = UNHEARD,
                    *, resuming: Resuming | None = None, recount: bool = False) -> Plan:
    """Check every file in ``directory`` against the catalogue and the shelves as they stand
    in ``conn``'s snapshot, writing and locking nothing; a bad row, or a count below the
    units reserved, is an InputError naming it. Counts of shelves up to ``resuming.last``
    (in key order) are left out: the stopped load this one resumes counted them. A fresh load
    of counts loaded before, which would change a shelf counted then, is CountsLoadedBefore,
    unless ``recount``."""
    current_locations = {loc.location_id: loc for loc in await repo.all_locations(conn)}
    current_skus = {sku.sku_id: sku for sku in await repo.all_skus(conn)}
    chain = await asyncio.to_thread(read_chain, directory, current_locations, current_skus,
                                    progress.stage("checking stock counts", " rows"))
    locations, location_rows = _to_write(chain.locations, current_locations,
                                         lambda loc: loc.location_id)
    skus, sku_rows = _to_write(chain.skus.values(), current_skus, lambda sku: sku.sku_id)
    ordered = sorted(chain.counts.values(), key=lambda counted: counted[1].key)
    listed = len(ordered)
    digest = counts_digest(count for _, count in ordered) if ordered else None
    through = ordered[-1][1].key if ordered else None
    earlier = await repo.loads_of_counts(conn, digest) if digest else []
    if resuming is not None:
        ordered = [counted for counted in ordered if counted[1].key > resuming.last]
    compared = progress.stage("comparing with the shelves", " shelves", len(ordered))
    differing, entries = [], 0
    for part in _parts(ordered, SHELVES_PER_TRANSACTION):
        levels = await repo.read_stock(conn, [count.key for _, count in part], bulk=True)
        for line, count in part:
            level = levels.get(count.key) or StockLevel(*count.key)
            try:
                changes = count_changes(level, count, request_id="")
            except FailedPrecondition as refused:  # below the units reserved
                raise InputError(chain.counts_path, line, "on_hand", refused.message) from None
            if changes:
                differing.append((line, count))
                entries += len(changes)
        compared(len(part))
    if earlier and resuming is None and not recount:
        _refuse_counting_again(chain.counts_path, earlier, differing, through)
    return Plan(locations, skus, differing, chain.counts_path,
                Loaded(location_rows, sku_rows, listed, entries, request_id="",
                       counted_before=listed - len(ordered)), resuming,
                digest, through, recount, frozenset(load.request_id for load in earlier))


def _refuse_counting_again(path: Path, earlier: list[repo.CountsLoad],
                           differing: list[tuple[int, StockCount]], through: StockKey) -> None:
    """Counts loaded before may be loaded again while every shelf still matches them, which
    writes nothing; not to set a shelf that has sold or been stocked since back to its count,
    nor beside a load of them that has not reached the last shelf: it may be running still,
    and if it stopped, resuming it is the way to finish."""
    unfinished = [load for load in earlier if load.through < through]
    if unfinished:
        raise CountsLoadedBefore(path, unfinished[0], len(differing), finished=False)
    if differing:
        raise CountsLoadedBefore(path, earlier[0], len(differing), finished=True)


class PartlyLoaded(InputError):
    """A count refused while the load was writing (a reservation made since it checked the
    shelf): the ``shelves`` counted before it stay counted, with the catalogue rows.

    Here and below, ``shelves`` are those the load has counted under its request id, by
    this run and by those it resumed: when any were, it can be resumed."""

    def __init__(self, path: Path, line: int, problem: str, shelves: int):
        super().__init__(path, line, "on_hand", problem)
        self.shelves = shelves


class CountedByAnotherRun(Exception):
    """Another run under the same request id counted past where this one began (a load
    resumed twice at once): this one stopped, its part rolled back, so that no shelf is
    counted twice; the ``shelves`` counted before stay counted."""

    def __init__(self, shelves: int):
        super().__init__(f"another run under the same request id counted past this one "
                         f"({shelves:,} shelves counted)")
        self.shelves = shelves


class _NoteMoved(Exception):
    """The load's progress note was not where this run left it: see CountedByAnotherRun."""


class CountsLoadedBefore(Exception):
    """A fresh load of the very counts an earlier load (``earlier``) wrote: the night job
    that finds yesterday's file, the folder loaded again for its catalogue, a retry while
    the first try runs. ``finished``: that load counted every shelf, and ``changed`` of them
    have moved since, which a second load would set back; else it has not reached the last
    shelf, running still or stopped (--resume finishes it)."""

    def __init__(self, path: Path, earlier: repo.CountsLoad, changed: int, *, finished: bool):
        when = f"{earlier.update_time.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        if finished:
            problem = (
                f"these counts were loaded before, as {earlier.request_id} (by {earlier.actor}, "
                f"{when}), and {_many(changed, 'shelf', 'shelves')} counted then "
                f"{'has' if changed == 1 else 'have'} changed since: loading them again would "
                f"set {'it' if changed == 1 else 'those'} back to the counts, undoing what sold "
                "or arrived since")
        else:
            problem = (
                f"these counts are being loaded as {earlier.request_id} (by {earlier.actor}, "
                f"its last part written {when}), or were until it stopped partway: a second "
                "load of them would count its shelves again, undoing what sold in between")
        super().__init__(f"{path}: {problem}")
        self.earlier, self.changed, self.finished = earlier, changed, finished


class CountsLoadedMeanwhile(Exception):
    """Another load of the same counts (``other``) began counting shelves while this one was
    checking them (two fresh loads of one file at once): this one stopped before counting a
    shelf, so that none is counted twice."""

    def __init__(self, other: str):
        super().__init__(f"another load of these counts, {other}, began counting them while "
                         "this one was checking them")
        self.other = other


class LoadInterrupted(Exception):
    """The database stopped answering while the load was writing shelves: the ``shelves``
    counted before stay counted, with the catalogue rows. The cause is chained."""

    def __init__(self, shelves: int):
        super().__init__(f"the database stopped answering after {shelves:,} shelves")
        self.shelves = shelves


async def write_plan(engine: AsyncEngine, plan: Plan, request_id: str,
                     progress: Progress = UNHEARD,
                     shelves_per_transaction: int = SHELVES_PER_TRANSACTION) -> int:
    """Write what the plan found different: the catalogue rows in one transaction, then the
    shelves a part at a time, each counted against what it holds when locked (it may have
    sold since the plan). Returns the ledger entries written."""
    if plan.locations or plan.skus:
        await in_transaction(engine, partial(_write_catalogue, plan=plan))
    if plan.counts:
        progress.writing(request_id, len(plan.counts))
    elif plan.counts_digest is not None and plan.resuming is None:
        # every shelf matched its count: noted all the same, as the counts a later load of
        # the same file would set the shelves back to
        await in_transaction(engine, partial(
            repo.note_shelves_counted, load_request_id=request_id, last=plan.through,
            shelves=0, after=None, counts_digest=plan.counts_digest))
    counted = progress.stage("counting shelves", " shelves", len(plan.counts))
    entries, after, before = 0, None, 0
    if plan.resuming is not None:
        after, before = plan.resuming.last, plan.resuming.shelves
    parts = _parts(plan.counts, shelves_per_transaction)
    for done, part in enumerate(parts):
        counted_by_now = before + done * shelves_per_transaction
        counts = [count for _, count in part]
        # the last part notes the last shelf listed: every count is dealt with by then
        through = plan.through if done == len(parts) - 1 else counts[-1].key
        try:
            entries += await in_transaction(engine, partial(
                _count_part, plan=plan, counts=counts, request_id=request_id, after=after,
                through=through))
        except _NoteMoved:
            raise CountedByAnotherRun(counted_by_now) from None
        except FailedPrecondition as refused:
            key = (refused.metadata["location_id"], refused.metadata["sku_id"])
            line = next(line for line, count in part if count.key == key)
            raise PartlyLoaded(plan.counts_path, line, refused.message,
                               counted_by_now) from None
        except Exception as error:
            if not database_unavailable(error):
                raise
            raise LoadInterrupted(counted_by_now) from error
        counted(len(part))
        after = through
    return entries


async def _count_part(conn: AsyncConnection, plan: Plan, counts: list[StockCount],
                      request_id: str, after: StockKey | None, through: StockKey) -> int:
    """One part of the counts, and how far the load has got (up to ``through``), in one
    transaction. The note comes first: its row is the load's lock, so a second run under the
    same request id waits there, finds the note moved on, and stops before touching a shelf.
    A fresh load's first part first waits its turn among loads of the same counts, and stops
    if one of them began counting since this one planned."""
    if after is None and plan.counts_digest is not None and not plan.recount:
        await repo.hold_counts(conn, plan.counts_digest)
        for load in await repo.loads_of_counts(conn, plan.counts_digest):
            if load.request_id not in plan.known_loads and load.request_id != request_id:
                raise CountsLoadedMeanwhile(load.request_id)
    if not await repo.note_shelves_counted(conn, request_id, through, len(counts), after,
                                           plan.counts_digest):
        raise _NoteMoved
    return await handlers.apply_stock_counts(
        conn, counts, request_id=request_id, note=f"stock count from {plan.counts_path.name}")


async def _write_catalogue(conn: AsyncConnection, plan: Plan) -> None:
    if plan.locations:
        await repo.upsert_locations(conn, plan.locations)
    if plan.skus:
        await repo.upsert_skus(conn, plan.skus)


class NothingToResume(Exception):
    """``--resume`` named a load that has counted no shelf: resuming it would be a fresh
    load, which a mistyped request id must not start unasked."""

    def __init__(self, request_id: str):
        super().__init__(f"--resume: {request_id} has counted no shelf (it stopped before its "
                         "first part was written, or never ran): load the folder without "
                         "--resume")


async def load_chain(engine: AsyncEngine, directory: Path, request_id: str,
                     progress: Progress = UNHEARD, *, dry_run: bool = False, resume: bool = False,
                     recount: bool = False,
                     shelves_per_transaction: int = SHELVES_PER_TRANSACTION) -> Loaded:
    """Plan, then write unless this is a dry run; what was (or would be) written. With
    ``resume``, ``request_id`` is a load stopped partway, and this one counts the shelves
    after the last it counted, under the same request id. With ``recount``, counts loaded
    before are counted again, whatever has sold since.

    Rows that match the catalogue are not written: their update times stay, and servers
    rebuild their chain index only when a location did change."""
    async with engine.connect() as conn:
        await as_of_one_moment(conn)
        resuming = None
        if resume:
            so_far = await repo.counted_so_far(conn, request_id)
            if so_far is None:
                raise NothingToResume(request_id)
            resuming = Resuming(*so_far)
        plan = await plan_load(conn, directory, progress, resuming=resuming, recount=recount)
    entries = plan.summary.entries if dry_run else await write_plan(
        engine, plan, request_id, progress, shelves_per_transaction)
    return replace(plan.summary, entries=entries, request_id=request_id)


def _parts(items: list, size: int) -> list[list]:
    return [items[start:start + size] for start in range(0, len(items), size)]


def _to_write(listed: Collection, current: Mapping, key) -> tuple[list, Rows]:
    """The rows that differ from the catalogue's, and the tally of new and changed ones."""
    differing = [row for row in listed if current.get(key(row)) != row]
    new = sum(1 for row in differing if key(row) not in current)
    return differing, Rows(len(listed), new, len(differing) - new)


class _OnStderr(Progress):
    """What the command tells on stderr as it works. While stderr is a terminal, one progress
    bar a step, each in the place of the one before (tqdm stays silent on a file or a pipe, a
    night job's log). Always, as the shelves begin to be written, how to finish the load
    should it stop partway: the line a killed night job leaves in its log."""

    def __init__(self, shown: bool, directory: str):
        from tqdm import tqdm

        self._bar = partial(tqdm, unit_scale=True, disable=None if shown else True,
                            file=sys.stderr, leave=False, dynamic_ncols=True)
        self._current = None
        self._directory = directory

    def writing(self, request_id: str, shelves: int) -> None:
        self.close()
        print(f"onestock load: counting {_many(shelves, 'shelf', 'shelves')} as {request_id}; "
              f"should it stop partway, {resume_command(request_id, self._directory)} "
              "counts the rest", file=sys.stderr)

    def stage(self, name: str, unit: str, total: int | None = None) -> Callable[[int], None]:
        self.close()
        self._current = self._bar(desc=name, unit=unit, total=total)
        return self._current.update

    def close(self) -> None:
        if self._current is not None:
            self._current.close()


def resume_command(request_id: str, directory: str) -> str:
    """The command that finishes a load stopped partway, ready to paste into a shell."""
    return f"`onestock load --resume {request_id} {shlex.quote(directory)}`"


def run(url: str, directory: str, *, dry_run: bool = False, progress: bool = True,
        resume: str | None = None, recount: bool = False) -> int:
    """The command: load, print what was written, exit 0; or name the bad row and exit 2.
    A dry run checks everything, against the shelves too, and writes nothing. ``resume``, a
    stopped load's request id: count the shelves it had not counted yet. ``recount``: count
    again counts loaded before."""
    if resume is not None and not REQUEST_ID.fullmatch(resume):
        print(f"onestock load: --resume: {resume!r} is not a load's request id (load-, a UTC "
              "time and six hex digits, as in load-20261123T074154Z-3f9a1c, which the stopped "
              "load printed)", file=sys.stderr)
        return 2
    request_id = resume or new_request_id("load", datetime.now(UTC))
    bars = _OnStderr(progress, directory)

    async def load() -> Loaded:
        current_access.set(Access(command_line(login(), "load")))  # the ledger's actor
        async with command_engine(url) as engine:
            return await load_chain(engine, Path(directory), request_id, bars, dry_run=dry_run,
                                    resume=resume is not None, recount=recount)

    try:
        try:
            loaded = asyncio.run(load())
        finally:
            bars.close()  # before anything else is printed
    except PartlyLoaded as error:
        then = _how_to_finish(error.shelves, "release the units or fix the count, then",
                              request_id, directory)
        print(f"onestock load: {error} (reserved while the load was writing; {then})",
              file=sys.stderr)
        return 2
    except (InputError, NothingToResume) as error:
        print(f"onestock load: {error} (nothing was loaded)", file=sys.stderr)
        return 2
    except CountsLoadedBefore as error:
        then = ("to count those shelves again all the same, add --recount; to load the other "
                "files alone, move the stock_counts file away" if error.finished else
                f"if it has stopped, {resume_command(error.earlier.request_id, directory)} "
                "counts the rest")
        print(f"onestock load: {error} (nothing was loaded; {then})", file=sys.stderr)
        return 2
    except CountsLoadedMeanwhile as error:
        print(f"onestock load: {error}: this one stopped before counting a shelf, so that none "
              "is counted twice (the catalogue rows it found different are loaded)",
              file=sys.stderr)
        return 2
    except CountedByAnotherRun as error:
        print(f"onestock load: another run of {request_id} is counting these shelves (the load "
              f"resumed twice at once?): this one stopped, with "
              f"{_many(error.shelves, 'shelf', 'shelves')} counted, so that none is counted "
              "twice; the other counts the rest, and should it stop too, "
              f"{resume_command(request_id, directory)} does", file=sys.stderr)
        return 2
    except LoadInterrupted as error:
        then = _how_to_finish(error.shelves, "once it answers,", request_id, directory)
        print(f"onestock load: the database stopped answering while the load was writing "
              f"({_root_cause(error)}); {then}", file=sys.stderr)
        return 1
    except Exception as error:
        if not database_unavailable(error):
            raise
        print(f"onestock load: the database stopped answering ({_root_cause(error)}) "
              "(nothing was loaded)", file=sys.stderr)
        return 1
    print(f"{'would load' if dry_run else 'loaded'} {directory}: "
          f"{_listed(loaded.locations, 'location')}, {_listed(loaded.skus, 'SKU')}, "
          f"{_many(loaded.counts, 'stock count')}"
          + (f" ({loaded.counted_before:,} counted before by the load resumed)"
             if loaded.counted_before else "")
          + f"; {_many(loaded.entries, 'ledger entry', 'ledger entries')} "
          + ("(dry run: nothing was written)" if dry_run else f"(request_id {loaded.request_id})"))
    if not loaded.counts and any((Path(directory) / f"stock{suffix}").exists()
                                 for suffix in SUFFIXES):
        print("note: the stock file (units online orders may take, for the simulator) is not loaded; "
              "counted on-hand units go in stock_counts.csv", file=sys.stderr)
    return 0


def _how_to_finish(shelves: int, first: str, request_id: str, directory: str) -> str:
    """What a load stopped partway has loaded, and, after ``first``, how to finish it: resume
    it, unless it counted no shelf, which --resume refuses (NothingToResume)."""
    if shelves:
        return (f"the catalogue and {_many(shelves, 'shelf', 'shelves')} counted before it are "
                f"loaded: {first} {resume_command(request_id, directory)} counts the rest")
    return f"no shelf was counted: {first} load the folder again"


def _root_cause(error: BaseException) -> str:
    """What the driver said, in one line: SQLAlchemy's wrapper repeats the statement."""
    *_, error = causes(error, implicit=False)
    said = str(error).strip().splitlines()
    return f"{type(error).__name__}: {said[0]}" if said else type(error).__name__


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
