"""The moves file head office keeps from `onestock rebalance`, read and made into stock
transfers, as CreateStockTransfer makes them (the units held at the source).

The rows that share a request_id are one transfer: one source, one destination, each SKU
once. The whole file is checked before anything is created. Each transfer is then its own
transaction and its own idempotent request, so running the same file again (after a crash, a
refusal, a lost terminal) creates only the transfers not made yet. A transfer whose rows were
changed after it was created is refused (REQUEST_ID_REUSED), never created a second time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from onestock.inventory.v1 import inventory_service_pb2 as pb
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.config import Limits
from services.common.errors import Collector, InvalidArgument, OneStockError
from services.common.idempotency import idempotent
from services.common.input_files import (
    BadField,
    FileKind,
    InputError,
    by_rule,
    identifier,
    rows,
    text,
    whole,
)
from services.common.validation import check_request_id, check_text
from services.inventory import mapping, transfer_handlers, validation
from services.inventory.transfers import NewTransfer

MOVES = FileKind("moves", ("request_id", "sku_id", "source_location_id",
                           "destination_location_id", "units"))


@dataclass
class PlannedTransfer:
    """One transfer as the file gives it, with the line of its first row for messages."""

    line: int
    request: pb.CreateStockTransferRequest
    rows: dict[str, int] = field(default_factory=dict)  # SKU -> its line
    new: NewTransfer | None = None  # once checked


@dataclass
class Outcome:
    """What became of one transfer: made now, made by an earlier run, or refused."""

    planned: PlannedTransfer
    transfer: pb.StockTransfer | None = None
    created_now: bool = False
    refusal: OneStockError | None = None


def read_transfers(path: Path, limits: Limits, note: str = "", ttl_s: int = 0
                   ) -> list[PlannedTransfer]:
    """The file's transfers in the order they first appear; a bad row is an InputError
    naming its line and field, and nothing is created."""
    planned: dict[str, PlannedTransfer] = {}
    for line, row in rows(path, MOVES):
        try:
            request_id, sku = text(row, "request_id"), identifier(row, "sku_id")
            by_rule(check_request_id, request_id)
            source = identifier(row, "source_location_id")
            destination = identifier(row, "destination_location_id")
            units = whole(row, "units", minimum=1, maximum=limits.max_quantity)
        except BadField as bad:
            raise InputError(path, line, bad.field, bad.problem) from None
        transfer = planned.setdefault(request_id, PlannedTransfer(
            line, pb.CreateStockTransferRequest(
                request_id=request_id, source_location_id=source,
                destination_location_id=destination, note=note, ttl_seconds=ttl_s)))
        _check_belongs(path, line, transfer, source, destination, sku)
        transfer.rows[sku] = line
        transfer.request.lines.add(sku_id=sku, quantity=units)
    return list(planned.values())


def _check_belongs(path: Path, line: int, transfer: PlannedTransfer, source: str,
                   destination: str, sku: str) -> None:
    request = transfer.request
    for name, value, first in (("source_location_id", source, request.source_location_id),
                               ("destination_location_id", destination,
                                request.destination_location_id)):
        if value != first:
            raise InputError(path, line, name, f"{value} differs from line {transfer.line}'s "
                                               f"{first}: the rows of request_id "
                                               f"{request.request_id} are one transfer")
    if sku in transfer.rows:
        raise InputError(path, line, "sku_id", f"{sku} is on line {transfer.rows[sku]} already, "
                                               f"in the same transfer ({request.request_id})")


def check_transfers(path: Path, planned: list[PlannedTransfer], limits: Limits) -> None:
    """Each transfer by the API's own rules (a source that is its destination, more lines
    than a transfer may hold), before any is created."""
    for transfer in planned:
        try:
            transfer.new = validation.new_transfer(transfer.request, limits)
        except InvalidArgument as error:
            first = error.violations[0]
            raise InputError(path, transfer.line, first.field,
                             f"{first.description} (transfer {transfer.request.request_id})"
                             ) from None


async def create(engine: AsyncEngine, planned: list[PlannedTransfer], outcomes: list[Outcome]
                 ) -> None:
    """Create each checked transfer in its own transaction, adding its outcome to
    ``outcomes`` once committed; a refusal is kept and the rest go on."""
    for transfer in planned:
        outcome = Outcome(transfer)

        async def work(conn, new=transfer.new, outcome=outcome):
            outcome.created_now = True
            made = await transfer_handlers.create_transfer(conn, new)
            return pb.CreateStockTransferResponse(transfer=mapping.transfer_to_pb(made))

        try:
            response = await idempotent(engine, "CreateStockTransfer", transfer.request,
                                        pb.CreateStockTransferResponse, work)
            outcome.transfer = response.transfer
        except OneStockError as refusal:
            outcome.created_now, outcome.refusal = False, refusal
        outcomes.append(outcome)


def option_problem(note: str, ttl_s: int, limits: Limits) -> str:
    """What is wrong with the options, by the rules the file's transfers meet, so that it is
    named as an option rather than at the file's first line."""
    errors = Collector()
    check_text(errors, note, "--note", validation.MAX_TRANSFER_NOTE)
    errors.check(ttl_s <= limits.max_ttl_s, "--hold-hours",
                 f"must be at most {limits.max_ttl_s // 3600} (ONESTOCK_MAX_TTL_S)")
    return "; ".join(f"{v.field}: {v.description}" for v in errors.violations)
