"""onestock simulate: replay orders under one or more routing policies and write the report.

    onestock simulate --policy docs/policies/default.toml --policy fast.toml \\
        --synthetic-orders 200000 --out reports/today

See docs/simulation.md for the scenario files and every flag.
"""

from __future__ import annotations

import argparse
import sys
import threading
from datetime import date
from pathlib import Path

from services.common.database import DatabaseUnusable
from services.common.input_files import InputError
from services.common.migrate import SchemaNotCurrent, require_current_schema
from services.common.ranges import Range, whole_number
from services.routing.policy import PolicyError
from services.simulation.kpis import eta_text, yuan
from services.simulation.scenario import (
    CASE_UNITS_RANGE,
    DAYS_RANGE,
    LOCATIONS_RANGE,
    SEED_RANGE,
    SKUS_RANGE,
    ScenarioSpec,
    SyntheticChainSpec,
    SyntheticOrdersSpec,
    start_date,
)

DEFAULT_OUT = "simulation-report"
DEFAULT_SYNTHETIC_ORDERS = 100_000


def add_parser(sub) -> None:
    p = sub.add_parser("simulate", help="replay orders through the routing core under one or "
                       "more policies and write an HTML report", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    chain = p.add_argument_group("the chain (default: a synthetic chain)")
    chain.add_argument("--chain", action="append", default=[], metavar="DIR",
                       help="a scenario directory: locations, skus, stock (and optionally orders, "
                            "replenishment, moves) as .csv or .parquet; repeat to sweep "
                            "scenarios")
    chain.add_argument("--from-database", action="store_true",
                       help="snapshot locations, SKUs and online stock from the live database "
                            "(DATABASE_URL, or the embedded one) into OUT/snapshot and use it")
    chain.add_argument("--locations", type=whole_number(LOCATIONS_RANGE), default=3_000,
                       metavar="N", help="synthetic chain: locations (default %(default)s)")
    chain.add_argument("--skus", type=whole_number(SKUS_RANGE), default=20_000,
                       metavar="N", help="synthetic chain: SKUs (default %(default)s)")
    chain.add_argument("--chain-seed", type=whole_number(SEED_RANGE), default=7, metavar="N",
                       help="synthetic chain: seed (default %(default)s)")
    orders = p.add_argument_group("the order stream")
    orders.add_argument("--orders", metavar="FILE", help="orders .csv or .parquet "
                        "(default: orders.* in the scenario directory)")
    orders.add_argument("--synthetic-orders", type=whole_number(Range(1, 2**31 - 1)), metavar="N",
                        help=f"generate N orders (default for a synthetic chain: "
                             f"{DEFAULT_SYNTHETIC_ORDERS:,})")
    orders.add_argument("--days", type=whole_number(DAYS_RANGE), default=1,
                        metavar="N", help="synthetic orders: days they span (default %(default)s)")
    orders.add_argument("--start", type=_start_date, default=date(2026, 11, 23),
                        metavar="DATE",
                        help="synthetic orders: first local date, YYYY-MM-DD (default %(default)s)")
    orders.add_argument("--seed", type=whole_number(SEED_RANGE), default=11,
                        metavar="N", help="synthetic orders: seed (default %(default)s)")
    orders.add_argument("--replenishment", metavar="FILE",
                        help="replenishment schedule .csv or .parquet")
    orders.add_argument("--moves", metavar="FILE",
                        help="head office's moves between locations, .csv or .parquet (a file "
                             "`onestock rebalance` wrote reads as one)")
    run = p.add_argument_group("the run")
    run.add_argument("--policy", action="append", default=[], metavar="FILE",
                     help="a routing policy file (TOML, see docs/policies/default.toml); "
                          "repeat to compare; none: the built-in defaults")
    run.add_argument("--transfer-case-units", type=whole_number(CASE_UNITS_RANGE), default=1,
                     metavar="N",
                     help="transfers ship in whole cases of this many units (default 1)")
    run.add_argument("--skip-bad-rows", action="store_true",
                     help="skip and count bad rows instead of stopping at the first")
    run.add_argument("--workers", type=whole_number(Range(1, 1_024)), default=1,
                     metavar="N",
                     help="worker processes running policies/scenarios in parallel (default 1)")
    run.add_argument("--ray", metavar="ADDRESS", type=_ray_address,
                     help="run the sweep on a Ray cluster ('local' starts one here); "
                          "needs pip install 'onestock[ray]'")
    run.add_argument("--out", default=DEFAULT_OUT, metavar="DIR",
                     help="report directory (default %(default)s)")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")


def _ray_address(text: str) -> str:
    """An argparse type: an address ray_sweep.cluster_endpoint takes."""
    from services.simulation.ray_sweep import cluster_endpoint  # Ray itself is not imported

    try:
        cluster_endpoint(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _start_date(text: str) -> date:
    try:
        return start_date(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def specs_from(args, chain_dirs: list[str]) -> list[ScenarioSpec]:
    synthetic_orders = None
    if args.synthetic_orders is not None or (not chain_dirs and not args.orders):
        synthetic_orders = SyntheticOrdersSpec(
            orders=args.synthetic_orders or DEFAULT_SYNTHETIC_ORDERS, days=args.days,
            start=args.start, seed=args.seed)
    common = {"orders_file": _absolute(args.orders), "synthetic_orders": synthetic_orders,
              "replenishment_file": _absolute(args.replenishment),
              "moves_file": _absolute(args.moves),
              "transfer_case_units": args.transfer_case_units, "skip_bad_rows": args.skip_bad_rows}
    if not chain_dirs:
        return [ScenarioSpec(synthetic_chain=SyntheticChainSpec(args.locations, args.skus,
                                                                args.chain_seed), **common)]
    return [ScenarioSpec(chain_dir=_absolute(d), **common) for d in chain_dirs]


def _absolute(path: str | None) -> str | None:
    """Workers (Ray's among them) may run elsewhere than here: they get absolute paths."""
    return str(Path(path).resolve()) if path else None


class _Bar:
    """The sweep's progress on a tqdm bar, orders as the unit."""

    def __init__(self, disable: bool):
        from tqdm import tqdm

        self.bar = tqdm(total=0, unit=" orders", unit_scale=True, disable=disable,
                        dynamic_ncols=True, file=sys.stderr)

    def add_total(self, orders: int) -> None:
        self.bar.total = (self.bar.total or 0) + orders
        self.bar.refresh()

    def advance(self, orders: int) -> None:
        self.bar.update(orders)


def run(settings, args) -> int:
    from services.simulation.run import policies_from_files, simulate
    from services.simulation.sweep import Cancelled, SweepUnavailable

    try:
        chain_dirs = list(args.chain)
        if args.from_database:
            chain_dirs.append(str(_snapshot(settings, Path(args.out) / "snapshot")))
        policies = policies_from_files(args.policy)
        bar = _Bar(args.no_progress)
        try:
            outcome = simulate(specs_from(args, chain_dirs), policies, args.out,
                               workers=args.workers, ray_address=args.ray, tracker=bar,
                               cancel=threading.Event())
        finally:
            bar.bar.close()
    except (InputError, PolicyError, SchemaNotCurrent) as error:
        print(f"onestock simulate: {error}", file=sys.stderr)
        return 2
    except (DatabaseUnusable, SweepUnavailable) as error:
        print(f"onestock simulate: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # an output folder that cannot be made, a file that cannot be read
        print(f"onestock simulate: {error.filename or args.out}: {error.strerror}", file=sys.stderr)
        return 2
    except (Cancelled, KeyboardInterrupt):
        print("onestock simulate: interrupted", file=sys.stderr)
        return 130
    for kpis in outcome.results:
        print(f"{kpis['policy']}: {kpis['filled']:,} of {kpis['orders']:,} orders filled "
              f"({kpis['fill_rate']:.1%}), {eta_text(kpis)}, "
              f"delivery fees {yuan(kpis['delivery_fees_minor'])} yuan, "
              f"transfer costs {yuan(kpis['transfer_costs_minor'])} yuan")
    print(f"report: {outcome.paths['html']}")
    return 0


def _snapshot(settings, directory: Path) -> Path:
    from services.common.database import database_url
    from services.simulation import snapshot

    with database_url(settings) as url:
        require_current_schema(url)
        return snapshot.take(url, directory)
