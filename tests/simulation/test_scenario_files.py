"""Scenario files: the documented formats load, and bad input is named by file, line and field."""

import csv
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.common.input_files import InputError
from services.inventory.rebalance_command import COLUMNS as REBALANCE_COLUMNS
from services.routing.policy import DEFAULT_POLICY, PolicyError, load_policy
from services.simulation.build import build
from services.simulation.replay import Replay, replay
from services.simulation.scenario import ScenarioSpec

LOCATIONS = [
    ["location_id", "name", "kind", "latitude", "longitude", "city", "can_pickup", "can_deliver",
     "can_transfer", "delivery_radius_km", "time_zone", "opens", "closes"],
    ["S1", "People's Square", "STORE", "31.2349", "121.4737", "Shanghai", "true", "true", "false",
     "5", "Asia/Shanghai", "10:00", "22:00"],
    ["W1", "North warehouse", "WAREHOUSE", "31.3203", "121.4737", "Shanghai", "false", "false",
     "true", "0", "", "", ""],
]
SKUS = [["sku_id", "name", "price_minor"], ["TEA", "Tea", "990"], ["MUG", "Mug", "2900"]]
STOCK = [["location_id", "sku_id", "units"], ["S1", "TEA", "2"], ["W1", "TEA", "40"],
         ["W1", "MUG", "5"]]
ORDERS = [
    ["order_id", "placed_at", "member_id", "lines", "latitude", "longitude", "city", "mode",
     "pickup_location_id"],
    ["A1", "2026-11-23T11:00:00+08:00", "M1", "TEA:2", "31.2304", "121.4737", "Shanghai",
     "PICKUP", ""],
    ["A2", "2026-11-23T03:30:00Z", "M2", "TEA:1;MUG:1", "31.2304", "121.4737", "Shanghai",
     "SAME_CITY_DELIVERY", ""],
    ["A3", "2026-11-23T15:00:00+08:00", "M1", "TEA", "31.2304", "121.4737", "", "PICKUP", "S1"],
]


def write(directory: Path, name: str, rows) -> Path:
    path = directory / name
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


@pytest.fixture
def scenario_dir(tmp_path) -> Path:
    for name, rows in (("locations.csv", LOCATIONS), ("skus.csv", SKUS), ("stock.csv", STOCK),
                       ("orders.csv", ORDERS)):
        write(tmp_path, name, rows)
    return tmp_path


def with_order_row(directory: Path, row: list[str]) -> None:
    write(directory, "orders.csv", [*ORDERS, row])


def test_a_scenario_directory_loads_and_replays(scenario_dir):
    scenario = build(ScenarioSpec(chain_dir=str(scenario_dir)))

    assert [o.order_id for o in scenario.orders] == ["A1", "A2", "A3"]  # in time order
    assert scenario.stock == {"S1": {"TEA": 2}, "W1": {"TEA": 40, "MUG": 5}}
    assert scenario.locations[0].opening_hours[0].open_minute == 600
    kpis = replay(scenario, DEFAULT_POLICY)
    assert kpis["orders"] == 3 and kpis["mode_mix"]["pickup"] == 1
    assert kpis["mode_mix"]["delivery after transfer"] == 1
    assert kpis["mode_mix"]["pickup after transfer"] == 1  # A3: S1 sold out by A1


MOVES = [["at", "source_location_id", "destination_location_id", "sku_id", "units"]]


