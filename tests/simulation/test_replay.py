"""The replay on streams small enough to work out by hand, and its invariants on big ones."""

import gc
from collections import Counter
from dataclasses import replace

import pytest

from services.inventory.catalogue import SaleStatus, Sku
from services.routing.chain import Chain
from services.routing.model import Mode
from services.routing.policy import DEFAULT_POLICY
from services.simulation.build import build
from services.simulation.replay import YOUNG_COLLECTION_EVERY, Replay, replay
from services.simulation.scenario import ScenarioSpec, SyntheticChainSpec, SyntheticOrdersSpec
from tests.routing.chains import north, store, warehouse
from tests.simulation.scenarios import SKUS, at_local, move, order, refill, scenario


def test_stock_depletion_forces_a_transfer_from_the_warehouse():
    two_teas = {"S1": {"TEA": 2}, "W1": {"TEA": 50}}
    orders = [order(("TEA", 2), at=at_local(11)), order(("TEA", 1), at=at_local(12))]
    sim = Replay(scenario(orders, two_teas), DEFAULT_POLICY)
    first, second = (sim.step(o) for o in sim.scenario.orders)

    assert first.label == "pickup" and first.shipments[0].location_id == "S1"
    assert second.label == "pickup after transfer"
    assert second.shipments[0].transfers[0].source_id == "W1"
    assert sim.stock == {"S1": {"TEA": 0}, "W1": {"TEA": 49}}
    kpis = sim.kpis.finish("default")
    assert kpis["transfers"] == 1 and kpis["transfer_units"] == 1
    assert kpis["stockouts_by_location"] == {"S1": 1}
    assert kpis["mode_mix"]["pickup"] == 1 and kpis["mode_mix"]["pickup after transfer"] == 1


@pytest.mark.parametrize(("second_at", "served_from_shelf"), [(15, True), (13, False)])
def test_a_transfer_in_whole_cases_serves_a_later_order_once_it_has_arrived(second_at,
                                                                          served_from_shelf):
    """Cases of 6: the first order's transfer brings 6 teas at 10:00 + 4 h; the 4 spare land
    on S1's shelf at 14:00. An order at 15:00 takes them; one at 13:00 needs a transfer."""
    stock = {"S1": {}, "W1": {"TEA": 50}}
    orders = [order(("TEA", 2), at=at_local(10)), order(("TEA", 3), at=at_local(second_at))]
    sim = Replay(scenario(orders, stock, case=6), DEFAULT_POLICY)
    first, second = (sim.step(o) for o in sim.scenario.orders)

    assert first.label == "pickup after transfer"
    assert first.shipments[0].transfers[0].arrive_at == at_local(14)
    assert sim.stock["W1"]["TEA"] == 50 - 6 - (0 if served_from_shelf else 6)
    if served_from_shelf:
        assert second.label == "pickup" and not second.shipments[0].transfers
        assert sim.stock["S1"]["TEA"] == 4 - 3
    else:
        assert second.label == "pickup after transfer"
        sim._land(at_local(18))  # both transfers' spares (4 and 3) have arrived by now
        assert sim.stock["S1"]["TEA"] == 7


def test_an_order_for_a_sku_taken_off_the_mall_is_unfillable_as_not_on_sale():
    """The server refuses such an order before routing it; the replay counts it the same
    way, and takes none of its other lines' units."""
    skus = {**SKUS, "MUG": Sku("MUG", "MUG", 1000, sale_status=SaleStatus.STORES_ONLY)}
    orders = [order(("MUG", 1), ("TEA", 1), at=at_local(11)), order(("TEA", 1), at=at_local(12))]
    sim = Replay(scenario(orders, {"S1": {"TEA": 5, "MUG": 5}}, skus=skus), DEFAULT_POLICY)
    refused, served = (sim.step(o) for o in sim.scenario.orders)

    assert not refused.feasible and refused.unfillable == ("MUG is not on sale online",)
    assert served.label == "pickup"
    assert sim.stock == {"S1": {"TEA": 4, "MUG": 5}}
    kpis = sim.kpis.finish("default")
    assert (kpis["filled"], kpis["unfillable_reasons"]) == (1, {"NOT_ON_SALE": 1})


def test_an_order_placed_at_night_is_prepared_when_the_store_opens():
    night = order(("TEA", 1), at=at_local(23))
    kpis = replay(scenario([night], {"S1": {"TEA": 5}}), DEFAULT_POLICY)

    # ready at 10:00 + 30 min prep the next morning: 11 h 30 min after the order
    assert kpis["eta_minutes"]["p50"] == 690
    assert kpis["orders_waiting_for_opening"] == 1
    assert kpis["hourly_local"]["placed"][23] == 1
    assert kpis["hourly_local"]["started"][10] == 1


