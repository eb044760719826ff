"""A scenario's chain taken from the live database: locations, SKUs and the stock
online orders may take right now, written as the documented CSV files so that ops
can keep, edit and replay the very same snapshot again."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from services.common.database import create_engine
from services.common.input_files import write_csv
from services.inventory import files as catalogue_files
from services.inventory import repository
from services.simulation import files


async def read(conn):
    """Locations, SKUs and (location, SKU, units) of online stock, in one snapshot."""
    await conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
    return (await repository.all_locations(conn), await repository.all_skus(conn),
            await repository.online_stock_snapshot(conn))


async def _read(url: str):
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return await read(conn)
    finally:
        await engine.dispose()


def write(locations, skus, stock, directory: Path) -> Path:
    write_csv(directory / "locations.csv", catalogue_files.LOCATION_COLUMNS,
              (catalogue_files.location_record(loc)
               for loc in sorted(locations, key=lambda x: x.location_id)))
    write_csv(directory / "skus.csv", catalogue_files.SKU_COLUMNS,
              (catalogue_files.sku_record(s) for s in skus))
    write_csv(directory / "stock.csv", files.STOCK_COLUMNS, stock)
    return directory


def take(url: str, directory: str | Path) -> Path:
    """Snapshot the database at ``url`` into ``directory``; returns the directory."""
    locations, skus, stock = asyncio.run(_read(url))
    return write(locations, skus, stock, Path(directory))