def test_rebalance_s_file_replays_as_head_office_s_moves(scenario_dir, tmp_path_factory):
    """The file `onestock rebalance` writes, beside the scenario or given on its own: its
    moves have no time, so they ship when the replay starts."""
    write(scenario_dir, "moves.csv", [list(REBALANCE_COLUMNS),
                                      ["MUG", "W1", "S1", "Shanghai", "2", "0", "3.5", "7.0",
                                       "rebalance-20261123T000000Z-3f9a1c-1"]])
    scenario = build(ScenarioSpec(chain_dir=str(scenario_dir)))
    assert [(m.at, m.source_id, m.destination_id, m.sku_id, m.units) for m in scenario.moves] == [
        (None, "W1", "S1", "MUG", 2)]
    assert scenario.summary()["head_office_moves"] == 1
    sim = Replay(scenario, DEFAULT_POLICY)
    kpis = sim.run("default")
    assert kpis["head_office_moves"] == {"moves": 1, "units_asked": 2, "units_shipped": 2,
                                         "beyond_reach": 0}
    # they left W1 with the first order (11:00) and reach S1 at 15:00: too late for A2's mug
    assert kpis["mode_mix"]["delivery after transfer"] == 1
    assert (sim.stock["S1"]["MUG"], sim.stock["W1"]["MUG"]) == (2, 5 - 2 - 1)

    elsewhere = write(tmp_path_factory.mktemp("plans"), "week-48.csv", [
        *MOVES, ["2026-11-23T09:00:00+08:00", "W1", "S1", "TEA", "3"],
        ["", "W1", "S1", "TEA", "1"], ["2026-11-23T00:30:00Z", "W1", "S1", "MUG", "2"]])
    (scenario_dir / "moves.csv").unlink()
    scenario = build(ScenarioSpec(chain_dir=str(scenario_dir), moves_file=str(elsewhere)))
    assert [(m.at and m.at.isoformat(), m.units) for m in scenario.moves] == [
        (None, 1), ("2026-11-23T00:30:00+00:00", 2), ("2026-11-23T01:00:00+00:00", 3)]


def test_a_store_open_on_weekdays_only_makes_a_saturday_pickup_wait_for_monday(scenario_dir):
    weekdays = [[*row, hours] for row, hours in zip(LOCATIONS, ["opening_hours", "", ""],
                                                    strict=True)]
    weekdays[1][11:14] = ["", "", "Mon-Fri 10:00-22:00"]  # S1: opens, closes, opening_hours
    saturday = ["A4", "2026-11-28T11:00:00+08:00", "M3", "MUG:1", "31.2304", "121.4737", "",
                "PICKUP", "S1"]
    with_order_row(scenario_dir, saturday)
    write(scenario_dir, "stock.csv", [*STOCK, ["S1", "MUG", "5"]])  # on S1's shelf: no transfer
    daily = replay(build(ScenarioSpec(chain_dir=str(scenario_dir))), DEFAULT_POLICY)
    write(scenario_dir, "locations.csv", weekdays)
    weekly = replay(build(ScenarioSpec(chain_dir=str(scenario_dir))), DEFAULT_POLICY)

    assert (daily["orders_waiting_for_opening"], weekly["orders_waiting_for_opening"]) == (0, 1)


def test_a_store_closed_for_a_period_in_its_file_serves_no_order_placed_then(scenario_dir):
    closed = [[*row, cell] for row, cell in zip(LOCATIONS, [
        "closures", "2026-11-23T02:00Z/2026-11-24T02:00Z stocktake", ""], strict=True)]
    write(scenario_dir, "locations.csv", closed)
    scenario = build(ScenarioSpec(chain_dir=str(scenario_dir)))
    assert scenario.locations[0].closures[0].reason == "stocktake"
    kpis = replay(scenario, DEFAULT_POLICY)
    # A1 and A3 are pickups at the only store (A3 chose it), A2 is delivered by it: none
    # while it is shut
    assert kpis["filled"] == 0 and kpis["unfillable"] == 3
    assert kpis["unfillable_reasons"] == {"NO_LOCATION_IN_REACH": 2,
                                          "PICKUP_STORE_CANNOT_SERVE": 1}


def test_parquet_files_replay_exactly_like_csv(scenario_dir, tmp_path_factory):
    parquet_dir = tmp_path_factory.mktemp("parquet")
    for name in ("locations", "skus", "stock", "orders"):
        with (scenario_dir / f"{name}.csv").open() as handle:
            rows = list(csv.DictReader(handle))
        pq.write_table(pa.Table.from_pylist(rows), parquet_dir / f"{name}.parquet")

    from_csv = replay(build(ScenarioSpec(chain_dir=str(scenario_dir))), DEFAULT_POLICY)
    from_parquet = replay(build(ScenarioSpec(chain_dir=str(parquet_dir))), DEFAULT_POLICY)
    assert from_parquet == from_csv


