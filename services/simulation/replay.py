"""The replay: walk an order stream in time order through the routing core.

Pure: no I/O, no clock, no randomness. Each order is routed by
``planner.route``, the function the RoutingService calls, against the
simulated stock of that moment; the units it takes leave the shelves at once
(a transfer's units leave their source when it is planned). Before each order,
whatever has arrived by then lands: replenishments from the schedule, the
surplus of transfers that ship in whole cases, and head office's moves, which
leave their source at their own time. Stores opening and closing is
the core's business: an order placed at night is prepared from the opening on.
Same scenario, same policy: same KPIs, to the unit.
"""

from __future__ import annotations

import contextlib
import gc
import heapq
from collections.abc import Callable, Iterator
from datetime import timedelta

from services.common.geo import haversine_km
from services.routing.chain import Chain
from services.routing.model import Plan
from services.routing.planner import in_reach, route
from services.routing.policy import RoutingPolicy
from services.simulation.kpis import KpiCollector
from services.simulation.scenario import HeadOfficeMove, Scenario, SimOrder

PROGRESS_EVERY = 5_000  # orders between two progress reports
# "Near a point" answers a replay keeps: one per member address that orders again. About
# 6 KB each on a dense chain, so at most about 1.5 GB, and much less in practice.
NEAR_ANSWERS_KEPT = 250_000
YOUNG_COLLECTION_EVERY = 20_000  # new container objects between two young collections

Progress = Callable[[int], None]  # called with the orders replayed since the last call


class StockLedgerBroken(AssertionError):
    """A plan took units the simulated stock did not have: a bug in the core, never input."""


def unfillable_reason(chain: Chain, order: SimOrder, policy: RoutingPolicy) -> str:
    if order.request.pickup_location_id:
        return "PICKUP_STORE_CANNOT_SERVE"
    if not in_reach(chain, order.request, policy):
        return "NO_LOCATION_IN_REACH"
    return "OUT_OF_STOCK"


def simulation_chain(scenario: Scenario) -> Chain:
    """The chain index a replay routes on: the server's, remembering more answers."""
    return Chain(scenario.locations, recent_queries=NEAR_ANSWERS_KEPT)


