"""Stock transfers between locations outside any order (调拨单), as values and rules with
no I/O: which steps a transfer may take, and what a receipt may say arrived.

Head office moves units from where they sit to where they sell: a transfer holds them at
the source (a reservation, so no till or order sells them meanwhile), ships them (they leave
the source's on_hand), and the destination receives them (they join its on_hand). What was
lost on the way stays on the transfer: sent less received.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from services.common.errors import FailedPrecondition, FieldViolation, InvalidArgument


class TransferState(enum.StrEnum):
    REQUESTED = "REQUESTED"  # held at the source
    IN_TRANSIT = "IN_TRANSIT"  # left the source
    RECEIVED = "RECEIVED"  # joined the destination's shelf
    CANCELLED = "CANCELLED"  # before it shipped: the hold released


class TransferEvent(enum.StrEnum):
    SHIP = "SHIP"
    RECEIVE = "RECEIVE"
    CANCEL = "CANCEL"


TRANSITIONS = {
    (TransferState.REQUESTED, TransferEvent.SHIP): TransferState.IN_TRANSIT,
    (TransferState.REQUESTED, TransferEvent.CANCEL): TransferState.CANCELLED,
    (TransferState.IN_TRANSIT, TransferEvent.RECEIVE): TransferState.RECEIVED,
}


@dataclass(frozen=True)
class NewTransfer:
    request_id: str
    source_id: str
    destination_id: str
    lines: tuple[tuple[str, int], ...]  # (sku_id, units), one per SKU
    note: str
    ttl_s: int


@dataclass
class StockTransfer:
    transfer_id: str
    source_id: str
    destination_id: str
    lines: list[tuple[str, int, int]]  # (sku_id, quantity sent, quantity received)
    state: TransferState
    reservation_id: str
    hold_expire_time: datetime
    note: str = ""
    created_by: str = ""
    create_time: datetime | None = None
    ship_time: datetime | None = None
    receive_time: datetime | None = None
    cancel_time: datetime | None = None
    cancel_reason: str = ""  # CancelStockTransfer's reason, or HOLD_LAPSED


def next_state(transfer: StockTransfer, event: TransferEvent) -> TransferState:
    """The state ``event`` takes the transfer to; INVALID_STATE_TRANSITION otherwise."""
    target = TRANSITIONS.get((transfer.state, event))
    if target is None:
        raise FailedPrecondition(
            f"stock transfer {transfer.transfer_id} is {transfer.state}: {event} is not allowed",
            reason="INVALID_STATE_TRANSITION",
            metadata={"subject": f"stock transfer {transfer.transfer_id}",
                      "state": transfer.state.value, "event": event.value})
    return target


def received_lines(transfer: StockTransfer, arrived: Mapping[str, int]
                   ) -> list[tuple[str, int, int]]:
    """The transfer's lines with what arrived: ``arrived`` gives units per SKU that came
    short (a SKU left out arrived whole). A SKU not on the transfer, or more units than
    were sent, is refused by field: a receipt cannot make stock out of nothing."""
    sent = {sku: quantity for sku, quantity, _ in transfer.lines}
    violations = []
    for i, (sku, units) in enumerate(arrived.items()):
        if sku not in sent:
            violations.append(FieldViolation(f"received_lines[{i}].sku_id",
                                             f"{sku} is not on transfer {transfer.transfer_id}"))
        elif not 0 <= units <= sent[sku]:
            violations.append(FieldViolation(f"received_lines[{i}].quantity",
                                             f"must be 0 to the {sent[sku]} units sent"))
    if violations:
        raise InvalidArgument(violations)
    return [(sku, quantity, arrived.get(sku, quantity)) for sku, quantity, _ in transfer.lines]
