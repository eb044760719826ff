"""The order and fulfilment-group state machine: every allowed step, and refusals."""

import itertools

import pytest

from services.common.errors import FailedPrecondition
from services.orders.state_machine import (
    GROUP_TRANSITIONS,
    ORDER_TRANSITIONS,
    GroupEvent,
    GroupKind,
    GroupState,
    OrderEvent,
    OrderState,
    can_cancel_paid_order,
    first_group_state,
    next_group_state,
    next_order_state,
    order_is_complete,
    overdue_cancel_reason,
    overdue_group_cancellations,
)


def walk(kind, start, *events):
    state = start
    for event in events:
        state = next_group_state("g-1", kind, state, event)
    return state


def test_online_order_is_paid_then_completed():
    paid = next_order_state("o-1", OrderState.PENDING_PAYMENT, OrderEvent.CONFIRM_PAYMENT)
    assert next_order_state("o-1", paid, OrderEvent.COMPLETE) is OrderState.COMPLETED


def test_unpaid_order_expires_into_cancelled_and_cannot_then_be_paid():
    expired = next_order_state("o-1", OrderState.PENDING_PAYMENT, OrderEvent.EXPIRE)
    assert expired is OrderState.CANCELLED
    with pytest.raises(FailedPrecondition) as caught:
        next_order_state("o-1", expired, OrderEvent.CONFIRM_PAYMENT)
    assert caught.value.reason == "INVALID_STATE_TRANSITION"
    assert caught.value.metadata == {"subject": "order o-1", "state": "CANCELLED",
                                     "event": "CONFIRM_PAYMENT"}


def test_pickup_after_transfer_walks_every_step():
    start = first_group_state(GroupKind.PICKUP, needs_transfer=True)
    assert start is GroupState.AWAITING_TRANSFER
    assert walk(GroupKind.PICKUP, start, GroupEvent.SHIP_TRANSFER, GroupEvent.RECEIVE_TRANSFER,
                GroupEvent.MARK_READY_FOR_PICKUP, GroupEvent.CONFIRM_PICKUP) is GroupState.HANDED_OVER


def test_delivery_is_dispatched_then_delivered():
    start = first_group_state(GroupKind.DELIVERY, needs_transfer=False)
    assert walk(GroupKind.DELIVERY, start, GroupEvent.DISPATCH_DELIVERY,
                GroupEvent.CONFIRM_DELIVERY) is GroupState.HANDED_OVER


def test_a_pos_sale_is_handed_over_at_once():
    assert first_group_state(GroupKind.IN_STORE, needs_transfer=False) is GroupState.HANDED_OVER


@pytest.mark.parametrize("kind,state,event", [
    (GroupKind.PICKUP, GroupState.PREPARING, GroupEvent.CONFIRM_PICKUP),  # code never issued
    (GroupKind.PICKUP, GroupState.PREPARING, GroupEvent.DISPATCH_DELIVERY),  # wrong mode
    (GroupKind.DELIVERY, GroupState.PREPARING, GroupEvent.MARK_READY_FOR_PICKUP),
    (GroupKind.DELIVERY, GroupState.AWAITING_TRANSFER, GroupEvent.DISPATCH_DELIVERY),
    (GroupKind.PICKUP, GroupState.HANDED_OVER, GroupEvent.CANCEL),  # the customer has it
    (GroupKind.DELIVERY, GroupState.OUT_FOR_DELIVERY, GroupEvent.CANCEL),  # with the courier
    (GroupKind.PICKUP, GroupState.IN_TRANSIT, GroupEvent.CANCEL),  # on the road
    (GroupKind.IN_STORE, GroupState.HANDED_OVER, GroupEvent.CONFIRM_PICKUP),
])
def test_steps_out_of_order_are_refused(kind, state, event):
    with pytest.raises(FailedPrecondition) as caught:
        next_group_state("g-1", kind, state, event)
    assert caught.value.reason == "INVALID_STATE_TRANSITION"


def test_every_pair_not_in_the_tables_is_refused():
    for state, event in itertools.product(OrderState, OrderEvent):
        if (state, event) not in ORDER_TRANSITIONS:
            with pytest.raises(FailedPrecondition):
                next_order_state("o", state, event)
    for kind, state, event in itertools.product(GroupKind, GroupState, GroupEvent):
        if (kind, state, event) not in GROUP_TRANSITIONS:
            with pytest.raises(FailedPrecondition):
                next_group_state("g", kind, state, event)


def test_nothing_leaves_a_final_state():
    finals = {OrderState.COMPLETED, OrderState.CANCELLED}
    assert not [key for key in ORDER_TRANSITIONS if key[0] in finals]
    assert not [key for key in GROUP_TRANSITIONS
                if key[1] in (GroupState.HANDED_OVER, GroupState.CANCELLED)]


def test_order_completes_when_its_last_live_group_is_handed_over():
    assert not order_is_complete([GroupState.HANDED_OVER, GroupState.OUT_FOR_DELIVERY])
    assert order_is_complete([GroupState.HANDED_OVER, GroupState.HANDED_OVER])
    assert order_is_complete([GroupState.HANDED_OVER, GroupState.CANCELLED])
    assert not order_is_complete([GroupState.CANCELLED])


def test_a_paid_order_cannot_be_cancelled_while_goods_move_or_have_reached_the_customer():
    assert can_cancel_paid_order([GroupState.PREPARING, GroupState.AWAITING_TRANSFER])
    assert not can_cancel_paid_order([GroupState.PREPARING, GroupState.IN_TRANSIT])
    assert not can_cancel_paid_order([GroupState.PREPARING, GroupState.OUT_FOR_DELIVERY])
    assert not can_cancel_paid_order([GroupState.HANDED_OVER])


def test_an_overdue_paid_order_is_cancelled_unless_goods_are_on_their_way():
    assert overdue_cancel_reason([GroupState.READY_FOR_PICKUP]) == "NOT_COLLECTED"
    assert overdue_cancel_reason([GroupState.READY_FOR_PICKUP, GroupState.CANCELLED]) == \
        "NOT_COLLECTED"
    assert overdue_cancel_reason([GroupState.PREPARING]) == "NOT_FULFILLED"
    assert overdue_cancel_reason([GroupState.AWAITING_TRANSFER]) == "NOT_FULFILLED"
    for on_the_way in (GroupState.IN_TRANSIT, GroupState.OUT_FOR_DELIVERY,
                       GroupState.HANDED_OVER):
        assert overdue_cancel_reason([GroupState.PREPARING, on_the_way]) is None


def test_an_overdue_order_partly_handed_over_loses_only_the_groups_still_at_a_store():
    ready, delivered = GroupState.READY_FOR_PICKUP, GroupState.HANDED_OVER
    assert overdue_group_cancellations([delivered, ready]) == {1: "NOT_COLLECTED"}
    assert overdue_group_cancellations(
        [GroupState.PREPARING, delivered, GroupState.CANCELLED, ready]) == {
        0: "NOT_FULFILLED", 3: "NOT_COLLECTED"}
    assert overdue_group_cancellations([ready, GroupState.PREPARING]) == {}  # cancelled whole
    for on_the_way in (GroupState.IN_TRANSIT, GroupState.OUT_FOR_DELIVERY):
        assert overdue_group_cancellations([delivered, ready, on_the_way]) == {}  # it waits