@pytest.mark.parametrize(("row", "field", "problem"), [
    (["A4", "2026-11-23T12:00:00", "M1", "TEA:1", "31.2", "121.4", "Shanghai", "PICKUP", ""],
     "placed_at", "UTC offset"),
    (["A4", "2026-11-23T12:00:00Z", "M1", "GOLD:1", "31.2", "121.4", "Shanghai", "PICKUP", ""],
     "lines", "unknown SKU 'GOLD'"),
    (["A4", "2026-11-23T12:00:00Z", "M1", "TEA:1", "91.5", "121.4", "Shanghai", "PICKUP", ""],
     "latitude", "between -90 and 90"),
    (["A4", "2026-11-23T12:00:00Z", "M1", "TEA:x", "31.2", "121.4", "Shanghai", "PICKUP", ""],
     "lines", "quantity 'x'"),
    (["A4", "2026-11-23T12:00:00Z", "M1", "TEA:1", "31.2", "121.4", "Shanghai", "TELEPORT", ""],
     "mode", "PICKUP, SAME_CITY_DELIVERY or AUTO"),
    (["A4", "2026-11-23T12:00:00Z", "M1", "TEA:1", "31.2", "121.4", "", "AUTO", ""],
     "city", "required for same-city delivery"),
    (["A4", "2026-11-23T12:00:00Z", "M1", "TEA:1", "31.2", "121.4", "Shanghai", "PICKUP", "S9"],
     "pickup_location_id", "unknown location 'S9'"),
    # the ends of the calendar: a time zone or a transfer's lead time would overflow
    (["A4", "0001-01-01T00:00:00+08:00", "M1", "TEA:1", "31.2", "121.4", "Shanghai", "AUTO", ""],
     "placed_at", "must be between 1970-01-01 and 2199-12-31"),
    (["A4", "9999-12-31T20:00:00Z", "M1", "TEA:1", "31.2", "121.4", "Shanghai", "AUTO", ""],
     "placed_at", "must be between 1970-01-01 and 2199-12-31"),
])
def test_a_bad_order_row_stops_the_load_naming_file_line_and_field(scenario_dir, row, field,
                                                                    problem):
    with_order_row(scenario_dir, row)
    with pytest.raises(InputError) as caught:
        build(ScenarioSpec(chain_dir=str(scenario_dir)))

    error = caught.value
    assert (Path(error.path).name, error.line, error.field) == ("orders.csv", 5, field)
    assert problem in error.problem
    assert str(error).startswith(f"{scenario_dir / 'orders.csv'}:5: {field}: ")


def test_bad_rows_can_be_skipped_and_counted_instead(scenario_dir):
    bad = ["A4", "2026-11-23T12:00:00Z", "M1", "GOLD:1", "31.2", "121.4", "Shanghai", "PICKUP", ""]
    write(scenario_dir, "orders.csv", [*ORDERS, bad, bad])
    scenario = build(ScenarioSpec(chain_dir=str(scenario_dir), skip_bad_rows=True))

    assert len(scenario.orders) == 3
    assert scenario.skipped == {"orders.csv: lines": 2}
    assert replay(scenario, DEFAULT_POLICY)["skipped_rows"] == {"orders.csv: lines": 2}


@pytest.mark.parametrize(("file", "rows", "line", "field"), [
    ("stock.csv", [*STOCK, ["S1", "SPOON", "3"]], 5, "sku_id"),
    ("stock.csv", [*STOCK, ["S1", "TEA", "-3"]], 5, "units"),
    ("locations.csv", [*LOCATIONS, ["S2", "x", "STORE", "31.2", "181", "Shanghai", "true",
                                    "false", "false", "", "", "", ""]], 4, "longitude"),
    ("locations.csv", [*LOCATIONS, ["S2", "x", "STORE", "31.2", "121", "Shanghai", "true",
                                    "true", "false", "0", "", "", ""]], 4, "delivery_radius_km"),
    ("locations.csv", [*LOCATIONS, ["S2", "x", "STORE", "31.2", "121", "Shanghai", "maybe",
                                    "false", "false", "", "", "", ""]], 4, "can_pickup"),
    ("locations.csv", [*LOCATIONS, ["S2", "x", "STORE", "31.2", "121", "Shanghai", "true",
                                    "false", "false", "", "Mars/Olympus", "", ""]], 4,
     "time_zone"),
    ("locations.csv", [*LOCATIONS, ["S2", "x", "STORE", "31.2", "121", "Shanghai", "true",
                                    "false", "false", "", "Asia", "", ""]], 4, "time_zone"),
    ("moves.csv", [*MOVES, ["", "W1", "S1", "TEA", "0"]], 2, "units"),
    ("moves.csv", [*MOVES, ["", "W9", "S1", "TEA", "1"]], 2, "source_location_id"),
    ("moves.csv", [*MOVES, ["", "W1", "W1", "TEA", "1"]], 2, "destination_location_id"),
    ("moves.csv", [*MOVES, ["", "W1", "S1", "SPOON", "1"]], 2, "sku_id"),
    ("moves.csv", [*MOVES, ["2026-11-23 09:00", "W1", "S1", "TEA", "1"]], 2, "at"),
])
def test_bad_chain_rows_are_named_too(scenario_dir, file, rows, line, field):
    write(scenario_dir, file, rows)
    with pytest.raises(InputError) as caught:
        build(ScenarioSpec(chain_dir=str(scenario_dir)))
    assert (Path(caught.value.path).name, caught.value.line, caught.value.field) == (
        file, line, field)


