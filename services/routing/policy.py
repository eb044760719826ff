"""The routing policy: radii, distance bands, fees, lead times and scoring weights.

A policy is plain data with documented defaults. Ops keep policies as TOML
files (docs/policies/default.toml lists every key) and compare them in the
simulator; a request may override keys with the same names. Loading refuses
unknown keys and bad values, naming the file and the key, so a typo can never
silently fall back to a default.
"""

from __future__ import annotations

import functools
import math
import tomllib
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from services.common.text import NotUtf8, utf8_text


class PolicyError(ValueError):
    """A policy that cannot be used; ``where`` names the file (or request) and key."""

    def __init__(self, where: str, key: str, problem: str):
        super().__init__(f"{where}: {key}: {problem}")
        self.where, self.key, self.problem = where, key, problem

    def __reduce__(self):  # crosses from simulation worker processes intact
        return PolicyError, (self.where, self.key, self.problem)


@dataclass(frozen=True)
class DeliveryBand:
    """Up to ``max_km`` from the store, a courier charges ``fee_minor`` and rides ``courier_minutes``."""

    max_km: float
    fee_minor: int
    courier_minutes: int

    @functools.cached_property
    def courier_time(self) -> timedelta:
        """``courier_minutes`` as a duration, made once: routing adds it to every delivery."""
        return timedelta(minutes=self.courier_minutes)


@dataclass(frozen=True)
class LeadTimeBand:
    """A transfer over at most ``max_km`` arrives ``hours`` after it leaves."""

    max_km: float
    hours: float


@dataclass(frozen=True)
class Weights:
    """Score = sum of weight x term; lower is better. Money terms are in yuan."""

    fee_per_yuan: float = 1.0  # what the customer pays for delivery
    transfer_cost_per_yuan: float = 1.0  # what moving stock between locations costs the chain
    per_extra_shipment: float = 8.0  # each shipment beyond the first (split orders)
    per_hour_eta: float = 2.0  # until the customer has the goods, or can collect them
    per_km_customer_trip: float = 1.5  # the customer's own trip to a pickup store


@dataclass(frozen=True)
class RoutingPolicy:
    # PICKUP: stores farther than this from the customer are not offered.
    pickup_radius_km: float = 10.0
    # Minutes a store needs to pick and pack an order before pickup or dispatch.
    prep_minutes: int = 30
    # SAME_CITY_DELIVERY: at most this many stores share one order.
    max_split: int = 2
    # Courier fee and ride time by distance from store to customer (nearest band first).
    delivery_bands: tuple[DeliveryBand, ...] = (
        DeliveryBand(3.0, 600, 30),
        DeliveryBand(5.0, 900, 45),
        DeliveryBand(10.0, 1500, 70),
    )
    # Transfers within one city arrive after this many hours.
    same_city_transfer_hours: float = 4.0
    # Transfers between cities, by distance (nearest band first); beyond the last: not offered.
    intercity_transfer_bands: tuple[LeadTimeBand, ...] = (
        LeadTimeBand(300.0, 24.0),
        LeadTimeBand(1500.0, 48.0),
    )
    # What a transfer costs the chain: a fixed part per shipment, and per kilometre.
    transfer_base_minor: int = 1500
    transfer_per_km_minor: int = 20
    # How many transfer sources, nearest first, are examined for one destination.
    transfer_sources_examined: int = 24
    weights: Weights = field(default_factory=Weights)

    @functools.cached_property
    def prep_time(self) -> timedelta:
        """``prep_minutes`` as a duration, made once: routing adds it to every shipment."""
        return timedelta(minutes=self.prep_minutes)

    def delivery_band(self, distance_km: float) -> DeliveryBand | None:
        for band in self.delivery_bands:
            if distance_km <= band.max_km:
                return band
        return None

    def transfer_hours(self, distance_km: float, same_city: bool) -> float | None:
        if same_city:
            return self.same_city_transfer_hours
        for band in self.intercity_transfer_bands:
            if distance_km <= band.max_km:
                return band.hours
        return None

    def transfer_cost_minor(self, distance_km: float) -> int:
        return self.transfer_base_minor + round(self.transfer_per_km_minor * distance_km)

    def least_delivery_score(self, distance_km: float) -> float:
        """No delivery from a store this far or farther scores lower (infinite beyond the
        last band): the routing core stops scanning farther stores once this passes the best
        plan it has. The least over this band and every farther one, since a policy may make
        a farther band cheaper (a flat-rate courier beyond 3 km)."""
        for max_km, least in self._least_delivery_scores:
            if distance_km <= max_km:
                return least
        return math.inf

    @functools.cached_property
    def _least_delivery_scores(self) -> tuple[tuple[float, float], ...]:
        """(band's max_km, least score from that band on): a delivery whose store starts at
        once."""
        least, floors = math.inf, []
        for band in reversed(self.delivery_bands):
            least = min(least, self.delivery_score(band))
            floors.append((band.max_km, least))
        return tuple(reversed(floors))

    def delivery_score(self, band: DeliveryBand, wait_hours: float = 0.0) -> float:
        """The score of delivering a whole order from one store in ``band`` that starts
        ``wait_hours`` after the order (waiting for its opening): the courier's fee and time
        and the store's prep time, weighted as the routing core's score weighs them."""
        w = self.weights
        return (w.fee_per_yuan * band.fee_minor / 100
                + w.per_hour_eta * (self.prep_minutes + band.courier_minutes) / 60
                + w.per_hour_eta * wait_hours)


