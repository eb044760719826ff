"""The order lifecycle as data: which transitions exist, and nothing else (no I/O).

An order holds one or more fulfilment groups, one per shipment of its routing
plan (a split delivery has several). Each group moves through its own steps;
the order completes when its last group is handed over. Any transition not in
these tables is refused with INVALID_STATE_TRANSITION and changes nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from services.common.errors import FailedPrecondition


class OrderState(enum.StrEnum):
    PENDING_PAYMENT = "PENDING_PAYMENT"  # created, stock held for a limited time
    PAID = "PAID"  # paid; groups are being fulfilled
    COMPLETED = "COMPLETED"  # every group handed over; points awarded
    CANCELLED = "CANCELLED"  # by the customer, by ops, or by the unpaid-order timeout


class OrderEvent(enum.StrEnum):
    CONFIRM_PAYMENT = "CONFIRM_PAYMENT"
    CANCEL = "CANCEL"
    EXPIRE = "EXPIRE"  # unpaid too long
    COMPLETE = "COMPLETE"  # the last group was handed over (or a POS sale)


class GroupKind(enum.StrEnum):
    PICKUP = "PICKUP"
    DELIVERY = "DELIVERY"
    IN_STORE = "IN_STORE"  # a POS sale: handed over at the till


class GroupState(enum.StrEnum):
    AWAITING_TRANSFER = "AWAITING_TRANSFER"  # missing units must come from another location
    IN_TRANSIT = "IN_TRANSIT"  # the transfer left its source
    PREPARING = "PREPARING"  # the store has everything and is picking
    READY_FOR_PICKUP = "READY_FOR_PICKUP"  # on the counter, pickup code issued
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"  # a courier has it
    HANDED_OVER = "HANDED_OVER"  # collected, delivered, or sold at the till
    CANCELLED = "CANCELLED"


class GroupEvent(enum.StrEnum):
    SHIP_TRANSFER = "SHIP_TRANSFER"
    RECEIVE_TRANSFER = "RECEIVE_TRANSFER"
    MARK_READY_FOR_PICKUP = "MARK_READY_FOR_PICKUP"
    CONFIRM_PICKUP = "CONFIRM_PICKUP"
    DISPATCH_DELIVERY = "DISPATCH_DELIVERY"
    CONFIRM_DELIVERY = "CONFIRM_DELIVERY"
    CANCEL = "CANCEL"


ORDER_TRANSITIONS: dict[tuple[OrderState, OrderEvent], OrderState] = {
    (OrderState.PENDING_PAYMENT, OrderEvent.CONFIRM_PAYMENT): OrderState.PAID,
    (OrderState.PENDING_PAYMENT, OrderEvent.CANCEL): OrderState.CANCELLED,
    (OrderState.PENDING_PAYMENT, OrderEvent.EXPIRE): OrderState.CANCELLED,
    (OrderState.PAID, OrderEvent.CANCEL): OrderState.CANCELLED,
    (OrderState.PAID, OrderEvent.COMPLETE): OrderState.COMPLETED,
}

_PICKUP, _DELIVERY = GroupKind.PICKUP, GroupKind.DELIVERY
GROUP_TRANSITIONS: dict[tuple[GroupKind, GroupState, GroupEvent], GroupState] = {
    # a transfer first, whichever way the goods then leave
    **{(kind, GroupState.AWAITING_TRANSFER, GroupEvent.SHIP_TRANSFER): GroupState.IN_TRANSIT
       for kind in (_PICKUP, _DELIVERY)},
    **{(kind, GroupState.IN_TRANSIT, GroupEvent.RECEIVE_TRANSFER): GroupState.PREPARING
       for kind in (_PICKUP, _DELIVERY)},
    # pickup (门店自提)
    (_PICKUP, GroupState.PREPARING, GroupEvent.MARK_READY_FOR_PICKUP): GroupState.READY_FOR_PICKUP,
    (_PICKUP, GroupState.READY_FOR_PICKUP, GroupEvent.CONFIRM_PICKUP): GroupState.HANDED_OVER,
    # same-city delivery (同城配送)
    (_DELIVERY, GroupState.PREPARING, GroupEvent.DISPATCH_DELIVERY): GroupState.OUT_FOR_DELIVERY,
    (_DELIVERY, GroupState.OUT_FOR_DELIVERY, GroupEvent.CONFIRM_DELIVERY): GroupState.HANDED_OVER,
    # cancelling: only while the goods sit still in one place. Not in transit (they must
    # arrive, through ReceiveTransfer, to be back in the ledger), not with a courier or the
    # customer (they come back through a return).
    **{(kind, state, GroupEvent.CANCEL): GroupState.CANCELLED
       for kind in (_PICKUP, _DELIVERY)
       for state in (GroupState.AWAITING_TRANSFER, GroupState.PREPARING,
                     GroupState.READY_FOR_PICKUP)},
}

# Orders may be cancelled while paid only if no group has been handed over or is out
# with a courier: goods already with the customer come back through a return instead.
CANCELLABLE_GROUP_STATES = frozenset(
    state for (_, state, event) in GROUP_TRANSITIONS if event is GroupEvent.CANCEL)


def invalid_transition(subject: str, state: str, event: str) -> FailedPrecondition:
    return FailedPrecondition(
        f"{subject} is {state}: {event} is not allowed",
        reason="INVALID_STATE_TRANSITION",
        metadata={"subject": subject, "state": state, "event": event},
    )


def next_order_state(order_id: str, state: OrderState, event: OrderEvent) -> OrderState:
    target = ORDER_TRANSITIONS.get((state, event))
    if target is None:
        raise invalid_transition(f"order {order_id}", state.value, event.value)
    return target


def next_group_state(group_id: str, kind: GroupKind, state: GroupState, event: GroupEvent
                     ) -> GroupState:
    target = GROUP_TRANSITIONS.get((kind, state, event))
    if target is None:
        raise invalid_transition(f"fulfilment group {group_id}", state.value, event.value)
    return target


def first_group_state(kind: GroupKind, needs_transfer: bool) -> GroupState:
    """Where a group starts once its order is paid (a POS sale is handed over at once)."""
    if kind is GroupKind.IN_STORE:
        return GroupState.HANDED_OVER
    return GroupState.AWAITING_TRANSFER if needs_transfer else GroupState.PREPARING


def order_is_complete(group_states: Iterable[GroupState]) -> bool:
    """The order completes when every group not cancelled is handed over (and one was)."""
    live = [s for s in group_states if s is not GroupState.CANCELLED]
    return bool(live) and all(s is GroupState.HANDED_OVER for s in live)


def can_cancel_paid_order(group_states: Iterable[GroupState]) -> bool:
    return all(s in CANCELLABLE_GROUP_STATES or s is GroupState.CANCELLED for s in group_states)


def overdue_cancel_reason(group_states: Iterable[GroupState]) -> str | None:
    """What becomes of a paid order still open at its fulfil-by time: the reason it is
    cancelled, or None when goods are on their way (in transit, with a courier) or already
    with the customer, and the order must wait for them. A pickup nobody came for is
    NOT_COLLECTED (逾期未取)."""
    states = list(group_states)
    if not can_cancel_paid_order(states):
        return None
    return _why_overdue(GroupState.READY_FOR_PICKUP in states)


def overdue_group_cancellations(group_states: Iterable[GroupState]) -> dict[int, str]:
    """For a paid order past its fulfil-by time of which the customer already has a part:
    the groups still waiting at a store, by position, each with the reason to cancel it on
    its own, so that the order completes with what was handed over (a delivered half and a
    pickup nobody came for). Empty when nothing was handed over (the order is cancelled
    whole, see overdue_cancel_reason) or goods are on their way (the order waits)."""
    states = list(group_states)
    waiting = {i: s for i, s in enumerate(states) if s in CANCELLABLE_GROUP_STATES}
    done = sum(s in (GroupState.HANDED_OVER, GroupState.CANCELLED) for s in states)
    if GroupState.HANDED_OVER not in states or len(waiting) + done != len(states):
        return {}
    return {i: _why_overdue(s is GroupState.READY_FOR_PICKUP) for i, s in waiting.items()}


def _why_overdue(waiting_at_the_counter: bool) -> str:
    """A pickup nobody came for is NOT_COLLECTED (逾期未取); anything else still at a store
    was never fulfilled."""
    return "NOT_COLLECTED" if waiting_at_the_counter else "NOT_FULFILLED"
