"""Properties of the routing core on random chains, against a plain brute-force reference."""

import random
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.common.geo import haversine_km
from services.inventory.catalogue import Location, LocationKind, OpeningHours
from services.routing.chain import Chain
from services.routing.model import Mode, OrderLine, RouteRequest
from services.routing.planner import quote, route
from services.routing.policy import DEFAULT_POLICY, DeliveryBand, RoutingPolicy, Weights
from tests.routing.chains import AFTERNOON, CUSTOMER

SKUS = ("LAMP", "SOFA", "VASE", "RUG")
CITIES = ("Shanghai", "Shanghai", "Shanghai", "Suzhou")


@st.composite
def scenarios(draw):
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    locations, stock = [], {}
    for i in range(draw(st.integers(1, 14))):
        warehouse = rng.random() < 0.15
        loc = Location(
            location_id=f"L{rng.randrange(1000):03d}-{i}",
            name="x",
            kind=LocationKind.WAREHOUSE if warehouse else LocationKind.STORE,
            latitude=CUSTOMER[0] + rng.uniform(-0.12, 0.12),
            longitude=CUSTOMER[1] + rng.uniform(-0.12, 0.12),
            city=rng.choice(CITIES),
            can_pickup=not warehouse and rng.random() < 0.8,
            can_deliver=not warehouse and rng.random() < 0.7,
            can_transfer=warehouse or rng.random() < 0.3,
            delivery_radius_km=rng.choice((2.0, 4.0, 6.0)),
            opening_hours=() if warehouse or rng.random() < 0.5 else (OpeningHours(600, 1320),),
        )
        locations.append(loc)
        stock[loc.location_id] = {s: rng.randint(0, 3) for s in SKUS if rng.random() < 0.7}
    lines = tuple(OrderLine(s, rng.randint(1, 3)) for s in rng.sample(SKUS, rng.randint(1, 3)))
    mode = draw(st.sampled_from(list(Mode)))
    at = AFTERNOON + timedelta(hours=draw(st.integers(0, 23)))
    request = RouteRequest(lines, CUSTOMER[0], CUSTOMER[1], "Shanghai", mode, at)
    return locations, stock, request


@st.composite
def policies(draw):
    """The default policy, or one with random weights and delivery bands whose fees and
    courier times need not grow with distance (a policy file may say so)."""
    if draw(st.booleans()):
        return DEFAULT_POLICY
    edges = draw(st.lists(st.integers(5, 120), min_size=1, max_size=3, unique=True))
    bands = tuple(DeliveryBand(edge / 10, draw(st.sampled_from((0, 300, 600, 1500))),
                               draw(st.sampled_from((0, 20, 45, 90))))
                  for edge in sorted(edges))
    weight = st.sampled_from((0.0, 0.5, 1.0, 2.0, 8.0))
    return RoutingPolicy(
        pickup_radius_km=draw(st.sampled_from((3.0, 10.0))),
        prep_minutes=draw(st.sampled_from((0, 30))),
        max_split=draw(st.integers(1, 3)),
        delivery_bands=bands,
        weights=Weights(*(draw(weight) for _ in range(5))),
    )


def _rank(plan):
    """How route ranks plans: score to nine places, then the first store's distance, then ids."""
    return (round(plan.score, 9), plan.shipments[0].distance_km,
            [s.location_id for s in plan.shipments])


def brute_force_nearest_complete_pickup(locations, stock, request, policy):
    best = None
    for loc in locations:
        distance = haversine_km(request.latitude, request.longitude, loc.latitude, loc.longitude)
        have = stock.get(loc.location_id, {})
        if (loc.can_pickup and distance <= policy.pickup_radius_km
                and all(have.get(ln.sku_id, 0) >= ln.quantity for ln in request.lines)):
            key = (distance, loc.location_id)
            best = min(best, key) if best else key
    return best[1] if best else None


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), policies())
def test_plans_obey_the_rules_a_brute_force_reference_checks(scenario, policy):
    locations, stock, request = scenario
    plan = route(Chain(locations), request, stock, policy)
    by_id = {loc.location_id: loc for loc in locations}

    # the same input gives the same plan, whatever order the chain was given in
    shuffled = list(reversed(locations))
    assert route(Chain(shuffled), request, stock, policy) == plan

    if request.mode is Mode.PICKUP:
        expected = brute_force_nearest_complete_pickup(locations, stock, request, policy)
        if expected is not None:
            assert plan.label == "pickup" and plan.shipments[0].location_id == expected
        else:
            assert plan.label in ("pickup after transfer", "unfillable")

    # the scans that stop early, and pass over candidates, choose what looking at every
    # option (as quote does) would
    if request.mode is not Mode.PICKUP:
        options = quote(Chain(locations), request, stock, policy)
        if request.mode is Mode.AUTO:
            every = [p for plans in vars(options).values() for p in plans]
        else:  # a single store if any can, else a split or a transfer into a delivering store
            every = [p for p in options.delivery if p.label == "delivery"] or [
                p for p in options.delivery + options.transfer
                if p.label in ("split delivery", "delivery after transfer")]
        best = min(every, key=_rank, default=None)
        assert (plan.shipments, plan.score) == ((best.shipments, best.score) if best else ((),
                                                                                          plan.score))

    if not plan.feasible:
        assert plan.unfillable
        return

    # no location gives more than it has
    for (location_id, sku), units in plan.units_taken().items():
        assert units <= stock.get(location_id, {}).get(sku, 0), (location_id, sku)

    # the quantities add up to the order, no more, no less
    handed = {}
    for shipment in plan.shipments:
        for line in shipment.lines:
            handed[line.sku_id] = handed.get(line.sku_id, 0) + line.quantity
    assert handed == {ln.sku_id: ln.quantity for ln in request.lines}

    for shipment in plan.shipments:
        loc = by_id[shipment.location_id]
        distance = haversine_km(request.latitude, request.longitude, loc.latitude, loc.longitude)
        if shipment.mode is Mode.SAME_CITY_DELIVERY:
            # a delivery never leaves the store's radius or city
            assert loc.can_deliver and loc.city == request.city
            assert distance <= loc.delivery_radius_km
        else:
            assert loc.can_pickup
        assert shipment.ready_at >= request.placed_at + timedelta(minutes=policy.prep_minutes)
        assert loc.is_open_at(shipment.prep_start)
        for transfer in shipment.transfers:
            assert by_id[transfer.source_id].can_transfer
            assert transfer.source_id != shipment.location_id