DEFAULT_POLICY = RoutingPolicy()


# Upper bounds of the policy's numbers: generous for any chain, and small enough that every
# time, fee and cost a plan derives from them stays a finite number that fits the int64 and
# timestamp fields it is written to (more than a week of prep time, or a fee above 10 million
# yuan, is a typo rather than a policy).
MAX_RADIUS_KM = 200.0
MAX_PREP_MINUTES = 7 * 24 * 60
MAX_LEAD_HOURS = 30 * 24
MAX_MONEY_MINOR = 1_000_000_000
MAX_WEIGHT = 1_000_000.0
HALF_THE_EARTH_KM = 20_040.0  # no two places are farther apart
MAX_SOURCES_EXAMINED = 64  # the chain keeps this many nearest sources per destination
SCALARS = {  # key: (minimum, maximum, whole number)
    "pickup_radius_km": (0.1, MAX_RADIUS_KM, False),
    "prep_minutes": (0, MAX_PREP_MINUTES, True),
    "max_split": (1, 5, True),
    "same_city_transfer_hours": (0, MAX_LEAD_HOURS, False),
    "transfer_base_minor": (0, MAX_MONEY_MINOR, True),
    "transfer_per_km_minor": (0, MAX_MONEY_MINOR, True),
    "transfer_sources_examined": (1, MAX_SOURCES_EXAMINED, True),
}


