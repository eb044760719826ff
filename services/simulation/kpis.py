"""What a replay measured, per policy: the figures head office compares.

``KpiCollector`` is fed one order at a time by the replay and turns its
tallies into a plain, JSON-ready dict at the end; nothing here routes or
touches stock. Distances are kilometres, ETAs minutes from the order to the
goods at the door (delivery) or ready at the counter (pickup), money minor units.
"""

from __future__ import annotations

from array import array
from collections import Counter
from datetime import UTC, datetime

import numpy as np

from services.inventory.catalogue import zone
from services.routing.model import Mode, Plan
from services.simulation.scenario import SimOrder

LABELS = ("pickup", "delivery", "split delivery", "pickup after transfer",
          "delivery after transfer")
ETA_EDGES = (0, 30, 45, 60, 90, 120, 180, 240, 360, 480, 720, 1080, 1440, 2880, 4320)
KM_EDGES = (0, 0.5, 1, 1.5, 2, 3, 4, 5, 6, 8, 10, 15)
TOP = 10


class KpiCollector:
    def __init__(self, time_zone: str):
        self.time_zone = time_zone
        self.orders = 0
        self.labels: Counter = Counter()
        self.unfillable: Counter = Counter()
        self.splits = self.waiting = self.transfers = self.transfer_units = 0
        self.fees = self.transfer_costs = 0
        self.courier_km, self.trip_km, self.eta_min = array("f"), array("f"), array("f")
        self.placed_by_hour: Counter = Counter()  # UTC epoch hour -> orders placed
        self.store_hour: Counter = Counter()  # (location, UTC epoch hour of prep start) -> orders
        self.stockouts: Counter = Counter()  # location -> SKUs that ran out there
        # head office's moves: rows, units asked for, units shipped, rows beyond the policy
        self.moves = self.move_units = self.moved_units = self.moves_beyond_reach = 0

    def filled(self, order: SimOrder, plan: Plan) -> None:
        """Tally a filled order: runs once per order of a replay, so each shipment's sums
        are taken in one pass, and a store starting at once reuses the order's hour."""
        placed = order.request.placed_at
        placed_hour = self._placed(placed)
        self.labels[plan.label] += 1
        shipments = plan.shipments
        if len(shipments) > 1:
            self.splits += 1
        self.eta_min.append((plan.ready_at - placed).total_seconds() / 60)
        waited = False
        for shipment in shipments:
            self.fees += shipment.fee_minor
            if shipment.mode is Mode.SAME_CITY_DELIVERY:
                self.courier_km.append(shipment.distance_km)
            else:
                self.trip_km.append(shipment.distance_km)
            start = shipment.prep_start
            hour = placed_hour if start == placed else _epoch_hour(start)
            self.store_hour[(shipment.location_id, hour)] += 1
            if shipment.transfers:
                for transfer in shipment.transfers:
                    self.transfers += 1
                    self.transfer_costs += transfer.cost_minor
                    self.transfer_units += sum(line.quantity for line in transfer.lines)
            elif start > placed:
                waited = True
        self.waiting += waited

    def refused(self, order: SimOrder, reason: str) -> None:
        self._placed(order.request.placed_at)
        self.unfillable[reason] += 1

    def _placed(self, placed: datetime) -> int:
        """Count the order in its hour, filled or not; returns that hour."""
        self.orders += 1
        hour = _epoch_hour(placed)
        self.placed_by_hour[hour] += 1
        return hour

    def moved(self, asked: int, shipped: int, beyond_reach: bool) -> None:
        self.moves += 1
        self.move_units += asked
        self.moved_units += shipped
        self.moves_beyond_reach += beyond_reach

    def ran_out(self, location_id: str) -> None:
        self.stockouts[location_id] += 1

    def finish(self, policy: str, skipped: Counter | None = None) -> dict:
        filled = self.orders - sum(self.unfillable.values())
        return {
            "policy": policy,
            "orders": self.orders,
            "filled": filled,
            "unfillable": self.orders - filled,
            "fill_rate": _ratio(filled, self.orders),
            "unfillable_reasons": dict(sorted(self.unfillable.items())),
            "mode_mix": {label: self.labels.get(label, 0) for label in LABELS},
            "split_rate": _ratio(self.splits, filled),
            "courier_km": _spread(self.courier_km),
            "pickup_trip_km": _spread(self.trip_km),
            "eta_minutes": _spread(self.eta_min),
            "delivery_fees_minor": self.fees,
            "transfer_costs_minor": self.transfer_costs,
            "transfers": self.transfers,
            "transfer_units": self.transfer_units,
            "orders_waiting_for_opening": self.waiting,
            "head_office_moves": {"moves": self.moves, "units_asked": self.move_units,
                                  "units_shipped": self.moved_units,
                                  "beyond_reach": self.moves_beyond_reach},
            "stockouts": sum(self.stockouts.values()),
            "locations_with_stockouts": len(self.stockouts),
            "stockouts_by_location": dict(_top(self.stockouts)),
            **self._load(),
            "histograms": {
                "eta_minutes": _histogram(self.eta_min, ETA_EDGES),
                "courier_km": _histogram(self.courier_km, KM_EDGES),
                "pickup_trip_km": _histogram(self.trip_km, KM_EDGES),
            },
            "skipped_rows": dict(sorted((skipped or {}).items())),
        }

    def _load(self) -> dict:
        """Orders per store per hour (by when the store starts on them), and the chain's
        hourly curve in local time: orders placed, and orders stores start on."""
        tz = zone(self.time_zone)

        def local_hour(epoch_hour: int) -> int:
            return datetime.fromtimestamp(epoch_hour * 3600, UTC).astimezone(tz).hour

        placed, started = [0] * 24, [0] * 24
        for hour, n in self.placed_by_hour.items():
            placed[local_hour(hour)] += n
        for (_, hour), n in self.store_hour.items():
            started[local_hour(hour)] += n
        peak = max(self.store_hour.items(), key=lambda kv: (kv[1], kv[0]), default=None)
        loads = np.fromiter(self.store_hour.values(), dtype=np.int64, count=len(self.store_hour))
        per_store: Counter = Counter()
        for (location_id, _), n in self.store_hour.items():
            per_store[location_id] += n
        return {
            "peak_store_hour": None if peak is None else {
                "location_id": peak[0][0], "orders": peak[1],
                "hour": datetime.fromtimestamp(peak[0][1] * 3600, UTC).isoformat()},
            "store_hour_orders_p95": float(np.percentile(loads, 95)) if loads.size else 0.0,
            "busiest_locations": dict(_top(per_store)),
            "hourly_local": {"placed": placed, "started": started},
        }