def test_a_replenishment_refills_the_shelf_from_its_time_on():
    stock = {"S1": {"RICE": 0}}
    orders = [order(("RICE", 1), at=at_local(11)), order(("RICE", 1), at=at_local(13))]
    kpis = replay(scenario(orders, stock, refills=[refill(12, "S1", "RICE", 1)]), DEFAULT_POLICY)

    assert kpis["filled"] == 1 and kpis["unfillable_reasons"] == {"OUT_OF_STOCK": 1}
    assert kpis["stockouts_by_location"] == {"S1": 1}


def test_a_head_office_move_leaves_at_its_time_and_serves_orders_once_it_has_arrived():
    """Head office moves 3 teas from W1 to S1 at 08:00: same city, 4 h, so they land at
    12:00. An order at 11:00 still needs a transfer of its own; one at 13:00 takes two of
    the three from S1's shelf."""
    orders = [order(("TEA", 1), at=at_local(11)), order(("TEA", 2), at=at_local(13))]
    sim = Replay(scenario(orders, {"S1": {}, "W1": {"TEA": 50}},
                          moves=[move(8, "W1", "S1", "TEA", 3)]), DEFAULT_POLICY)
    early, late = (sim.step(o) for o in sim.scenario.orders)

    assert early.label == "pickup after transfer"
    assert late.label == "pickup" and not late.shipments[0].transfers
    assert sim.stock == {"S1": {"TEA": 1}, "W1": {"TEA": 50 - 3 - 1}}
    kpis = sim.kpis.finish("default")
    assert kpis["head_office_moves"] == {"moves": 1, "units_asked": 3, "units_shipped": 3,
                                         "beyond_reach": 0}
    assert kpis["transfers"] == 1  # the order's own, not head office's


def test_a_move_ships_what_its_source_has_then_and_one_beyond_the_policy_is_not_made():
    """Moves with no time ship when the replay starts (the 08:00 order): 4 of W1's 5 rice
    to S1, and 1 to a store 2,000 km away, beyond every band of the policy: not made. An
    order at 09:00 takes 1 of W1's 3 mugs by transfer, so head office's 10:00 move of 3
    mugs ships the 2 left; they reach S1 at 14:00, in time for an order of 2 at 15:00."""
    locations = [store("S1", 0.5), warehouse("W1", 10.0), store("FAR", 2_000.0, city="Harbin")]
    orders = [order(("RICE", 1), at=at_local(8)), order(("MUG", 1), at=at_local(9)),
              order(("MUG", 2), at=at_local(15))]
    moves = [move(None, "W1", "S1", "RICE", 4), move(None, "W1", "FAR", "RICE", 1),
             move(10, "W1", "S1", "MUG", 3)]
    sim = Replay(scenario(orders, {"W1": {"MUG": 3, "RICE": 5}}, locations=locations,
                          moves=moves), DEFAULT_POLICY)
    rice, mug, mugs = (sim.step(o) for o in sim.scenario.orders)

    assert rice.label == mug.label == "pickup after transfer"  # the moves are on their way
    assert mugs.label == "pickup" and not mugs.shipments[0].transfers
    assert sim.stock == {"S1": {"RICE": 4, "MUG": 0}, "W1": {"MUG": 0, "RICE": 0}}
    kpis = sim.kpis.finish("default")
    assert kpis["head_office_moves"] == {"moves": 3, "units_asked": 8, "units_shipped": 6,
                                         "beyond_reach": 1}
    assert kpis["stockouts_by_location"] == {"W1": 2, "S1": 1}


def test_a_move_takes_what_was_delivered_before_its_time_not_after():
    """W1 receives 2 mugs at 09:00 and 5 at 11:00; head office's 10:00 move of 3 ships 2,
    although by the next order (12:00) W1 has had all 7."""
    refills = [refill(9, "W1", "MUG", 2), refill(11, "W1", "MUG", 5)]
    sim = Replay(scenario([order(("TEA", 1), at=at_local(12))], {"S1": {"TEA": 1}},
                          refills=refills, moves=[move(10, "W1", "S1", "MUG", 3)]),
                 DEFAULT_POLICY)
    sim.step(sim.scenario.orders[0])

    assert sim.stock["W1"] == {"MUG": 5}
    assert sim.kpis.finish("default")["head_office_moves"]["units_shipped"] == 2


