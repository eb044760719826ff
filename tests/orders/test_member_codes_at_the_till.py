"""Member codes (会员码) at the till: the code the member's app shows names the member and
proves they are at the counter. A till spends points only with one, each code makes one
sale, and a code refused (expired, used, unknown, another member's) changes nothing."""

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from onestock.members.v1 import member_service_pb2 as mem
from onestock.orders.v1 import order_service_pb2 as pb
from sqlalchemy import text

from tests.helpers import assert_ledger_consistent, bad_fields, error_info, stock_of, table_counts
from tests.orders.conftest import member_code, order, points_of
from tests.orders.test_points_at_checkout import (
    assert_balances_match_the_points_ledger,
    earn_1000_points,
)


def till_sale(request_id, code="", member="", points=0, quantity=1):
    """Lamps sold at A's till."""
    return order(request_id, ("LAMP", quantity, 10_000), member=member, location="A",
                 method=pb.FULFILMENT_METHOD_IN_STORE, channel=pb.CHANNEL_POS, points=points,
                 code=code)


async def untouched(engine):
    """What a refused sale must leave as it was: stock, orders, codes not yet used, points."""
    async with engine.connect() as conn:
        rows = [tuple(r) for r in (await conn.execute(text(
            "SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM member_codes "
            "WHERE order_id IS NULL), (SELECT array_agg(points ORDER BY member_id) FROM members), "
            "(SELECT count(*) FROM points_ledger)"))).all()]
    return await table_counts(engine), rows


async def refusal_of(orders, request):
    with pytest.raises(grpc.RpcError) as refused:
        await orders.CreateOrder(request)
    return refused.value


async def test_a_member_code_is_18_digits_new_each_time_and_lives_the_configured_time(
        stubs, engine):
    _, _, members = stubs
    before = datetime.now(UTC)
    issued = (await members.IssueMemberCode(mem.IssueMemberCodeRequest(
        member_id="M-9"))).member_code
    again = (await members.IssueMemberCode(mem.IssueMemberCodeRequest(
        member_id="M-9"))).member_code
    assert len(issued.code) == 18 and issued.code.isdigit() and issued.member_id == "M-9"
    assert again.code != issued.code
    lives = issued.expire_time.ToDatetime(UTC) - before
    assert timedelta(seconds=115) < lives < timedelta(seconds=125)  # ONESTOCK_MEMBER_CODE_TTL_S
    assert await points_of(members, "M-9") == 0  # the member exists now
    async with engine.connect() as conn:  # only digests are kept
        kept = set((await conn.execute(text(
            "SELECT code_digest FROM member_codes WHERE member_id = 'M-9'"))).scalars())
    assert kept == {hashlib.sha256(c.encode()).digest() for c in (issued.code, again.code)}


async def test_a_till_sale_scanning_a_code_spends_and_earns_for_the_code_s_member(stubs, engine):
    _, orders, members = stubs
    await earn_1000_points(stubs)
    sale = (await orders.CreateOrder(till_sale(
        "till-1", code=await member_code(members), points=500))).order
    assert (sale.member_id, sale.state, sale.points_redeemed, sale.payable_minor) == (
        "M-1", pb.ORDER_STATE_COMPLETED, 500, 9_500)
    assert await points_of(members, "M-1") == 1_000 - 500 + sale.points_awarded
    # naming the member as well is fine when it is the code's member
    named = (await orders.CreateOrder(till_sale(
        "till-2", code=await member_code(members), member="M-1", points=100))).order
    assert (named.member_id, named.points_redeemed) == ("M-1", 100)
    await assert_balances_match_the_points_ledger(engine)


async def test_a_member_code_makes_one_sale_and_a_retry_of_it_returns_that_sale(stubs, engine):
    _, orders, members = stubs
    await earn_1000_points(stubs)
    code = await member_code(members)
    first = (await orders.CreateOrder(till_sale("till-1", code=code, points=200))).order
    retried = (await orders.CreateOrder(till_sale("till-1", code=code, points=200))).order
    assert retried.order_id == first.order_id
    before = await untouched(engine)
    refused = await refusal_of(orders, till_sale("till-2", code=code, points=200))
    assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert (error_info(refused).reason, error_info(refused).metadata["why"]) == (
        "MEMBER_CODE_INVALID", "USED")
    assert refused.details().startswith("member_code has already made a sale")
    assert await untouched(engine) == before


