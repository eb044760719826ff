"""The routing core: which location serves an online order, and how.

Pure (no gRPC, no database, no asyncio): the server reads live stock and calls
``route``/``quote``, the tests call them on hand-built chains, and the
simulator replays whole days through them. Same input, same plan: every
ordering breaks ties by distance, then location id.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.common.geo import haversine_km
from services.inventory.catalogue import Location
from services.routing.chain import Chain, Nearby
from services.routing.model import (
    Considered,
    Mode,
    OrderLine,
    Plan,
    Quote,
    Reason,
    RouteRequest,
    Shipment,
    StockView,
    Transfer,
)
from services.routing.policy import RoutingPolicy

EMPTY: Mapping[str, int] = {}
SPLIT_CANDIDATES = 12  # nearest partial stores examined for a split delivery
# A candidate is passed over only when it would score worse than the best by more than
# float noise: plans whose scores round alike are still built, and ranked by distance and id.
SCORE_SLACK = 1e-6
PICKUP, DELIVERY, SOURCE = "pickup", "delivery", "transfer_source"
ROLE_ORDER = {PICKUP: 0, DELIVERY: 1, SOURCE: 2}


class _Trace:
    """Observations about each candidate, turned into the plan's trace only when read.

    Noting is a tuple append: the simulator never reads a trace, so it must cost
    next to nothing; ``finish`` merges the notes per location and role.
    """

    def __init__(self) -> None:
        self._notes: list[tuple] = []
        self._candidates: list[tuple[str, list[tuple[float, Location]]]] = []
        self._sources: list[tuple[list[tuple], dict[str, int]]] = []
        self._filtered: list[tuple] = []

    def note(self, role: str, loc: Location, distance: float, reason: Reason | None = None,
             short: tuple[str, ...] = (), opens_at: datetime | None = None) -> None:
        self._notes.append((role, loc.location_id, distance, reason, short, opens_at))

    def filtered(self, role: str, nearby: list[tuple[float, Location]], rejection) -> None:
        """Locations screened for a role; those ``rejection`` refuses are explained when read."""
        self._filtered.append((role, nearby, rejection))

    def sources_examined(self, sources: list[tuple], missing: dict[str, int]) -> None:
        """Transfer sources looked at for ``missing``, as (distance, source, ...) tuples;
        explained when the trace is read."""
        if sources:
            self._sources.append((sources, missing))

    def candidates(self, role: str, candidates: list[tuple[float, Location]]) -> None:
        """The candidates for a role, explained by their stock and hours when the trace is
        read: also those a scan never reached, as a better plan was found before them."""
        if candidates:
            self._candidates.append((role, candidates))

    def finish(self, plan_shipments: tuple[Shipment, ...], ctx: _Context
               ) -> tuple[Considered, ...]:
        """The trace: one entry per location and role considered, nearest first per role.

        Filter rejections and candidates each appear once per role and are built directly;
        transfer sources (looked at for both modes) and the few explicit notes are merged per
        location."""
        chosen = {(PICKUP if s.mode is Mode.PICKUP else DELIVERY, s.location_id)
                  for s in plan_shipments}
        chosen |= {(SOURCE, t.source_id) for s in plan_shipments for t in s.transfers}
        out: list[Considered] = []
        for role, nearby, rejection in self._filtered:
            for distance, loc in nearby:
                reason = rejection(ctx, loc, distance)
                if reason is not None:
                    out.append(Considered(loc.location_id, role, distance, False, (reason,),
                                          opens_at=ctx.reopens(loc, reason)))
        placed = ctx.request.placed_at
        for role, candidates in self._candidates:
            for distance, loc in candidates:
                opens = ctx.opens(loc)
                closed = opens > placed
                short = ctx.short_at(loc)
                reasons = ((Reason.INSUFFICIENT_STOCK,) if short else ()) + (
                    (Reason.CLOSED,) if closed else ())
                is_chosen = (role, loc.location_id) in chosen
                if not is_chosen and not short:
                    reasons += (Reason.FARTHER,)
                out.append(Considered(loc.location_id, role, distance, is_chosen, reasons, short,
                                      opens if closed else None))
        out += self._merged(chosen, ctx)
        out.sort(key=lambda c: (ROLE_ORDER[c.role], c.distance_km, c.location_id))
        return tuple(out)

    def _merged(self, chosen, ctx: _Context) -> list[Considered]:
        notes = list(self._notes)
        for sources, missing in self._sources:
            for distance, src, *_ in sources:
                have = ctx.stock.get(src.location_id, EMPTY)
                short = tuple(sku for sku, qty in missing.items() if have.get(sku, 0) < qty)
                notes.append((SOURCE, src.location_id, distance,
                              Reason.INSUFFICIENT_STOCK if short else None, short, None))
        seen: dict[tuple[str, str], list] = {}
        for role, loc_id, distance, reason, short, opens in notes:
            entry = seen.get((role, loc_id))
            if entry is None:
                entry = seen[(role, loc_id)] = [distance, [], (), None]
            if reason is not None and reason not in entry[1]:
                entry[1].append(reason)
            if short:
                entry[2] = short
            if opens is not None:
                entry[3] = opens
        merged = []
        for (role, loc_id), (distance, reasons, short, opens) in seen.items():
            is_chosen = (role, loc_id) in chosen
            if not is_chosen and all(r is Reason.CLOSED for r in reasons):
                reasons = [*reasons, Reason.FARTHER]
            merged.append(Considered(loc_id, role, distance, is_chosen, tuple(reasons), short,
                                     opens))
        return merged


@dataclass
class _Context:
    chain: Chain
    request: RouteRequest
    stock: StockView
    policy: RoutingPolicy
    needs: dict[str, int]
    trace: _Trace = field(default_factory=_Trace)
    nearby: list[tuple[float, Location]] | None = None
    # per-request memos: every candidate is looked at for several roles
    _opens: dict[int, datetime] = field(default_factory=dict)
    _short: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _complete: dict[str, bool] = field(default_factory=dict)
    _transfers: dict[str, tuple[Transfer, ...] | None] = field(default_factory=dict)
    _all_skus: tuple[str, ...] | None = None
    _whole_order: tuple[OrderLine, ...] | None = None

    def opens(self, loc: Location) -> datetime:
        """When ``loc`` can start on this order: now if open, else its next opening.
        Memoized per group of locations keeping the same hours in the same time zone:
        most stores of a chain do, so one order works out one or two openings."""
        if not loc.opening_hours and not loc.closures:
            return self.request.placed_at
        key = self.chain.hours_group[loc.location_id]
        when = self._opens.get(key)
        if when is None:
            when = self._opens[key] = self.chain.opens_at(loc, self.request.placed_at)
        return when

    def near_customer(self) -> Nearby:
        """Every location within reach of the customer for either mode (one index query)."""
        if self.nearby is None:
            radius = max(self.policy.pickup_radius_km,
                         min(self.chain.max_delivery_radius_km,
                             self.policy.delivery_bands[-1].max_km))
            nearby = self.chain.near(self.request.latitude, self.request.longitude, radius)
            road_km = self.request.road_km
            self.nearby = nearby if road_km is None else _by_road(nearby, road_km)
        return self.nearby

    def closed_now(self, loc: Location) -> bool:
        """Whether the location is in a closed period when the order arrives: then it takes
        no online orders, in any role."""
        return loc.in_closed_period(self.request.placed_at)

    def reopens(self, loc: Location, reason: Reason) -> datetime | None:
        """For the trace: when a location refused as TEMPORARILY_CLOSED opens again."""
        return self.opens(loc) if reason is Reason.TEMPORARILY_CLOSED else None

    def open_now(self, candidates: list[tuple[float, Location]]) -> list[tuple[float, Location]]:
        """``candidates`` without those in a closed period (all of them, in most chains)."""
        if not self.chain.has_closures:
            return candidates
        return [pair for pair in candidates if not self.closed_now(pair[1])]

    def customer_km(self, loc: Location) -> float:
        """Distance between the customer and a location: by road when it was measured."""
        req = self.request
        if req.road_km is not None and loc.location_id in req.road_km:
            return req.road_km[loc.location_id]
        return haversine_km(req.latitude, req.longitude, loc.latitude, loc.longitude)

    def short_at(self, loc: Location) -> tuple[str, ...]:
        """SKUs the location lacks for this order (most candidates hold none of them)."""
        have = self.stock.get(loc.location_id)
        if have is None:
            return self.all_skus
        short = self._short.get(loc.location_id)
        if short is None:
            short = tuple(sku for sku, qty in self.needs.items() if have.get(sku, 0) < qty)
            self._short[loc.location_id] = short
        return short

    @property
    def all_skus(self) -> tuple[str, ...]:
        if self._all_skus is None:
            self._all_skus = tuple(self.needs)
        return self._all_skus

    @property
    def whole_order(self) -> tuple[OrderLine, ...]:
        """The order's lines, one per SKU: what a single-store plan hands over."""
        if self._whole_order is None:
            self._whole_order = _lines(self.needs)
        return self._whole_order


