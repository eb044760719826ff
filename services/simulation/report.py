"""The report ops read: one self-contained HTML file, plus the KPIs as CSV and JSON.

The HTML carries its charts as inline SVG (drawn by matplotlib) and its styles
inline, so it opens offline, from an e-mail attachment or a file share.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import jinja2

from services.inventory.catalogue import DEFAULT_TIME_ZONE, zone
from services.simulation.kpis import LABELS, eta_text, yuan

REPORT_FILE, CSV_FILE, JSON_FILE = "report.html", "kpis.csv", "kpis.json"
UNFILLABLE = "unfillable"
COLOURS = ("#2f6db5", "#e08a1e", "#3b9a57", "#b8413c", "#7d5ba6", "#6b6b6b", "#c9a227",
           "#2aa1b3")


def _count(value: int) -> str:
    return f"{value:,}"


def _share(value: float) -> str:
    return f"{value:.2%}"


def _one_decimal(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def _km(value: float | None) -> str:
    """To ten metres: policies a few hundred metres apart must not read alike."""
    return "-" if value is None else f"{value:,.2f}"


def _local_hour(utc_iso: str, time_zone: str) -> str:
    """An hour the KPIs keep in UTC, as the chain's clocks showed it: the chart beside it
    counts local hours."""
    local = datetime.fromisoformat(utc_iso).astimezone(zone(time_zone))
    return f"{local:%Y-%m-%d %H:00} {time_zone}"


# (CSV column, what the report's table calls it, how to read it from a policy's KPIs, how the
# table shows it). The CSV keeps raw values under stable names, for tools; the table is for people.
SCALARS = (
    ("orders", "orders", lambda k: k["orders"], _count),
    ("filled", "filled", lambda k: k["filled"], _count),
    ("unfillable", "unfillable", lambda k: k["unfillable"], _count),
    ("fill_rate", "fill rate", lambda k: k["fill_rate"], _share),
    *((f"mode_{label.replace(' ', '_')}", f"mode: {label}",
       lambda k, lb=label: k["mode_mix"][lb], _count) for label in LABELS),
    ("split_rate", "split rate", lambda k: k["split_rate"], _share),
    ("courier_km_p50", "courier km, p50", lambda k: k["courier_km"]["p50"], _km),
    ("courier_km_p95", "courier km, p95", lambda k: k["courier_km"]["p95"], _km),
    ("pickup_trip_km_p50", "customer's km to the pickup store, p50",
     lambda k: k["pickup_trip_km"]["p50"], _km),
    ("pickup_trip_km_p95", "customer's km to the pickup store, p95",
     lambda k: k["pickup_trip_km"]["p95"], _km),
    ("eta_minutes_p50", "ETA minutes, p50", lambda k: k["eta_minutes"]["p50"], _one_decimal),
    ("eta_minutes_p95", "ETA minutes, p95", lambda k: k["eta_minutes"]["p95"], _one_decimal),
    ("delivery_fees_minor", "delivery fees, yuan", lambda k: k["delivery_fees_minor"], yuan),
    ("transfer_costs_minor", "transfer costs, yuan", lambda k: k["transfer_costs_minor"], yuan),
    ("transfers", "transfers", lambda k: k["transfers"], _count),
    ("transfer_units", "units transferred", lambda k: k["transfer_units"], _count),
    ("head_office_units_shipped", "units head office moved",
     lambda k: k["head_office_moves"]["units_shipped"], _count),
    ("orders_waiting_for_opening", "orders waiting for a store to open",
     lambda k: k["orders_waiting_for_opening"], _count),
    ("stockouts", "stock-outs", lambda k: k["stockouts"], _count),
    ("locations_with_stockouts", "locations with a stock-out",
     lambda k: k["locations_with_stockouts"], _count),
    ("peak_store_hour_orders", "orders in the busiest store-hour",
     lambda k: (k["peak_store_hour"] or {}).get("orders", 0), _count),
    ("store_hour_orders_p95", "orders per store-hour, p95",
     lambda k: k["store_hour_orders_p95"], _one_decimal),
)


def write(results: list[dict], scenario: dict, out_dir: str | Path) -> dict[str, Path]:
    """Write report.html, kpis.csv and kpis.json into ``out_dir``; returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"html": out / REPORT_FILE, "csv": out / CSV_FILE, "json": out / JSON_FILE}
    document = {"scenario": scenario, "policies": results,
                "written_at": datetime.now(UTC).isoformat(timespec="seconds")}
    paths["json"].write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
    with paths["csv"].open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["policy", *(column for column, *_ in SCALARS)])
        for kpis in results:
            writer.writerow([kpis["policy"], *(read(kpis) for _, _, read, _ in SCALARS)])
    paths["html"].write_text(html(results, scenario, document["written_at"]), encoding="utf-8")
    return paths


def html(results: list[dict], scenario: dict, written_at: str) -> str:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("services.simulation", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined)
    template = environment.get_template("report.html.j2")
    charts = _charts(results)
    return template.render(
        results=results, scenario=scenario, written_at=written_at, labels=LABELS,
        table=[(label, [shown(read(k)) for k in results]) for _, label, read, shown in SCALARS],
        charts={name: jinja2.utils.markupsafe.Markup(svg) for name, svg in charts.items()},
        money=yuan, count=_count, eta_text=eta_text,
        local_hour=lambda utc: _local_hour(utc, scenario.get("time_zone", DEFAULT_TIME_ZONE)))


