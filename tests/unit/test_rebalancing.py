"""Suggested transfers between locations (services/inventory/rebalancing.py)."""

import math
from dataclasses import replace
from datetime import UTC, datetime

from services.inventory.catalogue import ClosedPeriod, Location, LocationKind
from services.inventory.rebalancing import Shelf, Targets, suggest

NORTH = 1 / 111.195  # degrees of latitude per km


def place(location_id, km, *, kind=LocationKind.STORE, city="Shanghai", transfer=True,
          dealer=""):
    return Location(location_id, location_id, kind, 31.2 + km * NORTH, 121.47, city,
                    can_transfer=transfer, dealer_id=dealer)


def moves(locations, shelves, targets=None, **rules):
    return [(m.sku_id, m.source.location_id, m.destination.location_id, m.units)
            for m in suggest(locations, shelves, targets or Targets(), **rules)]


def test_a_short_store_is_filled_from_the_nearest_sources_with_units_to_spare():
    """A sells 2 a day and holds 3: a week's cover and its safety stock of 1 want 15. B, 1 km
    away, sells 1 a day and holds 30: it keeps 21 days and 0 safety, so it spares 9. The
    warehouse, 5 km away, gives the other 3."""
    locations = [place("A", 0), place("B", 1), place("W", 5, kind=LocationKind.WAREHOUSE)]
    shelves = {("A", "LAMP"): Shelf(3, 1, 2), ("B", "LAMP"): Shelf(30, 0, 1),
               ("W", "LAMP"): Shelf(100)}
    found = suggest(locations, shelves)
    assert [(m.source.location_id, m.units) for m in found] == [("B", 9), ("W", 3)]
    assert [(round(m.cover_before, 2), round(m.cover_after, 2)) for m in found] == [
        (1.0, 5.5), (5.5, 7.0)]
    assert round(found[0].distance_km, 3) == 1.0


def test_only_sources_of_the_same_city_and_owner_that_may_ship_transfers_are_asked():
    locations = [place("A", 0, dealer="D1"), place("NO-SHIP", 0.5, transfer=False, dealer="D1"),
                 place("HZ", 1, city="Hangzhou"), place("D2", 1.5, dealer="D2"),
                 place("D1-W", 9, kind=LocationKind.WAREHOUSE, dealer="D1")]
    rich = Shelf(1_000)
    shelves = {("A", "LAMP"): Shelf(0, 0, 1), **{(s, "LAMP"): rich for s in (
        "NO-SHIP", "HZ", "D2", "D1-W")}}
    assert moves(locations, shelves) == [("LAMP", "D1-W", "A", 7)]
    del shelves[("D1-W", "LAMP")]
    assert moves(locations, shelves) == []  # short, and nobody may fill it


def test_scarce_units_go_to_the_shortest_store_first_ties_by_id():
    locations = [place("W", 0, kind=LocationKind.WAREHOUSE), place("S1", 1), place("S2", 2),
                 place("S3", 3)]
    shelves = {("W", "LAMP"): Shelf(10), ("S1", "LAMP"): Shelf(6, 0, 1),
               ("S2", "LAMP"): Shelf(0, 0, 1), ("S3", "LAMP"): Shelf(3, 0, 1)}
    assert moves(locations, shelves) == [("LAMP", "W", "S2", 7), ("LAMP", "W", "S3", 3)]
    shelves[("S3", "LAMP")] = Shelf(0, 0, 1)  # S2 and S3 as short: S2 first, by id
    assert moves(locations, shelves) == [("LAMP", "W", "S2", 7), ("LAMP", "W", "S3", 3)]


def test_a_shelf_below_its_safety_stock_is_refilled_even_with_no_sales_and_small_moves_wait():
    locations = [place("A", 0), place("W", 2, kind=LocationKind.WAREHOUSE)]
    shelves = {("A", "MILK"): Shelf(1, 4), ("W", "MILK"): Shelf(50)}
    [refill] = suggest(locations, shelves)
    assert (refill.units, refill.cover_before, refill.cover_after) == (3, math.inf, math.inf)
    assert moves(locations, shelves, Targets(min_units=4)) == []
    assert moves(locations, {("A", "MILK"): Shelf(4, 4), ("W", "MILK"): Shelf(50)}) == []
    # a warehouse is restocked by buying, not by emptying stores
    assert moves([*locations, place("W2", 3, kind=LocationKind.WAREHOUSE)], {
        ("W2", "MILK"): Shelf(0, 5), ("A", "MILK"): Shelf(40)}) == []


def test_a_rate_of_sale_is_counted_in_whole_units_not_floats():
    """29 sold in 7 days: a week's cover is 29 units (29 / 7 * 7 is 29.000000000000004 in
    floating point, which would round up to 30)."""
    locations = [place("A", 0), place("W", 2, kind=LocationKind.WAREHOUSE)]
    assert moves(locations, {("A", "LAMP"): Shelf(0, 0, 29, 7), ("W", "LAMP"): Shelf(100)}) == [
        ("LAMP", "W", "A", 29)]


def test_units_already_on_their_way_count_so_acting_on_a_suggestion_ends_it():
    """A wants 7 for a week and holds none; W sent 5 yesterday: only 2 more are suggested, and
    once the 7 are on their way, none."""
    locations = [place("A", 0), place("W", 2, kind=LocationKind.WAREHOUSE)]
    shelves = {("A", "LAMP"): Shelf(0, 0, 1, incoming=5), ("W", "LAMP"): Shelf(100)}
    [more] = suggest(locations, shelves)
    assert (more.units, more.cover_before, more.cover_after) == (2, 5.0, 7.0)
    shelves[("A", "LAMP")] = Shelf(0, 0, 1, incoming=7)
    assert moves(locations, shelves) == []


def test_a_halted_sku_and_a_location_in_a_closed_period_move_nothing():
    """停售 LAMP stays where it is; A, shut for a refit, gets no MILK, and W2, shut for the
    holiday, sends none: W, open and farther, does."""
    refit = ClosedPeriod(datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    holiday = ClosedPeriod(datetime(2026, 11, 24, tzinfo=UTC), datetime(2026, 11, 25, tzinfo=UTC))
    locations = [replace(place("A", 0), closures=(refit,)), place("B", 1),
                 replace(place("W2", 2, kind=LocationKind.WAREHOUSE), closures=(holiday,)),
                 place("W", 5, kind=LocationKind.WAREHOUSE)]
    shelves = {(loc, sku): Shelf(0, 0, 1) for loc in ("A", "B") for sku in ("LAMP", "MILK")}
    shelves |= {(loc, sku): Shelf(100) for loc in ("W", "W2") for sku in ("LAMP", "MILK")}
    assert moves(locations, shelves, halted={"LAMP"},
                 at=datetime(2026, 11, 24, 8, tzinfo=UTC)) == [("MILK", "W", "B", 7)]
    every = [("LAMP", "W2", "A", 7), ("LAMP", "W2", "B", 7), ("MILK", "W2", "A", 7),
             ("MILK", "W2", "B", 7)]
    assert moves(locations, shelves) == every  # no time given: no closure asked
    # a week on, both are open again, and a LAMP no longer halted moves too
    assert moves(locations, shelves, at=datetime(2026, 12, 2, tzinfo=UTC)) == every
