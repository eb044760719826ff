"""Kilometres by road between a customer and the stores near them, from a routing engine.

DOMAIN.md: distances are great-circle unless a road-distance provider is configured. A
courier rides roads, and a river or an elevated ring road can turn a store 2 km away as the
crow flies into a 7 km ride. With ONESTOCK_ROAD_DISTANCE_URL set, the server asks an OSRM
server's table service (Project OSRM, self-hosted on OpenStreetMap data, which is WGS-84 as
OneStock's coordinates are) for the distance from each store near the customer to the
customer, before routing; the routing core then applies radii, delivery bands, scores and
the trace to those kilometres (``RouteRequest.road_km``).

The provider must never stop a checkout: when it fails or is slow, the order is routed by
great-circle kilometres and its plan says so (``distance_measure``). Nor may a provider that
hangs make every checkout wait out the timeout: after a failure it is left alone for
ONESTOCK_ROAD_DISTANCE_RETRY_S, then one order at a time asks it again (a circuit breaker),
so an outage costs one slow order per retry period, not one per order. Answers are kept per
customer point, since members order again from the same address, and for each store's
position at the time, so a store that moves is measured anew; but only for
ONESTOCK_ROAD_DISTANCE_KEEP_S, so that roads the provider's map has changed since (a bridge
closed, a new ring road) reach the customers who order often too. Past that period they
are still served while the provider fails: a road on yesterday's map is nearer the ride
than a straight line.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence

import httpx

from services.common.config import Settings
from services.common.metrics import ROAD_DISTANCES
from services.inventory.catalogue import Location
from services.routing.chain import Chain
from services.routing.model import RouteRequest
from services.routing.planner import locations_to_measure
from services.routing.policy import RoutingPolicy

log = logging.getLogger("onestock.routing.roads")

TABLE_SIZE = 100  # coordinates per table request: OSRM's default --max-table-size
POINTS_KEPT = 10_000  # customer points whose measurements are kept, about 7 KB each

StoreAt = tuple[str, float, float]  # a store's id and the position it was measured at


class ProviderError(Exception):
    """The provider did not give a usable answer; the message says what it gave instead."""


class RoadDistances:
    """An OSRM table-service client that remembers what it measured. Its defaults are the
    settings' (ONESTOCK_ROAD_DISTANCE_*), so that a client built in a test behaves as the
    server's does unless told otherwise."""

    def __init__(self, url: str, profile: str = Settings.road_distance_profile,
                 timeout_s: float = Settings.road_distance_timeout_ms / 1000, *,
                 retry_s: float = Settings.road_distance_retry_s,
                 points_kept: int = POINTS_KEPT, keep_s: float = Settings.road_distance_keep_s,
                 clock: Callable[[], float] = time.monotonic):
        self.url = url.rstrip("/")
        self._client = httpx.AsyncClient(base_url=self.url, timeout=timeout_s)
        self._profile = profile
        self._timeout_s = timeout_s
        self._points_kept = points_kept
        self._keep_s = keep_s
        # point -> (when first measured, by the clock; road km per store measured)
        self._kept: OrderedDict[tuple[float, float], tuple[float, dict[StoreAt, float]]] = (
            OrderedDict())
        self._failing = False
        self._retry_s = retry_s
        self._clock = clock
        self._resting_until = 0.0  # while failing, asked again no sooner than this
        self._probing = False  # while failing, an order is asking

    async def stop(self) -> None:
        await self._client.aclose()

    async def measure(self, latitude: float, longitude: float, stores: Sequence[Location]
                      ) -> dict[str, float] | None:
        """Road km from each store to the point (math.inf where there is no road); None when
        the provider did not answer in time, or answered nonsense, and nothing kept covers
        every store."""
        point = (latitude, longitude)
        measured_at, known = self._remembered(point)
        fresh = self._clock() - measured_at < self._keep_s
        missing = [s for s in stores if not fresh or _at(s) not in known]
        if missing:
            asked = self._may_ask()
            measured = await self._ask(latitude, longitude, missing) if asked else None
            if measured is None:
                return self._stale(known, stores, asked)
            if fresh:
                known.update(measured)
            else:  # measured anew: what was kept before goes
                known = measured
                self._keep(point, (self._clock(), measured))
        ROAD_DISTANCES.labels("measured" if missing else "remembered").inc()
        return {s.location_id: known[_at(s)] for s in stores}

    def _stale(self, known: dict[StoreAt, float], stores: Sequence[Location], asked: bool
               ) -> dict[str, float] | None:
        """While the provider fails, distances kept longer than the keep period are still
        served when they cover every store: a road on yesterday's map is nearer the courier's
        ride than a straight line. Never a mix of the two, which would favour the stores
        measured as the crow flies."""
        if not all(_at(s) in known for s in stores):
            if not asked:
                ROAD_DISTANCES.labels("skipped").inc()
            return None
        ROAD_DISTANCES.labels("stale").inc()
        return {s.location_id: known[_at(s)] for s in stores}

    async def _ask(self, latitude: float, longitude: float, stores: Sequence[Location]
                   ) -> dict[StoreAt, float] | None:
        """Road km to each of ``stores``, in as many table requests as they need, at once;
        None when the provider failed (and it is then left alone for the retry period)."""
        probing = self._failing
        chunks = [stores[i:i + TABLE_SIZE - 1] for i in range(0, len(stores), TABLE_SIZE - 1)]
        try:
            async with asyncio.timeout(self._timeout_s):
                answers = await asyncio.gather(
                    *(self._table(latitude, longitude, chunk) for chunk in chunks))
        except (ProviderError, TimeoutError) as error:
            self._failed(error)
            return None
        finally:
            if probing:
                self._probing = False
        self._answered()
        return {_at(store): km for chunk, kilometres in zip(chunks, answers, strict=True)
                for store, km in zip(chunk, kilometres, strict=True)}

    def _may_ask(self) -> bool:
        """Whether this order may ask the provider: always while it answers; while it fails,
        once the retry period is over, and one order at a time."""
        if not self._failing:
            return True
        if self._probing or self._clock() < self._resting_until:
            return False
        self._probing = True
        return True

    def _remembered(self, point: tuple[float, float]) -> tuple[float, dict[StoreAt, float]]:
        """(when first measured, road km per store) kept for ``point``, however old, made the
        most recently asked; a new empty entry when nothing is kept."""
        kept = self._kept.get(point) or (self._clock(), {})
        self._keep(point, kept)
        return kept

    def _keep(self, point: tuple[float, float], kept: tuple[float, dict[StoreAt, float]]
              ) -> None:
        """Keep ``kept`` for ``point`` as the most recently asked, dropping the least
        recently asked point when POINTS_KEPT are kept."""
        if self._kept.pop(point, None) is None and len(self._kept) >= self._points_kept:
            self._kept.popitem(last=False)
        self._kept[point] = kept

    async def _table(self, latitude: float, longitude: float, stores: Sequence[Location]
                     ) -> list[float]:
        """One table request: every store (a source) to the customer (the destination)."""
        points = [(longitude, latitude)] + [(s.longitude, s.latitude) for s in stores]
        # written out as OSRM's documentation writes it: a params dict would escape the ';'s
        url = (f"/table/v1/{self._profile}/" + ";".join(f"{x:.6f},{y:.6f}" for x, y in points)
               + "?sources=" + ";".join(str(i) for i in range(1, len(points)))
               + "&destinations=0&annotations=distance")
        try:
            response = await self._client.get(url)
        except httpx.HTTPError as error:
            raise ProviderError(f"{type(error).__name__} {error}".strip()) from None
        return table_kilometres(response.status_code, response.content, len(stores))

    def _failed(self, error: Exception) -> None:
        ROAD_DISTANCES.labels("failed").inc()
        self._resting_until = self._clock() + self._retry_s
        if not self._failing:
            self._failing = True
            log.warning("road-distance provider %s did not answer (%s): routing by great-circle "
                        "kilometres until it does, asking it again every %g s", self.url,
                        error if str(error) else f"no answer within {self._timeout_s:g} s",
                        self._retry_s)

    def _answered(self) -> None:
        if self._failing:
            self._failing = False
            log.info("road-distance provider %s answers again: routing by road", self.url)


