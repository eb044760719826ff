"""The chain's locations as routing sees them: fast lookups by id and by distance.

Built once per catalogue version (``Chain(locations)``) and shared by every
routing decision: finding the stores near a customer is a KD-tree query on
unit-sphere coordinates, not a scan of every location, and each destination's
nearest transfer sources are computed once and cached.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
from scipy.spatial import cKDTree

from services.common.geo import EARTH_RADIUS_KM, haversine_km
from services.inventory.catalogue import Location
from services.routing.policy import MAX_SOURCES_EXAMINED

SOURCES_CACHED = MAX_SOURCES_EXAMINED  # nearest transfer sources kept per destination
RECENT_QUERIES = 512  # "near a point" answers kept
MEMO_ENTRIES = 100_000  # derived answers Chain.remember keeps
_ABSENT = object()  # not remembered yet (None is an answer)
EPOCH, MINUTE = datetime(1970, 1, 1, tzinfo=UTC), timedelta(minutes=1)


def _unit_vectors(points: Sequence[tuple[float, float]]) -> np.ndarray:
    lat = np.radians([p[0] for p in points])
    lng = np.radians([p[1] for p in points])
    return np.column_stack((np.cos(lat) * np.cos(lng), np.cos(lat) * np.sin(lng), np.sin(lat)))


def _unit_vector(latitude: float, longitude: float) -> tuple[float, float, float]:
    """_unit_vectors for one point, without numpy's per-call overhead."""
    lat, lng = math.radians(latitude), math.radians(longitude)
    return (math.cos(lat) * math.cos(lng), math.cos(lat) * math.sin(lng), math.sin(lat))


def _chord(distance_km: float) -> float:
    """Straight-line distance through the sphere for a great-circle distance."""
    return 2.0 * math.sin(min(distance_km / EARTH_RADIUS_KM, math.pi) / 2.0)


def haversine_many(lat: float, lng: float, lats: np.ndarray, lngs: np.ndarray,
                   cos_lats: np.ndarray | None = None) -> np.ndarray:
    """haversine_km from one point to many (radians arrays), vectorized; ``cos_lats``,
    np.cos(lats), when the caller keeps it."""
    phi1 = math.radians(lat)
    if cos_lats is None:
        cos_lats = np.cos(lats)
    a = (np.sin((lats - phi1) / 2) ** 2
         + math.cos(phi1) * cos_lats * np.sin((lngs - math.radians(lng)) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))


class SpatialIndex:
    """Locations near a point, exact haversine distance, nearest first (ties by id)."""

    def __init__(self, locations: Sequence[Location]):
        # kept in id order, so that a stable sort by distance breaks ties by id
        self.locations = sorted(locations, key=lambda loc: loc.location_id)
        points = [(loc.latitude, loc.longitude) for loc in self.locations]
        self._tree = cKDTree(_unit_vectors(points)) if points else None
        self._lats = np.radians([p[0] for p in points])
        self._lngs = np.radians([p[1] for p in points])
        self._cos_lats = np.cos(self._lats)

    def within(self, latitude: float, longitude: float, radius_km: float
               ) -> list[tuple[float, Location]]:
        if self._tree is None:
            return []
        # a hair wider than the chord, so rounding never drops a point on the edge
        hits = np.asarray(self._tree.query_ball_point(
            _unit_vector(latitude, longitude), _chord(radius_km) * (1 + 1e-9) + 1e-12),
            dtype=np.intp)
        if hits.size == 0:
            return []
        hits.sort()  # id order
        distances = haversine_many(latitude, longitude, self._lats[hits], self._lngs[hits],
                                   self._cos_lats[hits])
        order = np.argsort(distances, kind="stable")  # nearest first, ties by id
        inside = order[distances[order] <= radius_km]
        locations = self.locations
        return [(d, locations[i]) for d, i in zip(distances[inside].tolist(),
                                                  hits[inside].tolist(), strict=True)]

    def nearest(self, latitude: float, longitude: float, count: int) -> list[tuple[float, Location]]:
        if self._tree is None or count <= 0:
            return []
        count = min(count, len(self.locations))
        _, indices = self._tree.query(_unit_vector(latitude, longitude), k=count)
        indices = np.atleast_1d(indices)
        found = [(haversine_km(latitude, longitude, self.locations[i].latitude,
                               self.locations[i].longitude), self.locations[i]) for i in indices]
        found.sort(key=lambda pair: (pair[0], pair[1].location_id))
        return found


class Nearby(list):
    """(distance, location) pairs near a point, with what routing derived from them
    (candidates per mode and policy), kept for as long as the answer is."""

    __slots__ = ("memo",)

    def __init__(self, pairs):
        super().__init__(pairs)
        self.memo: dict = {}


