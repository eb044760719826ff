"""A chain that credits till sales to a member only with their member code
(ONESTOCK_TILL_EARNING_NEEDS_MEMBER_CODE): a cashier cannot type an account of their own
into a walk-in customer's sale and collect its points."""

from dataclasses import replace

import pytest
from onestock.orders.v1 import order_service_pb2 as pb

from tests.helpers import bad_fields, table_counts
from tests.orders.conftest import member_code, points_of
from tests.orders.test_member_codes_at_the_till import refusal_of, till_sale


@pytest.fixture
def settings(settings):
    return replace(settings, member_rules=replace(settings.member_rules,
                                                  till_earning_needs_code=True))


async def test_a_till_sale_earns_for_a_member_only_with_their_code(stubs, engine):
    _, orders, members = stubs
    before = await table_counts(engine)
    refused = await refusal_of(orders, till_sale("named", member="M-7"))
    assert bad_fields(refused) == ["member_code"]
    assert await table_counts(engine) == before
    sold = (await orders.CreateOrder(till_sale("scanned", await member_code(members, "M-7"))
                                     )).order
    assert (sold.member_id, sold.state, sold.points_awarded) == ("M-7", pb.ORDER_STATE_COMPLETED,
                                                                 100)
    assert await points_of(members, "M-7") == 100
    guest = (await orders.CreateOrder(till_sale("guest"))).order  # a guest earns nothing
    assert (guest.member_id, guest.state) == ("", pb.ORDER_STATE_COMPLETED)