def _by_road(nearby: Nearby, road_km: Mapping[str, float]) -> Nearby:
    """The locations near the customer measured by road where they were measured, nearest
    first (ties by id). Those with no road to the customer are infinitely far: every radius
    leaves them out, and the trace says NO_ROAD_ROUTE."""
    pairs = [(road_km.get(loc.location_id, d), loc) for d, loc in nearby]
    pairs.sort(key=lambda pair: (pair[0], pair[1].location_id))
    return Nearby(pairs)


def _needs(request: RouteRequest) -> dict[str, int]:
    needs: dict[str, int] = {}
    for line in request.lines:
        needs[line.sku_id] = needs.get(line.sku_id, 0) + line.quantity
    return needs


def _lines(units: Mapping[str, int]) -> tuple[OrderLine, ...]:
    return tuple([OrderLine(sku, qty) for sku, qty in units.items() if qty > 0])


def score(shipments: tuple[Shipment, ...], placed_at: datetime, policy: RoutingPolicy) -> float:
    """Lower is better: fees, transfer costs, extra shipments, waiting, the customer's trip."""
    w = policy.weights
    if len(shipments) == 1:  # most plans: the same sums, without a generator each
        only = shipments[0]
        fee = only.fee_minor / 100
        transfer = sum(t.cost_minor for t in only.transfers) / 100 if only.transfers else 0.0
        hours = (only.ready_at - placed_at).total_seconds() / 3600
        trip = only.distance_km if only.mode is Mode.PICKUP else 0.0
    else:
        fee = sum(s.fee_minor for s in shipments) / 100
        transfer = sum(t.cost_minor for s in shipments for t in s.transfers) / 100
        hours = (max(s.ready_at for s in shipments) - placed_at).total_seconds() / 3600
        trip = sum(s.distance_km for s in shipments if s.mode is Mode.PICKUP)
    return (w.fee_per_yuan * fee + w.transfer_cost_per_yuan * transfer
            + w.per_extra_shipment * (len(shipments) - 1) + w.per_hour_eta * hours
            + w.per_km_customer_trip * trip)