class Chain:
    """Every location of a chain, indexed for routing. Immutable: rebuild on change."""

    def __init__(self, locations: Sequence[Location], recent_queries: int = RECENT_QUERIES):
        self.by_id = {loc.location_id: loc for loc in locations}
        self.recent_queries = recent_queries
        groups: dict[tuple, int] = {}  # (time zone, opening hours, closures) -> a small number
        self.hours_group = {loc.location_id: groups.setdefault(
            (loc.time_zone, loc.opening_hours, loc.closures), len(groups)) for loc in locations}
        # whether any location has a closed period: routing checks each candidate only then
        self.has_closures = any(loc.closures for loc in locations)
        self.index = SpatialIndex(locations)
        self.sources = SpatialIndex([loc for loc in locations if loc.can_transfer])
        self.max_delivery_radius_km = max(
            (loc.delivery_radius_km for loc in locations if loc.can_deliver), default=0.0)
        self._sources_by_city: dict[str, list[Location]] = {}
        for loc in self.sources.locations:
            self._sources_by_city.setdefault(loc.city, []).append(loc)
        self._sources_near: dict[str, list[tuple[float, Location]]] = {}
        # least recently asked first; an OrderedDict, as finding a plain dict's first key scans
        # past every key removed before it (36 us per answer dropped when 250,000 are kept)
        self._recent: OrderedDict[tuple[float, float, float], Nearby] = OrderedDict()
        # What is derived from the chain and kept with it (the planner's transfer sources per
        # destination and policy, openings per minute), through remember(); emptied past
        # MEMO_ENTRIES.
        self._memo: dict = {}

    def near(self, latitude: float, longitude: float, radius_km: float) -> Nearby:
        """Locations within radius_km, nearest first. The ``recent_queries`` answers asked
        for most recently are kept: the server asks once to read stock and once more to
        route, and a simulation's members order again and again from the same address."""
        key = (latitude, longitude, radius_km)
        recent = self._recent
        found = recent.get(key)
        if found is None:
            if len(recent) >= self.recent_queries:
                recent.popitem(last=False)
            found = recent[key] = Nearby(self.index.within(latitude, longitude, radius_km))
        else:
            recent.move_to_end(key)
        return found

    def opens_at(self, loc: Location, when: datetime) -> datetime:
        """``loc.opens_at(when)``, worked out once per group of locations keeping the same
        hours and per minute. Without closed periods the answer depends on the minute
        alone: hours are kept to the local minute, and every opening falls on a UTC minute
        (every zone in use keeps whole-minute offsets), so an instant in a closed minute
        opens at the same next minute as the rest of it. A replay asks for the same few
        openings for thousands of orders a minute."""
        if loc.closures:
            return loc.opens_at(when)  # closed periods end to the second
        later = self.remember(  # minutes since the epoch: a third of what replace() costs
            ("opens_at", self.hours_group[loc.location_id], (when - EPOCH) // MINUTE),
            lambda: _later_opening(loc, when))
        return when if later is None else later

    def remember(self, key, build):
        """What ``build()`` gives for ``key`` (None included), built the first time it is
        asked for."""
        found = self._memo.get(key, _ABSENT)
        if found is _ABSENT:
            if len(self._memo) >= MEMO_ENTRIES:
                self._memo.clear()
            found = self._memo[key] = build()
        return found

    def transfer_sources(self, destination: Location) -> list[tuple[float, Location]]:
        """Transfer sources for a destination: its own city's first, then other cities';
        nearest first within each, ties by id; the destination itself excluded."""
        cached = self._sources_near.get(destination.location_id)
        if cached is None:
            here = destination.latitude, destination.longitude
            same_city = sorted(
                ((haversine_km(*here, s.latitude, s.longitude), s)
                 for s in self._sources_by_city.get(destination.city, ())),
                key=lambda p: (p[0], p[1].location_id))[:SOURCES_CACHED]
            elsewhere = [p for p in self.sources.nearest(*here, SOURCES_CACHED + len(same_city))
                         if p[1].city != destination.city][:SOURCES_CACHED]
            cached = [p for p in same_city + elsewhere
                      if p[1].location_id != destination.location_id]
            self._sources_near[destination.location_id] = cached
        return cached


def _later_opening(loc: Location, when: datetime) -> datetime | None:
    """When ``loc`` next opens after ``when``; None if it is open then (the same for the
    whole minute, unlike ``when`` itself)."""
    opens = loc.opens_at(when)
    return None if opens == when else opens
