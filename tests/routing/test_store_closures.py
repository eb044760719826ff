"""Closed periods (Spring Festival, a refit): when a location opens, and how routing treats a
store in one. Pure: no database."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from services.inventory.catalogue import ClosedPeriod, in_start_order
from services.routing.chain import Chain
from services.routing.model import Mode, Reason
from services.routing.planner import relevant_locations, route
from services.routing.policy import DEFAULT_POLICY
from tests.routing.chains import AFTERNOON, order, store, trace_of, warehouse

# Spring Festival at a Shanghai store open 10:00-22:00: closed from the end of Monday
# 2026-11-23 until Thursday 2026-11-26 10:00 local (02:00 UTC).
FESTIVAL = ClosedPeriod(datetime(2026, 11, 23, 14, 0, tzinfo=UTC),
                        datetime(2026, 11, 26, 2, 0, tzinfo=UTC), "Spring Festival")
DURING = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)  # Tuesday 14:00 local
REOPENS = FESTIVAL.end


def closed(location, *periods):
    return replace(location, closures=in_start_order(periods or (FESTIVAL,)))


# --- when a location opens ---------------------------------------------------------


def test_a_closed_period_moves_the_next_opening_past_its_end():
    shop = closed(store("S", 1))
    assert not shop.is_open_at(DURING)
    assert shop.opens_at(DURING) == REOPENS
    night_before = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # 23:00, closed nightly too
    assert shop.opens_at(night_before) == REOPENS
    assert shop.opens_at(AFTERNOON) == AFTERNOON  # open before it starts
    assert shop.opens_at(REOPENS) == REOPENS


def test_a_closure_ending_at_night_opens_at_the_next_morning():
    shop = closed(store("S", 1), ClosedPeriod(FESTIVAL.start, datetime(2026, 11, 25, 16, 0,
                                                                         tzinfo=UTC)))
    assert shop.opens_at(DURING) == datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 00:00 -> 10:00


def test_overlapping_and_back_to_back_closures_are_all_waited_out():
    second = ClosedPeriod(datetime(2026, 11, 25, 0, 0, tzinfo=UTC),
                          datetime(2026, 11, 28, 2, 0, tzinfo=UTC))
    third = ClosedPeriod(second.end, second.end + timedelta(days=1))
    shop = closed(store("S", 1), third, FESTIVAL, second)
    assert [c.start for c in shop.closures] == [FESTIVAL.start, second.start, third.start]
    assert shop.opens_at(DURING) == third.end


def test_a_location_open_around_the_clock_reopens_the_moment_a_closure_ends():
    depot = closed(warehouse("W", 5))
    assert not depot.opening_hours and depot.opens_at(DURING) == FESTIVAL.end
    assert depot.is_open_at(FESTIVAL.start - timedelta(seconds=1))


# --- routing ------------------------------------------------------------------------


def test_a_store_in_a_closed_period_takes_no_online_orders_and_says_until_when():
    chain = Chain([closed(store("NEAR", 1)), store("FAR", 3)])
    stock = {"NEAR": {"LAMP": 5}, "FAR": {"LAMP": 5}}
    for mode, role in ((Mode.PICKUP, "pickup"), (Mode.SAME_CITY_DELIVERY, "delivery")):
        plan = route(chain, order(("LAMP", 1), mode=mode, at=DURING), stock, DEFAULT_POLICY)
        assert [s.location_id for s in plan.shipments] == ["FAR"]
        assert plan.shipments[0].prep_start == DURING  # FAR keeps its own hours
        near = trace_of(plan, "NEAR", role)
        assert near.reasons == (Reason.TEMPORARILY_CLOSED,) and near.opens_at == REOPENS
    before = route(chain, order(("LAMP", 1), at=AFTERNOON), stock, DEFAULT_POLICY)
    assert before.shipments[0].location_id == "NEAR"


def test_a_chosen_pickup_store_in_a_closed_period_cannot_serve():
    chain = Chain([closed(store("NEAR", 1)), store("FAR", 3)])
    plan = route(chain, order(("LAMP", 1), pickup="NEAR", at=DURING),
                 {"NEAR": {"LAMP": 5}, "FAR": {"LAMP": 5}}, DEFAULT_POLICY)
    assert not plan.feasible
    near = trace_of(plan, "NEAR", "pickup")
    assert near.reasons == (Reason.TEMPORARILY_CLOSED,) and near.opens_at == REOPENS


def test_a_transfer_source_in_a_closed_period_ships_nothing():
    chain = Chain([store("SHOP", 1), closed(warehouse("NEAR-WH", 4)), warehouse("FAR-WH", 9)])
    stock = {"SHOP": {}, "NEAR-WH": {"LAMP": 9}, "FAR-WH": {"LAMP": 9}}
    plan = route(chain, order(("LAMP", 1), at=DURING), stock, DEFAULT_POLICY)
    assert [t.source_id for t in plan.shipments[0].transfers] == ["FAR-WH"]
    assert trace_of(plan, "NEAR-WH", "transfer_source").reasons == (Reason.TEMPORARILY_CLOSED,)
    only_closed = route(chain, order(("LAMP", 1), at=DURING), {**stock, "FAR-WH": {}},
                        DEFAULT_POLICY)
    assert not only_closed.feasible


def test_goods_arriving_during_a_closure_are_ready_after_it():
    """Ordered before the closure; the transfer lands while the store is shut."""
    shop = closed(store("SHOP", 1), ClosedPeriod(AFTERNOON + timedelta(hours=2), REOPENS))
    chain = Chain([shop, warehouse("WH", 5)])
    plan = route(chain, order(("LAMP", 1), at=AFTERNOON), {"SHOP": {}, "WH": {"LAMP": 3}},
                 DEFAULT_POLICY)
    assert plan.label == "pickup after transfer"
    assert plan.shipments[0].prep_start == REOPENS
    assert plan.ready_at == REOPENS + timedelta(minutes=DEFAULT_POLICY.prep_minutes)


@pytest.mark.parametrize("mode", [Mode.PICKUP, Mode.SAME_CITY_DELIVERY])
def test_the_stock_read_before_routing_covers_the_sources_of_the_store_that_will_serve(mode):
    policy = replace(DEFAULT_POLICY, transfer_sources_examined=1)
    role = {"pickup": mode is Mode.PICKUP, "deliver": mode is Mode.SAME_CITY_DELIVERY}
    # each store's nearest source lies beyond the 10 km the customer's own query reads
    chain = Chain([closed(store("NEAR", 1, **role)), store("MID", 3, **role),
                   warehouse("BY-NEAR", -10.5), warehouse("BY-MID", 13.6)])
    ids = relevant_locations(chain, order(("LAMP", 1), mode=mode, at=DURING), policy)
    assert "BY-MID" in ids
    plan = route(chain, order(("LAMP", 1), mode=mode, at=DURING),
                 {loc: {} for loc in ids} | {"BY-MID": {"LAMP": 2}}, policy)
    assert plan.shipments[0].location_id == "MID"
    assert [t.source_id for t in plan.shipments[0].transfers] == ["BY-MID"]


@pytest.mark.parametrize("mode", [Mode.PICKUP, Mode.SAME_CITY_DELIVERY, Mode.AUTO])
def test_a_chain_whose_only_store_is_closed_for_a_period_explains_every_order(mode):
    chain = Chain([closed(store("ONLY", 1))])
    plan = route(chain, order(("LAMP", 1), mode=mode, at=DURING), {"ONLY": {"LAMP": 9}},
                 DEFAULT_POLICY)
    assert not plan.feasible and plan.unfillable
    assert {c.reasons for c in plan.trace} == {(Reason.TEMPORARILY_CLOSED,)}