@pytest.mark.parametrize(("bad_row", "field", "problem"), [
    (b"S2,\xff\xfe,STORE,31.2,121,Shanghai,true,false,false,,,,\r\n", "encoding",
     "is not UTF-8 text"),  # saved in a legacy encoding (GBK, UTF-16)
    (b'S2,"' + b"x" * 200_000 + b'",STORE,31.2,121,Shanghai,true,false,false,,,,\r\n', "row",
     "is not valid CSV"),  # a field beyond the csv module's limit
])
def test_a_file_that_is_not_utf8_csv_is_named_at_its_line(scenario_dir, bad_row, field, problem):
    path = write(scenario_dir, "locations.csv", LOCATIONS)
    path.write_bytes(path.read_bytes() + bad_row)
    with pytest.raises(InputError) as caught:
        build(ScenarioSpec(chain_dir=str(scenario_dir)))
    assert (Path(caught.value.path).name, caught.value.line, caught.value.field) == (
        "locations.csv", len(LOCATIONS) + 1, field)
    assert problem in caught.value.problem


def test_a_missing_column_or_file_is_named(scenario_dir):
    write(scenario_dir, "stock.csv", [["location_id", "sku_id"], ["S1", "TEA"]])
    with pytest.raises(InputError, match="stock.csv:1: units: column missing"):
        build(ScenarioSpec(chain_dir=str(scenario_dir)))
    (scenario_dir / "stock.csv").unlink()
    with pytest.raises(InputError, match="stock: no stock.csv or stock.parquet here"):
        build(ScenarioSpec(chain_dir=str(scenario_dir)))


def test_a_policy_file_with_an_unknown_key_is_named(tmp_path):
    policy = tmp_path / "fast.toml"
    policy.write_text("pickup_radius_km = 5\n[weights]\nper_hour_eat = 3\n")
    with pytest.raises(PolicyError) as caught:
        load_policy(policy)
    assert (caught.value.where, caught.value.key) == (str(policy), "weights.per_hour_eat")
    assert "unknown key" in caught.value.problem


def test_a_policy_file_that_is_not_utf8_is_named_with_its_line(tmp_path):
    policy = tmp_path / "gbk.toml"
    policy.write_bytes("pickup_radius_km = 5\n# 你好\n".encode("gbk"))
    with pytest.raises(PolicyError) as caught:
        load_policy(policy)
    assert str(caught.value) == f"{policy}: -: is not UTF-8 text at line 2 (save the file as UTF-8)"


