"""Orders on the wire (onestock.orders.v1)."""

from __future__ import annotations

from onestock.orders.v1 import order_service_pb2 as pb

from services.inventory.mapping import timestamp
from services.orders.repository import Group, Order
from services.orders.sales_credit import CreditKey, StoreSales

STATE_TO_PB = {s: pb.OrderState.Value(f"ORDER_STATE_{s}") for s in
               ("PENDING_PAYMENT", "PAID", "COMPLETED", "CANCELLED")}
GROUP_STATE_TO_PB = {s: pb.GroupState.Value(f"GROUP_STATE_{s}") for s in (
    "AWAITING_TRANSFER", "IN_TRANSIT", "PREPARING", "READY_FOR_PICKUP", "OUT_FOR_DELIVERY",
    "HANDED_OVER", "CANCELLED")}
KIND_TO_PB = {k: pb.GroupKind.Value(f"GROUP_KIND_{k}") for k in ("PICKUP", "DELIVERY", "IN_STORE")}
CHANNEL_TO_PB = {"MINI_PROGRAM": pb.CHANNEL_MINI_PROGRAM, "POS": pb.CHANNEL_POS}


def _group(group: Group, prices: dict[str, int], with_pickup_code: bool) -> pb.FulfilmentGroup:
    return pb.FulfilmentGroup(
        group_id=group.group_id, kind=KIND_TO_PB[group.kind.value],
        state=GROUP_STATE_TO_PB[group.state.value], location_id=group.location_id,
        dealer_id=group.dealer_id,
        lines=[pb.OrderLine(sku_id=s, quantity=q, unit_price_minor=prices[s]) for s, q in group.lines],
        transfers=[pb.GroupTransfer(
            source_location_id=t.source_id, shipped=t.shipped, received=t.received,
            lines=[pb.OrderLine(sku_id=s, quantity=q, unit_price_minor=prices[s])
                   for s, q in t.lines]) for t in group.transfers],
        delivery_fee_minor=group.delivery_fee_minor,
        planned_ready_time=timestamp(group.planned_ready_time),
        pickup_code=group.pickup_code if with_pickup_code else "",
        courier_reference=group.courier_reference, cancel_reason=group.cancel_reason,
        refund_minor=group.refund_minor, points_restored=group.points_restored,
        handover_time=timestamp(group.handover_time))


def order_to_pb(order: Order, *, with_pickup_codes: bool = False) -> pb.Order:
    """The order as the caller may see it: pickup codes only when ``with_pickup_codes``
    (the customer shows the code at the counter, so the counter must not read it)."""
    prices = {sku: price for sku, _, price in order.lines}
    return pb.Order(
        order_id=order.order_id, channel=CHANNEL_TO_PB[order.channel],
        member_id=order.member_id or "", state=STATE_TO_PB[order.state.value],
        lines=[pb.OrderLine(sku_id=s, quantity=q, unit_price_minor=p,
                            returned_quantity=order.returned.get(s, 0)) for s, q, p in order.lines],
        total_minor=order.total_minor, currency=order.currency,
        groups=[_group(g, prices, with_pickup_codes) for g in order.groups],
        create_time=timestamp(order.create_time), expire_time=timestamp(order.expire_time),
        pay_time=timestamp(order.pay_time), complete_time=timestamp(order.complete_time),
        fulfil_by_time=timestamp(order.fulfil_by),
        cancel_time=timestamp(order.cancel_time), cancel_reason=order.cancel_reason,
        points_awarded=order.points_awarded, points_redeemed=order.points_redeemed,
        points_discount_minor=order.points_discount_minor, payable_minor=order.payable_minor,
        returns=[pb.OrderReturn(
            return_id=r["return_id"], location_id=r["location_id"],
            lines=[pb.OrderLine(sku_id=s, quantity=q, unit_price_minor=p) for s, q, p in r["lines"]],
            refund_minor=r["refund_minor"], points_reversed=r["points_reversed"],
            points_restored=r["points_restored"], create_time=timestamp(r["create_time"]),
            debits=[pb.ReturnDebit(location_id=d.location_id, dealer_id=d.dealer_id,
                                   sku_id=d.sku_id, quantity=d.units,
                                   unit_price_minor=d.unit_price_minor) for d in r["debits"]])
            for r in order.returns])


def store_sales_to_pb(key: CreditKey, sales: StoreSales) -> pb.StoreSales:
    return pb.StoreSales(
        location_id=key.location_id, dealer_id=key.dealer_id, currency=key.currency,
        groups_handed_over=sales.groups_handed_over, units_sold=sales.units_sold,
        goods_sold_minor=sales.goods_sold_minor, units_returned=sales.units_returned,
        goods_returned_minor=sales.goods_returned_minor, net_goods_minor=sales.net_goods_minor)


def order_event_to_pb(row) -> pb.OrderEvent:
    """One row of order_events (repository.order_events) on the wire."""
    return pb.OrderEvent(
        event_id=row["event_id"], action=row["action"], actor=row["actor"],
        state=STATE_TO_PB[row["state"]],
        group_states={group_id: GROUP_STATE_TO_PB[state]
                      for group_id, state in row["group_states"].items()},
        create_time=timestamp(row["create_time"]))
