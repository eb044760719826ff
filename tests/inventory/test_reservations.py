"""Reservations: two-phase holds on stock, committed, released or expired exactly once."""

import asyncio

import grpc
import pytest
from onestock.inventory.v1 import inventory_service_pb2 as pb
from onestock.inventory.v1 import inventory_service_pb2_grpc as pb_grpc
from sqlalchemy import text

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
    await seed(stub, [store("SH-1", 31.23, 121.47), store("SH-2", 31.24, 121.47)],
               [sku("RETRO-CLOCK"), sku("LAMP"), sku("SOFA")],
               stock={("SH-1", "RETRO-CLOCK"): 10, ("SH-1", "LAMP"): 4, ("SH-2", "SOFA"): 1},
               safety={("SH-1", "LAMP"): 2})
    return stub


def reserve(request_id, *lines, channel=pb.CHANNEL_MINI_PROGRAM, ttl=0):
    return pb.ReserveStockRequest(request_id=request_id, channel=channel, reference="order-1",
                                  lines=list(lines), ttl_seconds=ttl)


async def test_reservation_holds_units_until_committed(stub, engine):
    made = (await stub.ReserveStock(reserve("r1", line("SH-1", "RETRO-CLOCK", 3)))).reservation
    assert made.state == pb.RESERVATION_STATE_ACTIVE
    assert await stock_of(engine, "SH-1", "RETRO-CLOCK") == (10, 3, 0)
    done = await stub.CommitReservation(pb.CommitReservationRequest(
        request_id="c1", reservation_id=made.reservation_id))
    assert done.reservation.state == pb.RESERVATION_STATE_COMMITTED
    assert [ln.committed_quantity for ln in done.reservation.lines] == [3]
    assert await stock_of(engine, "SH-1", "RETRO-CLOCK") == (7, 0, 0)
    await assert_ledger_consistent(engine)


async def test_partial_commit_sells_part_and_releases_the_rest(stub, engine):
    made = (await stub.ReserveStock(reserve(
        "r1", line("SH-1", "RETRO-CLOCK", 3), line("SH-2", "SOFA", 1)))).reservation
    done = await stub.CommitReservation(pb.CommitReservationRequest(
        request_id="c1", reservation_id=made.reservation_id,
        lines=[pb.CommitLine(location_id="SH-1", sku_id="RETRO-CLOCK", quantity=2)]))
    assert [ln.committed_quantity for ln in done.reservation.lines] == [2, 0]
    assert await stock_of(engine, "SH-1", "RETRO-CLOCK") == (8, 0, 0)
    assert await stock_of(engine, "SH-2", "SOFA") == (1, 0, 0)
    await assert_ledger_consistent(engine)


async def test_release_gives_every_unit_back_and_cannot_happen_twice(stub, engine):
    made = (await stub.ReserveStock(reserve("r1", line("SH-1", "RETRO-CLOCK", 3)))).reservation
    released = await stub.ReleaseReservation(pb.ReleaseReservationRequest(
        request_id="x1", reservation_id=made.reservation_id))
    assert released.reservation.state == pb.RESERVATION_STATE_RELEASED
    with pytest.raises(grpc.RpcError) as caught:
        await stub.CommitReservation(pb.CommitReservationRequest(
            request_id="c1", reservation_id=made.reservation_id))
    assert error_info(caught.value).reason == "RESERVATION_NOT_ACTIVE"
    assert await stock_of(engine, "SH-1", "RETRO-CLOCK") == (10, 0, 0)
    await assert_ledger_consistent(engine)


async def test_short_stock_refuses_the_whole_request_and_lists_every_short_line(stub, engine):
    before = await table_counts(engine)
    with pytest.raises(grpc.RpcError) as caught:
        await stub.ReserveStock(reserve("r1", line("SH-1", "RETRO-CLOCK", 2),
                                        line("SH-1", "LAMP", 3), line("SH-2", "SOFA", 2)))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    info = error_info(caught.value)
    assert info.reason == "INSUFFICIENT_STOCK"
    assert info.metadata["short_lines"] == "2"
    assert info.metadata["line0"] == "SH-1/LAMP:3:2"  # safety stock kept back from online
    assert info.metadata["line1"] == "SH-2/SOFA:2:1"
    assert await table_counts(engine) == before


async def test_pos_may_sell_into_safety_stock(stub, engine):
    await stub.ReserveStock(reserve("r1", line("SH-1", "LAMP", 4), channel=pb.CHANNEL_POS))
    assert await stock_of(engine, "SH-1", "LAMP") == (4, 4, 2)


async def test_a_failed_request_can_be_retried_with_the_same_id_once_stock_arrives(stub):
    with pytest.raises(grpc.RpcError):
        await stub.ReserveStock(reserve("r1", line("SH-2", "SOFA", 2)))
    await stub.AdjustStock(pb.AdjustStockRequest(request_id="a", location_id="SH-2", sku_id="SOFA",
                                                 delta=1, reason=pb.ADJUSTMENT_REASON_RECEIPT))
    made = await stub.ReserveStock(reserve("r1", line("SH-2", "SOFA", 2)))
    assert made.reservation.state == pb.RESERVATION_STATE_ACTIVE