def _plan(ctx: _Context, mode: Mode, shipments: list[Shipment], label: str) -> Plan:
    """A candidate plan, able to explain itself: whichever is chosen is returned as it is,
    and its trace is built from the request's notes only if it is read."""
    shipments_t = tuple(shipments)
    return Plan(mode, shipments_t, score(shipments_t, ctx.request.placed_at, ctx.policy),
                label=label, trace_builder=functools.partial(ctx.trace.finish, shipments_t, ctx))


def _rank(plan: Plan) -> tuple:
    shipments = plan.shipments
    first = shipments[0]
    stores = (first.location_id,) if len(shipments) == 1 else tuple(
        [s.location_id for s in shipments])
    return (round(plan.score, 9), first.distance_km, stores)


def _sort_by_rank(plans: list[Plan]) -> None:
    if len(plans) > 1:  # sort() would rank even a single plan
        plans.sort(key=_rank)


def _shipment(ctx: _Context, loc: Location, distance: float, mode: Mode, lines, start_after,
              transfers: tuple[Transfer, ...] = ()) -> Shipment | None:
    """When a store can hand over: prep starts when it is open, after any transfer arrives."""
    prep_start = (ctx.opens(loc) if start_after == ctx.request.placed_at
                  else ctx.chain.opens_at(loc, start_after))
    ready = prep_start + ctx.policy.prep_time
    fee = 0
    if mode is Mode.SAME_CITY_DELIVERY:
        band = ctx.policy.delivery_band(distance)
        if band is None:
            return None
        ready += band.courier_time
        fee = band.fee_minor
    return Shipment(mode, loc.location_id, lines, distance, fee, prep_start, ready, transfers)


