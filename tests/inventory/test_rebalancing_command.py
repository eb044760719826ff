"""`onestock rebalance`: transfers suggested from the live shelves and the last days' sales,
written for head office to review; nothing moves."""

import asyncio
import csv
import os

from onestock.inventory.v1 import inventory_service_pb2 as inv
from onestock.inventory.v1 import inventory_service_pb2_grpc as inv_grpc
from onestock.orders.v1 import order_service_pb2 as ords
from onestock.orders.v1 import order_service_pb2_grpc as ords_grpc

from services.inventory.rebalance_command import COLUMNS
from tests.helpers import seed, sku, stock_of, store, table_counts
from tests.test_cli_and_server import onestock


def warehouse(location_id, lat, lng, city="Shanghai", **kw):
    return inv.Location(location_id=location_id, name=location_id,
                        kind=inv.LOCATION_KIND_WAREHOUSE, latitude=lat, longitude=lng, city=city,
                        capabilities=inv.Capabilities(transfer_source=True), **kw)


async def test_a_store_that_sold_out_is_offered_units_from_its_own_citys_and_owners_source(
        channel, engine, database_url, tmp_path):
    """A sold 4 lamps at the till in the last fortnight and has 1 left: a week's cover wants
    2, so 1 should come, from the company warehouse W. The dealer's warehouse and the one in
    Hangzhou hold more, nearer, but are not A's to draw on."""
    inventory = inv_grpc.InventoryServiceStub(channel)
    await seed(inventory,
               [store("A", 31.2300, 121.4700), warehouse("W", 31.2800, 121.4700),
                warehouse("DW", 31.2310, 121.4700, dealer_id="DEALER-1"),
                warehouse("HZ", 31.2320, 121.4700, city="Hangzhou")],
               [sku("LAMP", 10_000)],
               stock={("A", "LAMP"): 5, ("W", "LAMP"): 10, ("DW", "LAMP"): 50,
                      ("HZ", "LAMP"): 50})
    await ords_grpc.OrderServiceStub(channel).CreateOrder(ords.CreateOrderRequest(
        request_id="till-1", channel=ords.CHANNEL_POS,
        lines=[ords.OrderLineInput(sku_id="LAMP", quantity=4, unit_price_minor=10_000)],
        fulfilment=ords.FulfilmentRequest(method=ords.FULFILMENT_METHOD_IN_STORE,
                                          location_id="A")))
    before = await table_counts(engine)
    env = {**os.environ, "DATABASE_URL": database_url}
    said = await asyncio.to_thread(onestock, env, "rebalance", "--days", "14",
                                   str(tmp_path / "moves.csv"))
    assert said.returncode == 0, said.stderr
    assert said.stdout == (f"wrote 1 suggested transfers (1 units of 1 SKUs into 1 stores) to "
                           f"{tmp_path / 'moves.csv'}, from 14 days of sales: nothing was moved\n")
    with (tmp_path / "moves.csv").open() as written:
        assert list(csv.reader(written)) == [list(COLUMNS), [
            "LAMP", "W", "A", "Shanghai", "1", "5.56", "3.5", "7.0"]]
    assert await table_counts(engine) == before
    assert await stock_of(engine, "W", "LAMP") == (10, 0, 0)

    for city, rows in (("Hangzhou", 0), ("Shanghai", 1)):  # a city at a time, the same moves
        said = await asyncio.to_thread(onestock, env, "rebalance", "--days", "14", "--city",
                                       city, str(tmp_path / f"{city}.csv"))
        assert said.returncode == 0, said.stderr
        assert len((tmp_path / f"{city}.csv").read_text().splitlines()) == 1 + rows
    assert (tmp_path / "Shanghai.csv").read_text() == (tmp_path / "moves.csv").read_text()

    said = await asyncio.to_thread(onestock, env, "rebalance", "--cover-days", "30",
                                   str(tmp_path / "x.csv"))
    assert said.returncode == 2
    assert "--surplus-days: must be more than --cover-days" in said.stderr
    assert not (tmp_path / "x.csv").exists()