class Replay:
    """One policy's walk through one scenario, with its own copy of the stock."""

    def __init__(self, scenario: Scenario, policy: RoutingPolicy, chain: Chain | None = None):
        self.scenario = scenario
        self.policy = policy
        self.chain = chain or simulation_chain(scenario)
        self.stock = scenario.copy_stock()
        self.kpis = KpiCollector(scenario.time_zone)
        self._refill = 0  # next replenishment to apply
        self._move = 0  # next head-office move to ship
        self._arrivals: list[tuple] = []  # heap: (arrive_at, seq, location, sku, units)
        self._seq = 0
        self._off_mall = frozenset(sku.sku_id for sku in scenario.skus.values()
                                   if not sku.sale_status.sold_online)

    def run(self, name: str, progress: Progress | None = None) -> dict:
        done = 0
        with _old_objects_frozen() as freeze:
            for order in self.scenario.orders:
                self.step(order)
                done += 1
                if done == PROGRESS_EVERY:
                    freeze()
                    if progress is not None:
                        progress(done)
                    done = 0
        if progress is not None and done:
            progress(done)
        return self.kpis.finish(name, self.scenario.skipped)

    def step(self, order: SimOrder) -> Plan:
        self._land(order.request.placed_at)
        if self._off_mall and (off := self._not_on_sale(order)):
            return off
        plan = route(self.chain, order.request, self.stock, self.policy)
        if plan.feasible:
            self._take(plan)
            self.kpis.filled(order, plan)
        else:
            self.kpis.refused(order, unfillable_reason(self.chain, order, self.policy))
        return plan

    def _not_on_sale(self, order: SimOrder) -> Plan | None:
        """The server refuses an order for a SKU off the mall before routing it
        (SKU_NOT_ON_SALE), so the replay counts it unfillable the same way."""
        skus = [line.sku_id for line in order.request.lines if line.sku_id in self._off_mall]
        if not skus:
            return None
        self.kpis.refused(order, "NOT_ON_SALE")
        return Plan(order.request.mode, (), 0.0,
                    unfillable=tuple(f"{sku} is not on sale online" for sku in skus))

    def _land(self, now) -> None:
        """Bring the shelves to ``now``: what arrives and what head office ships, in time
        order, so that a move takes from its source what the source has at its own time."""
        moves = self.scenario.moves
        while self._move < len(moves) and (at := moves[self._move].at or now) <= now:
            self._arrive(at)
            self._ship(moves[self._move], at)
            self._move += 1
        self._arrive(now)

    def _arrive(self, now) -> None:
        refills = self.scenario.replenishments
        while self._refill < len(refills) and refills[self._refill].at <= now:
            r = refills[self._refill]
            self._add(r.location_id, r.sku_id, r.units)
            self._refill += 1
        arrivals = self._arrivals
        while arrivals and arrivals[0][0] <= now:
            _, _, location_id, sku_id, units = heapq.heappop(arrivals)
            self._add(location_id, sku_id, units)

    def _ship(self, move: HeadOfficeMove, at) -> None:
        """A head-office move ships what its source has of it at ``at``, and arrives after
        the lead time the policy gives an order's transfer over the same distance: a move
        farther than the policy's last band is not made."""
        by_id = self.chain.by_id
        source, destination = by_id[move.source_id], by_id[move.destination_id]
        distance = haversine_km(source.latitude, source.longitude,
                                destination.latitude, destination.longitude)
        hours = self.policy.transfer_hours(distance, source.city == destination.city)
        have = self.stock.setdefault(move.source_id, {})
        units = 0 if hours is None else min(move.units, have.get(move.sku_id, 0))
        self.kpis.moved(move.units, units, beyond_reach=hours is None)
        if units:
            have[move.sku_id] -= units
            if have[move.sku_id] == 0:
                self.kpis.ran_out(move.source_id)
            self._seq += 1
            heapq.heappush(self._arrivals, (at + timedelta(hours=hours), self._seq,
                                            move.destination_id, move.sku_id, units))

    def _add(self, location_id: str, sku_id: str, units: int) -> None:
        have = self.stock.setdefault(location_id, {})
        have[sku_id] = have.get(sku_id, 0) + units

    def _take(self, plan: Plan) -> None:
        stock = self.stock
        for (location_id, sku_id), units in plan.units_taken().items():
            have = stock[location_id]
            left = have.get(sku_id, 0) - units
            if left < 0:
                raise StockLedgerBroken(
                    f"{plan.label} took {units} x {sku_id} at {location_id}, which had {left + units}")
            have[sku_id] = left
            if left == 0:
                self.kpis.ran_out(location_id)
        case = self.scenario.transfer_case_units
        if case > 1:
            for shipment in plan.shipments:
                for transfer in shipment.transfers:
                    self._ship_whole_cases(transfer, case)

    def _ship_whole_cases(self, transfer, case: int) -> None:
        """Round each transferred line up to whole cases, as far as the source has them;
        the extra units reach the destination's shelf when the transfer arrives."""
        source = self.stock[transfer.source_id]
        for line in transfer.lines:
            extra = min(-line.quantity % case, source.get(line.sku_id, 0))
            if extra:
                source[line.sku_id] -= extra
                if source[line.sku_id] == 0:
                    self.kpis.ran_out(transfer.source_id)
                self._seq += 1
                heapq.heappush(self._arrivals, (transfer.arrive_at, self._seq,
                                                transfer.destination_id, line.sku_id, extra))


@contextlib.contextmanager
def _old_objects_frozen() -> Iterator[Callable[[], None]]:
    """Keep the cycle collector off what a replay keeps: the scenario, and the "near a point"
    answers it gathers (millions of tuples). Collecting the oldest generation scans every
    object in it: 7.5% of a million-order replay's time, 13% of a 300,000-order one.
    Frozen objects are left out (they are still freed when no longer referenced).

    Young objects are collected every YOUNG_COLLECTION_EVERY new ones rather than every 700:
    a replay's objects die young, by reference count, and form no cycles, so a collection
    finds nothing to free; in a million-order replay the collector's time fell from 1.05 s
    to 0.32 s. The thresholds are restored at the end, and the process thawed unless it had
    frozen objects of its own before. (Replays run in processes of their own: the CLI's, or
    the server's worker processes.)"""
    thaw = gc.get_freeze_count() == 0
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, *thresholds[1:])
    try:
        yield gc.freeze
    finally:
        gc.set_threshold(*thresholds)
        if thaw:
            gc.unfreeze()


def replay(scenario: Scenario, policy: RoutingPolicy, name: str = "policy",
           progress: Progress | None = None, chain: Chain | None = None) -> dict:
    """The KPIs of ``policy`` on ``scenario``."""
    return Replay(scenario, policy, chain).run(name, progress)
