"""A scenario's chain taken from the live database: the catalogue as `onestock export`
writes it, and the stock online orders may take right now, so that ops can keep, edit and
replay the very same snapshot again (and load its catalogue back)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from services.common.database import command_engine
from services.common.input_files import write_csv
from services.common.uow import as_of_one_moment
from services.inventory import repository
from services.inventory.export import Catalogue, read_catalogue, write_catalogue
from services.simulation import files


async def read(conn) -> tuple[Catalogue, list[tuple[str, str, int]]]:
    """The catalogue and (location, SKU, units) of online stock, in one snapshot."""
    await as_of_one_moment(conn)
    return await read_catalogue(conn), await repository.online_stock_snapshot(conn)


async def _read(url: str):
    async with command_engine(url) as engine, engine.connect() as conn:
        return await read(conn)


def write(catalogue: Catalogue, stock, directory: Path) -> Path:
    write_catalogue(catalogue, directory)
    write_csv(directory / "stock.csv", files.STOCK_COLUMNS, stock)
    return directory


def take(url: str, directory: str | Path) -> Path:
    """Snapshot the database at ``url`` into ``directory``; returns the directory."""
    catalogue, stock = asyncio.run(_read(url))
    return write(catalogue, stock, Path(directory))
