"""ConfirmPayment refuses a payment that cannot be the order's, and refusing changes nothing:
the order still waits for its payment, its stock stays held, no event or points are written.

The expiry sweeper is slowed to once an hour here, so that an order past its deadline is
still PENDING_PAYMENT when the late payment arrives (the window between the deadline and
the next sweep; the race itself is tested in test_returns_lists_watch.py)."""

from dataclasses import replace

import grpc
import pytest
from onestock.orders.v1 import order_service_pb2 as pb
from sqlalchemy import text

from tests.helpers import error_info, stock_of, table_counts
from tests.orders.conftest import order, pay


@pytest.fixture
def settings(settings):
    return replace(settings, expiry_interval_s=3600.0)


async def _everything(engine) -> dict:
    """The stock checksum and row counts, and every order-side table a payment writes to."""
    seen = await table_counts(engine)
    async with engine.connect() as conn:
        for table in ("order_events", "points_ledger", "outbox", "members"):
            seen[table] = await conn.scalar(text(f"SELECT count(*) FROM {table}"))
        seen["orders"] = (await conn.execute(text(
            "SELECT order_id, state, pay_time FROM orders ORDER BY order_id"))).all()
    return seen


async def _refused(orders, made, amount_minor):
    with pytest.raises(grpc.RpcError) as caught:
        await orders.ConfirmPayment(pb.ConfirmPaymentRequest(
            request_id=f"pay-{made.order_id}-{amount_minor}", order_id=made.order_id,
            amount_minor=amount_minor))
    return caught.value


async def test_a_payment_of_another_amount_is_refused_naming_both_and_changes_nothing(
        stubs, engine):
    _, orders, _ = stubs
    made = (await orders.CreateOrder(order("o1", ("LAMP", 2, 10_000)))).order
    before = await _everything(engine)
    refused = await _refused(orders, made, made.total_minor - 1)
    assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION
    info = error_info(refused)
    assert info.reason == "PAYMENT_AMOUNT_MISMATCH"
    assert dict(info.metadata) == {"amount_minor": "19999", "total_minor": "20000",
                                   "payable_minor": "20000"}
    assert "amount_minor 19999 differs from the order total 20000" in refused.details()
    assert await _everything(engine) == before
    assert (await pay(orders, made)).state == pb.ORDER_STATE_PAID  # the right amount still pays


async def test_a_payment_after_the_deadline_is_refused_even_before_the_sweeper_cancels(
        stubs, engine):
    _, orders, _ = stubs
    made = (await orders.CreateOrder(order("o1", ("LAMP", 2, 10_000)))).order
    async with engine.begin() as conn:  # as if the payment window had closed a second ago
        await conn.execute(text("UPDATE orders SET expire_time = now() - interval '1 second'"))
    before = await _everything(engine)
    refused = await _refused(orders, made, made.total_minor)
    assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_info(refused).reason == "ORDER_EXPIRED"
    assert f"order {made.order_id} was not paid in time" in refused.details()
    assert await _everything(engine) == before
    got = (await orders.GetOrder(pb.GetOrderRequest(order_id=made.order_id))).order
    assert got.state == pb.ORDER_STATE_PENDING_PAYMENT  # the sweeper cancels it, not the payer
    assert await stock_of(engine, "A", "LAMP") == (5, 2, 0)  # held until then
