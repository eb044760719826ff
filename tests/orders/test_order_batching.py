"""Online orders coalesced into shared transactions: a batch serves its orders in arrival
order, refuses only the ones it cannot serve, and shares rows safely with ReserveStock."""

import asyncio

import grpc
from onestock.inventory.v1 import inventory_service_pb2 as inv
from sqlalchemy import text

from services.common.config import Limits
from services.common.errors import FailedPrecondition, ResourceExhausted
from services.inventory import repository as stock_repo
from services.orders import validation
from services.orders.order_batcher import OnlineOrder, OrderBatcher
from services.routing.chain import Chain
from services.routing.policy import DEFAULT_POLICY
from tests.helpers import assert_ledger_consistent, error_info, stock_of
from tests.orders.conftest import order


async def _serve_in_one_batch(engine, requests, hold_limit=0):
    """Queue every request before the writer starts, so that its first batch takes them all;
    the outcomes in request order (an order, or the error it was refused with)."""
    async with engine.connect() as conn:
        chain = Chain(await stock_repo.all_locations(conn))
    batcher = OrderBatcher(engine, 900, hold_limit=hold_limit)
    waiting = [asyncio.create_task(batcher.create(
        OnlineOrder.of(validation.create_order(r, Limits()), chain, DEFAULT_POLICY, "key:test"),
        r.SerializeToString())) for r in requests]
    await asyncio.sleep(0)  # every request is in the queue
    batcher.start()
    try:
        outcomes = await asyncio.gather(*waiting, return_exceptions=True)
    finally:
        await batcher.stop()
    return [o if isinstance(o, Exception) else o.order for o in outcomes]


async def _keys_kept(engine, request_ids):
    async with engine.connect() as conn:
        return set(await conn.scalars(text(
            "SELECT request_id FROM idempotency_keys WHERE method = 'CreateOrder' "
            "AND request_id = ANY(:ids)"), {"ids": list(request_ids)}))


async def test_one_batch_serves_orders_in_arrival_order_and_refuses_only_those_left_short(
        stubs, engine):
    # store A holds 5 lamps and nothing else in reach stocks them
    first, second, third = await _serve_in_one_batch(engine, [
        order("b1", ("LAMP", 3, 10_000), member="M-1"),
        order("b2", ("LAMP", 3, 10_000), member="M-2"),  # 2 left after b1: refused
        order("b3", ("LAMP", 2, 10_000), member="M-3"),  # the 2 left
    ])
    assert isinstance(second, FailedPrecondition) and second.reason == "INSUFFICIENT_STOCK"
    assert [g.location_id for g in first.groups] == [g.location_id for g in third.groups] == ["A"]
    assert first.create_time == third.create_time  # one transaction, one clock
    assert await stock_of(engine, "A", "LAMP") == (5, 5, 0)
    assert await _keys_kept(engine, ["b1", "b2", "b3"]) == {"b1", "b3"}  # b2 may be retried
    await assert_ledger_consistent(engine)


async def test_a_member_is_held_to_the_limit_by_the_orders_before_it_in_the_same_batch(
        stubs, engine):
    first, second, other = await _serve_in_one_batch(engine, [
        order("h1", ("LAMP", 2, 10_000), member="M-1"),
        order("h2", ("LAMP", 2, 10_000), member="M-1"),  # 4 > 3 with h1: refused
        order("h3", ("LAMP", 2, 10_000), member="M-2"),
    ], hold_limit=3)
    assert isinstance(second, ResourceExhausted) and second.reason == "MEMBER_HOLD_LIMIT"
    assert first.member_id == "M-1" and other.member_id == "M-2"
    assert await stock_of(engine, "A", "LAMP") == (5, 4, 0)
    await assert_ledger_consistent(engine)


async def test_a_transfer_in_a_batch_holds_units_at_the_source_for_later_orders_too(
        stubs, engine):
    # B holds 2 sofas; W (10 km) holds 10 and ships transfers
    made = await _serve_in_one_batch(engine, [
        order(f"t{i}", ("SOFA", 1, 50_000), member=f"M-{i}") for i in range(14)])
    refused = [m for m in made if isinstance(m, Exception)]
    assert len(refused) == 2 and all(isinstance(m, FailedPrecondition) for m in refused)
    assert await stock_of(engine, "B", "SOFA") == (2, 2, 0)
    assert await stock_of(engine, "W", "SOFA") == (10, 10, 0)
    await assert_ledger_consistent(engine)


async def test_orders_and_reservations_racing_for_one_row_never_oversell_or_deadlock(
        stubs, engine):
    inventory, orders, _ = stubs
    won, rounds = 0, 3
    for r in range(rounds):
        await inventory.AdjustStock(inv.AdjustStockRequest(
            request_id=f"restock-{r}", location_id="A", sku_id="LAMP", delta=5,
            reason=inv.ADJUSTMENT_REASON_RECEIPT))

        async def create(i, r=r):
            try:
                await orders.CreateOrder(order(f"o{r}-{i}", ("LAMP", 1, 10_000),
                                               member=f"M-{i}"))
                return 1
            except grpc.RpcError as error:
                assert error_info(error).reason == "INSUFFICIENT_STOCK"
                return 0

        async def reserve(i, r=r):
            try:
                await inventory.ReserveStock(inv.ReserveStockRequest(
                    request_id=f"r{r}-{i}", channel=inv.CHANNEL_MINI_PROGRAM, ttl_seconds=600,
                    lines=[inv.ReservationLineInput(location_id="A", sku_id="LAMP",
                                                    quantity=1)]))
                return 1
            except grpc.RpcError as error:
                assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
                return 0

        calls = [create(i) for i in range(30)] + [reserve(i) for i in range(30)]
        won += sum(await asyncio.wait_for(asyncio.gather(*calls), timeout=60))
    on_hand, reserved, _ = await stock_of(engine, "A", "LAMP")
    assert won == reserved == on_hand == 5 + 5 * rounds
    await assert_ledger_consistent(engine)
