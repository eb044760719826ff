"""The routing core's plans on the wire (onestock.routing.v1)."""

from __future__ import annotations

import math

from onestock.routing.v1 import routing_service_pb2 as pb

from services.inventory.mapping import timestamp
from services.routing.model import Considered, Mode, OrderLine, Plan, Reason, Shipment, Transfer
from services.routing.store_finder import NearbyStore

MODE_TO_PB = {Mode.PICKUP: pb.FULFILMENT_MODE_PICKUP,
              Mode.SAME_CITY_DELIVERY: pb.FULFILMENT_MODE_SAME_CITY_DELIVERY,
              Mode.AUTO: pb.FULFILMENT_MODE_AUTO}
REASON_TO_PB = {r: pb.CandidateReason.Value(f"CANDIDATE_REASON_{r.value}") for r in Reason}
ROLE_TO_PB = {"pickup": pb.CANDIDATE_ROLE_PICKUP, "delivery": pb.CANDIDATE_ROLE_DELIVERY,
              "transfer_source": pb.CANDIDATE_ROLE_TRANSFER_SOURCE}


def _lines(lines: tuple[OrderLine, ...]) -> list[pb.OrderLine]:
    return [pb.OrderLine(sku_id=ln.sku_id, quantity=ln.quantity) for ln in lines]


def _transfer(t: Transfer) -> pb.Transfer:
    return pb.Transfer(source_location_id=t.source_id, destination_location_id=t.destination_id,
                       lines=_lines(t.lines), distance_km=round(t.distance_km, 3),
                       same_city=t.same_city,
                       cost_minor=t.cost_minor, arrive_time=timestamp(t.arrive_at))


def _shipment(s: Shipment) -> pb.Shipment:
    return pb.Shipment(mode=MODE_TO_PB[s.mode], location_id=s.location_id, lines=_lines(s.lines),
                       distance_km=round(s.distance_km, 3), fee_minor=s.fee_minor,
                       prep_start_time=timestamp(s.prep_start), ready_time=timestamp(s.ready_at),
                       transfers=[_transfer(t) for t in s.transfers])


def _add_candidates(trace, considered: tuple[Considered, ...]) -> None:
    """Each trace entry is added in place and only its set fields are written: a plan's
    trace has dozens of entries, and building each as a message of its own to copy in
    took about 1.5 times as long."""
    add = trace.add
    for c in considered:
        entry = add()
        entry.location_id = c.location_id
        entry.role = ROLE_TO_PB[c.role]
        if c.distance_km != math.inf:  # no road (NO_ROAD_ROUTE): left at 0
            entry.distance_km = round(c.distance_km, 3)
        if c.chosen:
            entry.chosen = True
        if c.reasons:
            entry.reasons.extend([REASON_TO_PB[r] for r in c.reasons])
        if c.short_skus:
            entry.short_sku_ids.extend(c.short_skus)
        if c.opens_at is not None:
            entry.opens_time.CopyFrom(timestamp(c.opens_at))


def distance_measure(by_road: bool) -> int:
    return pb.DISTANCE_MEASURE_ROAD if by_road else pb.DISTANCE_MEASURE_GREAT_CIRCLE


def plan_to_pb(plan: Plan, *, with_trace: bool = True, by_road: bool = False) -> pb.Plan:
    """``by_road``: the request's distances to the customer were measured by road."""
    message = pb.Plan(
        feasible=plan.feasible, mode=MODE_TO_PB[plan.mode], label=plan.label,
        shipments=[_shipment(s) for s in plan.shipments],
        delivery_fee_minor=plan.delivery_fee_minor, transfer_cost_minor=plan.transfer_cost_minor,
        ready_time=timestamp(plan.ready_at),
        score=plan.score if plan.feasible else 0.0,
        unfillable_reasons=plan.unfillable,
        distance_measure=distance_measure(by_road),
    )
    if with_trace:
        _add_candidates(message.trace, plan.trace)
    return message


def nearby_store_to_pb(store: NearbyStore) -> pb.NearbyStore:
    loc = store.location
    return pb.NearbyStore(location_id=loc.location_id, name=loc.name, city=loc.city,
                          distance_km=round(store.distance_km, 3), pickup=loc.can_pickup,
                          delivers_here=store.delivers_here, open_now=store.opens_at is None,
                          opens_time=timestamp(store.opens_at))