# --- transfers (门店调拨) ------------------------------------------------------


def _source_transfers(ctx: _Context, dest: Location, missing: dict[str, int]
                      ) -> tuple[Transfer, ...] | None:
    """Cover ``missing`` from transfer sources: one source if any can, else several;
    same city before other cities; nearest first."""
    usable, too_far = ctx.chain.remember(
        (SOURCE, dest.location_id, ctx.policy), lambda: _offers(ctx.chain, dest, ctx.policy))
    for distance, src in too_far:
        ctx.trace.note(SOURCE, src, distance, Reason.TOO_FAR_FOR_TRANSFER)
    if ctx.chain.has_closures:
        open_offers = []
        for offer in usable:
            if ctx.closed_now(offer[1]):
                ctx.trace.note(SOURCE, offer[1], offer[0], Reason.TEMPORARILY_CLOSED,
                               opens_at=ctx.opens(offer[1]))
            else:
                open_offers.append(offer)
        usable = open_offers
    ctx.trace.sources_examined(usable, missing)
    for offer in usable:  # one source for everything, if there is one
        if _holds(ctx.stock.get(offer[1].location_id), missing):
            return (_transfer(ctx, dest, offer, missing),)
    remaining, transfers = dict(missing), []
    for offer in usable:
        have = ctx.stock.get(offer[1].location_id)
        if have is None:
            continue
        take = {sku: min(qty, have.get(sku, 0)) for sku, qty in remaining.items()}
        if any(take.values()):
            transfers.append(_transfer(ctx, dest, offer, take))
            remaining = {sku: qty - take[sku] for sku, qty in remaining.items() if qty > take[sku]}
        if not remaining:
            return tuple(transfers)
    return None


def _offers(chain: Chain, dest: Location, policy: RoutingPolicy) -> tuple[list, list]:
    """(usable sources as (distance, source, same city, lead hours), sources beyond the
    policy's last transfer band) for a destination: the same for every order it serves."""
    usable, too_far = [], []
    for distance, src in chain.transfer_sources(dest)[: policy.transfer_sources_examined]:
        same_city = src.city == dest.city
        hours = policy.transfer_hours(distance, same_city)
        if hours is None:
            too_far.append((distance, src))
        else:
            usable.append((distance, src, same_city, hours))
    return usable, too_far


def _transfer(ctx: _Context, dest: Location, offer, units: Mapping[str, int]) -> Transfer:
    distance, src, same_city, hours = offer
    return Transfer(src.location_id, dest.location_id, _lines(units), distance, same_city,
                    ctx.policy.transfer_cost_minor(distance),
                    ctx.request.placed_at + timedelta(hours=hours))


def _after_transfer(ctx: _Context, dest: Location, distance: float, mode: Mode) -> Plan | None:
    """The destination serves what it has; transfers bring the rest first."""
    if dest.location_id in ctx._transfers:  # AUTO asks for pickup and delivery alike
        transfers = ctx._transfers[dest.location_id]
    else:
        have = ctx.stock.get(dest.location_id, EMPTY)
        missing = {sku: qty - have.get(sku, 0) for sku, qty in ctx.needs.items()
                   if have.get(sku, 0) < qty}
        transfers = ctx._transfers[dest.location_id] = _source_transfers(ctx, dest, missing)
    if transfers is None:
        return None
    arrival = max(t.arrive_at for t in transfers)
    shipment = _shipment(ctx, dest, distance, mode, ctx.whole_order, arrival, transfers)
    if shipment is None:
        return None
    label = "pickup after transfer" if mode is Mode.PICKUP else "delivery after transfer"
    return _plan(ctx, mode, [shipment], label)


# --- pickup (门店自提) ----------------------------------------------------------


def _chosen_pickup_rejection(loc: Location, distance: float) -> Reason | None:
    """A store the customer chose is theirs to reach, however far; but it needs a counter,
    and a road to it."""
    if not loc.can_pickup:
        return Reason.NO_CAPABILITY
    if distance == math.inf:
        return Reason.NO_ROAD_ROUTE
    return None


def _pickup_rejection(ctx: _Context, loc: Location, distance: float) -> Reason | None:
    rejection = _chosen_pickup_rejection(loc, distance)
    if rejection is not None:
        return rejection
    if distance > ctx.policy.pickup_radius_km:
        return Reason.OUT_OF_RADIUS
    if ctx.closed_now(loc):
        return Reason.TEMPORARILY_CLOSED
    return None