async def test_reserving_an_unknown_location_is_not_found(stub):
    with pytest.raises(grpc.RpcError) as caught:
        await stub.ReserveStock(reserve("r1", line("GHOST", "LAMP", 1)))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_expired_reservation_is_released_by_the_service_itself(stub, engine):
    made = (await stub.ReserveStock(reserve("r1", line("SH-1", "RETRO-CLOCK", 3), ttl=1))).reservation
    for _ in range(50):
        await asyncio.sleep(0.1)
        got = await stub.GetReservation(pb.GetReservationRequest(reservation_id=made.reservation_id))
        if got.reservation.state == pb.RESERVATION_STATE_EXPIRED:
            break
    assert got.reservation.state == pb.RESERVATION_STATE_EXPIRED
    assert await stock_of(engine, "SH-1", "RETRO-CLOCK") == (10, 0, 0)
    with pytest.raises(grpc.RpcError) as caught:
        await stub.CommitReservation(pb.CommitReservationRequest(
            request_id="c1", reservation_id=made.reservation_id))
    assert error_info(caught.value).reason == "RESERVATION_EXPIRED"
    await assert_ledger_consistent(engine)


async def test_many_reservations_running_out_together_are_all_given_back_once(stub, engine):
    """The sweeper closes a batch in a few statements; lines of many reservations on the same
    rows must each give back their own units, once, in the ledger."""
    made = [(await stub.ReserveStock(reserve(
        f"r{n}", line("SH-1", "RETRO-CLOCK", 1), *([line("SH-1", "LAMP", 1)] if n < 2 else []),
        ttl=1))).reservation for n in range(10)]
    assert await stock_of(engine, "SH-1", "RETRO-CLOCK") == (10, 10, 0)
    assert await stock_of(engine, "SH-1", "LAMP") == (4, 2, 2)
    for _ in range(60):
        await asyncio.sleep(0.1)
        if await stock_of(engine, "SH-1", "RETRO-CLOCK") == (10, 0, 0):
            break
    assert await stock_of(engine, "SH-1", "RETRO-CLOCK") == (10, 0, 0)
    assert await stock_of(engine, "SH-1", "LAMP") == (4, 0, 2)
    states = {(await stub.GetReservation(pb.GetReservationRequest(
        reservation_id=r.reservation_id))).reservation.state for r in made}
    assert states == {pb.RESERVATION_STATE_EXPIRED}
    async with engine.connect() as conn:
        expired = await conn.scalar(text("SELECT count(*) FROM stock_movements "
                                         "WHERE kind = 'EXPIRE' AND reserved_delta = -1"))
    assert expired == 12  # one entry per line
    await assert_ledger_consistent(engine)


async def test_extended_reservation_outlives_its_first_expiry(stub, engine):
    made = (await stub.ReserveStock(reserve("r1", line("SH-1", "RETRO-CLOCK", 1), ttl=1))).reservation
    extended = await stub.ExtendReservation(pb.ExtendReservationRequest(
        request_id="e1", reservation_id=made.reservation_id, ttl_seconds=600))
    assert extended.reservation.expire_time.seconds > made.expire_time.seconds + 500
    await asyncio.sleep(1.5)
    got = await stub.GetReservation(pb.GetReservationRequest(reservation_id=made.reservation_id))
    assert got.reservation.state == pb.RESERVATION_STATE_ACTIVE


async def test_unknown_reservation_is_not_found(stub):
    with pytest.raises(grpc.RpcError) as caught:
        await stub.GetReservation(pb.GetReservationRequest(reservation_id="no-such"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_list_reservations_names_who_holds_a_shelf_soonest_to_expire_first(stub, engine):
    late = (await stub.ReserveStock(reserve(
        "late", line("SH-1", "RETRO-CLOCK", 2), line("SH-2", "SOFA", 1), line("SH-1", "LAMP", 1),
        ttl=900))).reservation
    soon = (await stub.ReserveStock(reserve("soon", line("SH-1", "RETRO-CLOCK", 1), ttl=60))
            ).reservation
    lamp = (await stub.ReserveStock(reserve("lamp", line("SH-1", "LAMP", 1),
                                            channel=pb.CHANNEL_POS, ttl=300))).reservation
    sold = (await stub.ReserveStock(reserve("sold", line("SH-1", "RETRO-CLOCK", 4)))).reservation
    await stub.CommitReservation(pb.CommitReservationRequest(
        request_id="sell", reservation_id=sold.reservation_id))

    pages = await every_page(stub.ListReservations, pb.ListReservationsRequest(
        location_id="SH-1", page_size=2))
    assert [len(p.reservations) for p in pages] == [2, 1]
    listed = [r for p in pages for r in p.reservations]
    assert [r.reservation_id for r in listed] == [
        soon.reservation_id, lamp.reservation_id, late.reservation_id]
    assert [[(ln.sku_id, ln.quantity) for ln in r.lines] for r in listed] == [
        [("RETRO-CLOCK", 1)], [("LAMP", 1)], [("RETRO-CLOCK", 2), ("LAMP", 1)]]  # no SH-2 sofa
    assert listed[1].channel == pb.CHANNEL_POS and listed[2].reference == "order-1"

    clocks = await stub.ListReservations(pb.ListReservationsRequest(
        location_id="SH-1", sku_id="RETRO-CLOCK"))
    assert [r.reservation_id for r in clocks.reservations] == [
        soon.reservation_id, late.reservation_id]
    assert sum(ln.quantity for r in clocks.reservations for ln in r.lines) == (
        await stock_of(engine, "SH-1", "RETRO-CLOCK"))[1]
    sofas = await stub.ListReservations(pb.ListReservationsRequest(location_id="SH-2"))
    assert [[ln.sku_id for ln in r.lines] for r in sofas.reservations] == [["SOFA"]]


async def test_list_reservations_of_an_unknown_shelf_is_not_found(stub):
    for request in (pb.ListReservationsRequest(location_id="NOWHERE"),
                    pb.ListReservationsRequest(location_id="SH-1", sku_id="NOTHING")):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.ListReservations(request)
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