def test_parquet_columns_may_be_typed_but_timestamps_need_a_time_zone(scenario_dir):
    from datetime import UTC, datetime

    (scenario_dir / "orders.csv").unlink()
    placed = [datetime(2026, 11, 23, 3, 0, tzinfo=UTC), datetime(2026, 11, 23, 4, 0, tzinfo=UTC)]
    columns = {"order_id": ["T1", "T2"], "lines": ["TEA:1", "MUG:1"],
               "latitude": [31.2304, 31.2304], "longitude": [121.4737, 121.4737],
               "city": ["Shanghai", "Shanghai"], "mode": ["PICKUP", "AUTO"]}
    pq.write_table(pa.table({**columns, "placed_at": pa.array(placed, pa.timestamp("us", "UTC"))}),
                   scenario_dir / "orders.parquet")
    scenario = build(ScenarioSpec(chain_dir=str(scenario_dir)))
    assert [o.placed_at for o in scenario.orders] == placed

    naive = [p.replace(tzinfo=None) for p in placed]
    pq.write_table(pa.table({**columns, "placed_at": pa.array(naive, pa.timestamp("us"))}),
                   scenario_dir / "orders.parquet")
    with pytest.raises(InputError, match=r"orders.parquet:1: placed_at: must carry a UTC offset"):
        build(ScenarioSpec(chain_dir=str(scenario_dir)))


