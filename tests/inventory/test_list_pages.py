"""A page of locations or stock movements never outgrows the largest message the server may
send (ONESTOCK_MAX_MESSAGE_BYTES): it holds fewer than asked, and paging goes on from there,
each entry exactly once."""

from dataclasses import replace

import pytest
from onestock.inventory.v1 import inventory_service_pb2 as pb
from onestock.inventory.v1 import inventory_service_pb2_grpc as pb_grpc

from tests.helpers import every_page, sku, store

MESSAGE_BYTES = 12_000


@pytest.fixture
def settings(settings):
    return replace(settings, max_message_bytes=MESSAGE_BYTES)


async def test_pages_of_big_locations_and_long_movement_notes_fit_and_see_each_once(channel):
    stub = pb_grpc.InventoryServiceStub(channel)
    await stub.UpsertSkus(pb.UpsertSkusRequest(request_id="skus", skus=[sku("LAMP")]))
    week = [pb.OpeningHours(open_minute=600, close_minute=1320, iso_weekdays=[d])
            for d in range(1, 8)] * 7  # 49 ranges
    names = []
    for n in range(40):
        location = store(f"SH-{n:02d}", 31.2 + n / 1000, 121.4)
        location.name = f"{n:02d}" + "上海市黄浦区南京东路步行街旗舰店" * 12
        location.opening_hours.extend(week)
        await stub.UpsertLocations(pb.UpsertLocationsRequest(request_id=f"u{n}",
                                                             locations=[location]))
        names.append(location.location_id)
    for n in range(30):
        await stub.AdjustStock(pb.AdjustStockRequest(
            request_id=f"a{n}", location_id="SH-00", sku_id="LAMP", delta=1,
            reason=pb.ADJUSTMENT_REASON_RECEIPT, note=f"{n:02d} " + "到货" * 240))

    locations = await every_page(stub.ListLocations, pb.ListLocationsRequest(page_size=1_000))
    assert len(locations) > 1 and len(locations[0].locations) < 40  # 40 do not fit one reply
    assert all(page.ByteSize() <= MESSAGE_BYTES for page in locations)
    assert [loc.location_id for page in locations for loc in page.locations] == names

    movements = await every_page(stub.ListStockMovements, pb.ListStockMovementsRequest(
        location_id="SH-00", page_size=1_000))
    assert len(movements) > 1 and all(page.ByteSize() <= MESSAGE_BYTES for page in movements)
    notes = [m.note[:2] for page in movements for m in page.movements]
    assert notes == [f"{n:02d}" for n in reversed(range(30))]  # newest first, each once
