"""Stock transfers between locations outside any order (调拨单): held at the source, shipped
out of it, received into the destination with what was lost on the way recorded; refused
steps change nothing, and no unit is sold twice while tills race a transfer for it."""

import asyncio

import grpc
import pytest
from onestock.inventory.v1 import inventory_service_pb2 as pb
from onestock.inventory.v1 import inventory_service_pb2_grpc as pb_grpc
from sqlalchemy import text

from services.access import client
from services.access.principals import Kind
from tests.helpers import (
    assert_ledger_consistent,
    bad_fields,
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
    await seed(stub, [store("A", 31.23, 121.47), store("B", 31.25, 121.47)],
               [sku("LAMP"), sku("VASE")], stock={("A", "LAMP"): 10, ("A", "VASE"): 3},
               safety={("A", "LAMP"): 2})
    return stub


def transfer(request_id="t1", *lines, source="A", destination="B", ttl=0):
    return pb.CreateStockTransferRequest(
        request_id=request_id, source_location_id=source, destination_location_id=destination,
        lines=[pb.StockTransferLineInput(sku_id=s, quantity=q) for s, q in lines or [("LAMP", 4)]],
        note="rebalance before the weekend", ttl_seconds=ttl)


async def ship(stub, made, request_id="ship"):
    return (await stub.ShipStockTransfer(pb.ShipStockTransferRequest(
        request_id=request_id, transfer_id=made.transfer_id))).transfer


async def receive(stub, made, request_id="recv", **short):
    return (await stub.ReceiveStockTransfer(pb.ReceiveStockTransferRequest(
        request_id=request_id, transfer_id=made.transfer_id,
        received_lines=[pb.StockTransferLineInput(sku_id=s, quantity=q)
                        for s, q in short.items()]))).transfer


async def refused(call) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        await call
    return caught.value


async def test_a_transfer_holds_at_the_source_ships_out_of_it_and_lands_what_arrived(
        stub, engine):
    made = (await stub.CreateStockTransfer(transfer("t1", ("LAMP", 4), ("VASE", 3)))).transfer
    assert made.state == pb.STOCK_TRANSFER_STATE_REQUESTED
    assert await stock_of(engine, "A", "LAMP") == (10, 4, 2)  # held: no till sells them now
    assert (await stub.CreateStockTransfer(transfer("t1", ("LAMP", 4), ("VASE", 3)))
            ).transfer.transfer_id == made.transfer_id  # a retry makes no second transfer

    shipped = await ship(stub, made)
    assert (shipped.state, await stock_of(engine, "A", "LAMP")) == (
        pb.STOCK_TRANSFER_STATE_IN_TRANSIT, (6, 0, 2))
    landed = await receive(stub, made, VASE=2)  # one vase broke on the way
    assert landed.state == pb.STOCK_TRANSFER_STATE_RECEIVED
    assert [(ln.sku_id, ln.quantity, ln.received_quantity) for ln in landed.lines] == [
        ("LAMP", 4, 4), ("VASE", 3, 2)]
    assert (await stock_of(engine, "B", "LAMP"), await stock_of(engine, "B", "VASE")) == (
        (4, 0, 0), (2, 0, 0))
    assert await stock_of(engine, "A", "VASE") == (0, 0, 0)
    async with engine.connect() as conn:
        notes = (await conn.execute(text(
            "SELECT note FROM stock_movements WHERE location_id = 'B'"))).scalars().all()
    assert notes == [f"stock transfer {made.transfer_id} from A"] * 2
    await assert_ledger_consistent(engine)


async def test_a_cancelled_transfer_gives_its_hold_back_and_takes_no_further_step(stub, engine):
    made = (await stub.CreateStockTransfer(transfer())).transfer
    gone = (await stub.CancelStockTransfer(pb.CancelStockTransferRequest(
        request_id="c", transfer_id=made.transfer_id, reason="store B closed early"))).transfer
    assert (gone.state, gone.cancel_reason) == (pb.STOCK_TRANSFER_STATE_CANCELLED,
                                                "store B closed early")
    assert await stock_of(engine, "A", "LAMP") == (10, 0, 2)
    for step in (ship(stub, made), receive(stub, made)):
        assert error_info(await refused(step)).reason == "INVALID_STATE_TRANSITION"
    await assert_ledger_consistent(engine)


async def test_bad_transfers_and_steps_out_of_turn_are_refused_changing_nothing(stub, engine):
    made = (await stub.CreateStockTransfer(transfer())).transfer
    before = await table_counts(engine)
    same = await refused(stub.CreateStockTransfer(transfer("t2", destination="A")))
    assert bad_fields(same) == ["destination_location_id"]
    short = await refused(stub.CreateStockTransfer(transfer("t3", ("LAMP", 7))))  # 6 free
    assert error_info(short).reason == "INSUFFICIENT_STOCK"
    nowhere = await refused(stub.CreateStockTransfer(transfer("t4", destination="Z")))
    assert nowhere.code() == grpc.StatusCode.NOT_FOUND
    early = await refused(receive(stub, made))
    assert error_info(early).reason == "INVALID_STATE_TRANSITION"
    assert await table_counts(engine) == before
    await ship(stub, made)
    before = await table_counts(engine)
    for short_lines, field in (({"LAMP": 5}, "received_lines[0].quantity"),
                               ({"VASE": 1}, "received_lines[0].sku_id")):
        assert bad_fields(await refused(receive(stub, made, "r", **short_lines))) == [field]
    cancel = stub.CancelStockTransfer(pb.CancelStockTransferRequest(
        request_id="c", transfer_id=made.transfer_id))
    assert error_info(await refused(cancel)).reason == "INVALID_STATE_TRANSITION"
    assert await table_counts(engine) == before


async def test_a_transfer_not_shipped_before_its_hold_lapses_is_cancelled_as_hold_lapsed(
        stub, engine):
    made = (await stub.CreateStockTransfer(transfer(ttl=1))).transfer
    for _ in range(50):  # the expiry sweeper runs every 0.2 s in the tests' server
        got = (await stub.GetStockTransfer(pb.GetStockTransferRequest(
            transfer_id=made.transfer_id))).transfer
        if got.state != pb.STOCK_TRANSFER_STATE_REQUESTED:
            break
        await asyncio.sleep(0.1)
    assert (got.state, got.cancel_reason) == (pb.STOCK_TRANSFER_STATE_CANCELLED, "HOLD_LAPSED")
    assert got.cancel_time.ToDatetime() >= made.hold_expire_time.ToDatetime()
    assert await stock_of(engine, "A", "LAMP") == (10, 0, 2)
    assert error_info(await refused(ship(stub, made))).reason == "INVALID_STATE_TRANSITION"
    async with engine.connect() as conn:  # the hold ended as expired, by the transfer's sweep
        kinds = (await conn.execute(text(
            "SELECT kind FROM stock_movements WHERE reservation_id = :r ORDER BY movement_id"),
            {"r": made.reservation_id})).scalars().all()
    assert kinds == ["RESERVE", "EXPIRE"]
    await assert_ledger_consistent(engine)


async def test_each_store_takes_only_its_own_step(stub, server, issue_key):
    made = (await stub.CreateStockTransfer(transfer())).transfer
    target = f"127.0.0.1:{server.port}"
    async with client.channel(target, await issue_key(Kind.STORE_STAFF, location_id="B")) as b, \
            client.channel(target, await issue_key(Kind.STORE_STAFF, location_id="A")) as a:
        at_b, at_a = pb_grpc.InventoryServiceStub(b), pb_grpc.InventoryServiceStub(a)
        assert (await refused(ship(at_b, made))).code() == grpc.StatusCode.PERMISSION_DENIED
        await ship(at_a, made)
        assert (await refused(receive(at_a, made))).code() == grpc.StatusCode.PERMISSION_DENIED
        assert (await receive(at_b, made)).state == pb.STOCK_TRANSFER_STATE_RECEIVED
        listed = await at_b.ListStockTransfers(pb.ListStockTransfersRequest(location_id="B"))
        assert [t.transfer_id for t in listed.transfers] == [made.transfer_id]


async def test_transfers_are_listed_per_location_newest_first_by_state(stub):
    made = [(await stub.CreateStockTransfer(transfer(f"t{i}", ("LAMP", 1)))).transfer
            for i in range(3)]
    await ship(stub, made[1])
    pages = await every_page(stub.ListStockTransfers,
                             pb.ListStockTransfersRequest(location_id="A", page_size=2))
    assert [t.transfer_id for p in pages for t in p.transfers] == [
        t.transfer_id for t in reversed(made)]
    in_transit = await stub.ListStockTransfers(pb.ListStockTransfersRequest(
        location_id="B", state=pb.STOCK_TRANSFER_STATE_IN_TRANSIT))
    assert [t.transfer_id for t in in_transit.transfers] == [made[1].transfer_id]


async def test_transfers_and_tills_racing_for_the_last_lamps_never_take_one_twice(stub, engine):
    """Eight lamps free at A for tills (ten on hand, two of safety stock for walk-ins but
    usable by tills and head office: ten in all). Eight transfers of two and twelve till holds
    of one race for them: what is granted never passes ten, and the ledger adds up."""
    async def transferring(n):
        try:
            await stub.CreateStockTransfer(transfer(f"race-t{n}", ("LAMP", 2)))
            return 2
        except grpc.RpcError as error:
            assert error_info(error).reason == "INSUFFICIENT_STOCK"
            return 0

    async def holding(n):
        try:
            await stub.ReserveStock(pb.ReserveStockRequest(
                request_id=f"race-r{n}", channel=pb.CHANNEL_POS, lines=[line("A", "LAMP", 1)]))
            return 1
        except grpc.RpcError as error:
            assert error_info(error).reason == "INSUFFICIENT_STOCK"
            return 0

    granted = await asyncio.gather(*(transferring(n) for n in range(8)),
                                   *(holding(n) for n in range(12)))
    assert sum(granted) == 10
    assert await stock_of(engine, "A", "LAMP") == (10, 10, 2)
    await assert_ledger_consistent(engine)
