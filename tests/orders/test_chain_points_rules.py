"""A chain's own points rules (ONESTOCK_MEMBER_TIERS, ONESTOCK_POINTS_PER_YUAN_OFF) are the
ones its orders earn, spend and give back by."""

from dataclasses import replace

import grpc
import pytest
from onestock.inventory.v1 import inventory_service_pb2 as inv
from onestock.orders.v1 import order_service_pb2 as pb

from services.members.rules import MemberRules, parse_tiers
from tests.orders.conftest import member_code, order, points_of

# Twice the points at every tier, silver from 300 growth; 200 points take a yuan off, and pay
# at most half of an order's goods.
RULES = MemberRules(parse_tiers("0:2,300:2.5,2000:3,10000:4"), points_per_yuan_off=200,
                    points_max_share_percent=50)


@pytest.fixture
def settings(settings):
    return replace(settings, member_rules=RULES)


async def test_orders_earn_spend_and_give_back_points_by_the_chains_rules(stubs):
    inventory, orders, members = stubs
    await inventory.AdjustStock(inv.AdjustStockRequest(
        request_id="lamps", location_id="A", sku_id="LAMP", delta=10,
        reason=inv.ADJUSTMENT_REASON_RECEIPT))

    async def till_sale(request_id, quantity, points=0):
        """A sale at A's till; one spending points carries the member's code."""
        return order(request_id, ("LAMP", quantity, 10_000), location="A", points=points,
                     method=pb.FULFILMENT_METHOD_IN_STORE, channel=pb.CHANNEL_POS,
                     code=await member_code(members) if points else "")

    first = (await orders.CreateOrder(await till_sale("t1", 2))).order  # 200 yuan at STANDARD's 2.0
    assert first.points_awarded == 400
    second = (await orders.CreateOrder(await till_sale("t2", 1, points=400))).order
    # 400 points take 2 yuan off at 200 a yuan; 98 yuan paid, still at STANDARD's 2.0 (200
    # growth before this order)
    assert (second.points_discount_minor, second.payable_minor) == (200, 9_800)
    assert second.points_awarded == 98 * 200 // 100
    assert await points_of(members, "M-1") == 400 - 400 + 196
    third = (await orders.CreateOrder(await till_sale("t3", 1))).order  # 298 growth before: STANDARD
    fourth = (await orders.CreateOrder(await till_sale("t4", 1))).order  # 398 growth before: SILVER
    assert (third.points_awarded, fourth.points_awarded) == (200, 250)
    returned = (await orders.ReturnOrderLines(pb.ReturnOrderLinesRequest(
        request_id="r", order_id=second.order_id, location_id="A",
        lines=[pb.ReturnLineInput(sku_id="LAMP", quantity=1)]))).order
    assert [(r.refund_minor, r.points_restored, r.points_reversed)
            for r in returned.returns] == [(9_800, 400, 196)]
    with pytest.raises(grpc.RpcError) as refused:  # 1 point is half a fen here
        await orders.CreateOrder(await till_sale("t5", 1, points=1))
    assert "points_to_redeem: must be a multiple of 2" in refused.value.details()
    with pytest.raises(grpc.RpcError) as refused:  # 50.01 yuan of a 100-yuan lamp
        await orders.CreateOrder(await till_sale("t6", 1, points=10_002))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert ("points_to_redeem: 10002 points take 5001 fen off, more than the 5000 fen of goods "
            "points may pay (50% of the 10000)") in refused.value.details()
