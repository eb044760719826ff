"""`onestock export DIR`: the live catalogue as the files `onestock load` reads.

Head office edits a chain in a spreadsheet: export, change prices or opening hours, load
back. The files state every field of a location and a SKU, so a row nobody edited loads
back unchanged. Stock is not exported as counts: a count file loaded later would set every
shelf back to what it held at the export, undoing the sales in between; counts come from
the stores' own counting.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.database import command_engine
from services.common.input_files import SUFFIXES, InputError, write_csv
from services.common.uow import as_of_one_moment
from services.inventory import files
from services.inventory import repository as repo
from services.inventory.catalogue import Location, Sku


@dataclass(frozen=True)
class Catalogue:
    """Every location and SKU, each list in id order as the repository reads them, so that
    the files keep that order and a diff between two exports stays small."""

    locations: list[Location]
    skus: list[Sku]


async def read_catalogue(conn: AsyncConnection) -> Catalogue:
    return Catalogue(await repo.all_locations(conn), await repo.all_skus(conn))


def write_catalogue(catalogue: Catalogue, directory: Path) -> None:
    """locations.csv and skus.csv in ``directory``, rows in the catalogue's (id) order."""
    for stem in ("locations", "skus"):
        other = directory / f"{stem}.parquet"
        if other.exists():  # a folder holds one of the two; load would refuse both
            raise InputError(other, None, stem, f"is in the way of {stem}.csv; move it away")
    write_csv(directory / "locations.csv", files.LOCATION_COLUMNS,
              map(files.location_record, catalogue.locations))
    write_csv(directory / "skus.csv", files.SKU_COLUMNS, map(files.sku_record, catalogue.skus))


def run(url: str, directory: str) -> int:
    """The command: write the files and say what was written, or exit 2 naming the problem."""
    async def read() -> Catalogue:
        async with command_engine(url) as engine, engine.connect() as conn:
            await as_of_one_moment(conn)
            return await read_catalogue(conn)

    catalogue = asyncio.run(read())
    folder = Path(directory)
    try:
        write_catalogue(catalogue, folder)
    except InputError as error:
        print(f"onestock export: {error} (nothing was written)", file=sys.stderr)
        return 2
    except OSError as error:  # a folder it may not write to, a full disk
        print(f"onestock export: {error}", file=sys.stderr)
        return 2
    print(f"exported {len(catalogue.locations):,} locations and {len(catalogue.skus):,} SKUs "
          f"to {folder / 'locations.csv'} and {folder / 'skus.csv'}")
    if any((folder / f"stock_counts{suffix}").exists() for suffix in SUFFIXES):
        print(f"note: {folder} also holds a stock_counts file: `onestock load {folder}` would "
              "load its counts too (or refuse the folder, if they were loaded before and a "
              "shelf has changed since); move it away to load the catalogue alone",
              file=sys.stderr)
    return 0