def _pickup_candidates(ctx: _Context) -> list[tuple[float, Location]]:
    req = ctx.request
    if req.pickup_location_id:
        loc = ctx.chain.by_id[req.pickup_location_id]
        distance = ctx.customer_km(loc)
        rejection = _chosen_pickup_rejection(loc, distance) or (
            Reason.TEMPORARILY_CLOSED if ctx.closed_now(loc) else None)
        if rejection is not None:
            ctx.trace.note(PICKUP, loc, distance, rejection, opens_at=ctx.reopens(loc, rejection))
            return []
        return [(distance, loc)]
    nearby = ctx.near_customer()
    ctx.trace.filtered(PICKUP, nearby, _pickup_rejection)
    radius = ctx.policy.pickup_radius_km
    key = (PICKUP, radius)
    found = nearby.memo.get(key)
    if found is None:
        # the pairs themselves, not copies: a replay keeps these for every address it has seen
        found = nearby.memo[key] = [pair for pair in nearby
                                    if pair[1].can_pickup and pair[0] <= radius]
    return ctx.open_now(found)


def _pickup_options(ctx: _Context, exhaustive: bool = False) -> tuple[list[Plan], Plan | None]:
    """Pickup at stores that have it all, nearest first, and a transfer into the chosen
    (or nearest) store when that store lacks something.

    Unless ``exhaustive``, the scan stops once no farther store can win: for PICKUP at
    the first complete store, for AUTO when the score's lower bound passes the best so far.
    """
    candidates = _pickup_candidates(ctx)
    complete = _single_store_plans(
        ctx, PICKUP, Mode.PICKUP, "pickup", candidates,
        stop=lambda distance, best: not exhaustive and (
            ctx.request.mode is Mode.PICKUP or _pickup_floor(ctx, distance) >= best),
        score_of=None if exhaustive else lambda distance, loc: _pickup_score(ctx, distance, loc))
    transfer = None
    if candidates and (ctx.request.pickup_location_id or not complete):
        distance, target = candidates[0]
        if ctx.short_at(target):
            transfer = _after_transfer(ctx, target, distance, Mode.PICKUP)
    _sort_by_rank(complete)
    return complete, transfer


def _single_store_plans(ctx: _Context, role: str, mode: Mode, label: str,
                        candidates: list[tuple[float, Location]], stop, score_of=None
                        ) -> list[Plan]:
    """Plans from each candidate that has every line, scanning nearest first until
    ``stop(distance, best score so far)`` says no farther candidate can win.

    With ``score_of(distance, location)``, the score a one-store plan from there would
    have, a candidate that would score worse than the best so far is passed over
    before its stock is even looked at (most of a city's stores, at night, when they
    all wait for the same opening); the plans left out could never have been chosen."""
    plans: list[Plan] = []
    best = math.inf
    complete, shelf_of, needs = ctx._complete, ctx.stock.get, ctx.needs
    for distance, loc in candidates:
        if plans and stop(distance, best):
            break
        if score_of is not None and plans and score_of(distance, loc) > best + SCORE_SLACK:
            continue
        # memoized, as AUTO's pickup and delivery scans ask alike: the replay's costliest
        # step, run for about eight candidates per order
        has_all = complete.get(loc.location_id)
        if has_all is None:
            has_all = complete[loc.location_id] = _holds(shelf_of(loc.location_id), needs)
        if has_all:
            shipment = _shipment(ctx, loc, distance, mode, ctx.whole_order,
                                 ctx.request.placed_at)
            plans.append(_plan(ctx, mode, [shipment], label))
            best = min(best, plans[-1].score)
    ctx.trace.candidates(role, candidates)
    return plans


def _pickup_score(ctx: _Context, distance: float, loc: Location) -> float:
    """The score of picking the whole order up at ``loc`` (as ``score`` works it out)."""
    w = ctx.policy.weights
    hours = ((ctx.opens(loc) - ctx.request.placed_at).total_seconds() / 3600
             + ctx.policy.prep_minutes / 60)
    return w.per_hour_eta * hours + w.per_km_customer_trip * distance


