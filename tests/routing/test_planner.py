"""The routing core on small chains whose right answer is obvious (no database needed)."""

import math
import tomllib
from dataclasses import fields, replace
from datetime import timedelta
from pathlib import Path

import pytest

from services.routing.chain import Chain
from services.routing.model import Mode, Reason
from services.routing.planner import quote, route
from services.routing.policy import (
    DEFAULT_POLICY,
    HALF_THE_EARTH_KM,
    MAX_LEAD_HOURS,
    MAX_MONEY_MINOR,
    MAX_PREP_MINUTES,
    MAX_RADIUS_KM,
    MAX_SOURCES_EXAMINED,
    MAX_WEIGHT,
    DeliveryBand,
    PolicyError,
    RoutingPolicy,
    Weights,
    load_policy,
    policy_from_dict,
)
from tests.routing.chains import AFTERNOON, NIGHT, north, order, store, trace_of, warehouse

POLICY = DEFAULT_POLICY


def test_pickup_goes_to_the_nearest_store_that_has_every_line():
    chain = Chain([store("NEAR", 1), store("MID", 3), store("FAR", 6)])
    stock = {"NEAR": {"LAMP": 5}, "MID": {"LAMP": 5, "SOFA": 1}, "FAR": {"LAMP": 9, "SOFA": 9}}
    plan = route(chain, order(("LAMP", 2), ("SOFA", 1)), stock, POLICY)
    assert [s.location_id for s in plan.shipments] == ["MID"]
    assert plan.mode is Mode.PICKUP and plan.label == "pickup"
    near = trace_of(plan, "NEAR", "pickup")
    assert near.reasons == (Reason.INSUFFICIENT_STOCK,) and near.short_skus == ("SOFA",)
    assert trace_of(plan, "MID", "pickup").chosen
    assert trace_of(plan, "FAR", "pickup").reasons == (Reason.FARTHER,)


def test_pickup_is_ready_after_preparation_time():
    chain = Chain([store("NEAR", 1)])
    plan = route(chain, order(("LAMP", 1)), {"NEAR": {"LAMP": 1}}, POLICY)
    assert plan.ready_at == AFTERNOON + timedelta(minutes=POLICY.prep_minutes)


def test_stores_beyond_the_pickup_radius_or_without_a_counter_are_not_offered():
    chain = Chain([store("NO-COUNTER", 1, pickup=False), store("TOO-FAR", 4)])
    stock = {"NO-COUNTER": {"LAMP": 5}, "TOO-FAR": {"LAMP": 5}}
    plan = route(chain, order(("LAMP", 1)), stock, replace(POLICY, pickup_radius_km=3))
    assert not plan.feasible
    assert "no pickup store within 3 km" in plan.unfillable[0]
    assert trace_of(plan, "NO-COUNTER", "pickup").reasons == (Reason.NO_CAPABILITY,)
    assert trace_of(plan, "TOO-FAR", "pickup").reasons == (Reason.OUT_OF_RADIUS,)


def test_missing_lines_are_transferred_into_the_nearest_store_from_one_source():
    chain = Chain([store("NEAR", 1), warehouse("W-ONE-SKU", 8), warehouse("W-BOTH", 15)])
    stock = {"NEAR": {"LAMP": 1}, "W-ONE-SKU": {"SOFA": 9}, "W-BOTH": {"LAMP": 9, "SOFA": 9}}
    plan = route(chain, order(("LAMP", 3), ("SOFA", 1)), stock, POLICY)
    [shipment] = plan.shipments
    assert shipment.location_id == "NEAR" and plan.label == "pickup after transfer"
    [transfer] = shipment.transfers
    assert transfer.source_id == "W-BOTH"  # one source beats two nearer ones
    assert {(ln.sku_id, ln.quantity) for ln in transfer.lines} == {("LAMP", 2), ("SOFA", 1)}
    assert transfer.arrive_at == AFTERNOON + timedelta(hours=4)
    assert shipment.ready_at == transfer.arrive_at + timedelta(minutes=POLICY.prep_minutes)
    assert plan.units_taken() == {("NEAR", "LAMP"): 1, ("W-BOTH", "LAMP"): 2, ("W-BOTH", "SOFA"): 1}


