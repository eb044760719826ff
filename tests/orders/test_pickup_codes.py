"""Pickup codes can be mistyped a few times, never guessed: wrong codes in a row lock the code,
the right one included, and the count survives the refusal, racing guesses and retries."""

import asyncio
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from hypothesis import given
from hypothesis import strategies as st
from onestock.orders.v1 import order_service_pb2 as pb
from sqlalchemy import text

from services.orders.pickup_codes import Guard, Outcome, check
from tests.helpers import bad_fields, error_info, stock_of
from tests.orders.conftest import order, pay

GUARD = Guard(attempts=3, lockout_s=600)
T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def test_a_right_code_matches_and_clears_the_count():
    verdict = check(GUARD, "123456", "123456", 2, None, T0)
    assert (verdict.outcome, verdict.failures, verdict.locked_until) == (Outcome.MATCH, 0, None)


def test_the_last_allowed_wrong_code_locks_the_code_and_restarts_the_count():
    assert check(GUARD, "123456", "000000", 1, None, T0).failures == 2
    locked = check(GUARD, "123456", "000000", 2, None, T0)
    assert (locked.outcome, locked.failures) == (Outcome.WRONG, 0)
    assert locked.locked_until == T0 + timedelta(seconds=600)
    assert locked.attempts_left(GUARD) == 0


def test_a_locked_code_refuses_even_the_right_one_until_the_lock_runs_out():
    until = T0 + timedelta(seconds=600)
    assert check(GUARD, "123456", "123456", 0, until, until - timedelta(seconds=1)
                 ).outcome is Outcome.LOCKED
    assert check(GUARD, "123456", "123456", 0, until, until).outcome is Outcome.MATCH
    after = check(GUARD, "123456", "000000", 0, until, until)
    assert (after.outcome, after.failures, after.locked_until) == (Outcome.WRONG, 1, None)


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 900)), max_size=40))
def test_no_run_of_guesses_gets_more_than_the_allowed_tries_per_lockout(guesses):
    """Guesses right or wrong, any time apart: between two locks at most `attempts` codes are
    read, and a code is never read while locked."""
    failures, locked_until, now, read_since_lock = 0, None, T0, 0
    for right, gap_s in guesses:
        verdict = check(GUARD, "123456", "123456" if right else "000000", failures,
                        locked_until, now)
        if verdict.outcome is Outcome.LOCKED:
            assert locked_until is not None and now < locked_until
        else:
            read_since_lock += 1
            if verdict.outcome is Outcome.MATCH:
                break
        if verdict.locked_until is not None and locked_until != verdict.locked_until:
            assert read_since_lock == GUARD.attempts
            read_since_lock = 0
        assert read_since_lock < GUARD.attempts or verdict.outcome is Outcome.MATCH
        failures, locked_until = verdict.failures, verdict.locked_until
        now += timedelta(seconds=gap_s)


@pytest.fixture
def settings(settings):
    from dataclasses import replace
    return replace(settings, pickup_code_attempts=3, pickup_code_lockout_s=600)


async def _ready_group(orders, request_id="o1"):
    made = (await orders.CreateOrder(order(request_id, ("LAMP", 1, 10_000)))).order
    await pay(orders, made)
    ready = (await orders.MarkReadyForPickup(pb.MarkReadyForPickupRequest(
        request_id=f"ready-{request_id}", group_id=made.groups[0].group_id))).order
    return made.order_id, ready.groups[0].group_id, ready.groups[0].pickup_code


def _wrong(code):
    return f"{(int(code) + 1) % 10**6:06d}"


async def _confirm(orders, group_id, code, request_id):
    return await orders.ConfirmPickup(pb.ConfirmPickupRequest(
        request_id=request_id, group_id=group_id, pickup_code=code))


