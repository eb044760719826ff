"""`onestock rebalance`: suggested transfers between locations as a CSV file for head office.

Reads every shelf and what each store handed over in the last days (online and at the
till), asks ``rebalancing.suggest`` and writes one row per move. Nothing is moved: head office
reviews the file and creates the transfers it keeps (``onestock create-transfers``, or
CreateStockTransfer; docs/inventory.md). The moves between one source and one destination
share a request_id: one transfer, created once however often the file is run.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.database import command_engine
from services.common.idempotency import new_request_id
from services.common.input_files import write_csv
from services.common.ranges import Range, whole_number
from services.common.uow import as_of_one_moment
from services.inventory import rebalancing
from services.inventory import repository as repo

DAYS = Range(1, 365)
COVER_DAYS = Range(1, 90)
COLUMNS = ("sku_id", "source_location_id", "destination_location_id", "city", "units",
           "distance_km", "destination_cover_days_before", "destination_cover_days_after",
           "request_id")

# What each shelf holds and keeps back, with the units its location handed over in the last
# :days and those on their way to it (transfers requested or in transit), for the SKUs that
# sold there then and the shelves below their safety stock: a SKU nobody bought lately moves
# nowhere unless a shelf lacks its safety stock. Only the locations of :city, when given:
# suggestions never leave a city, so a city at a time loses nothing.
SHELVES_SQL = """
WITH here AS (SELECT location_id FROM locations WHERE :city = '' OR city = :city),
sold AS (
    SELECT g.location_id, l.line ->> 0 AS sku_id, sum((l.line ->> 1)::bigint)::bigint AS units
    FROM fulfilment_groups g, jsonb_array_elements(g.lines) AS l(line)
    WHERE g.handover_time >= now() - CAST(:days AS interval)
      AND g.location_id IN (SELECT location_id FROM here)
    GROUP BY 1, 2),
coming AS (
    SELECT t.destination_location_id AS location_id, l.line ->> 0 AS sku_id,
           sum((l.line ->> 1)::bigint)::bigint AS units
    FROM stock_transfers t, jsonb_array_elements(t.lines) AS l(line)
    WHERE t.state IN ('REQUESTED', 'IN_TRANSIT')
      AND t.destination_location_id IN (SELECT location_id FROM here)
    GROUP BY 1, 2)
SELECT s.location_id, s.sku_id, s.on_hand - s.reserved AS free, s.safety_stock,
       COALESCE(sold.units, 0) AS sold, COALESCE(coming.units, 0) AS incoming
FROM stock_levels s LEFT JOIN sold USING (location_id, sku_id)
     LEFT JOIN coming USING (location_id, sku_id)
WHERE s.location_id IN (SELECT location_id FROM here)
  AND (s.sku_id IN (SELECT sku_id FROM sold) OR s.on_hand - s.reserved < s.safety_stock)
"""
HALTED_SQL = "SELECT sku_id FROM skus WHERE sale_status = 'HALTED'"


def add_parser(sub) -> None:
    command = sub.add_parser("rebalance", help="suggest transfers from locations with stock to "
                                               "spare to stores running short, as a CSV file")
    command.add_argument("--days", type=whole_number(DAYS), default=28, metavar="N",
                         help=f"the sales a store's rate is taken over, {DAYS} "
                              "(default %(default)s)")
    command.add_argument("--cover-days", type=whole_number(COVER_DAYS), default=7, metavar="N",
                         help=f"days of sales a store should hold beyond its safety stock, "
                              f"{COVER_DAYS} (default %(default)s)")
    command.add_argument("--surplus-days", type=whole_number(Range(2, 365)), default=21,
                         metavar="N", help="a source spares what it holds beyond this many "
                                           "days of its own sales (default %(default)s)")
    command.add_argument("--min-units", type=whole_number(Range(1, 1_000_000)), default=1,
                         metavar="N", help="smallest move worth suggesting (default %(default)s)")
    command.add_argument("--city", default="", help="only this city's locations (moves never "
                                                    "leave a city; a large chain runs one at a "
                                                    "time to read fewer shelves)")
    command.add_argument("file", metavar="FILE", help="the CSV file to write (replaced)")


async def read_shelves(conn: AsyncConnection, days: int, city: str = ""
                       ) -> dict[rebalancing.Key, rebalancing.Shelf]:
    rows = await conn.execute(text(SHELVES_SQL), {"days": timedelta(days=days), "city": city})
    return {(r.location_id, r.sku_id):
            rebalancing.Shelf(r.free, r.safety_stock, r.sold, days, r.incoming) for r in rows}


def run(url: str, args: argparse.Namespace) -> int:
    """The command: write the suggestions and say how many, or exit 2 naming the problem."""
    if args.surplus_days <= args.cover_days:
        print("onestock rebalance: --surplus-days: must be more than --cover-days",
              file=sys.stderr)
        return 2

    async def read():
        async with command_engine(url) as engine, engine.connect() as conn:
            await as_of_one_moment(conn)
            return (await repo.all_locations(conn), await read_shelves(conn, args.days, args.city),
                    set((await conn.execute(text(HALTED_SQL))).scalars()),
                    await repo.db_now(conn))

    locations, shelves, halted, now = asyncio.run(read())
    moves = rebalancing.suggest(locations, shelves, rebalancing.Targets(
        args.cover_days, args.surplus_days, args.min_units), halted=halted, at=now)
    request_ids = transfer_request_ids(moves, now)
    try:
        write_csv(Path(args.file), COLUMNS, (
            (m.sku_id, m.source.location_id, m.destination.location_id, m.destination.city,
             m.units, round(m.distance_km, 3), _days(m.cover_before), _days(m.cover_after),
             request_ids[m.source.location_id, m.destination.location_id])
            for m in moves))
    except OSError as error:  # a folder it may not write to, a full disk
        print(f"onestock rebalance: {error}", file=sys.stderr)
        return 2
    print(f"wrote {len(moves):,} suggested transfers ({sum(m.units for m in moves):,} units of "
          f"{len({m.sku_id for m in moves}):,} SKUs into "
          f"{len({m.destination.location_id for m in moves}):,} stores) to {args.file}, from "
          f"{args.days} days of sales: nothing was moved")
    return 0


def transfer_request_ids(moves: list[rebalancing.Move], now: datetime
                         ) -> dict[tuple[str, str], str]:
    """A request id per (source, destination): this run's time and six random hex digits
    (two runs never share one), then the pair's number in the file."""
    run = new_request_id("rebalance", now)
    pairs = dict.fromkeys((m.source.location_id, m.destination.location_id) for m in moves)
    return {pair: f"{run}-{n}" for n, pair in enumerate(pairs, 1)}


def _days(cover: float) -> str:
    return "" if cover == float("inf") else f"{cover:.1f}"