def test_several_sources_when_no_single_one_has_everything():
    chain = Chain([store("NEAR", 1), warehouse("W1", 8), warehouse("W2", 15)])
    stock = {"W1": {"LAMP": 9}, "W2": {"SOFA": 9}}
    plan = route(chain, order(("LAMP", 2), ("SOFA", 1)), stock, POLICY)
    sources = [t.source_id for t in plan.shipments[0].transfers]
    assert sources == ["W1", "W2"]


def test_same_city_sources_are_preferred_to_nearer_ones_in_another_city():
    chain = Chain([store("NEAR", 1), warehouse("HZ-W", 2, city="Hangzhou"), warehouse("SH-W", 30)])
    stock = {"HZ-W": {"LAMP": 9}, "SH-W": {"LAMP": 9}}
    plan = route(chain, order(("LAMP", 1)), stock, POLICY)
    [transfer] = plan.shipments[0].transfers
    assert transfer.source_id == "SH-W" and transfer.same_city


def test_a_cross_city_transfer_takes_the_intercity_lead_time():
    chain = Chain([store("NEAR", 1), warehouse("HZ-W", 160, city="Hangzhou")])
    plan = route(chain, order(("LAMP", 1)), {"HZ-W": {"LAMP": 9}}, POLICY)
    [transfer] = plan.shipments[0].transfers
    assert not transfer.same_city
    assert transfer.arrive_at == AFTERNOON + timedelta(hours=24)


def test_a_chosen_pickup_store_is_used_even_when_another_has_everything():
    chain = Chain([store("HAS-ALL", 1), store("MINE", 2), warehouse("W", 10)])
    stock = {"HAS-ALL": {"LAMP": 5}, "W": {"LAMP": 5}}
    plan = route(chain, order(("LAMP", 1), pickup="MINE"), stock, POLICY)
    assert plan.shipments[0].location_id == "MINE"
    assert plan.shipments[0].transfers[0].source_id == "W"


def test_a_store_closed_at_night_starts_preparing_at_opening():
    chain = Chain([store("NEAR", 1)])
    plan = route(chain, order(("LAMP", 1), at=NIGHT), {"NEAR": {"LAMP": 1}}, POLICY)
    opening = NIGHT.replace(hour=2, minute=0) + timedelta(days=1)  # 10:00 Shanghai next day
    assert plan.shipments[0].prep_start == opening
    assert plan.ready_at == opening + timedelta(minutes=POLICY.prep_minutes)
    near = trace_of(plan, "NEAR", "pickup")
    assert near.chosen and near.reasons == (Reason.CLOSED,) and near.opens_at == opening


def test_delivery_respects_city_capability_and_each_store_radius():
    chain = Chain([
        store("NO-COURIER", 0.5, deliver=False), store("OTHER-CITY", 1, city="Suzhou"),
        store("SMALL-RADIUS", 2, radius=1.5), store("OK", 4, radius=5)])
    stock = {loc: {"LAMP": 5} for loc in ("NO-COURIER", "OTHER-CITY", "SMALL-RADIUS", "OK")}
    plan = route(chain, order(("LAMP", 1), mode=Mode.SAME_CITY_DELIVERY), stock, POLICY)
    assert [s.location_id for s in plan.shipments] == ["OK"]
    assert trace_of(plan, "NO-COURIER", "delivery").reasons == (Reason.NO_CAPABILITY,)
    assert trace_of(plan, "OTHER-CITY", "delivery").reasons == (Reason.NOT_IN_CITY,)
    assert trace_of(plan, "SMALL-RADIUS", "delivery").reasons == (Reason.OUT_OF_RADIUS,)


def test_delivery_fee_and_eta_follow_the_distance_band():
    chain = Chain([store("OK", 4)])
    plan = route(chain, order(("LAMP", 1), mode=Mode.SAME_CITY_DELIVERY), {"OK": {"LAMP": 1}},
                 POLICY)
    band = POLICY.delivery_bands[1]  # 3-5 km
    assert plan.delivery_fee_minor == band.fee_minor
    assert plan.ready_at == AFTERNOON + timedelta(minutes=POLICY.prep_minutes + band.courier_minutes)


