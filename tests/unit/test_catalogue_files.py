"""The catalogue's file rows: what a snapshot writes reads back as the same location or SKU,
and a bad opening-hours cell is refused naming its problem. Pure, no database."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.common.input_files import BadField
from services.inventory import files
from services.inventory.catalogue import (
    ClosedPeriod,
    Location,
    LocationKind,
    OpeningHours,
    Sku,
    in_start_order,
)


@st.composite
def windows(draw) -> tuple[OpeningHours, ...]:
    found = []
    for _ in range(draw(st.integers(0, 4))):
        opens = draw(st.integers(0, 1439))
        days = draw(st.sets(st.integers(1, 7), max_size=7))
        found.append(OpeningHours(opens, draw(st.integers(opens + 1, 1440)), tuple(sorted(days))))
    return tuple(found)


def read_back(record: tuple, columns: tuple[str, ...]) -> dict:
    """A record as the CSV reader gives it back: every cell as text."""
    return dict(zip(columns, (str(cell) for cell in record), strict=True))


@st.composite
def closed_periods(draw) -> tuple[ClosedPeriod, ...]:
    found = []
    for _ in range(draw(st.integers(0, 3))):
        start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(
            minutes=draw(st.integers(0, 10**6)), seconds=draw(st.sampled_from([0, 30])))
        end = start + timedelta(minutes=draw(st.integers(1, 10**5)))
        reason = draw(st.sampled_from(["", "Spring Festival", "refit, 2nd floor", "台风"]))
        found.append(ClosedPeriod(start, end, reason))
    return in_start_order(found)


@given(hours=windows(), radius=st.sampled_from([0.0, 2.5, 5.0]), dealer=st.sampled_from(["", "D-1"]),
       closures=closed_periods())
def test_a_written_location_reads_back_as_the_same_location(hours, radius, dealer, closures):
    shop = Location("SH-S001", "People's Square", LocationKind.STORE, 31.2349, 121.4737,
                    "Shanghai", can_pickup=True, can_deliver=radius > 0, can_transfer=False,
                    delivery_radius_km=radius, time_zone="Asia/Shanghai", opening_hours=hours,
                    dealer_id=dealer, closures=closures)
    assert files.location(read_back(files.location_record(shop), files.LOCATION_COLUMNS)) == shop


@pytest.mark.parametrize(("hours", "opens", "closes", "written"), [
    ((OpeningHours(600, 1320),), "10:00", "22:00", ""),
    ((), "", "", ""),
    ((OpeningHours(600, 1320, (1, 2, 3, 4, 5)), OpeningHours(540, 1380, (6, 7))), "", "",
     "Mon-Fri 10:00-22:00; Sat-Sun 09:00-23:00"),
    ((OpeningHours(600, 840), OpeningHours(1020, 1320)), "", "", "10:00-14:00; 17:00-22:00"),
    ((OpeningHours(0, 1440, (1, 3, 5, 6)),), "", "", "Mon,Wed,Fri-Sat 00:00-24:00"),
])
def test_one_daily_window_is_written_as_opens_and_closes_any_other_hours_in_full(
        hours, opens, closes, written):
    shop = Location("S1", "S1", LocationKind.STORE, 31.2, 121.4, "Shanghai", opening_hours=hours)
    row = dict(zip(files.LOCATION_COLUMNS, files.location_record(shop), strict=True))
    assert (row["opens"], row["closes"], row["opening_hours"]) == (opens, closes, written)


@pytest.mark.parametrize(("written", "hours"), [
    ("mon-FRI 9:30-21:00", (OpeningHours(570, 1260, (1, 2, 3, 4, 5)),)),
    ("Sun,Sat 10:00-20:00;", (OpeningHours(600, 1200, (6, 7)),)),  # any order; a trailing ';'
    (" 08:00-12:00 ;  Tue 13:00-18:00 ", (OpeningHours(480, 720), OpeningHours(780, 1080, (2,)))),
])
def test_opening_hours_are_read_as_people_write_them(written, hours):
    assert files.parse_opening_hours(written) == hours


@pytest.mark.parametrize(("written", "problem"), [
    ("Mon-Fri", "must look like 'Mon-Fri 10:00-22:00'"),
    ("Mon-Fri 10-22", "must look like"),
    ("Mon - Fri 10:00-22:00", "must look like"),
    ("Fri-Mon 10:00-22:00", "'Fri-Mon' in 'Fri-Mon 10:00-22:00' must run forward"),
    ("Mon-Fri,Wed 10:00-22:00", "names a day twice"),
    ("Mo 10:00-22:00", "'Mo' in 'Mo 10:00-22:00' is not a day"),
    ("22:00-10:00", "must close after it opens"),
    ("10:00-10:00", "must close after it opens"),
    ("10:60-12:00", "'10:60' in '10:60-12:00' is not a time of day"),
    ("23:00-24:30", "'24:30' in '23:00-24:30' is not a time of day"),
    ("; ".join(["Mon 10:00-11:00"] * 51), "at most 50 windows"),
])
def test_bad_opening_hours_are_refused_naming_the_problem(written, problem):
    with pytest.raises(BadField) as refused:
        files.parse_opening_hours(written)
    assert refused.value.field == "opening_hours"
    assert problem in refused.value.problem


def location_row(**cells: str) -> dict:
    return {"location_id": "S1", "kind": "STORE", "latitude": "31.2", "longitude": "121.4",
            "city": "Shanghai", **cells}


@pytest.mark.parametrize(("cells", "field", "problem"), [
    ({"opens": "10:00", "closes": "22:00", "opening_hours": "Mon 10:00-22:00"}, "opening_hours",
     "either opens and closes or opening_hours, not both"),
    ({"opens": "10:00", "opening_hours": "Mon 10:00-22:00"}, "opening_hours", "not both"),
    ({"opens": "10:00"}, "closes", "opens and closes go together"),
    ({"opens": "22:00", "closes": "10:00"}, "closes", "must be later than opens"),
    ({"opens": "9.30", "closes": "22:00"}, "opens", "'9.30' must be HH:MM"),
    ({"opens": "10:00", "closes": "24:30"}, "closes", "'24:30' is not a time of day"),
])
def test_a_location_gives_its_hours_one_way(cells, field, problem):
    with pytest.raises(BadField) as refused:
        files.location(location_row(**cells))
    assert (refused.value.field, problem in refused.value.problem) == (field, True)


def test_a_sku_keeps_its_currency_and_an_unknown_one_is_refused():
    tart = Sku("TART-01", "Egg tart", 1200, currency="HKD", spec="6 pieces")
    assert files.sku(read_back(files.sku_record(tart), files.SKU_COLUMNS)) == tart
    assert files.sku({"sku_id": "TEA", "price_minor": "990"}).currency == "CNY"  # the default
    with pytest.raises(BadField) as refused:
        files.sku({"sku_id": "TEA", "currency": "RMB"})
    assert refused.value.field == "currency" and "'RMB' must be one of" in refused.value.problem


def test_a_row_replacing_a_location_keeps_what_its_file_leaves_out_and_checks_the_whole():
    old = Location("S1", "Old name", LocationKind.STORE, 31.2, 121.4, "Shanghai", can_pickup=True,
                   can_deliver=False, delivery_radius_km=4.0,
                   opening_hours=(OpeningHours(600, 1320),), dealer_id="D-1")
    row = location_row(city="Suzhou", can_deliver="true")  # the file's only other column

    assert files.location(row, {"S1": old}) == replace(old, city="Suzhou", can_deliver=True)
    for current in ({"S1": replace(old, delivery_radius_km=0.0)}, {}):  # a new one: radius 0
        with pytest.raises(BadField) as refused:  # it would deliver within 0 km
            files.location(row, current)
        assert refused.value.field == "delivery_radius_km"


@pytest.mark.parametrize(("rows", "heard"), [
    (0, [0]), (3, [3]), (10_000, [10_000, 0]), (25_001, [10_000, 10_000, 5_001])])
def test_reading_counts_tells_how_many_rows_are_checked_every_ten_thousand(tmp_path, rows, heard):
    path = tmp_path / "stock_counts.csv"
    path.write_text("location_id,sku_id,on_hand\n" + "".join(
        f"S1,K{n},{n % 7}\n" for n in range(rows)), encoding="utf-8")
    told = []
    counts = files.load_counts(path, {"S1"}, {f"K{n}" for n in range(rows)}, told.append)
    assert told == heard
    assert len(counts) == sum(told) == rows


def test_closed_periods_are_read_as_people_write_them():
    assert files.parse_closures(
        " 2027-02-05T16:00Z/2027-02-12T02:00Z Spring Festival;2026-12-01T22:00+08:00/"
        "2026-12-03T10:00+08:00 ;") == (
        ClosedPeriod(datetime(2026, 12, 1, 14, 0, tzinfo=UTC), datetime(2026, 12, 3, 2, 0, tzinfo=UTC)),
        ClosedPeriod(datetime(2027, 2, 5, 16, 0, tzinfo=UTC), datetime(2027, 2, 12, 2, 0, tzinfo=UTC),
                     "Spring Festival"))
    assert files.parse_closures("") == ()


@pytest.mark.parametrize(("written", "problem"), [
    ("2027-02-05T16:00Z", "must look like '2027-02-05T16:00Z/2027-02-12T02:00Z Spring Festival'"),
    ("2027-02-12T02:00Z/2027-02-05T16:00Z", "must end after it starts"),
    ("2027-02-05T16:00/2027-02-12T02:00Z", "must carry a UTC offset"),
    ("2027-02-30T16:00Z/2027-03-12T02:00Z", "'2027-02-30T16:00Z' in "),
    ("1969-12-31T00:00Z/2027-01-01T00:00Z", "must be from 1970 to 2199"),
    ("2027-02-05T16:00Z/2027-02-12T02:00Z " + "x" * 201, "at most 200 characters"),
    ("2027-02-05T16:00Z/2027-02-12T02:00Z shut\x07", "control characters"),
    ("; ".join(f"2027-01-{d:02d}T00:00Z/2027-01-{d:02d}T01:00Z" for d in range(1, 29)) + "; "
     + "; ".join(f"2027-03-{d:02d}T00:00Z/2027-03-{d:02d}T01:00Z" for d in range(1, 24)),
     "at most 50 periods"),
])
def test_bad_closed_periods_are_refused_naming_the_problem(written, problem):
    with pytest.raises(BadField) as refused:
        files.parse_closures(written)
    assert refused.value.field == "closures"
    assert problem in refused.value.problem


def test_a_file_without_the_closures_column_keeps_those_the_chain_has():
    festival = ClosedPeriod(datetime(2027, 2, 5, 16, tzinfo=UTC), datetime(2027, 2, 12, 2, tzinfo=UTC))
    shop = Location("S1", "S1", LocationKind.STORE, 31.2, 121.4, "Shanghai", closures=(festival,))
    row = {"location_id": "S1", "kind": "STORE", "latitude": "31.2", "longitude": "121.4",
           "city": "Shanghai", "name": "Renamed"}
    assert files.location(row, {"S1": shop}).closures == (festival,)
    assert files.location(row | {"closures": ""}, {"S1": shop}).closures == ()
