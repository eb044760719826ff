"""Stock adjustments, safety stock, the movement ledger and availability."""

import asyncio
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from onestock.inventory.v1 import inventory_service_pb2 as pb
from onestock.inventory.v1 import inventory_service_pb2_grpc as pb_grpc
from sqlalchemy import text

from services.common import idempotency
from services.common.uow import in_transaction
from tests.helpers import (
    assert_ledger_consistent,
    error_info,
    every_page,
    line,
    seed,
    sku,
    stock_of,
    store,
    table_counts,
)


@pytest.fixture
async def stub(channel):
    stub = pb_grpc.InventoryServiceStub(channel)
    await seed(stub, [store("SH-1", 31.2304, 121.4737), store("SH-2", 31.2404, 121.4737),
                      store("SH-FAR", 31.5, 121.9), store("HZ-1", 30.27, 120.15, city="Hangzhou")],
               [sku("RETRO-CLOCK"), sku("LAMP")])
    return stub


def adjust(request_id, *, delta=None, set_on_hand=None, reason=pb.ADJUSTMENT_REASON_RECEIPT,
           location_id="SH-1", sku_id="RETRO-CLOCK"):
    return changed(pb.AdjustStockRequest(request_id=request_id, location_id=location_id,
                                         sku_id=sku_id, reason=reason), delta, set_on_hand)


def changed(message, delta, set_on_hand):
    """``message`` (an AdjustStockRequest or a StockAdjustment) with its one change set."""
    if delta is not None:
        message.delta = delta
    else:
        message.set_on_hand = set_on_hand
    return message


async def test_adjustments_by_delta_and_by_count_are_recorded_in_the_ledger(stub, engine):
    await stub.AdjustStock(adjust("a1", delta=10))
    await stub.AdjustStock(adjust("a2", delta=-3, reason=pb.ADJUSTMENT_REASON_DAMAGE))
    counted = await stub.AdjustStock(adjust("a3", set_on_hand=5,
                                            reason=pb.ADJUSTMENT_REASON_CYCLE_COUNT))
    assert counted.stock.on_hand == 5
    assert counted.movement.on_hand_delta == -2
    ledger = await stub.ListStockMovements(pb.ListStockMovementsRequest(
        location_id="SH-1", sku_id="RETRO-CLOCK"))
    assert [(m.on_hand_delta, m.reason, m.request_id) for m in ledger.movements] == [
        (-2, pb.ADJUSTMENT_REASON_CYCLE_COUNT, "a3"), (-3, pb.ADJUSTMENT_REASON_DAMAGE, "a2"),
        (10, pb.ADJUSTMENT_REASON_RECEIPT, "a1")]
    assert await stock_of(engine, "SH-1", "RETRO-CLOCK") == (5, 0, 0)
    await assert_ledger_consistent(engine)


async def test_adjustment_below_reserved_units_is_refused_and_changes_nothing(stub, engine):
    await stub.AdjustStock(adjust("a1", set_on_hand=5))
    await stub.ReserveStock(pb.ReserveStockRequest(
        request_id="r", channel=pb.CHANNEL_POS, lines=[line("SH-1", "RETRO-CLOCK", 4)]))
    before = await table_counts(engine)
    with pytest.raises(grpc.RpcError) as caught:
        await stub.AdjustStock(adjust("a2", delta=-2, reason=pb.ADJUSTMENT_REASON_DAMAGE))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_info(caught.value).reason == "ON_HAND_BELOW_RESERVED"
    assert await table_counts(engine) == before


