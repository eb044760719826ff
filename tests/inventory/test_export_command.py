"""`onestock export`: the live catalogue as the files `onestock load` reads, so that head
office can edit a chain in a spreadsheet and load it back, changing only what was edited."""

import asyncio
import csv
from dataclasses import replace

from sqlalchemy import text

from services.common.uow import as_of_one_moment
from services.inventory import repository as repo
from services.inventory.catalogue import Location, LocationKind, OpeningHours, SaleStatus, Sku
from services.inventory.export import read_catalogue, write_catalogue
from services.inventory.load import Rows
from tests.helpers import engine_of, migrated, own_database_env, table_counts
from tests.inventory.test_load_command import COUNTS, LOCATIONS, SKUS, chain_folder, load
from tests.test_cli_and_server import onestock

HOURS = (OpeningHours(600, 1320, (1, 2, 3, 4, 5)), OpeningHours(540, 720, (6, 7)),
         OpeningHours(840, 1380, (6, 7)))  # weekends close for lunch
SHOPS = [Location("HK-S01", "Causeway Bay", LocationKind.STORE, 22.2803, 114.1830, "Hong Kong",
                  can_pickup=True, can_deliver=True, delivery_radius_km=4,
                  time_zone="Asia/Hong_Kong", opening_hours=HOURS, dealer_id="DEALER-HK"),
         Location("HK-W01", "Kwai Chung DC", LocationKind.WAREHOUSE, 22.3570, 114.1290,
                  "Hong Kong", can_transfer=True)]
TARTS = [Sku("TART-01", "Egg tart", 1200, currency="HKD", spec="6 pieces"),
         Sku("TART-02", "Portuguese tart", 1400, currency="HKD",
             sale_status=SaleStatus.STORES_ONLY)]


async def catalogue_of(engine) -> tuple[list[Location], list[Sku]]:
    async with engine.connect() as conn:
        return ([loc for loc in await repo.all_locations(conn) if loc.city == "Hong Kong"],
                [s for s in await repo.all_skus(conn) if s.sku_id.startswith("TART-")])


async def export(engine, folder) -> None:
    async with engine.connect() as conn:
        write_catalogue(await read_catalogue(conn), folder)


async def hong_kong(engine) -> None:
    async with engine.begin() as conn:
        await repo.upsert_locations(conn, SHOPS)
        await repo.upsert_skus(conn, TARTS)


async def test_an_exported_catalogue_loads_back_unchanged_weekday_hours_and_currency_too(
        engine, tmp_path):
    """Whatever the files did not show would be lost on the way back: a Sunday window, a
    lunch break, a Hong Kong price read as yuan, a tart sold in the shops only."""
    await hong_kong(engine)
    await export(engine, tmp_path / "hk")
    async with engine.begin() as conn:  # the live catalogue changes after the export
        await repo.upsert_locations(conn, [replace(SHOPS[0], opening_hours=())])
        await repo.upsert_skus(conn, [replace(TARTS[0], currency="CNY"),
                                      replace(TARTS[1], sale_status=SaleStatus.HALTED)])

    await load(engine, tmp_path / "hk")
    assert await catalogue_of(engine) == (SHOPS, TARTS)


async def test_a_price_edited_in_the_exported_file_is_the_only_change_a_load_makes(
        engine, tmp_path):
    await hong_kong(engine)
    await export(engine, tmp_path / "hk")
    path = tmp_path / "hk" / "skus.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if row["sku_id"] == "TART-02":
            row["price_minor"] = "1500"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    before = await table_counts(engine)

    loaded = await load(engine, tmp_path / "hk")
    assert (loaded.locations, loaded.skus) == (Rows(2), Rows(2, changed=1))
    assert await catalogue_of(engine) == (SHOPS, [TARTS[0], replace(TARTS[1], price_minor=1500)])
    assert await table_counts(engine) == before  # rows replaced, none added; no ledger entry


async def test_an_export_reads_locations_and_skus_as_of_one_moment(engine):
    """A load committing while the export reads shows in both files or in neither: otherwise
    the files could pair a load's new stores with the SKUs from before it."""
    async with engine.connect() as reading:
        await as_of_one_moment(reading)
        await repo.all_locations(reading)  # the export has begun reading
        await hong_kong(engine)  # a load commits in the meantime
        seen = await read_catalogue(reading)

    assert "HK-S01" not in {loc.location_id for loc in seen.locations}
    assert "TART-01" not in {s.sku_id for s in seen.skus}
    assert [loc.location_id for loc in (await catalogue_of(engine))[0]] == ["HK-S01", "HK-W01"]


async def test_the_command_exports_what_load_reads_and_refuses_a_parquet_file_in_its_way(
        database_url, tmp_path):
    env = await asyncio.to_thread(own_database_env, database_url)
    await migrated(env)
    source = chain_folder(tmp_path / "cq", locations=LOCATIONS, skus=SKUS, stock_counts=COUNTS)
    assert (await asyncio.to_thread(onestock, env, "load", str(source))).returncode == 0
    out = tmp_path / "export"

    done = await asyncio.to_thread(onestock, env, "export", str(out))
    assert done.returncode == 0, done.stderr
    assert f"exported 2 locations and 2 SKUs to {out / 'locations.csv'}" in done.stdout
    again = await asyncio.to_thread(onestock, env, "load", str(out))
    assert ("2 locations (0 new, 0 changed), 2 SKUs (0 new, 0 changed), 0 stock counts; "
            "0 ledger entries") in again.stdout

    written = (out / "locations.csv").read_bytes()
    (out / "skus.parquet").write_bytes(b"PAR1")
    refused = await asyncio.to_thread(onestock, env, "export", str(out))
    assert refused.returncode == 2
    assert (f"onestock export: {out / 'skus.parquet'}: skus: is in the way of skus.csv; "
            "move it away (nothing was written)") in refused.stderr
    assert (out / "locations.csv").read_bytes() == written
    async with engine_of(env) as engine, engine.connect() as conn:
        movements = (await conn.execute(text("SELECT count(*) FROM stock_movements"))).scalar()
    assert movements == 3  # the first load's counts; the export and the reload wrote none
    beside_counts = await asyncio.to_thread(onestock, env, "export", str(source))
    assert beside_counts.returncode == 0, beside_counts.stderr
    assert (f"note: {source} also holds a stock_counts file: `onestock load {source}` would "
            "load its counts too (or refuse the folder, if they were loaded before and a shelf "
            "has changed since); move it away to load the catalogue alone") in beside_counts.stderr