def test_a_parquet_file_damaged_inside_is_named_not_a_traceback(scenario_dir):
    """Its footer is intact, so it opens; its pages fail only when they are read."""
    with (scenario_dir / "locations.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    (scenario_dir / "locations.csv").unlink()
    path = scenario_dir / "locations.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    data = bytearray(path.read_bytes())
    footer = int.from_bytes(data[-8:-4], "little")  # then the magic "PAR1"
    data[4:len(data) - 8 - footer] = b"\xa5" * (len(data) - 12 - footer)  # every page
    path.write_bytes(bytes(data))
    with pytest.raises(InputError) as caught:
        build(ScenarioSpec(chain_dir=str(scenario_dir)))
    assert (Path(caught.value.path).name, caught.value.line, caught.value.field) == (
        "locations.parquet", 1, "row")
    assert "cannot be read" in caught.value.problem


REFILLS = [["at", "location_id", "sku_id", "units"], ["2026-11-23T04:00:00Z", "S1", "MUG", "3"]]
FILES = {"locations.csv": [[*row, hours] for row, hours in zip(  # both ways of giving hours
              LOCATIONS, ["opening_hours", "", "Mon-Fri 09:00-18:00"], strict=True)],
         "skus.csv": [[*row, currency] for row, currency in zip(SKUS, ["currency", "CNY", ""],
                                                                strict=True)],
         "stock.csv": STOCK, "orders.csv": ORDERS, "replenishment.csv": REFILLS}
HOSTILE_CELLS = st.one_of(
    st.sampled_from(["", " ", "0", "-1", "-0", "1e400", "-1e400", "nan", "inf", "NaN", "1e-320",
                     "99999999999999999999999", "3.5", "true", "TRUE", "null", "None", ":",
                     ";", "TEA:", ":2", "TEA:0", "TEA:-1", "TEA:1e9", "TEA:99999999999999999999",
                     "TEA:1;TEA:1", "TEA:1;;MUG:1", "S1", "W1", "STORE", "WAREHOUSE", "AUTO",
                     "PICKUP", "24:00", "10:00", "23:59", "09:60", "1:5", "Asia/Shanghai",
                     "Mon-Fri 10:00-22:00", "Sat,Sun 00:00-24:00; 10:00-12:00", "Fri-Mon 1:00-2:00",
                     "Mon,Mon 10:00-11:00", "Mon 10:00-25:00", "HKD", "RMB", "cny",
                     "UTC", "../etc/passwd", "Etc/GMT+14", "2026-02-30T10:00:00Z",
                     "2026-11-23T10:00:00", "2026-11-23", "1969-12-31T23:59:59Z",
                     "2199-12-31T23:59:59+00:00", "2200-01-01T00:00:00Z", "x" * 10_000,
                     "\u0000", "\ud7ff", "上海", "\u202e", "-90", "90.0000001", "-180.0", "180"]),
    st.text(max_size=12),
    st.floats().map(repr),
    st.integers().map(str))


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_one_bad_cell_is_named_or_replays_never_a_traceback(scenario_dir, data):
    """One cell of one file replaced by anything: the scenario loads and replays, or the
    load stops with an InputError naming a file, a line of it and one of its columns."""
    name = data.draw(st.sampled_from(sorted(FILES)), label="file")
    rows = [list(row) for row in FILES[name]]
    row = data.draw(st.integers(1, len(rows) - 1), label="row")
    column = data.draw(st.integers(0, len(rows[0]) - 1), label="column")
    rows[row][column] = data.draw(HOSTILE_CELLS, label="cell")
    for file_name, file_rows in FILES.items():
        write(scenario_dir, file_name, rows if file_name == name else file_rows)
    skip = data.draw(st.booleans(), label="skip_bad_rows")
    try:
        scenario = build(ScenarioSpec(chain_dir=str(scenario_dir), skip_bad_rows=skip))
    except InputError as error:  # an id changed in one file may leave another's rows bad
        named = Path(error.path).name
        assert named in FILES
        assert error.line is None or 1 <= error.line <= len(FILES[named])
        assert error.field in (*FILES[named][0], "row", "encoding")
        return
    kpis = replay(scenario, DEFAULT_POLICY)
    assert kpis["orders"] == len(scenario.orders)

TYPED_CELLS = st.one_of(st.none(), st.booleans(), st.floats(), st.integers(-2**63, 2**63 - 1),
                        st.datetimes(), st.binary(max_size=8))


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_one_typed_parquet_cell_is_named_or_replays_never_a_traceback(scenario_dir, data):
    """A Parquet column may carry numbers, flags, times or bytes where text is expected."""
    name = data.draw(st.sampled_from(sorted(FILES)), label="file")
    header, *body = FILES[name]
    column = data.draw(st.sampled_from(header), label="column")
    cell = data.draw(TYPED_CELLS, label="cell")
    records = [dict(zip(header, row, strict=True)) for row in body]
    for record in records:  # one typed value in the column, the rest of it empty
        record[column] = None
    records[data.draw(st.integers(0, len(records) - 1), label="row")][column] = cell
    for earlier in scenario_dir.glob("*.parquet"):  # the folder is shared by every example
        earlier.unlink()
    for file_name, file_rows in FILES.items():
        if file_name != name:
            write(scenario_dir, file_name, file_rows)
    (scenario_dir / name).unlink(missing_ok=True)
    pq.write_table(pa.Table.from_pylist(records), scenario_dir / name.replace(".csv", ".parquet"))
    try:
        scenario = build(ScenarioSpec(chain_dir=str(scenario_dir)))
    except InputError as error:
        named = Path(error.path).name
        assert named in (*FILES, name.replace(".csv", ".parquet"))
        assert error.field in (*header, *FILES.get(named, [[]])[0], "row", "encoding")
        return
    assert replay(scenario, DEFAULT_POLICY)["orders"] == len(scenario.orders)


def test_a_row_with_a_line_break_in_a_quoted_field_is_named_at_the_line_it_starts_on(
        scenario_dir):
    """The break sits in a column the replay does not read (a note kept beside the rows)."""
    header, *rows = LOCATIONS
    noted = [[*header, "note"], *([*row, ""] for row in rows)]
    two_lines = ["S2", "Two", "STORE", "31.2", "181", "Shanghai", "true", "false", "false",
                 "", "", "", "", "checked\ntwice"]
    write(scenario_dir, "locations.csv", [*noted, two_lines])
    with pytest.raises(InputError) as caught:
        build(ScenarioSpec(chain_dir=str(scenario_dir)))
    assert (caught.value.line, caught.value.field) == (4, "longitude")  # on lines 4 and 5

    after = ["S3", "x", "STORE", "31.2", "181", "Shanghai", "true", "false", "false", "", "", "",
             "", ""]
    write(scenario_dir, "locations.csv", [*noted, [*two_lines[:4], "121", *two_lines[5:]],
                                          after])
    with pytest.raises(InputError) as caught:
        build(ScenarioSpec(chain_dir=str(scenario_dir)))
    assert (caught.value.line, caught.value.field) == (6, "longitude")


def test_a_name_is_checked_by_the_api_s_rule_so_a_line_break_in_it_is_refused(scenario_dir):
    header, *rows = LOCATIONS
    broken = ["S2", "Two\nlines", "STORE", "31.2", "121", "Shanghai", "true", "false", "false",
              "", "", "", ""]
    write(scenario_dir, "locations.csv", [header, *rows, broken])
    with pytest.raises(InputError) as caught:
        build(ScenarioSpec(chain_dir=str(scenario_dir)))
    assert (caught.value.line, caught.value.field, caught.value.problem) == (
        4, "name", "must not contain control characters")