def eta_text(kpis: dict) -> str:
    """The median ETA as the CLI and the report's cards say it; a run that filled nothing
    has none to give."""
    p50 = kpis["eta_minutes"]["p50"]
    return "no ETA (nothing filled)" if p50 is None else f"ETA p50 {p50:g} min"


def yuan(minor: int) -> str:
    """An amount in fen as the CLI and the report say it: 250,551.00."""
    return f"{minor / 100:,.2f}"


def _epoch_hour(moment: datetime) -> int:
    """Hours since the epoch: hour buckets that turn into local hours only at the end."""
    return int(moment.timestamp()) // 3600


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else 0.0


def _spread(values: array) -> dict:
    if not values:
        return {"count": 0, "p50": None, "p95": None, "mean": None}
    data = np.frombuffer(values, dtype=np.float32).astype(np.float64)
    p50, p95 = np.percentile(data, (50, 95))
    return {"count": len(values), "p50": round(float(p50), 3), "p95": round(float(p95), 3),
            "mean": round(float(data.mean()), 3)}


def _histogram(values: array, edges: tuple) -> dict:
    data = np.frombuffer(values, dtype=np.float32) if values else np.zeros(0)
    bins = np.array((*edges, np.inf))
    counts, _ = np.histogram(data, bins=bins)
    return {"edges": list(edges), "counts": counts.tolist()}


def _top(counter: Counter) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
