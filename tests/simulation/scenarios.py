"""Tiny scenarios whose replay can be worked out by hand, built on tests/routing/chains."""

from datetime import UTC, datetime, timedelta

from services.inventory.catalogue import Sku
from services.simulation.scenario import HeadOfficeMove, Replenishment, Scenario, SimOrder
from tests.routing.chains import AFTERNOON, order, store, warehouse

SKUS = {s: Sku(s, s, 1000) for s in ("TEA", "MUG", "RICE")}


def chain():
    """Store S1 at the customer's door (pickup, delivery), warehouse W1 10 km north."""
    return [store("S1", 0.5), warehouse("W1", 10.0)]


def scenario(orders, stock, *, locations=None, case=1, refills=(), skus=None, moves=()):
    sim_orders = [SimOrder(f"O{i}", "M1", request) for i, request in enumerate(orders)]
    return Scenario("hand-made", locations or chain(), dict(skus or SKUS), stock, sim_orders,
                    list(refills), case, moves=list(moves))


def at_local(hour: int, minute: int = 0, day: int = 23) -> datetime:
    """A moment in Shanghai local time (UTC+8) on 2026-11-<day>, as UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


def refill(hour: int, location_id: str, sku_id: str, units: int) -> Replenishment:
    return Replenishment(at_local(hour), location_id, sku_id, units)


def move(hour: int | None, source_id: str, destination_id: str, sku_id: str, units: int
         ) -> HeadOfficeMove:
    """Head office moving units at a local hour of 2026-11-23 (None: when the replay starts)."""
    return HeadOfficeMove(None if hour is None else at_local(hour), source_id, destination_id,
                          sku_id, units)


__all__ = ["AFTERNOON", "SKUS", "at_local", "chain", "move", "order", "refill", "scenario"]
