"""`onestock sales`: the sales credited to each store and dealer (业绩归属) as a CSV file.

Finance settles with franchise dealers in a spreadsheet, by local calendar days. This
writes what SummarizeSales answers, for a period given in the chain's own dates, one row
per store, dealer and currency, and says the totals, so the file can be checked against
the dealer's own figures before it is sent.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from services.common.database import command_engine
from services.common.input_files import write_csv
from services.common.uow import as_of_one_moment
from services.common.validation import ID_PATTERN
from services.inventory.catalogue import DEFAULT_TIME_ZONE, is_time_zone
from services.orders import repository as repo
from services.orders import sales_credit
from services.orders.sales_credit import MAX_SALES_PERIOD

COLUMNS = ("location_id", "dealer_id", "currency", "groups_handed_over", "units_sold",
           "goods_sold_minor", "units_returned", "goods_returned_minor", "net_goods_minor")


def add_parser(sub) -> None:
    sales = sub.add_parser("sales", help="write the sales credited to each store and dealer "
                                         "over a period (业绩归属) as a CSV file")
    sales.add_argument("--from", dest="first_day", type=date.fromisoformat, required=True,
                       metavar="YYYY-MM-DD", help="first day of the period, local date")
    sales.add_argument("--to", dest="end_day", type=date.fromisoformat, required=True,
                       metavar="YYYY-MM-DD", help="the day after the last one (2026-12-01 "
                                                  "for all of November)")
    sales.add_argument("--time-zone", default=DEFAULT_TIME_ZONE, metavar="ZONE",
                       help="whose midnights the days run between (default %(default)s)")
    sales.add_argument("--dealer", default="", metavar="DEALER_ID",
                       help="only sales credited to this dealer")
    sales.add_argument("--location", default="", metavar="LOCATION_ID",
                       help="only this serving location")
    sales.add_argument("file", metavar="FILE", help="the CSV file to write (replaced)")


def period(first_day: date, end_day: date, time_zone: str) -> tuple[datetime, datetime]:
    """[first_day, end_day) as UTC instants: local midnight to local midnight. ValueError
    naming the option when the period is not one SummarizeSales would take."""
    if not is_time_zone(time_zone):
        raise ValueError(f"--time-zone: {time_zone!r} is not an IANA time zone")
    if end_day <= first_day:
        raise ValueError("--to: must be after --from")
    zone = ZoneInfo(time_zone)
    start, end = (datetime.combine(day, time(), zone) for day in (first_day, end_day))
    if end - start > MAX_SALES_PERIOD:
        raise ValueError(f"--to: must be at most {MAX_SALES_PERIOD.days} days after --from")
    return start, end


def run(url: str, args: argparse.Namespace) -> int:
    """The command: write the file and say its totals, or exit 2 naming the problem."""
    try:
        start, end = period(args.first_day, args.end_day, args.time_zone)
        for option, value in (("--dealer", args.dealer), ("--location", args.location)):
            if value and not ID_PATTERN.fullmatch(value):
                raise ValueError(f"{option}: {value!r} is not an id (1-64 letters, digits, "
                                 "'.', '_' or '-')")
    except ValueError as error:
        print(f"onestock sales: {error}", file=sys.stderr)
        return 2

    async def read():
        async with command_engine(url) as engine, engine.connect() as conn:
            await as_of_one_moment(conn)
            return await repo.sales_between(conn, start, end, location_id=args.location,
                                            dealer_id=args.dealer)

    rows = sorted(sales_credit.summarize(*asyncio.run(read())).items())
    try:
        write_csv(Path(args.file), COLUMNS, (
            (k.location_id, k.dealer_id, k.currency, s.groups_handed_over, s.units_sold,
             s.goods_sold_minor, s.units_returned, s.goods_returned_minor, s.net_goods_minor)
            for k, s in rows))
    except OSError as error:  # a folder it may not write to, a full disk
        print(f"onestock sales: {error}", file=sys.stderr)
        return 2
    net: dict[str, int] = {}
    for key, sales in rows:
        net[key.currency] = net.get(key.currency, 0) + sales.net_goods_minor
    totals = ", ".join(f"{minor:,} {currency}" for currency, minor in sorted(net.items()))
    print(f"wrote {len(rows):,} rows to {args.file}: {args.first_day} to {args.end_day} "
          f"({args.time_zone}), {sum(s.groups_handed_over for _, s in rows):,} groups handed "
          f"over, net_goods_minor {totals or 0}")
    return 0
