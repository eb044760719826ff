"""When a location opens, in any time zone, daylight saving included: pure, no database."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.inventory.catalogue import Location, LocationKind, OpeningHours
from services.routing.chain import Chain

# China keeps no daylight saving; a chain's stores abroad may: these zones move their clocks
# by an hour, half an hour (Lord Howe) or at midnight (Santiago), both ways.
ZONES = ["Asia/Shanghai", "Europe/London", "America/New_York", "Australia/Lord_Howe",
         "America/Santiago", "Europe/Berlin", "Asia/Kolkata", "Pacific/Chatham"]
TRANSITIONS = [datetime(2026, month, day, tzinfo=UTC)
               for month, day in ((3, 8), (3, 29), (4, 5), (9, 6), (10, 4), (10, 25), (11, 1))]


@st.composite
def hours(draw) -> tuple[OpeningHours, ...]:
    windows = []
    for _ in range(draw(st.integers(1, 3))):
        opens = draw(st.one_of(st.integers(0, 1439), st.integers(0, 180)))  # clocks change 0-3h
        closes = draw(st.integers(opens + 1, 1440))
        days = draw(st.sets(st.integers(1, 7), max_size=6))
        windows.append(OpeningHours(opens, closes, tuple(sorted(days))))
    return tuple(windows)


@st.composite
def instants(draw) -> datetime:
    """Mostly within a day of a clock change, where local times repeat or do not exist."""
    near = draw(st.sampled_from(TRANSITIONS))
    return near + timedelta(minutes=draw(st.integers(-36 * 60, 36 * 60)),
                            seconds=draw(st.integers(0, 59)))


@settings(max_examples=600)
@given(zone=st.sampled_from(ZONES), opening=hours(), when=instants())
def test_a_location_opens_at_or_after_the_moment_asked_and_within_two_weeks(zone, opening, when):
    store = Location("S1", "S1", LocationKind.STORE, 0.0, 0.0, "X", time_zone=zone,
                     opening_hours=opening)
    opens = store.opens_at(when)
    assert when <= opens < when + timedelta(days=15)  # a window the clocks skip waits a week
    assert (opens == when) is store.is_open_at(when)
    assert store.is_open_at(opens)
    assert opens == when or not store.is_open_at(max(when, opens - timedelta(minutes=1)))


@pytest.mark.parametrize(("opening", "when", "opens"), [
    # 2026-11-01, clocks go back: 01:00-02:00 happens twice. At the second 01:20 (EST, 06:20
    # UTC) a store opening at 01:30 waits for 01:30 EST, not the 01:30 EDT an hour before.
    (OpeningHours(90, 120), datetime(2026, 11, 1, 6, 20, tzinfo=UTC),
     datetime(2026, 11, 1, 6, 30, tzinfo=UTC)),
    # 2026-03-08, clocks jump from 02:00 to 03:00: a store open 02:01-03:02 opens at the jump.
    (OpeningHours(121, 182), datetime(2026, 3, 8, 0, 0, tzinfo=UTC),
     datetime(2026, 3, 8, 7, 0, tzinfo=UTC)),
    # open only on Sundays, 02:00-02:01, which that Sunday never shows: the next Sunday.
    (OpeningHours(120, 121, (7,)), datetime(2026, 3, 8, 0, 0, tzinfo=UTC),
     datetime(2026, 3, 15, 6, 0, tzinfo=UTC)),
])
def test_a_store_in_new_york_opens_when_its_clock_first_shows_an_open_time(opening, when, opens):
    store = Location("S1", "S1", LocationKind.STORE, 0.0, 0.0, "X", time_zone="America/New_York",
                     opening_hours=(opening,))
    assert not store.is_open_at(when)
    assert store.opens_at(when) == opens


@settings(max_examples=200, deadline=None)  # 202 openings per case: no per-case clock
@given(zone=st.sampled_from(ZONES), opening=hours(), near=instants(), seed=st.integers(0, 999))
def test_the_chain_answers_each_instant_of_a_minute_as_the_location_would(
        zone, opening, near, seed):
    """Chain.opens_at keeps one answer per hours group and minute: whichever instant of a
    minute asks first, every other one, from any location of the group, gets what its
    location would say. Instants every few minutes over half a day, each minute asked
    twice at different seconds."""
    rng = random.Random(seed)
    stores = [Location(f"S{i}", "S", LocationKind.STORE, 0.0, 0.0, "X", time_zone=zone,
                       opening_hours=opening) for i in (1, 2)]
    chain = Chain(stores)
    start = near.replace(second=0, microsecond=0)
    minutes = [start + timedelta(minutes=7 * k) for k in range(-50, 51)] * 2
    for i, minute in enumerate(minutes):
        when = minute + timedelta(microseconds=rng.randrange(60_000_000))
        assert chain.opens_at(stores[i % 2], when) == stores[i % 2].opens_at(when)