def _delivery_score(ctx: _Context, distance: float, loc: Location) -> float:
    """The score of delivering the whole order from ``loc`` (as ``score`` works it out)."""
    band = ctx.policy.delivery_band(distance)
    if band is None:
        return math.inf
    return ctx.policy.delivery_score(
        band, (ctx.opens(loc) - ctx.request.placed_at).total_seconds() / 3600)


def _pickup_floor(ctx: _Context, distance: float) -> float:
    """No pickup plan from this far can score lower than this."""
    w = ctx.policy.weights
    return w.per_km_customer_trip * distance + w.per_hour_eta * ctx.policy.prep_minutes / 60


def _holds(have: Mapping[str, int] | None, units: Mapping[str, int]) -> bool:
    """Whether a shelf holds all these units. A shelf with fewer of these SKUs than there
    are lacks one: the server reads only the order's SKUs, so that count settles most."""
    if have is None or len(have) < len(units):
        return False
    for sku, qty in units.items():  # noqa: SIM110 (a loop: all() with a generator costs more)
        if have.get(sku, 0) < qty:
            return False
    return True


# --- same-city delivery (同城配送) ----------------------------------------------


def reaches(policy: RoutingPolicy, loc: Location, distance_km: float) -> bool:
    """A store delivers within its own radius and the policy's last distance band."""
    return distance_km <= loc.delivery_radius_km and policy.delivery_band(distance_km) is not None


def _delivery_rejection(ctx: _Context, loc: Location, distance: float) -> Reason | None:
    if not loc.can_deliver:
        return Reason.NO_CAPABILITY
    if loc.city != ctx.request.city:
        return Reason.NOT_IN_CITY
    if distance == math.inf:
        return Reason.NO_ROAD_ROUTE
    if not reaches(ctx.policy, loc, distance):
        return Reason.OUT_OF_RADIUS
    if ctx.closed_now(loc):
        return Reason.TEMPORARILY_CLOSED
    return None


def _delivery_candidates(ctx: _Context) -> list[tuple[float, Location]]:
    nearby = ctx.near_customer()
    ctx.trace.filtered(DELIVERY, nearby, _delivery_rejection)
    city, farthest = ctx.request.city, ctx.policy.delivery_bands[-1].max_km
    key = (DELIVERY, city, farthest)
    found = nearby.memo.get(key)
    if found is None:  # the same rule as _delivery_rejection, inlined: it runs for every order
        found = nearby.memo[key] = [
            pair for pair in nearby if (loc := pair[1]).can_deliver and loc.city == city
            and pair[0] <= loc.delivery_radius_km and pair[0] <= farthest]
    return ctx.open_now(found)


def _delivery_options(ctx: _Context, exhaustive: bool = False, to_beat: float = math.inf
                      ) -> tuple[list[Plan], list[Plan]]:
    """(single-store deliveries, fallbacks): the fallbacks, a split across stores and a
    transfer into the nearest delivering store, are planned only when no store has it all.
    Unless ``exhaustive``, the scan stops once the score's lower bound passes the best, and
    nothing is planned when no delivery could score below ``to_beat`` (AUTO's best pickup)."""
    candidates = _delivery_candidates(ctx)
    least_score = ctx.policy.least_delivery_score
    if to_beat < math.inf and candidates and _none_could_beat(ctx, candidates, to_beat):
        ctx.trace.candidates(DELIVERY, candidates)
        return [], []
    singles = _single_store_plans(
        ctx, DELIVERY, Mode.SAME_CITY_DELIVERY, "delivery", candidates,
        stop=lambda distance, best: not exhaustive and least_score(distance) >= best,
        score_of=None if exhaustive else lambda distance, loc: _delivery_score(ctx, distance, loc))
    _sort_by_rank(singles)
    if singles or not candidates:
        return singles, []
    fallbacks = [p for p in (_split(ctx, candidates), _after_transfer(
        ctx, candidates[0][1], candidates[0][0], Mode.SAME_CITY_DELIVERY)) if p is not None]
    return singles, fallbacks


