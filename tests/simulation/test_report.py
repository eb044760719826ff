"""The report holds the KPIs it claims, in HTML that opens offline, CSV and JSON."""

import csv
import json
import re
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from services.routing.policy import DEFAULT_POLICY, policy_from_dict
from services.simulation.run import simulate
from services.simulation.scenario import ScenarioSpec, SyntheticChainSpec, SyntheticOrdersSpec

SPEC = ScenarioSpec(synthetic_chain=SyntheticChainSpec(locations=150, skus=500, seed=2),
                    synthetic_orders=SyntheticOrdersSpec(orders=3_000, seed=8), name="tiny")
NEAR_ONLY = policy_from_dict({"pickup_radius_km": 2.0, "max_split": 1})


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):
    return simulate([SPEC], [("default", DEFAULT_POLICY), ("near-only", NEAR_ONLY)],
                    tmp_path_factory.mktemp("report"))


def test_the_policies_are_compared_on_the_same_stream(outcome):
    default, near = outcome.results
    assert default["orders"] == near["orders"] == 3_000
    assert default["hourly_local"]["placed"] == near["hourly_local"]["placed"]
    # a 2 km pickup radius and no splits can only lose orders, and shorten pickup trips
    assert near["filled"] < default["filled"]
    assert near["pickup_trip_km"]["p95"] <= 2.0 < default["pickup_trip_km"]["p95"]
    assert near["mode_mix"]["split delivery"] == 0


def test_the_csv_and_json_hold_the_same_kpis_as_the_run(outcome):
    document = json.loads(outcome.paths["json"].read_text())
    assert [p["policy"] for p in document["policies"]] == ["default", "near-only"]
    assert document["policies"] == outcome.results
    assert document["scenario"]["name"] == "tiny" and document["scenario"]["orders"] == 3_000
    assert document["scenario"]["time_zone"] == "Asia/Shanghai"
    with outcome.paths["csv"].open() as handle:
        rows = {row["policy"]: row for row in csv.DictReader(handle)}
    for kpis in outcome.results:
        row = rows[kpis["policy"]]
        assert int(row["filled"]) == kpis["filled"]
        assert int(row["transfer_costs_minor"]) == kpis["transfer_costs_minor"]
        assert float(row["eta_minutes_p95"]) == kpis["eta_minutes"]["p95"]
        assert int(row["mode_pickup_after_transfer"]) == kpis["mode_mix"]["pickup after transfer"]


def test_the_html_shows_every_policy_s_kpis_and_charts_and_needs_no_network(outcome):
    html = outcome.paths["html"].read_text()
    for kpis in outcome.results:
        assert f"<th>{kpis['policy']}</th>" in html
        assert f"<td>{kpis['filled']:,}</td>" in html
        assert f"<td>{kpis['transfers']:,}</td>" in html
        assert f"<b>{kpis['fill_rate'] * 100:.1f}%</b> filled" in html  # its card
        assert f"<td>{kpis['fill_rate']:.2%}</td>" in html
        assert f"<td>{kpis['transfer_costs_minor'] / 100:,.2f}</td>" in html
        # the busiest store-hour on the chain's clock, as the hourly chart beside it counts
        busiest = datetime.fromisoformat(kpis["peak_store_hour"]["hour"]).astimezone(
            ZoneInfo("Asia/Shanghai"))
        assert f"{busiest:%Y-%m-%d %H:00} Asia/Shanghai</td>" in html
    # the table is for people: labels and units, not the CSV's column names and minor units
    assert "<td>transfer costs, yuan</td>" in html and "transfer_costs_minor" not in html
    assert html.count("<svg") == 5  # mode mix, comparison, ETA, distances, hourly load
    # nothing fetched from elsewhere: no scripts, no stylesheets, no images by URL
    assert not re.search(r"<(script|link|img)\b", html)
    assert not re.search(r"(src|href)=\"https?:", html)


def test_an_isolated_simulation_draws_its_report_outside_the_calling_process(tmp_path):
    """What the server asks for: the replay and the charts both in child processes, so its
    own process (and its GIL) keeps serving calls meanwhile."""
    script = textwrap.dedent(f"""
        import sys
        from services.routing.policy import DEFAULT_POLICY
        from services.simulation.run import simulate
        from services.simulation.scenario import (
            ScenarioSpec, SyntheticChainSpec, SyntheticOrdersSpec)
        spec = ScenarioSpec(synthetic_chain=SyntheticChainSpec(locations=60, skus=200),
                            synthetic_orders=SyntheticOrdersSpec(orders=300))
        outcome = simulate([spec], [("default", DEFAULT_POLICY)], {str(tmp_path)!r},
                           isolate=True)
        assert outcome.paths["html"].read_text().count("<svg") >= 3
        print("matplotlib" in sys.modules)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, cwd=Path(__file__).resolve().parents[2])
    assert done.stdout.strip() == "False"


def test_policy_names_are_shown_as_written_whatever_they_hold(tmp_path):
    """Names come from policy file names: neither HTML nor matplotlib's mathtext may read them."""
    names = ["a$\\frac{x$", "<img src=x onerror=alert(1)>"]
    spec = ScenarioSpec(synthetic_chain=SyntheticChainSpec(locations=40, skus=50, seed=2),
                        synthetic_orders=SyntheticOrdersSpec(orders=200, seed=8))
    outcome = simulate([spec], [(name, DEFAULT_POLICY) for name in names], tmp_path)
    html = outcome.paths["html"].read_text()
    assert "<img" not in html
    assert html.count("&lt;img src=x onerror=alert(1)&gt;") >= 2  # a card and the charts
    assert html.count("a$\\frac{x$") >= 2