def test_delivery_splits_across_two_stores_when_none_has_everything():
    chain = Chain([store("A", 1), store("B", 2), store("C", 2.5)])
    stock = {"A": {"LAMP": 2}, "B": {"VASE": 1}, "C": {"SOFA": 1, "VASE": 1}}
    plan = route(chain, order(("LAMP", 2), ("SOFA", 1), mode=Mode.SAME_CITY_DELIVERY), stock,
                 POLICY)
    assert plan.label == "split delivery"
    assert sorted(s.location_id for s in plan.shipments) == ["A", "C"]
    assert plan.delivery_fee_minor == 2 * POLICY.delivery_bands[0].fee_minor


def test_a_farther_band_that_costs_less_is_still_looked_at():
    # a policy may make a farther band cheaper (a flat-rate courier beyond 3 km): the scan may
    # stop early only when no band from there on could beat the best so far
    cheap_far = replace(POLICY, delivery_bands=(DeliveryBand(3.0, 1500, 70),
                                                DeliveryBand(10.0, 0, 10)))
    chain = Chain([store("NEAR", 1, radius=8), store("NEXT", 2, radius=8),
                   store("BEYOND", 5, radius=8)])
    stock = {loc: {"LAMP": 1} for loc in ("NEAR", "NEXT", "BEYOND")}
    plan = route(chain, order(("LAMP", 1), mode=Mode.SAME_CITY_DELIVERY), stock, cheap_far)
    assert plan.shipments[0].location_id == "BEYOND"
    assert plan.delivery_fee_minor == 0


def test_no_split_beyond_max_split():
    chain = Chain([store("A", 1), store("B", 2), store("C", 3)])
    stock = {"A": {"LAMP": 1}, "B": {"SOFA": 1}, "C": {"VASE": 1}}
    request = order(("LAMP", 1), ("SOFA", 1), ("VASE", 1), mode=Mode.SAME_CITY_DELIVERY)
    assert not route(chain, request, stock, POLICY).feasible
    plan = route(chain, request, stock, replace(POLICY, max_split=3))
    assert len(plan.shipments) == 3


def test_delivery_after_transfer_when_it_scores_better_than_a_split():
    chain = Chain([store("A", 1), store("B", 2), warehouse("W", 5)])
    stock = {"A": {"LAMP": 1}, "B": {"SOFA": 1}, "W": {"SOFA": 5}}
    request = order(("LAMP", 1), ("SOFA", 1), mode=Mode.SAME_CITY_DELIVERY)
    split = route(chain, request, stock, POLICY)
    assert split.label == "split delivery"  # hours of waiting cost more than a second courier
    patient = replace(POLICY, weights=Weights(per_hour_eta=0.1, per_extra_shipment=50))
    transfer = route(chain, request, stock, patient)
    assert transfer.label == "delivery after transfer"
    assert transfer.shipments[0].location_id == "A"


def test_auto_prefers_pickup_next_door_and_delivery_for_a_distant_customer():
    chain = Chain([store("NEXT-DOOR", 0.2), store("FAR-DELIVERS", 4, pickup=False, radius=5)])
    stock = {"NEXT-DOOR": {"LAMP": 1}, "FAR-DELIVERS": {"LAMP": 1}}
    near = route(chain, order(("LAMP", 1), mode=Mode.AUTO), stock, POLICY)
    assert near.mode is Mode.PICKUP
    expensive_walk = replace(POLICY, weights=Weights(per_km_customer_trip=100))
    far = route(chain, order(("LAMP", 1), mode=Mode.AUTO), stock, expensive_walk)
    assert far.mode is Mode.SAME_CITY_DELIVERY