async def test_an_expired_or_unknown_code_is_refused_and_changes_nothing(stubs, engine):
    _, orders, members = stubs
    await earn_1000_points(stubs)
    code = await member_code(members)
    async with engine.begin() as conn:  # two minutes pass
        await conn.execute(text("UPDATE member_codes SET expire_time = now() - interval '1 s'"))
    before = await untouched(engine)
    for typed, why in ((code, "EXPIRED"), (f"{(int(code) + 1) % 10**18:018d}", "UNKNOWN")):
        refused = await refusal_of(orders, till_sale(f"till-{why}", code=typed, points=100))
        assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert (error_info(refused).reason, error_info(refused).metadata["why"]) == (
            "MEMBER_CODE_INVALID", why)
    assert await untouched(engine) == before


async def test_a_code_of_another_member_is_refused_and_stays_good_for_its_member(stubs, engine):
    _, orders, members = stubs
    await earn_1000_points(stubs)
    await earn_1000_points(stubs, "M-2")
    code = await member_code(members, "M-2")
    before = await untouched(engine)
    refused = await refusal_of(orders, till_sale("till-1", code=code, member="M-1", points=100))
    assert (refused.code(), error_info(refused).reason) == (
        grpc.StatusCode.FAILED_PRECONDITION, "MEMBER_CODE_MISMATCH")
    assert "not the code of member M-1 (member_id)" in refused.details()
    assert await untouched(engine) == before
    sale = (await orders.CreateOrder(till_sale("till-2", code=code, points=100))).order
    assert (sale.member_id, await points_of(members, "M-2")) == (
        "M-2", 1_000 - 100 + sale.points_awarded)


async def test_a_till_spends_points_only_with_a_well_formed_code_and_online_orders_take_none(
        stubs, engine):
    _, orders, members = stubs
    await earn_1000_points(stubs)
    code = await member_code(members)
    before = await untouched(engine)
    for request, field, says in (
            (till_sale("t1", member="M-1", points=100), "member_code",
             "a till sale spends points only with the member's code"),
            (till_sale("t2", code=code[:-1], points=100), "member_code",
             "must be the 18 digits the member's app shows"),
            (till_sale("t3", code=code[:-1] + "x", points=100), "member_code", "18 digits"),
            (order("o1", ("LAMP", 1, 10_000), code=code), "member_code",
             "is only for till sales (IN_STORE)")):
        refused = await refusal_of(orders, request)
        assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT, request.request_id
        assert bad_fields(refused) == [field], request.request_id
        assert says in refused.details(), refused.details()
    assert await untouched(engine) == before
    # earning without a code still works: a sale names its member, as a phone number would
    earned = (await orders.CreateOrder(till_sale("t4", member="M-1"))).order
    assert earned.points_awarded > 0
    assert await points_of(members, "M-1") == 1_000 + earned.points_awarded
    # and the code refused above is still good
    assert (await orders.CreateOrder(till_sale("t5", code=code, points=100))).order.member_id \
        == "M-1"


async def test_sales_racing_with_one_code_make_exactly_one_sale(stubs, engine):
    """Eight tills scan the same screen at once (each retried): one sale is made, once; the
    others are refused as USED and hold no stock and spend no points."""
    _, orders, members = stubs
    await earn_1000_points(stubs)
    code = await member_code(members)
    lamps_before = await stock_of(engine, "A", "LAMP")

    async def sell(i):
        try:
            return (await orders.CreateOrder(till_sale(f"race-{i % 8}", code=code,
                                                       points=300))).order.order_id
        except grpc.RpcError as error:
            assert error_info(error).metadata["why"] == "USED", error.details()
            return None

    made = [o for o in await asyncio.gather(*(sell(i) for i in range(16))) if o]
    assert len(set(made)) == 1  # one sale; its retries return it
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM orders WHERE channel = 'POS' "
                                      "AND points_redeemed > 0")) == 1
        assert await conn.scalar(text("SELECT order_id FROM member_codes")) == made[0]
    on_hand, reserved, _ = await stock_of(engine, "A", "LAMP")
    assert (on_hand, reserved) == (lamps_before[0] - 1, lamps_before[1])
    sale = (await orders.GetOrder(pb.GetOrderRequest(order_id=made[0]))).order
    assert await points_of(members, "M-1") == 1_000 - 300 + sale.points_awarded
    await assert_balances_match_the_points_ledger(engine)
    await assert_ledger_consistent(engine)