def _number(where: str, key: str, value: Any, *, minimum: float, integer: bool = False,
            maximum: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise PolicyError(where, key, f"must be a number, got {value!r}")
    if integer and value != int(value):
        raise PolicyError(where, key, f"must be a whole number, got {value!r}")
    if not minimum <= value <= maximum:
        raise PolicyError(where, key, f"must be between {minimum:g} and {maximum:g}, got {value!r}")
    return int(value) if integer else float(value)


def _bands(where: str, key: str, value: Any, build) -> tuple:
    if not isinstance(value, list) or not value:
        raise PolicyError(where, key, "must be a non-empty list of tables")
    bands = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise PolicyError(where, f"{key}[{i}]", "must be a table")
        bands.append(build(f"{key}[{i}]", item))
    if any(b.max_km <= a.max_km for a, b in zip(bands, bands[1:], strict=False)):
        raise PolicyError(where, key, "max_km must increase from band to band")
    return tuple(bands)


def _check_keys(where: str, prefix: str, table: dict, allowed) -> None:
    for key in table:
        if key not in allowed:
            raise PolicyError(where, f"{prefix}{key}",
                              f"unknown key (known: {', '.join(sorted(allowed))})")


def _check_band_keys(where: str, at: str, band: dict, names: tuple[str, ...]) -> None:
    """A band has exactly these keys: an unknown one or a missing one is named."""
    _check_keys(where, f"{at}.", band, names)
    for name in names:
        if name not in band:
            raise PolicyError(where, f"{at}.{name}", "is missing")


def policy_from_dict(data: dict, where: str = "policy", base: RoutingPolicy = DEFAULT_POLICY
                     ) -> RoutingPolicy:
    """``base`` with the keys in ``data`` replaced, every one checked."""
    top = {f.name for f in fields(RoutingPolicy)}
    _check_keys(where, "", data, top)
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if key == "weights":
            if not isinstance(value, dict):
                raise PolicyError(where, key, "must be a table")
            names = {f.name for f in fields(Weights)}
            _check_keys(where, "weights.", value, names)
            changes[key] = replace(base.weights, **{
                k: _number(where, f"weights.{k}", v, minimum=0, maximum=MAX_WEIGHT)
                for k, v in value.items()})
        elif key == "delivery_bands":
            def delivery(at, item):
                _check_band_keys(where, at, item, ("max_km", "fee_minor", "courier_minutes"))
                return DeliveryBand(
                    _number(where, f"{at}.max_km", item["max_km"], minimum=0.1, maximum=100),
                    _number(where, f"{at}.fee_minor", item["fee_minor"], minimum=0,
                            integer=True, maximum=MAX_MONEY_MINOR),
                    _number(where, f"{at}.courier_minutes", item["courier_minutes"], minimum=0,
                            integer=True, maximum=24 * 60))
            changes[key] = _bands(where, key, value, delivery)
        elif key == "intercity_transfer_bands":
            def lead(at, item):
                _check_band_keys(where, at, item, ("max_km", "hours"))
                return LeadTimeBand(
                    _number(where, f"{at}.max_km", item["max_km"], minimum=1,
                            maximum=HALF_THE_EARTH_KM),
                    _number(where, f"{at}.hours", item["hours"], minimum=0,
                            maximum=MAX_LEAD_HOURS))
            changes[key] = _bands(where, key, value, lead)
        else:
            minimum, maximum, integer = SCALARS[key]
            changes[key] = _number(where, key, value, minimum=minimum, maximum=maximum,
                                   integer=integer)
    return replace(base, **changes)


def load_policy(path: str | Path) -> RoutingPolicy:
    path = Path(path)
    try:
        data = tomllib.loads(utf8_text(path.read_bytes()))
    except OSError as error:
        raise PolicyError(str(path), "-", f"cannot be read: {error.strerror}") from error
    except NotUtf8 as error:
        raise PolicyError(str(path), "-", f"{error} (save the file as UTF-8)") from None
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(str(path), "-", f"is not valid TOML: {error}") from error
    return policy_from_dict(data, str(path))


class LivePolicy:
    """The policy a server routes with, which ops may replace while it serves (SIGHUP rereads
    its file). Read ``current`` once per decision, so that one order is routed under one
    policy whatever reload lands meanwhile; a file that fails to load changes nothing."""

    def __init__(self, path: str | Path | None = None, *, fixed: RoutingPolicy | None = None):
        self.path = Path(path) if path else None
        if fixed is not None:
            self.current = fixed
        else:
            self.current = load_policy(self.path) if self.path else DEFAULT_POLICY

    def reload(self) -> list[str]:
        """Reread the file; what changed, for the log ("max_split 2 -> 3", or a table's name).
        Raises PolicyError, keeping the policy in force, when the file is unreadable or wrong;
        [] without a file."""
        if self.path is None:
            return []
        old, new = self.current, load_policy(self.path)
        self.current = new
        return [_change(f.name, getattr(old, f.name), getattr(new, f.name))
                for f in fields(RoutingPolicy) if getattr(old, f.name) != getattr(new, f.name)]


def _change(key: str, old, new) -> str:
    if isinstance(new, int | float):  # 10.0 as 10, a million as 1000000, not 1e+06
        return f"{key} {old:.12g} -> {new:.12g}"
    return key