def _none_could_beat(ctx: _Context, candidates: list[tuple[float, Location]], to_beat: float
                     ) -> bool:
    """Whether no delivery plan (from one store, split, or after a transfer) could score
    below ``to_beat``: each of its shipments rides from one of these stores (nearest first),
    and none starts before its store opens."""
    bar = to_beat + SCORE_SLACK
    floor = ctx.policy.least_delivery_score(candidates[0][0])
    if floor > bar:
        return True
    per_hour = ctx.policy.weights.per_hour_eta
    if not per_hour:
        return False
    wait = min(ctx.opens(loc) for _, loc in candidates) - ctx.request.placed_at
    return floor + per_hour * wait.total_seconds() / 3600 > bar


def _split(ctx: _Context, candidates: list[tuple[float, Location]]) -> Plan | None:
    """The best way to share the order among at most max_split of the nearest stores
    holding some of it, each serving from its own stock (nearest store of a combination
    first).

    Stores taking turns, nearest first, cover the order exactly when their units
    add up to it, so combinations are screened on per-SKU sums before any
    shipment is built."""
    needs = tuple(ctx.needs.items())
    wanted = tuple(q for _, q in needs)
    stores, held = [], []
    for pair in candidates:
        have = ctx.stock.get(pair[1].location_id)
        units = _held(have, needs) if have else ()
        if any(units):
            stores.append(pair)
            held.append(units)
            if len(stores) == SPLIT_CANDIDATES:
                break
    best = None
    for combo in _covering_combinations(held, wanted, ctx.policy.max_split):
        shipments = _share(ctx, [stores[i] for i in combo])
        if shipments is not None:
            plan = _plan(ctx, Mode.SAME_CITY_DELIVERY, shipments, "split delivery")
            if best is None or _rank(plan) < _rank(best):
                best = plan
    return best


def _held(have: Mapping[str, int], needs: tuple[tuple[str, int], ...]) -> tuple[int, ...]:
    """Units of each line a store could give, at most what the order needs."""
    get = have.get
    return tuple([min(qty, get(sku, 0)) for sku, qty in needs])


def _covering_combinations(held: list[tuple[int, ...]], wanted: tuple[int, ...], max_split: int):
    """Index combinations (2 to max_split stores, lexicographic order) whose units add up to
    the order. A pair, the common case, is screened on what its first store lacks: most
    often one line, so one comparison a pair. (Plain Python: a split looks at a handful
    of stores, fewer than numpy's fixed cost per call repays.)"""
    n = len(held)
    if max_split >= 2:
        for i in range(n - 1):
            first = held[i]
            lacking = [(k, wanted[k] - first[k]) for k in range(len(wanted))
                       if first[k] < wanted[k]]
            for j in range(i + 1, n):
                other = held[j]
                for k, short in lacking:
                    if other[k] < short:
                        break
                else:
                    yield i, j
    for size in range(3, min(max_split, n) + 1):
        for combo in itertools.combinations(range(n), size):
            if all(sum(held[i][k] for i in combo) >= wanted[k] for k in range(len(wanted))):
                yield combo


def _share(ctx: _Context, combo) -> list[Shipment] | None:
    """Each store of the combination, nearest first, serves what it can of what is left."""
    remaining = dict(ctx.needs)
    shipments = []
    for distance, loc in combo:
        have = ctx.stock[loc.location_id]
        take = {sku: min(qty, have.get(sku, 0)) for sku, qty in remaining.items()}
        if not any(take.values()):
            return None  # a store that adds nothing is not part of a good split
        shipments.append(_shipment(ctx, loc, distance, Mode.SAME_CITY_DELIVERY, _lines(take),
                                   ctx.request.placed_at))
        remaining = {sku: qty - take[sku] for sku, qty in remaining.items() if qty > take[sku]}
    return shipments


# --- entry points ---------------------------------------------------------------


def _unfillable(ctx: _Context, mode: Mode, why: list[str]) -> Plan:
    return Plan(mode, (), math.inf, tuple(why), label="unfillable",
                trace_builder=lambda: ctx.trace.finish((), ctx))


def _best(plans: list[Plan]) -> Plan | None:
    if len(plans) < 2:  # most orders: one plan, ranked against nothing
        return plans[0] if plans else None
    return min(plans, key=_rank)


def _why_no_pickup(ctx: _Context) -> str:
    if ctx.request.pickup_location_id:
        return f"pickup store {ctx.request.pickup_location_id} can neither serve nor be supplied"
    return (f"no pickup store within {ctx.policy.pickup_radius_km:g} km can serve the order "
            "or be supplied by a transfer")