def _at(store: Location) -> StoreAt:
    return (store.location_id, store.latitude, store.longitude)


def table_kilometres(status: int, body: bytes, sources: int) -> list[float]:
    """The kilometres in an OSRM table answer of ``sources`` rows and one column; math.inf
    where OSRM found no road (null). Anything else is a ProviderError naming what came."""
    try:
        answer = json.loads(body)
    except ValueError:
        raise ProviderError(f"HTTP {status}, not JSON: {body[:200]!r}") from None
    if not isinstance(answer, dict) or status != 200 or answer.get("code") != "Ok":
        what = (answer.get("message") or answer.get("code")) if isinstance(answer, dict) else ""
        raise ProviderError(f"HTTP {status}: {what or 'no table'}")
    rows = answer.get("distances")
    if not isinstance(rows, list) or len(rows) != sources:
        raise ProviderError(f"expected {sources} rows of distances, got {_shape(rows)}")
    kilometres = []
    for row in rows:
        metres = row[0] if isinstance(row, list) and len(row) == 1 else "?"
        if metres is None:
            kilometres.append(math.inf)
        elif (isinstance(metres, int | float) and not isinstance(metres, bool)
              and 0 <= metres < math.inf):
            kilometres.append(metres / 1000)
        else:
            raise ProviderError(f"a distance row is {row!r}, not [metres] or [null]")
    return kilometres


def _shape(rows) -> str:
    return f"{len(rows)} rows" if isinstance(rows, list) else type(rows).__name__


async def with_road_distances(roads: RoadDistances | None, chain: Chain, request: RouteRequest,
                              policy: RoutingPolicy) -> RouteRequest:
    """``request`` with the road km of every location the decision may measure, when a
    provider is configured and answers; else as it is (great-circle km)."""
    if roads is None:
        return request
    stores = locations_to_measure(chain, request, policy)
    road_km = await roads.measure(request.latitude, request.longitude, stores) if stores else {}
    return request if road_km is None else request._replace(road_km=road_km)