def test_stores_a_scan_stops_before_are_explained_by_their_stock():
    # PICKUP stops at the nearest store that has it all; AUTO plans no delivery when none
    # could beat that pickup. The trace still says which stores lacked what.
    chain = Chain([store("NEAR", 1), store("EMPTY", 2), store("FULL", 3)])
    stock = {"NEAR": {"LAMP": 1}, "FULL": {"LAMP": 1}}
    for mode in (Mode.PICKUP, Mode.AUTO):
        plan = route(chain, order(("LAMP", 1), mode=mode), stock, POLICY)
        assert plan.shipments[0].location_id == "NEAR" and plan.mode is Mode.PICKUP
        roles = ("pickup", "delivery") if mode is Mode.AUTO else ("pickup",)
        for role in roles:
            empty = trace_of(plan, "EMPTY", role)
            assert (empty.reasons, empty.short_skus) == ((Reason.INSUFFICIENT_STOCK,), ("LAMP",))
            assert trace_of(plan, "FULL", role).reasons == (Reason.FARTHER,)
        if mode is Mode.AUTO:
            assert trace_of(plan, "NEAR", "delivery").reasons == (Reason.FARTHER,)


def test_ties_break_by_distance_then_location_id():
    chain = Chain([store("B-TWIN", 2), store("A-TWIN", 2)])
    stock = {"A-TWIN": {"LAMP": 1}, "B-TWIN": {"LAMP": 1}}
    assert route(chain, order(("LAMP", 1)), stock, POLICY).shipments[0].location_id == "A-TWIN"


def test_an_order_nothing_can_fill_is_explained():
    chain = Chain([store("A", 1), warehouse("W", 5)])
    plan = route(chain, order(("LAMP", 1), mode=Mode.AUTO), {}, POLICY)
    assert not plan.feasible and len(plan.unfillable) == 2
    assert trace_of(plan, "A", "pickup").reasons == (Reason.INSUFFICIENT_STOCK,)
    assert trace_of(plan, "W", "transfer_source").short_skus == ("LAMP",)


def test_quote_lists_each_feasible_option_per_mode():
    chain = Chain([store("A", 1), store("B", 2), warehouse("W", 5)])
    stock = {"A": {"LAMP": 1}, "B": {"LAMP": 1, "SOFA": 1}, "W": {"SOFA": 3}}
    q = quote(chain, order(("LAMP", 1), ("SOFA", 1), mode=Mode.AUTO), stock, POLICY)
    assert [p.shipments[0].location_id for p in q.pickup] == ["B"]
    assert [p.shipments[0].location_id for p in q.delivery] == ["B"]
    assert q.transfer == []  # transfers are offered when no store has it all
    bare = quote(chain, order(("LAMP", 1), ("SOFA", 1), mode=Mode.AUTO), {"A": {"LAMP": 1},
                 "W": {"SOFA": 3}}, POLICY)
    assert bare.pickup == [] and {p.label for p in bare.transfer} == {
        "pickup after transfer", "delivery after transfer"}


def test_policy_with_an_unknown_key_is_refused_naming_file_and_key(tmp_path):
    path = tmp_path / "tuned.toml"
    path.write_text("pickup_radius_km = 5\n[weights]\nfee_per_yuen = 2\n")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert str(path) in str(caught.value) and "weights.fee_per_yuen" in str(caught.value)
    path.write_text("max_split = 0\n")
    with pytest.raises(PolicyError, match="max_split"):
        load_policy(path)


BAND = "[[delivery_bands]]\nmax_km = {}\nfee_minor = 600\ncourier_minutes = 30\n"


