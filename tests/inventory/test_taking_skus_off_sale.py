"""Taking a SKU off the mall (下架) or off sale everywhere (停售): who may still hold its
stock, what the catalogue and availability say, and that a halt holds from the moment
UpsertSkus answers, also against reservations racing it."""

import asyncio

import grpc
import pytest
from onestock.inventory.v1 import inventory_service_pb2 as pb
from onestock.inventory.v1 import inventory_service_pb2_grpc as pb_grpc
from sqlalchemy import text

from services.common.notifications import Listener
from tests.helpers import (
    assert_ledger_consistent,
    bad_fields,
    error_info,
    every_page,
    line,
    notices_cut_off,
    seed,
    sku,
    stock_of,
    store,
)

ON_SALE, STORES_ONLY, HALTED = (pb.SALE_STATUS_ON_SALE, pb.SALE_STATUS_STORES_ONLY,
                                pb.SALE_STATUS_HALTED)


@pytest.fixture
async def stub(channel):
    stub = pb_grpc.InventoryServiceStub(channel)
    await seed(stub, [store("A", 31.23, 121.47)], [sku("LAMP"), sku("VASE")],
               stock={("A", "LAMP"): 10, ("A", "VASE"): 10})
    return stub


async def set_status(stub, sku_id: str, status: int, request_id: str | None = None):
    return (await stub.UpsertSkus(pb.UpsertSkusRequest(
        request_id=request_id or f"status-{sku_id}-{status}",
        skus=[pb.Sku(sku_id=sku_id, name=sku_id.title(), price_minor=1000,
                     sale_status=status)]))).skus[0]


async def status_of(stub, sku_id: str) -> int:
    return (await stub.GetSku(pb.GetSkuRequest(sku_id=sku_id))).sku.sale_status


def reserve(request_id: str, channel: int, *lines) -> pb.ReserveStockRequest:
    return pb.ReserveStockRequest(request_id=request_id, channel=channel, lines=list(lines))


async def refusal(call) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        await call
    return caught.value


async def test_a_new_sku_goes_on_sale_and_an_upsert_without_a_status_keeps_the_one_it_has(stub):
    assert await status_of(stub, "LAMP") == ON_SALE
    await set_status(stub, "LAMP", HALTED)
    repriced = await stub.UpsertSkus(pb.UpsertSkusRequest(
        request_id="reprice", skus=[sku("LAMP", 900)]))  # a price change, no status
    assert repriced.skus[0].sale_status == HALTED  # the answer says what is stored
    got = (await stub.GetSku(pb.GetSkuRequest(sku_id="LAMP"))).sku
    assert (got.price_minor, got.sale_status) == (900, HALTED)
    assert (await set_status(stub, "LAMP", ON_SALE)).sale_status == ON_SALE
    assert await status_of(stub, "LAMP") == ON_SALE


async def test_an_unknown_sale_status_is_refused_by_field_and_changes_nothing(stub):
    bad = pb.Sku(sku_id="LAMP", name="Lamp", price_minor=1, sale_status=9)
    error = await refusal(stub.UpsertSkus(pb.UpsertSkusRequest(request_id="bad", skus=[bad])))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(error) == ["skus[0].sale_status"]
    got = (await stub.GetSku(pb.GetSkuRequest(sku_id="LAMP"))).sku
    assert (got.price_minor, got.sale_status) == (1000, ON_SALE)


async def test_the_mall_lists_only_what_is_on_sale_when_it_asks(stub):
    await stub.UpsertSkus(pb.UpsertSkusRequest(request_id="more", skus=[
        sku(f"K{i}") for i in range(5)]))
    await set_status(stub, "K1", STORES_ONLY)
    await set_status(stub, "K3", HALTED)

    async def listed(status):
        pages = await every_page(stub.ListSkus, pb.ListSkusRequest(page_size=2, sale_status=status))
        return [s.sku_id for page in pages for s in page.skus]

    assert await listed(ON_SALE) == ["K0", "K2", "K4", "LAMP", "VASE"]
    assert await listed(STORES_ONLY) == ["K1"]
    assert await listed(pb.SALE_STATUS_UNSPECIFIED) == ["K0", "K1", "K2", "K3", "K4", "LAMP",
                                                        "VASE"]
    page = await stub.ListSkus(pb.ListSkusRequest(page_size=1, sale_status=ON_SALE))
    error = await refusal(stub.ListSkus(pb.ListSkusRequest(page_token=page.next_page_token)))
    assert bad_fields(error) == ["page_token"]  # a token keeps its filter
    error = await refusal(stub.ListSkus(pb.ListSkusRequest(sale_status=7)))
    assert bad_fields(error) == ["sale_status"]


async def test_availability_carries_each_skus_sale_status(stub):
    await set_status(stub, "VASE", STORES_ONLY)
    got = await stub.GetAvailability(pb.GetAvailabilityRequest(
        sku_ids=["LAMP", "VASE"], locations=pb.LocationIds(location_ids=["A"])))
    assert [(a.stock.sku_id, a.stock.available_pos, a.sale_status)
            for a in got.availabilities] == [("LAMP", 10, ON_SALE), ("VASE", 10, STORES_ONLY)]


async def test_the_mall_cannot_hold_a_sku_taken_off_it_while_a_till_still_can(stub, engine):
    await set_status(stub, "VASE", STORES_ONLY)
    error = await refusal(stub.ReserveStock(reserve(
        "mall", pb.CHANNEL_MINI_PROGRAM, line("A", "LAMP", 1), line("A", "VASE", 1))))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    info = error_info(error)
    assert (info.reason, info.metadata["sku_ids"], info.metadata["field"]) == (
        "SKU_NOT_ON_SALE", "VASE", "lines.sku_id")
    assert await stock_of(engine, "A", "LAMP") == (10, 0, 0)  # neither line held
    held = await stub.ReserveStock(reserve("till", pb.CHANNEL_POS, line("A", "VASE", 2)))
    assert held.reservation.state == pb.RESERVATION_STATE_ACTIVE
    assert await stock_of(engine, "A", "VASE") == (10, 2, 0)


