"""Turn a ScenarioSpec into a Scenario: files, the seeded generator, or both."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from services.common.input_files import InputError, find
from services.inventory.files import load_locations, load_skus
from services.simulation import files, synthetic
from services.simulation.scenario import Scenario, ScenarioSpec, local_time_zone


def build(spec: ScenarioSpec) -> Scenario:
    if (spec.chain_dir is None) == (spec.synthetic_chain is None):
        raise InputError("scenario", None, "chain", "give a chain directory or a synthetic chain")
    if spec.transfer_case_units < 1:
        raise InputError("scenario", None, "transfer_case_units", "must be at least 1")
    skipped: Counter | None = Counter() if spec.skip_bad_rows else None
    if spec.chain_dir is not None:
        directory = Path(spec.chain_dir)
        if not directory.is_dir():
            raise InputError(directory, None, "chain", "is not a directory")
        locations = load_locations(find(directory, "locations"), skipped)
        skus = load_skus(find(directory, "skus"), skipped)
        stock = files.load_stock(find(directory, "stock"), _ids(locations), skus, skipped)
    else:
        chain = spec.synthetic_chain
        locations = synthetic.chain_locations(chain.locations, chain.seed)
        skus = synthetic.catalogue(chain.skus, chain.seed)
        stock = synthetic.chain_stock(locations, list(skus), chain.seed)
    known = _ids(locations)
    orders_file = spec.orders_file or (
        find(spec.chain_dir, "orders", required=spec.synthetic_orders is None)
        if spec.chain_dir and spec.synthetic_orders is None else None)
    if orders_file is not None:
        orders = files.load_orders(Path(orders_file), known, skus, skipped)
    elif spec.synthetic_orders is not None:
        orders = synthetic.order_stream(locations, list(skus), spec.synthetic_orders)
    else:
        raise InputError("scenario", None, "orders", "give an orders file or synthetic orders")
    refill_file = spec.replenishment_file or (
        find(spec.chain_dir, "replenishment", required=False) if spec.chain_dir else None)
    refills = (files.load_replenishments(Path(refill_file), known, skus, skipped)
               if refill_file else [])
    moves_file = spec.moves_file or (
        find(spec.chain_dir, "moves", required=False) if spec.chain_dir else None)
    moves = files.load_moves(Path(moves_file), known, skus, skipped) if moves_file else []
    return Scenario(spec.label(), locations, skus, stock, orders, refills,
                    spec.transfer_case_units, local_time_zone(locations), skipped or Counter(),
                    moves)


def _ids(locations) -> dict:
    return {loc.location_id: loc for loc in locations}
