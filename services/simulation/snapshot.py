"""A scenario's chain taken from the live database: locations, SKUs and the stock
online orders may take right now, written as the documented CSV files so that ops
can keep, edit and replay the very same snapshot again."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from services.common.database import create_engine
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
    files.write_csv(directory / "locations.csv", files.LOCATION_COLUMNS,
                    (files.location_record(loc) for loc in sorted(locations, key=lambda x: x.location_id)))
    files.write_csv(directory / "skus.csv", files.SKU_COLUMNS,
                    ((s.sku_id, s.name, s.price_minor, s.spec) for s in skus))
    files.write_csv(directory / "stock.csv", files.STOCK_COLUMNS, stock)
    return directory


def take(url: str, directory: str | Path) -> Path:
    """Snapshot the database at ``url`` into ``directory``; returns the directory."""
    locations, skus, stock = asyncio.run(_read(url))
    return write(locations, skus, stock, Path(directory))