async def test_wrong_codes_count_down_then_lock_the_right_one_out(stubs, engine):
    _, orders, _ = stubs
    order_id, group_id, code = await _ready_group(orders)
    seen = []
    for attempt in range(3):
        with pytest.raises(grpc.RpcError) as wrong:
            await _confirm(orders, group_id, _wrong(code), f"guess-{attempt}")
        assert wrong.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        info = error_info(wrong.value)
        seen.append((info.reason, info.metadata["attempts_left"]))
    assert seen == [("WRONG_PICKUP_CODE", "2"), ("WRONG_PICKUP_CODE", "1"),
                    ("WRONG_PICKUP_CODE", "0")]
    locked_until = datetime.fromisoformat(error_info(wrong.value).metadata["locked_until"])
    async with engine.connect() as conn:
        db_now = await conn.scalar(text("SELECT now()"))
    assert timedelta(seconds=590) < locked_until - db_now <= timedelta(seconds=600)

    with pytest.raises(grpc.RpcError) as locked:
        await _confirm(orders, group_id, code, "right-but-locked")
    assert locked.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_info(locked.value).reason == "PICKUP_CODE_LOCKED"
    assert "locked until" in locked.value.details()
    assert await stock_of(engine, "A", "LAMP") == (5, 1, 0)  # still held, not handed over

    async with engine.begin() as conn:  # the lockout runs out
        await conn.execute(text("UPDATE fulfilment_groups SET pickup_locked_until = now() "
                                "- interval '1 second' WHERE group_id = :g"), {"g": group_id})
    done = (await _confirm(orders, group_id, code, "right-after-lock")).order
    assert done.state == pb.ORDER_STATE_COMPLETED
    async with engine.connect() as conn:  # each wrong code is in the order's history
        history = (await conn.execute(text(
            "SELECT action, actor FROM order_events WHERE order_id = :o ORDER BY event_id"),
            {"o": order_id})).all()
    actions = [action for action, _ in history]
    assert actions[-4:] == ["WRONG_PICKUP_CODE"] * 3 + ["CONFIRM_PICKUP"]
    assert all(actor for _, actor in history[-4:])


async def test_racing_guesses_are_counted_one_by_one_and_never_read_past_the_limit(stubs, engine):
    _, orders, _ = stubs
    _, group_id, code = await _ready_group(orders)
    guesses = [f"{n:06d}" for n in range(40) if f"{n:06d}" != code][:30] + [code]

    async def guess(n, typed):
        try:
            await _confirm(orders, group_id, typed, f"race-{n}")
            return "HANDED_OVER"
        except grpc.RpcError as error:
            return error_info(error).reason

    outcomes = await asyncio.gather(*(guess(n, typed) for n, typed in enumerate(guesses)))
    read = [o for o in outcomes if o in ("WRONG_PICKUP_CODE", "HANDED_OVER")]
    # Three codes are read before the lock (the right one may be among them), no more.
    assert len(read) <= 3 and outcomes.count("PICKUP_CODE_LOCKED") >= len(guesses) - 3
    assert outcomes.count("HANDED_OVER") <= 1
    async with engine.connect() as conn:
        failures, locked = (await conn.execute(text(
            "SELECT pickup_failures, pickup_locked_until IS NOT NULL FROM fulfilment_groups "
            "WHERE group_id = :g"), {"g": group_id})).one()
    if "HANDED_OVER" not in outcomes:
        assert (failures, locked) == (0, True)


async def test_a_retried_wrong_code_counts_again_and_a_retried_pickup_does_not(stubs, engine):
    _, orders, _ = stubs
    _, group_id, code = await _ready_group(orders)
    for _ in range(2):
        with pytest.raises(grpc.RpcError):
            await _confirm(orders, group_id, _wrong(code), "same-id")
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT pickup_failures FROM fulfilment_groups "
                                      "WHERE group_id = :g"), {"g": group_id}) == 2
    first = await _confirm(orders, group_id, code, "pick")
    again = await _confirm(orders, group_id, code, "pick")  # the network lost the answer
    assert again == first and first.order.state == pb.ORDER_STATE_COMPLETED
    assert await stock_of(engine, "A", "LAMP") == (4, 0, 0)  # sold once


async def test_a_code_that_is_not_six_digits_is_refused_unread_and_uncounted(stubs, engine):
    _, orders, _ = stubs
    _, group_id, code = await _ready_group(orders)
    for typed in ("", "12345", "1234567", "12345a", "١٢٣٤٥٦", "é" * 6, " 123456"):
        with pytest.raises(grpc.RpcError) as caught:
            await _confirm(orders, group_id, typed, "bad")
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert bad_fields(caught.value) == ["pickup_code"]
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT pickup_failures FROM fulfilment_groups "
                                      "WHERE group_id = :g"), {"g": group_id}) == 0
    assert (await _confirm(orders, group_id, code, "pick")).order.state == \
        pb.ORDER_STATE_COMPLETED