def test_unfillable_orders_are_told_apart_by_reason():
    far_away = order(("TEA", 1), point=north(300.0), mode=Mode.AUTO)
    sold_out = order(("MUG", 1), mode=Mode.SAME_CITY_DELIVERY)
    pickup_at = order(("MUG", 1), pickup="S1")
    kpis = replay(scenario([far_away, sold_out, pickup_at], {"S1": {"TEA": 1}}), DEFAULT_POLICY)

    assert kpis["unfillable_reasons"] == {"NO_LOCATION_IN_REACH": 1, "OUT_OF_STOCK": 1,
                                          "PICKUP_STORE_CANNOT_SERVE": 1}
    assert kpis["fill_rate"] == 0


def test_a_split_delivery_counts_once_with_both_courier_rides():
    locations = [store("S1", 0.5), store("S2", 1.0)]
    both = order(("TEA", 1), ("MUG", 1), mode=Mode.SAME_CITY_DELIVERY)
    kpis = replay(scenario([both], {"S1": {"TEA": 1}, "S2": {"MUG": 1}}, locations=locations),
                  DEFAULT_POLICY)

    assert kpis["mode_mix"]["split delivery"] == 1 and kpis["split_rate"] == 1
    assert kpis["courier_km"]["count"] == 2
    assert kpis["delivery_fees_minor"] == 2 * DEFAULT_POLICY.delivery_bands[0].fee_minor


SMALL = ScenarioSpec(synthetic_chain=SyntheticChainSpec(locations=200, skus=800, seed=3),
                     synthetic_orders=SyntheticOrdersSpec(orders=4_000, days=2, seed=5),
                     transfer_case_units=4)


def test_the_same_scenario_and_policy_give_the_same_kpis_to_the_unit():
    assert replay(build(SMALL), DEFAULT_POLICY) == replay(build(SMALL), DEFAULT_POLICY)


def test_another_seed_gives_another_stream():
    other = replace(SMALL, synthetic_orders=SyntheticOrdersSpec(orders=4_000, days=2, seed=6))
    assert replay(build(SMALL), DEFAULT_POLICY) != replay(build(other), DEFAULT_POLICY)


def test_every_unit_is_accounted_for_and_no_shelf_goes_below_zero():
    """Units at the start + replenished = units left + units that left with orders, where
    the spares of case transfers are still on the shelves or on their way."""
    scenario_ = build(SMALL)
    before = sum(sum(have.values()) for have in scenario_.stock.values())
    sim = Replay(scenario_, DEFAULT_POLICY, Chain(scenario_.locations))
    shipped = Counter()
    for o in scenario_.orders:
        plan = sim.step(o)
        for shipment in plan.shipments:
            shipped["units"] += sum(line.quantity for line in shipment.lines)
    in_transit = sum(units for *_, units in sim._arrivals)
    after = sum(sum(have.values()) for have in sim.stock.values())
    assert all(units >= 0 for have in sim.stock.values() for units in have.values())
    assert before == after + in_transit + shipped["units"]
    assert shipped["units"] > 0 and sim.kpis.finish("x")["transfers"] > 0


@pytest.mark.parametrize("frozen_before", [False, True])
def test_a_replay_keeps_the_cycle_collector_off_what_it_keeps_and_thaws_only_its_own(
        frozen_before):
    """What a replay keeps (the scenario, the answers it gathers) is frozen out of the cycle
    collector's scans while it runs, and young objects are collected less often. Afterwards
    it restores the thresholds and thaws what it froze, but not when the process had frozen
    objects of its own: those stay frozen."""
    frozen_during, thresholds_during, steps = [], set(), []
    thresholds_before = gc.get_threshold()

    class Watched(Replay):
        def step(self, order):
            steps.append(1)
            if len(steps) % 1_000 == 1:  # counting the frozen walks them all: now and then
                frozen_during.append(gc.get_freeze_count())
                thresholds_during.add(gc.get_threshold())
            return super().step(order)

    scenario_ = build(SMALL)
    if frozen_before:
        gc.freeze()
    try:
        before = gc.get_freeze_count()
        Watched(scenario_, DEFAULT_POLICY).run("x")
        after = gc.get_freeze_count()
    finally:
        gc.unfreeze()
    assert len(steps) == len(scenario_.orders) and len(frozen_during) == 4
    assert thresholds_during == {(YOUNG_COLLECTION_EVERY, *thresholds_before[1:])}
    assert gc.get_threshold() == thresholds_before
    assert min(frozen_during) > before  # the scenario itself, at least
    if frozen_before:  # not thawed (that leaves none), though some frozen objects were freed
        assert before > 0 and after > 0
    else:
        assert after == 0