# --- charts -------------------------------------------------------------------------


def _charts(results: list[dict]) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    # text.parse_math off: policy names come from file names, and one like "a$\frac{x$"
    # (read as mathtext) failed the whole report
    plt.rcParams.update({"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False,
                         "axes.spines.right": False, "text.parse_math": False})
    try:
        return {"mode_mix": _mode_mix(plt, results), "compare": _compare(plt, results),
                "eta": _histogram(plt, results, "eta_minutes", "minutes from order to goods"),
                "distance": _distances(plt, results), "hourly": _hourly(plt, results)}
    finally:
        plt.close("all")


def _svg(fig) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _names(results):
    return [k["policy"] for k in results]


def _mode_mix(plt, results) -> str:
    fig, ax = plt.subplots(figsize=(8, 0.6 + 0.5 * len(results)))
    left = [0.0] * len(results)
    for i, label in enumerate((*LABELS, UNFILLABLE)):
        shares = [(k["unfillable"] if label == UNFILLABLE else k["mode_mix"][label])
                  / max(1, k["orders"]) * 100 for k in results]
        ax.barh(_names(results), shares, left=left, label=label, color=COLOURS[i % len(COLOURS)])
        left = [a + b for a, b in zip(left, shares, strict=True)]
    ax.set_xlabel("% of orders")
    ax.set_xlim(0, 100)
    ax.invert_yaxis()
    ax.legend(ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.35 - 0.1 / len(results)),
              frameon=False)
    return _svg(fig)


def _compare(plt, results) -> str:
    panels = (("fill rate %", lambda k: k["fill_rate"] * 100),
              ("ETA, min: p50 (blue), p95 (orange)", lambda k: (k["eta_minutes"]["p50"] or 0,
                                                k["eta_minutes"]["p95"] or 0)),
              ("courier km: p50 (blue), p95 (orange)", lambda k: (k["courier_km"]["p50"] or 0,
                                                  k["courier_km"]["p95"] or 0)),
              ("delivery fees, yuan", lambda k: k["delivery_fees_minor"] / 100),
              ("transfer costs, yuan", lambda k: k["transfer_costs_minor"] / 100),
              ("transfers", lambda k: k["transfers"]))
    fig, axes = plt.subplots(2, 3, figsize=(10, 5))
    names = _names(results)
    for ax, (title, read) in zip(axes.flat, panels, strict=True):
        values = [read(k) for k in results]
        if isinstance(values[0], tuple):
            width = 0.4
            xs = range(len(names))
            ax.bar([x - width / 2 for x in xs], [v[0] for v in values], width, label="p50",
                   color=COLOURS[0])
            ax.bar([x + width / 2 for x in xs], [v[1] for v in values], width, label="p95",
                   color=COLOURS[1])
            ax.set_xticks(list(xs), names)
        else:
            ax.bar(names, values, color=[COLOURS[i % len(COLOURS)] for i in range(len(names))])
        ax.set_title(title)
        ax.tick_params(axis="x", labelrotation=20)
    fig.tight_layout()
    return _svg(fig)


def _bin_labels(edges) -> list[str]:
    return [f"{a:g}-{b:g}" for a, b in zip(edges, edges[1:], strict=False)] + [f">{edges[-1]:g}"]


def _histogram(plt, results, key: str, xlabel: str, ax=None) -> str:
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(10, 3.2))
    edges = results[0]["histograms"][key]["edges"]
    labels = _bin_labels(edges)
    width = 0.8 / len(results)
    for i, k in enumerate(results):
        counts = k["histograms"][key]["counts"]
        total = max(1, sum(counts))
        ax.bar([x + (i - (len(results) - 1) / 2) * width for x in range(len(labels))],
               [c / total * 100 for c in counts], width, label=k["policy"],
               color=COLOURS[i % len(COLOURS)])
    ax.set_xticks(range(len(labels)), labels, rotation=35)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("% of orders")
    ax.legend(frameon=False)
    return _svg(fig) if own else ""


def _distances(plt, results) -> str:
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.2))
    _histogram(plt, results, "courier_km", "courier ride, km (same-city delivery)", left)
    _histogram(plt, results, "pickup_trip_km", "customer trip to the store, km (pickup)", right)
    fig.tight_layout()
    return _svg(fig)


def _hourly(plt, results) -> str:
    fig, ax = plt.subplots(figsize=(10, 3.2))
    hours = list(range(24))
    ax.bar(hours, results[0]["hourly_local"]["placed"], color="#d0d7e2", label="orders placed")
    for i, k in enumerate(results):
        ax.plot(hours, k["hourly_local"]["started"], marker="o", markersize=3,
                color=COLOURS[i % len(COLOURS)], label=f"stores start on ({k['policy']})")
    ax.set_xticks(hours)
    ax.set_xlabel("local hour of day")
    ax.set_ylabel("orders")
    ax.legend(frameon=False)
    return _svg(fig)
