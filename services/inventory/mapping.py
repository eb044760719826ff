"""Translation between the wire (onestock.inventory.v1) and the domain values."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from onestock.inventory.v1 import inventory_service_pb2 as pb

from services.inventory.catalogue import (
    ClosedPeriod,
    Location,
    LocationKind,
    OpeningHours,
    SaleStatus,
    Sku,
    in_start_order,
)
from services.inventory.domain import (
    AdjustmentReason,
    Channel,
    MovementKind,
    Reservation,
    ReservationState,
    StockChange,
    StockLevel,
)
from services.inventory.transfers import StockTransfer, TransferState

# The most one Availability can take on the wire: two ids of up to 64 characters, five
# counts, a distance, a reopening time (14 bytes with its framing), a sale status, and the
# framing of each. An answer holds max_message_bytes / this.
AVAILABILITY_MAX_BYTES = 224

LOCATION_KIND_TO_PB = {LocationKind.STORE: pb.LOCATION_KIND_STORE,
                       LocationKind.WAREHOUSE: pb.LOCATION_KIND_WAREHOUSE}
LOCATION_KIND_FROM_PB = {v: k for k, v in LOCATION_KIND_TO_PB.items()}
CHANNEL_TO_PB = {Channel.MINI_PROGRAM: pb.CHANNEL_MINI_PROGRAM, Channel.POS: pb.CHANNEL_POS,
                 Channel.OPS: pb.CHANNEL_OPS}
CHANNEL_FROM_PB = {v: k for k, v in CHANNEL_TO_PB.items()}
STATE_TO_PB = {s: pb.ReservationState.Value(f"RESERVATION_STATE_{s.value}") for s in ReservationState}
KIND_TO_PB = {k: pb.MovementKind.Value(f"MOVEMENT_KIND_{k.value}") for k in MovementKind}
REASON_TO_PB = {r: pb.AdjustmentReason.Value(f"ADJUSTMENT_REASON_{r.value}") for r in AdjustmentReason}
REASON_FROM_PB = {v: k for k, v in REASON_TO_PB.items()}
SALE_STATUS_TO_PB = {s: pb.SaleStatus.Value(f"SALE_STATUS_{s.value}") for s in SaleStatus}
SALE_STATUS_FROM_PB = {v: k for k, v in SALE_STATUS_TO_PB.items()}


def timestamp(when: datetime | None) -> Timestamp | None:
    if when is None:
        return None
    seconds = when.timestamp()
    whole = int(seconds // 1)
    return Timestamp(seconds=whole, nanos=when.microsecond * 1000)


def location_to_pb(loc: Location) -> pb.Location:
    return pb.Location(
        location_id=loc.location_id,
        name=loc.name,
        kind=LOCATION_KIND_TO_PB[loc.kind],
        latitude=loc.latitude,
        longitude=loc.longitude,
        city=loc.city,
        capabilities=pb.Capabilities(
            pickup=loc.can_pickup, same_city_delivery=loc.can_deliver,
            transfer_source=loc.can_transfer,
        ),
        delivery_radius_km=loc.delivery_radius_km,
        time_zone=loc.time_zone,
        opening_hours=[
            pb.OpeningHours(iso_weekdays=h.iso_weekdays, open_minute=h.open_minute,
                            close_minute=h.close_minute)
            for h in loc.opening_hours
        ],
        dealer_id=loc.dealer_id,
        closures=[pb.ClosedPeriod(start_time=timestamp(c.start), end_time=timestamp(c.end),
                                  reason=c.reason) for c in loc.closures],
    )


def location_from_pb(msg: pb.Location) -> Location:
    """Assumes ``msg`` passed validation."""
    return Location(
        location_id=msg.location_id,
        name=msg.name,
        kind=LOCATION_KIND_FROM_PB[msg.kind],
        latitude=msg.latitude,
        longitude=msg.longitude,
        city=msg.city,
        can_pickup=msg.capabilities.pickup,
        can_deliver=msg.capabilities.same_city_delivery,
        can_transfer=msg.capabilities.transfer_source,
        delivery_radius_km=msg.delivery_radius_km,
        time_zone=msg.time_zone or "Asia/Shanghai",
        opening_hours=tuple(
            OpeningHours(h.open_minute, h.close_minute, tuple(sorted(set(h.iso_weekdays))))
            for h in msg.opening_hours
        ),
        dealer_id=msg.dealer_id,
        closures=in_start_order(
            ClosedPeriod(c.start_time.ToDatetime(tzinfo=UTC), c.end_time.ToDatetime(tzinfo=UTC),
                         c.reason) for c in msg.closures),
    )


def sku_to_pb(sku: Sku) -> pb.Sku:
    return pb.Sku(sku_id=sku.sku_id, name=sku.name, spec=sku.spec, price_minor=sku.price_minor,
                  currency=sku.currency, sale_status=SALE_STATUS_TO_PB.get(sku.sale_status, 0))


def sku_from_pb(msg: pb.Sku) -> Sku:
    """The SKU to store; an unset sale status (None) keeps the stored one."""
    return Sku(msg.sku_id, msg.name, msg.price_minor, msg.currency or "CNY", msg.spec,
               SALE_STATUS_FROM_PB.get(msg.sale_status))


def stock_to_pb(level: StockLevel) -> pb.StockLevel:
    return pb.StockLevel(
        location_id=level.location_id,
        sku_id=level.sku_id,
        on_hand=level.on_hand,
        reserved=level.reserved,
        safety_stock=level.safety_stock,
        available_online=level.available_online,
        available_pos=level.available_pos,
    )


def change_to_pb(change: StockChange, movement_id: int, created: datetime) -> pb.StockMovement:
    return pb.StockMovement(
        movement_id=movement_id,
        location_id=change.after.location_id,
        sku_id=change.after.sku_id,
        kind=KIND_TO_PB[change.kind],
        reason=REASON_TO_PB[change.reason] if change.reason else 0,
        on_hand_delta=change.on_hand_delta,
        reserved_delta=change.reserved_delta,
        safety_stock_delta=change.safety_stock_delta,
        on_hand_after=change.after.on_hand,
        reserved_after=change.after.reserved,
        reservation_id=change.reservation_id or "",
        request_id=change.request_id or "",
        note=change.note,
        create_time=timestamp(created),
    )


def movement_row_to_pb(row) -> pb.StockMovement:
    return pb.StockMovement(
        movement_id=row.movement_id,
        location_id=row.location_id,
        sku_id=row.sku_id,
        kind=KIND_TO_PB[MovementKind(row.kind)],
        reason=REASON_TO_PB[AdjustmentReason(row.reason)] if row.reason else 0,
        on_hand_delta=row.on_hand_delta,
        reserved_delta=row.reserved_delta,
        safety_stock_delta=row.safety_stock_delta,
        on_hand_after=row.on_hand_after,
        reserved_after=row.reserved_after,
        reservation_id=row.reservation_id or "",
        request_id=row.request_id or "",
        note=row.note,
        create_time=timestamp(row.create_time),
        actor=row.actor,
    )


def reservation_to_pb(res: Reservation) -> pb.Reservation:
    return pb.Reservation(
        reservation_id=res.reservation_id,
        channel=CHANNEL_TO_PB[res.channel],
        reference=res.reference,
        state=STATE_TO_PB[res.state],
        lines=[
            pb.ReservationLine(location_id=line.location_id, sku_id=line.sku_id,
                               quantity=line.quantity, committed_quantity=line.committed_quantity)
            for line in res.lines
        ],
        create_time=timestamp(res.create_time),
        expire_time=timestamp(res.expire_time),
        close_time=timestamp(res.close_time),
        member_id=res.member_id,
    )


TRANSFER_STATE_TO_PB = {s: pb.StockTransferState.Value(f"STOCK_TRANSFER_STATE_{s.value}")
                        for s in TransferState}
TRANSFER_STATE_FROM_PB = {v: k for k, v in TRANSFER_STATE_TO_PB.items()}


def transfer_to_pb(transfer: StockTransfer) -> pb.StockTransfer:
    return pb.StockTransfer(
        transfer_id=transfer.transfer_id, source_location_id=transfer.source_id,
        destination_location_id=transfer.destination_id,
        lines=[pb.StockTransferLine(sku_id=sku, quantity=sent, received_quantity=got)
               for sku, sent, got in transfer.lines],
        state=TRANSFER_STATE_TO_PB[transfer.state], note=transfer.note,
        reservation_id=transfer.reservation_id,
        hold_expire_time=timestamp(transfer.hold_expire_time),
        create_time=timestamp(transfer.create_time), ship_time=timestamp(transfer.ship_time),
        receive_time=timestamp(transfer.receive_time),
        cancel_time=timestamp(transfer.cancel_time), cancel_reason=transfer.cancel_reason)