def _why_no_delivery(ctx: _Context) -> str:
    return (f"no store in {ctx.request.city or 'the customer city'} that delivers to this point "
            "can serve the order, alone, split, or after a transfer")


def route(chain: Chain, request: RouteRequest, stock: StockView, policy: RoutingPolicy) -> Plan:
    """The single best plan for ``request``, with the trace of every location considered."""
    ctx = _Context(chain, request, stock, policy, _needs(request))
    plans: list[Plan] = []
    why: list[str] = []
    if request.mode in (Mode.PICKUP, Mode.AUTO):
        complete, transfer = _pickup_options(ctx)
        if request.mode is Mode.PICKUP:
            # the nearest store that has it all, else the transfer into the chosen/nearest one
            best = complete[0] if complete else transfer
            plans += [best] if best else []
        else:
            plans += complete + ([transfer] if transfer else [])
        if not plans:
            why.append(_why_no_pickup(ctx))
    if request.mode in (Mode.SAME_CITY_DELIVERY, Mode.AUTO):
        # in AUTO, deliveries are planned only if one could beat the best pickup plan
        singles, fallbacks = _delivery_options(ctx, to_beat=min(
            (plan.score for plan in plans), default=math.inf))
        delivery = singles or fallbacks
        plans += delivery
        if not delivery:
            why.append(_why_no_delivery(ctx))
    best = _best(plans)
    if best is None:
        return _unfillable(ctx, request.mode, why)
    return best


def quote(chain: Chain, request: RouteRequest, stock: StockView, policy: RoutingPolicy) -> Quote:
    """Every feasible option per mode, best first within each, for the customer to choose."""
    ctx = _Context(chain, request, stock, policy, _needs(request))
    complete, pickup_transfer = _pickup_options(ctx, exhaustive=True)
    singles, fallbacks = _delivery_options(ctx, exhaustive=True)
    split = [p for p in fallbacks if p.label == "split delivery"]
    transfers = [p for p in (pickup_transfer, *fallbacks) if p and "transfer" in p.label]
    return Quote(pickup=complete, delivery=sorted(singles or split, key=_rank),
                 transfer=sorted(transfers, key=_rank))


def in_reach(chain: Chain, request: RouteRequest, policy: RoutingPolicy) -> bool:
    """Whether any location could serve this customer in the requested mode, stock aside:
    tells an order no store reaches from one the stores could not stock."""
    ctx = _Context(chain, request, {}, policy, {})
    if request.mode in (Mode.PICKUP, Mode.AUTO) and _pickup_candidates(ctx):
        return True
    return request.mode is not Mode.PICKUP and bool(_delivery_candidates(ctx))


def locations_to_measure(chain: Chain, request: RouteRequest, policy: RoutingPolicy
                         ) -> list[Location]:
    """Locations whose distance to the customer a decision may use: those near them for
    either mode, nearest first, and the pickup store they chose. A road-distance provider
    measures these, and only these, before routing: a road is no shorter than the great
    circle, so none farther could come within a radius by road."""
    near = [loc for _, loc in _Context(chain, request._replace(road_km=None), {}, policy,
                                       {}).near_customer()]
    chosen = request.pickup_location_id
    if chosen and all(loc.location_id != chosen for loc in near):
        near.append(chain.by_id[chosen])
    return near


def relevant_locations(chain: Chain, request: RouteRequest, policy: RoutingPolicy) -> set[str]:
    """Locations whose stock a decision may look at: read these, and only these, before routing."""
    ids: set[str] = set()
    destinations: list[Location] = []
    ctx = _Context(chain, request, {}, policy, {})
    nearby = ctx.near_customer()
    ids.update(loc.location_id for _, loc in nearby)
    if request.pickup_location_id:
        destinations.append(chain.by_id[request.pickup_location_id])
        ids.add(request.pickup_location_id)
    else:
        destinations += [loc for d, loc in nearby if loc.can_pickup
                         and d <= policy.pickup_radius_km and not ctx.closed_now(loc)][:1]
    destinations += [loc for d, loc in nearby if loc.can_deliver and loc.city == request.city
                     and reaches(policy, loc, d) and not ctx.closed_now(loc)][:1]
    for dest in destinations:
        ids.update(src.location_id for _, src in
                   chain.transfer_sources(dest)[: policy.transfer_sources_examined])
    return ids
