"""Stock transfer use cases (调拨单), each inside the caller's transaction: create (hold at
the source), ship (the units leave it), receive (they join the destination), cancel, and
the sweep that cancels those whose hold ran out.

Lock order as everywhere: the transfer row, then its reservation, then stock rows in key
order (services/inventory/handlers.py).
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncConnection

from services.access.context import SYSTEM_ACCESS, Access, actor
from services.common.errors import NotFound
from services.inventory import handlers
from services.inventory import repository as repo
from services.inventory.domain import (
    Channel,
    LineRequest,
    ReservationState,
    ReserveCommand,
)
from services.inventory.reserve_batcher import reserve_locked
from services.inventory.transfers import (
    NewTransfer,
    StockTransfer,
    TransferEvent,
    TransferState,
    next_state,
    received_lines,
)


async def create_transfer(conn: AsyncConnection, new: NewTransfer) -> StockTransfer:
    """Hold the units at the source for the transfer: all of them or none
    (INSUFFICIENT_STOCK naming every short line)."""
    skus = [sku for sku, _ in new.lines]
    await handlers.require_known(conn, [new.source_id, new.destination_id], skus)
    keys = sorted((new.source_id, sku) for sku in skus)
    await repo.create_stock_rows(conn, keys)
    levels = await repo.lock_stock(conn, keys)
    transfer_id = str(uuid.uuid4())
    [held] = await reserve_locked(conn, [ReserveCommand(
        f"transfer:{new.request_id}", Channel.OPS, f"transfer:{transfer_id}",
        tuple(LineRequest(new.source_id, sku, units) for sku, units in new.lines), new.ttl_s,
        actor=actor())], levels)
    transfer = StockTransfer(
        transfer_id, new.source_id, new.destination_id,
        [(sku, units, 0) for sku, units in new.lines], TransferState.REQUESTED,
        held.reservation_id, held.expire_time, note=new.note, created_by=actor())
    await repo.insert_transfer(conn, transfer)
    return transfer


async def _locked(conn: AsyncConnection, transfer_id: str) -> StockTransfer:
    transfer = await repo.load_transfer(conn, transfer_id, lock=True)
    if transfer is None:
        raise NotFound("stock transfer", transfer_id, field="transfer_id")
    return transfer


async def ship_transfer(conn: AsyncConnection, transfer_id: str, request_id: str,
                        access: Access = SYSTEM_ACCESS) -> StockTransfer:
    """The source sends the units: its hold is sold out of its on_hand (RESERVATION_EXPIRED
    when the hold lapsed first: cancel the transfer and ask again)."""
    transfer = await _locked(conn, transfer_id)
    access.require_location(transfer.source_id, "transfer_id")
    target = next_state(transfer, TransferEvent.SHIP)
    await handlers.commit_reservation(conn, request_id, transfer.reservation_id, [])
    transfer.state, transfer.ship_time = target, await repo.db_now(conn)
    await repo.save_transfer(conn, transfer)
    return transfer


async def receive_transfer(conn: AsyncConnection, transfer_id: str, request_id: str,
                           arrived: dict[str, int], access: Access = SYSTEM_ACCESS
                           ) -> StockTransfer:
    """The destination takes in what arrived (``arrived``: SKUs that came short), through
    the ledger as receipts; what is missing stays on the transfer as sent less received."""
    transfer = await _locked(conn, transfer_id)
    access.require_location(transfer.destination_id, "transfer_id")
    target = next_state(transfer, TransferEvent.RECEIVE)
    lines = received_lines(transfer, arrived)
    await handlers.receive_units(conn, transfer.destination_id,
                                 {sku: got for sku, _, got in lines}, request_id,
                                 f"stock transfer {transfer_id} from {transfer.source_id}")
    transfer.lines, transfer.state = lines, target
    transfer.receive_time = await repo.db_now(conn)
    await repo.save_transfer(conn, transfer)
    return transfer


async def cancel_transfer(conn: AsyncConnection, transfer_id: str, request_id: str,
                          reason: str) -> StockTransfer:
    """Call a transfer off before it ships: its hold goes back on the source's shelf."""
    transfer = await _locked(conn, transfer_id)
    await _cancel(conn, transfer, reason, ReservationState.RELEASED, request_id)
    return transfer


async def lapse_due(conn: AsyncConnection, limit: int = 100) -> int:
    """Cancel transfers whose hold ran out before they shipped (HOLD_LAPSED), giving the
    units back as expired; returns how many. Without it head office would find, days on, a
    transfer no one can ship. Runs before the reservation sweep, as orders settle theirs."""
    ids = await repo.lock_lapsed_transfers(conn, limit)
    for transfer_id in ids:
        transfer = await repo.load_transfer(conn, transfer_id)  # locked just now
        await _cancel(conn, transfer, "HOLD_LAPSED", ReservationState.EXPIRED, None)
    return len(ids)


async def _cancel(conn: AsyncConnection, transfer: StockTransfer, reason: str,
                  closing: ReservationState, request_id: str | None) -> None:
    target = next_state(transfer, TransferEvent.CANCEL)
    await handlers.give_back_active(conn, {transfer.reservation_id: request_id}, closing)
    transfer.state, transfer.cancel_reason = target, reason
    transfer.cancel_time = await repo.db_now(conn)
    await repo.save_transfer(conn, transfer)