async def test_a_halted_sku_is_held_by_no_channel_yet_its_stock_still_moves(stub, engine):
    await set_status(stub, "LAMP", HALTED)
    for channel in (pb.CHANNEL_MINI_PROGRAM, pb.CHANNEL_POS, pb.CHANNEL_OPS):
        error = await refusal(stub.ReserveStock(reserve(f"r{channel}", channel,
                                                        line("A", "LAMP", 1))))
        assert error_info(error).reason == "SKU_NOT_ON_SALE"
    await stub.AdjustStock(pb.AdjustStockRequest(  # the recalled units leave the shelf
        request_id="recall", location_id="A", sku_id="LAMP", delta=-10,
        reason=pb.ADJUSTMENT_REASON_DAMAGE))
    assert await stock_of(engine, "A", "LAMP") == (0, 0, 0)
    await assert_ledger_consistent(engine)


async def test_a_reservation_made_before_a_halt_is_returned_to_its_retry_and_kept(stub, engine):
    request = reserve("counter-1", pb.CHANNEL_POS, line("A", "LAMP", 3))
    made = await stub.ReserveStock(request)
    await set_status(stub, "LAMP", HALTED)
    again = await stub.ReserveStock(request)  # the till lost the answer and retries
    assert again.reservation.reservation_id == made.reservation.reservation_id
    assert await stock_of(engine, "A", "LAMP") == (10, 3, 0)
    other = reserve("counter-1", pb.CHANNEL_POS, line("A", "LAMP", 4))  # same id, new request
    assert error_info(await refusal(stub.ReserveStock(other))).reason == "SKU_NOT_ON_SALE"


async def test_once_a_halt_is_answered_no_reservation_racing_it_gets_a_unit(stub, engine):
    """Twenty tills reserve one lamp each, again and again, while head office halts it:
    every reservation granted began before UpsertSkus answered, none after, and the
    reserved units are exactly the granted reservations."""
    halted_at: list[float] = []
    granted: list[tuple[float, float]] = []  # (sent, answered)
    loop = asyncio.get_running_loop()

    async def till(n: int) -> None:
        for attempt in range(15):
            sent = loop.time()
            try:
                await stub.ReserveStock(reserve(f"t{n}-{attempt}", pb.CHANNEL_POS,
                                                line("A", "VASE", 1)))
                granted.append((sent, loop.time()))
            except grpc.RpcError as error:
                assert error_info(error).reason in ("SKU_NOT_ON_SALE", "INSUFFICIENT_STOCK")
                if error_info(error).reason == "SKU_NOT_ON_SALE":
                    return

    async def head_office() -> None:
        await asyncio.sleep(0.05)
        await set_status(stub, "VASE", HALTED)
        halted_at.append(loop.time())

    await stub.AdjustStock(pb.AdjustStockRequest(
        request_id="more", location_id="A", sku_id="VASE", set_on_hand=1_000,
        reason=pb.ADJUSTMENT_REASON_RECEIPT))
    await asyncio.gather(head_office(), *(till(n) for n in range(20)))
    assert granted, "no till was served before the halt: the race was not run"
    assert all(sent < halted_at[0] for sent, _ in granted)
    assert await stock_of(engine, "A", "VASE") == (1_000, len(granted), 0)
    await assert_ledger_consistent(engine)


async def test_a_halt_holds_in_the_server_that_made_it_without_waiting_for_the_change_notice(
        stub, server):
    """Other processes learn of a catalogue change from PostgreSQL's notice; the process
    that made it must not wait for it. Here the notices stop coming altogether."""
    await stub.ReserveStock(reserve("before", pb.CHANNEL_POS, line("A", "LAMP", 1)))  # cached
    listener = next(part for part in server.parts if isinstance(part, Listener))
    await listener.stop()
    await set_status(stub, "LAMP", HALTED)
    error = await refusal(stub.ReserveStock(reserve("after", pb.CHANNEL_POS, line("A", "LAMP", 1))))
    assert error_info(error).reason == "SKU_NOT_ON_SALE"


async def test_a_halt_made_elsewhere_holds_within_a_second_while_no_notice_can_arrive(
        stub, server, engine, database_url):
    """Another process halts a SKU while this one's LISTEN connection is down, and stays
    down (new connections refused, as when a database is at max_connections): no notice
    can reach this process, so it reads the catalogue again every second rather than
    selling the SKU until it hears again."""
    await stub.ReserveStock(reserve("before", pb.CHANNEL_POS, line("A", "LAMP", 1)))  # cached
    async with notices_cut_off(server, engine, database_url):
        async with engine.begin() as conn:  # what UpsertSkus writes, in another process
            await conn.execute(text("UPDATE skus SET sale_status = 'HALTED' WHERE sku_id = 'LAMP'"))
        granted = 0
        for attempt in range(20):  # 9 units left, 0.3 s apart: the halt must come first
            try:
                await stub.ReserveStock(reserve(f"till-{attempt}", pb.CHANNEL_POS,
                                                line("A", "LAMP", 1)))
                granted += 1
            except grpc.RpcError as error:
                assert error_info(error).reason == "SKU_NOT_ON_SALE", error.details()
                break
            await asyncio.sleep(0.3)
        else:
            pytest.fail("the halt never took effect")
    assert await stock_of(engine, "A", "LAMP") == (10, 1 + granted, 0)
