"""Great-circle geometry on WGS-84 coordinates (haversine), and coordinate checks."""

from __future__ import annotations

import math

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)
KM_PER_DEGREE_LAT = math.pi * EARTH_RADIUS_KM / 180.0


def valid_latitude(latitude: float) -> bool:
    return math.isfinite(latitude) and -90.0 <= latitude <= 90.0


def valid_longitude(longitude: float) -> bool:
    return math.isfinite(longitude) and -180.0 <= longitude <= 180.0


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in kilometres between two points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: float, lng: float, radius_km: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lng, max_lng) enclosing every point within radius_km.

    A cheap pre-filter for an index scan; the exact test is haversine_km. Near
    the poles or across the antimeridian the box widens to every longitude.
    """
    dlat = radius_km / KM_PER_DEGREE_LAT
    min_lat, max_lat = max(-90.0, lat - dlat), min(90.0, lat + dlat)
    cos_lat = math.cos(math.radians(max(abs(min_lat), abs(max_lat))))
    if cos_lat < 1e-6:
        return min_lat, max_lat, -180.0, 180.0
    dlng = radius_km / (KM_PER_DEGREE_LAT * cos_lat)
    if lng - dlng < -180.0 or lng + dlng > 180.0:
        return min_lat, max_lat, -180.0, 180.0
    return min_lat, max_lat, lng - dlng, lng + dlng