async def test_adjusting_an_unknown_sku_is_not_found(stub, engine):
    with pytest.raises(grpc.RpcError) as caught:
        await stub.AdjustStock(adjust("a1", delta=1, sku_id="GHOST"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_retried_adjustment_applies_once_and_returns_the_first_response(stub, engine):
    first = await stub.AdjustStock(adjust("same", delta=4))
    again = await stub.AdjustStock(adjust("same", delta=4))
    assert again == first
    assert await stock_of(engine, "SH-1", "RETRO-CLOCK") == (4, 0, 0)


async def test_request_id_reused_for_another_request_is_refused(stub, engine):
    await stub.AdjustStock(adjust("same", delta=4))
    with pytest.raises(grpc.RpcError) as caught:
        await stub.AdjustStock(adjust("same", delta=5))
    assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert error_info(caught.value).reason == "REQUEST_ID_REUSED"
    assert await stock_of(engine, "SH-1", "RETRO-CLOCK") == (4, 0, 0)


async def test_request_ids_are_forgotten_after_their_retention_and_only_then(stub, engine):
    """After ONESTOCK_IDEMPOTENCY_RETENTION_H a request id is forgotten: the same id then
    does the work again. Younger ones stay."""
    await stub.AdjustStock(adjust("kept", delta=1))
    await stub.AdjustStock(adjust("old", delta=1))
    async with engine.begin() as conn:  # 25 old ids beside the two real ones
        await conn.execute(text(
            "INSERT INTO idempotency_keys (method, request_id, request_hash, create_time) "
            "SELECT 'AdjustStock', 'filler-' || g, '\\x00', now() - interval '2 days' "
            "FROM generate_series(1, 25) AS g"))
        await conn.execute(text("UPDATE idempotency_keys SET create_time = now() "
                                "- interval '25 hours' WHERE request_id = 'old'"))
    purged = await in_transaction(engine, lambda c: idempotency.purge_older_than(c, hours=24))
    assert purged == 26
    async with engine.connect() as conn:
        left = (await conn.execute(text("SELECT request_id FROM idempotency_keys"))).scalars()
        assert set(left) == {"kept", "seed-loc", "seed-sku"}  # and the fixture's, just made
    again = await stub.AdjustStock(adjust("old", delta=1))  # forgotten: done again
    assert again.stock.on_hand == 3
    await stub.AdjustStock(adjust("kept", delta=1))  # remembered: not done again
    assert await stock_of(engine, "SH-1", "RETRO-CLOCK") == (3, 0, 0)


def adjustment(location_id, sku_id, *, delta=None, set_on_hand=None,
               reason=pb.ADJUSTMENT_REASON_RECEIPT, note=""):
    return changed(pb.StockAdjustment(location_id=location_id, sku_id=sku_id, reason=reason,
                                      note=note), delta, set_on_hand)


async def test_a_batch_applies_its_adjustments_in_order_each_with_its_ledger_entry(stub, engine):
    """A delivery note of three lines, one of them damaged on arrival: the receipt, then the
    write-off of the same shelf, then a count elsewhere, under the one request id."""
    await stub.AdjustStock(adjust("before", location_id="SH-2", set_on_hand=9))
    batch = await stub.BatchAdjustStock(pb.BatchAdjustStockRequest(request_id="dn-1", adjustments=[
        adjustment("SH-1", "RETRO-CLOCK", delta=12, note="DN-1 line 1"),
        adjustment("SH-1", "LAMP", delta=6, note="DN-1 line 2"),
        adjustment("SH-1", "RETRO-CLOCK", delta=-2, reason=pb.ADJUSTMENT_REASON_DAMAGE),
        adjustment("SH-2", "RETRO-CLOCK", set_on_hand=4, reason=pb.ADJUSTMENT_REASON_CYCLE_COUNT),
    ]))
    assert [(s.location_id, s.sku_id, s.on_hand) for s in batch.stocks] == [
        ("SH-1", "RETRO-CLOCK", 12), ("SH-1", "LAMP", 6), ("SH-1", "RETRO-CLOCK", 10),
        ("SH-2", "RETRO-CLOCK", 4)]
    assert [(m.on_hand_delta, m.on_hand_after, m.reason, m.note) for m in batch.movements] == [
        (12, 12, pb.ADJUSTMENT_REASON_RECEIPT, "DN-1 line 1"),
        (6, 6, pb.ADJUSTMENT_REASON_RECEIPT, "DN-1 line 2"),
        (-2, 10, pb.ADJUSTMENT_REASON_DAMAGE, ""),
        (-5, 4, pb.ADJUSTMENT_REASON_CYCLE_COUNT, "")]
    assert {m.request_id for m in batch.movements} == {"dn-1"}
    ids = [m.movement_id for m in batch.movements]
    assert ids == sorted(ids) and len(set(ids)) == 4
    assert await stock_of(engine, "SH-1", "RETRO-CLOCK") == (10, 0, 0)
    assert await stock_of(engine, "SH-1", "LAMP") == (6, 0, 0)
    assert await stock_of(engine, "SH-2", "RETRO-CLOCK") == (4, 0, 0)
    await assert_ledger_consistent(engine)


async def test_a_batch_with_adjustments_below_reserved_units_names_each_and_changes_nothing(
        stub, engine):
    await stub.AdjustStock(adjust("a1", set_on_hand=5))
    await stub.AdjustStock(adjust("a2", sku_id="LAMP", set_on_hand=5))
    await stub.ReserveStock(pb.ReserveStockRequest(
        request_id="r", channel=pb.CHANNEL_POS,
        lines=[line("SH-1", "RETRO-CLOCK", 4), line("SH-1", "LAMP", 3)]))
    before = await table_counts(engine)
    with pytest.raises(grpc.RpcError) as caught:
        await stub.BatchAdjustStock(pb.BatchAdjustStockRequest(request_id="b", adjustments=[
            adjustment("SH-2", "LAMP", delta=7),  # a shelf with no row yet: not created either
            adjustment("SH-1", "RETRO-CLOCK", delta=-2, reason=pb.ADJUSTMENT_REASON_DAMAGE),
            adjustment("SH-1", "LAMP", delta=-1, reason=pb.ADJUSTMENT_REASON_DAMAGE),
            adjustment("SH-1", "LAMP", set_on_hand=0, reason=pb.ADJUSTMENT_REASON_CYCLE_COUNT),
        ]))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    info = error_info(caught.value)
    assert info.reason == "ON_HAND_BELOW_RESERVED"
    assert dict(info.metadata) == {"adjustments[1]": "SH-1/RETRO-CLOCK:3:4",
                                   "adjustments[3]": "SH-1/LAMP:0:3"}
    assert "adjustments[1]: on_hand would be 3" in caught.value.details()
    assert await table_counts(engine) == before


async def test_a_batch_naming_an_unknown_shelf_is_not_found_and_changes_nothing(stub, engine):
    before = await table_counts(engine)
    with pytest.raises(grpc.RpcError) as caught:
        await stub.BatchAdjustStock(pb.BatchAdjustStockRequest(request_id="b", adjustments=[
            adjustment("SH-1", "LAMP", delta=1), adjustment("SH-1", "GHOST", delta=1),
            adjustment("SH-1", "PHANTOM", delta=1)]))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert "GHOST" in caught.value.details() and "PHANTOM" in caught.value.details()
    assert await table_counts(engine) == before


async def test_a_retried_batch_applies_once_and_another_batch_under_its_id_is_refused(
        stub, engine):
    request = pb.BatchAdjustStockRequest(request_id="dn-2", adjustments=[
        adjustment("SH-1", "LAMP", delta=3), adjustment("SH-2", "LAMP", delta=4)])
    first, *again = await asyncio.gather(*(stub.BatchAdjustStock(request) for _ in range(4)))
    assert all(response == first for response in again)
    with pytest.raises(grpc.RpcError) as caught:
        await stub.BatchAdjustStock(pb.BatchAdjustStockRequest(request_id="dn-2", adjustments=[
            adjustment("SH-1", "LAMP", delta=5)]))
    assert error_info(caught.value).reason == "REQUEST_ID_REUSED"
    assert await stock_of(engine, "SH-1", "LAMP") == (3, 0, 0)
    assert await stock_of(engine, "SH-2", "LAMP") == (4, 0, 0)
    await assert_ledger_consistent(engine)


async def test_a_stores_stock_lists_in_sku_order_page_by_page_and_its_reorder_list_apart(
        stub, engine):
    """Twelve shelves at SH-1 (and one at SH-2, never listed with them): a page of five at a
    time sees each once; the reorder list holds only those the mall cannot sell from."""
    skus = [f"TEA-{n:02d}" for n in range(12)]
    await stub.UpsertSkus(pb.UpsertSkusRequest(request_id="teas", skus=[sku(s) for s in skus]))
    await stub.BatchAdjustStock(pb.BatchAdjustStockRequest(request_id="dn", adjustments=[
        adjustment("SH-1", s, set_on_hand=n % 4) for n, s in enumerate(skus) if n % 4]
        + [adjustment("SH-2", "TEA-00", delta=5)]))
    await stub.SetSafetyStock(pb.SetSafetyStockRequest(  # 3 on hand, 3 kept back: sold out online
        request_id="ss", location_id="SH-1", sku_id="TEA-03", safety_stock=3))
    await stub.ReserveStock(pb.ReserveStockRequest(  # 2 on hand, 2 held: sold out everywhere
        request_id="r", channel=pb.CHANNEL_POS, lines=[line("SH-1", "TEA-06", 2)]))

    pages = await every_page(stub.ListStockLevels, pb.ListStockLevelsRequest(
        location_id="SH-1", page_size=5))
    listed = [(lv.sku_id, lv.on_hand, lv.available_online) for p in pages for lv in p.stock_levels]
    assert [len(p.stock_levels) for p in pages] == [5, 4]  # TEA-00, -04, -08 never stocked here
    assert listed == [(s, n % 4, 0 if s in ("TEA-03", "TEA-06") else n % 4)
                      for n, s in enumerate(skus) if n % 4]

    sold_out = await every_page(stub.ListStockLevels, pb.ListStockLevelsRequest(
        location_id="SH-1", only_sold_out_online=True, page_size=1))
    assert [lv.sku_id for p in sold_out for lv in p.stock_levels] == ["TEA-03", "TEA-06"]

    with pytest.raises(grpc.RpcError) as caught:  # a token for the whole list, used for the other
        await stub.ListStockLevels(pb.ListStockLevelsRequest(
            location_id="SH-1", only_sold_out_online=True, page_token=pages[0].next_page_token))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "page_token" in caught.value.details()
    with pytest.raises(grpc.RpcError) as caught:
        await stub.ListStockLevels(pb.ListStockLevelsRequest(location_id="SH-404"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_safety_stock_is_kept_from_online_but_not_from_pos(stub):
    await stub.AdjustStock(adjust("a", set_on_hand=5))
    response = await stub.SetSafetyStock(pb.SetSafetyStockRequest(
        request_id="s", location_id="SH-1", sku_id="RETRO-CLOCK", safety_stock=2))
    assert (response.stock.available_online, response.stock.available_pos) == (3, 5)


async def test_availability_near_a_point_lists_nearest_first_within_radius(stub):
    await stub.AdjustStock(adjust("a", location_id="SH-2", set_on_hand=7))
    result = await stub.GetAvailability(pb.GetAvailabilityRequest(
        sku_ids=["RETRO-CLOCK", "LAMP"],
        near=pb.NearPoint(latitude=31.2414, longitude=121.4737, radius_km=5)))
    rows = [(a.stock.location_id, a.stock.sku_id, a.stock.available_online)
            for a in result.availabilities]
    assert rows == [("SH-2", "RETRO-CLOCK", 7), ("SH-2", "LAMP", 0),
                    ("SH-1", "RETRO-CLOCK", 0), ("SH-1", "LAMP", 0)]
    assert result.availabilities[0].distance_km == pytest.approx(0.111, abs=0.002)


async def test_availability_at_given_locations_keeps_the_order_asked(stub):
    result = await stub.GetAvailability(pb.GetAvailabilityRequest(
        sku_ids=["LAMP"], locations=pb.LocationIds(location_ids=["HZ-1", "SH-1"])))
    assert [a.stock.location_id for a in result.availabilities] == ["HZ-1", "SH-1"]


async def test_availability_names_unknown_locations_before_unknown_skus(stub):
    for request, resource, ids in (
            (pb.GetAvailabilityRequest(sku_ids=["NOPE"], locations=pb.LocationIds(
                location_ids=["SH-1", "SH-404", "SH-405"])), "location", "SH-404,SH-405"),
            (pb.GetAvailabilityRequest(sku_ids=["LAMP", "NOPE"], locations=pb.LocationIds(
                location_ids=["SH-1"])), "sku", "NOPE"),
            (pb.GetAvailabilityRequest(sku_ids=["NOPE"], near=pb.NearPoint(
                latitude=31.2414, longitude=121.4737, radius_km=5)), "sku", "NOPE")):
        with pytest.raises(grpc.RpcError) as caught:
            await stub.GetAvailability(request)
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
        info = error_info(caught.value)
        assert (info.metadata["resource"], info.metadata["ids"]) == (resource, ids)


async def test_availability_says_when_a_store_closed_for_a_period_reopens(stub):
    shop, other = [(await stub.GetLocation(pb.GetLocationRequest(location_id=loc))).location
                   for loc in ("SH-2", "SH-1")]
    now = datetime.now(UTC)
    shut = shop.closures.add(reason="refit")
    shut.start_time.FromDatetime(now - timedelta(hours=1))
    shut.end_time.FromDatetime(now + timedelta(days=3))
    later = other.closures.add(reason="Spring Festival")  # not yet: says nothing today
    later.start_time.FromDatetime(now + timedelta(days=30))
    later.end_time.FromDatetime(now + timedelta(days=37))
    await stub.UpsertLocations(pb.UpsertLocationsRequest(request_id="shut",
                                                         locations=[shop, other]))

    for scope in ({"near": pb.NearPoint(latitude=31.2414, longitude=121.4737, radius_km=5)},
                  {"locations": pb.LocationIds(location_ids=["SH-1", "SH-2"])}):
        result = await stub.GetAvailability(pb.GetAvailabilityRequest(sku_ids=["LAMP"], **scope))
        reopening = {a.stock.location_id: a.reopen_time.ToDatetime(tzinfo=UTC)
                     for a in result.availabilities if a.HasField("reopen_time")}
        assert reopening == {"SH-2": shut.end_time.ToDatetime(tzinfo=UTC)}  # open all day


async def test_ledger_pages_newest_first_without_gaps(stub):
    for i in range(5):
        await stub.AdjustStock(adjust(f"a{i}", delta=1))
    pages = await every_page(stub.ListStockMovements, pb.ListStockMovementsRequest(
        sku_id="RETRO-CLOCK", page_size=2))
    ids = [m.request_id for page in pages for m in page.movements]
    assert ids == ["a4", "a3", "a2", "a1", "a0"]