@pytest.mark.parametrize(("toml", "key", "problem"), [
    ("prep_minutes = 2.5", "prep_minutes", "must be a whole number, got 2.5"),
    ('pickup_radius_km = "5"', "pickup_radius_km", "must be a number, got '5'"),
    ("pickup_radius_km = true", "pickup_radius_km", "must be a number, got True"),
    ("pickup_radius_km = nan", "pickup_radius_km", "must be a number, got nan"),
    ("max_split = 9", "max_split", "must be between 1 and 5, got 9"),
    ("weights = 3", "weights", "must be a table"),
    ("[weights]\nper_hour_eta = -1", "weights.per_hour_eta", "must be between 0 and"),
    ("delivery_bands = []", "delivery_bands", "must be a non-empty list of tables"),
    ("delivery_bands = [1]", "delivery_bands[0]", "must be a table"),
    (BAND.format(5) + BAND.format(3), "delivery_bands", "max_km must increase from band to band"),
    ("[[delivery_bands]]\nmax_km = 3\nfee_minor = 600", "delivery_bands[0].courier_minutes",
     "is missing"),
    ("[[intercity_transfer_bands]]\nhours = 24", "intercity_transfer_bands[0].max_km",
     "is missing"),
    ("[[intercity_transfer_bands]]\nmax_km = 300\nhours = 24\ndays = 1",
     "intercity_transfer_bands[0].days", "unknown key (known: hours, max_km)"),
    ("pickup_radius_km =", "-", "is not valid TOML"),
])
def test_each_bad_policy_value_is_refused_naming_its_file_key_and_problem(tmp_path, toml, key,
                                                                          problem):
    path = tmp_path / "tuned.toml"
    path.write_text(toml + "\n")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert (caught.value.where, caught.value.key) == (str(path), key)
    assert caught.value.problem.startswith(problem)
    assert str(caught.value).startswith(f"{path}: {key}: {problem}")


def test_the_documented_policy_file_lists_every_key_with_its_default():
    path = Path(__file__).parents[2] / "docs" / "policies" / "default.toml"
    written = tomllib.loads(path.read_text(encoding="utf-8"))
    assert set(written) == {f.name for f in fields(RoutingPolicy)}
    assert set(written["weights"]) == {f.name for f in fields(Weights)}
    assert load_policy(path) == DEFAULT_POLICY


def test_a_policy_file_that_is_not_there_is_named_with_why():
    with pytest.raises(PolicyError) as caught:
        load_policy("no/such/policy.toml")
    assert str(caught.value) == "no/such/policy.toml: -: cannot be read: No such file or directory"


def test_a_policy_at_every_bound_still_gives_plans_whose_numbers_fit_their_fields():
    """The policy's maxima are safe: times stay datetimes, fees and costs fit int64."""
    weights = {f.name: MAX_WEIGHT for f in fields(Weights)}
    policy = policy_from_dict({
        "pickup_radius_km": MAX_RADIUS_KM, "prep_minutes": MAX_PREP_MINUTES,
        "same_city_transfer_hours": MAX_LEAD_HOURS, "transfer_base_minor": MAX_MONEY_MINOR,
        "transfer_per_km_minor": MAX_MONEY_MINOR,
        "transfer_sources_examined": MAX_SOURCES_EXAMINED, "weights": weights,
        "delivery_bands": [{"max_km": 100, "fee_minor": MAX_MONEY_MINOR,
                            "courier_minutes": 24 * 60}],
        "intercity_transfer_bands": [{"max_km": HALF_THE_EARTH_KM, "hours": MAX_LEAD_HOURS}]})
    chain = Chain([store("S1", 1), store("S2", 4, city="Hangzhou", transfer=True),
                   warehouse("W", 9)])
    stock = {"S1": {"TEA": 1}, "S2": {"TEA": 9}, "W": {"TEA": 50}}
    for mode in (Mode.PICKUP, Mode.SAME_CITY_DELIVERY, Mode.AUTO):
        plan = route(chain, order(("TEA", 5), mode=mode), stock, policy)
        assert plan.feasible and plan.trace and math.isfinite(plan.score)
        for shipment in plan.shipments:
            assert shipment.ready_at.year < 2100
            assert 0 <= shipment.fee_minor < 2**63
            assert all(0 <= t.cost_minor < 2**63 for t in shipment.transfers)


def test_the_chain_keeps_the_near_a_point_answers_asked_for_most_recently():
    chain = Chain([store("NEAR", 1), store("FAR", 6)], recent_queries=3)
    points = [north(km) for km in (0, 1, 2, 3)]
    first, second, third = (chain.near(*p, 10.0) for p in points[:3])
    assert chain.near(*points[0], 10.0) is first  # kept: the same answer, not a new query
    chain.near(*points[3], 10.0)  # a fourth: the one asked for least recently goes
    assert chain.near(*points[0], 10.0) is first and chain.near(*points[2], 10.0) is third
    again = chain.near(*points[1], 10.0)
    assert again is not second and again == second  # queried again, the same answer
