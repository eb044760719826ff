"""The onestock command line: serve, migrate, seed-demo, load, export, rebalance, sales, keys,
simulate."""

from __future__ import annotations

import os

# Before gRPC loads, which reads it once. Every child OneStock starts is exec'd (pg_ctl, more
# server processes) or spawned (simulations), never forked with gRPC in use, so gRPC's fork
# handlers serve nothing; left on, they print "skipping fork() handlers" whenever a child
# starts during calls, as when the embedded PostgreSQL stops at shutdown. An operator's own
# setting wins.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

import argparse
import asyncio
import contextlib
import sys

from services.access.cli import add_parser as add_keys_parser
from services.common import logs
from services.common.config import Settings
from services.common.database import command_engine, database_url
from services.common.ranges import Range, whole_number
from services.inventory.create_transfers_command import add_parser as add_create_transfers_parser
from services.inventory.rebalance_command import add_parser as add_rebalance_parser
from services.orders.sales_report import add_parser as add_sales_parser
from services.simulation.cli import add_parser as add_simulate_parser


def _serve(settings: Settings, url: str, args) -> None:
    if args.processes > 1:
        from services.common.supervisor import serve_processes

        sys.exit(serve_processes(url, args.processes))
    from services.common.server import CannotListen, serve

    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        try:
            runner.run(serve(settings, url))
        except CannotListen as error:
            print(f"onestock: {error}", file=sys.stderr)
            sys.exit(1)


def event_loop_factory():
    """uvloop when installed (the default): a faster event loop for gRPC and asyncpg alike."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop does not build on every platform
        return None
    return uvloop.new_event_loop


def _migrate(settings: Settings, url: str, args) -> None:
    from migrations.sql import RollbackRefused
    from services.common.migrate import migrate_to, revisions

    known = revisions(url)
    revision = known[-1] if args.to == "head" else args.to
    if revision not in known:
        print(f"onestock migrate: --to: no revision {args.to!r} (revisions: "
              f"{', '.join(known)}, or head)", file=sys.stderr)
        sys.exit(2)
    try:
        print(f"database schema is {migrate_to(url, revision)}")
    except RollbackRefused as error:
        print(f"onestock migrate: {error}", file=sys.stderr)
        sys.exit(2)


def _seed_demo(settings: Settings, url: str, args) -> None:
    from services.access.cli import issue_demo_keys
    from services.common.uow import in_transaction
    from services.inventory.demo_chain import build_demo_chain, seed_demo_chain

    chain = build_demo_chain(args.seed)
    first_store = next(loc.location_id for loc in chain.locations if loc.kind.value == "STORE")

    async def seed(conn):
        loaded = await seed_demo_chain(conn, chain)
        return loaded, await issue_demo_keys(conn, first_store)

    async def run():
        async with command_engine(url) as engine:
            return await in_transaction(engine, seed)

    loaded, demo_keys = asyncio.run(run())
    stores = sum(1 for loc in chain.locations if loc.kind.value == "STORE")
    print(f"demo chain: {stores} stores, {len(chain.locations) - stores} warehouses, "
          f"{len(chain.skus)} SKUs; stock {'loaded' if loaded else 'already present, kept'}")
    print("demo API keys (new on every seed-demo; send as 'authorization: Bearer <key>'):")
    for label, key in demo_keys:
        print(f"  {label:<24} {key}")


def _exit_on_failure(code: int) -> None:
    if code:
        sys.exit(code)


def _load(settings: Settings, url: str, args) -> None:
    from services.inventory.load import run

    _exit_on_failure(run(url, args.directory, dry_run=args.dry_run,
                         progress=not args.no_progress, resume=args.resume,
                         recount=args.recount))


def _export(settings: Settings, url: str, args) -> None:
    from services.inventory.export import run

    _exit_on_failure(run(url, args.directory))


def _sales(settings: Settings, url: str, args) -> None:
    from services.orders.sales_report import run

    _exit_on_failure(run(url, args))


def _rebalance(settings: Settings, url: str, args) -> None:
    from services.inventory.rebalance_command import run

    _exit_on_failure(run(url, args))


def _create_transfers(settings: Settings, url: str, args) -> None:
    from services.inventory.create_transfers_command import run

    _exit_on_failure(run(url, args, settings.limits))


def _keys(settings: Settings, url: str, args) -> None:
    from services.access.cli import run

    _exit_on_failure(run(url, args))


PROCESSES = Range(1, 64)  # server processes on one machine

COMMANDS = {"serve": _serve, "migrate": _migrate, "seed-demo": _seed_demo, "load": _load,
            "export": _export, "rebalance": _rebalance, "create-transfers": _create_transfers,
            "sales": _sales, "keys": _keys}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="onestock", description=__doc__)
    parser.add_argument("--log-level", default="INFO")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve every OneStock gRPC service on ONESTOCK_LISTEN")
    serve.add_argument("--processes", type=whole_number(PROCESSES), default=1, metavar="N",
                       help="server processes sharing the listen port (SO_REUSEPORT), "
                            f"{PROCESSES}; one per core is typical")
    migrate = sub.add_parser("migrate", help="bring the database schema to the newest revision")
    migrate.add_argument("--to", metavar="REVISION", default="head",
                         help="bring it to this revision instead: an older one rolls the schema "
                              "back, for an older release (default %(default)s)")
    seed = sub.add_parser("seed-demo", help="load the demo chain (Shanghai and Hangzhou)")
    seed.add_argument("--seed", type=int, default=20261122, metavar="N",
                      help="the same seed loads the same chain, to the unit (default %(default)s)")
    load = sub.add_parser("load", help="load a chain's locations, SKUs and stock counts from "
                                       "files (CSV or Parquet): every row checked, then written")
    load.add_argument("directory", metavar="DIR",
                      help="a folder with any of locations, skus and stock_counts "
                           "(.csv or .parquet; docs/inventory.md)")
    load.add_argument("--dry-run", action="store_true",
                      help="check everything and say what would be written, then write nothing")
    load.add_argument("--no-progress", action="store_true",
                      help="no progress bars (they show only when stderr is a terminal)")
    again = load.add_mutually_exclusive_group()
    again.add_argument("--resume", metavar="REQUEST_ID",
                       help="finish a load stopped partway: count the shelves after the last it "
                            "counted, under its request id (it printed the command)")
    again.add_argument("--recount", action="store_true",
                       help="count again stock counts loaded before, though shelves have sold "
                            "since (refused without it: a stale file would undo those sales)")
    export = sub.add_parser("export", help="write the live catalogue as the locations and skus "
                                           "files that load reads, to edit and load back")
    export.add_argument("directory", metavar="DIR",
                        help="the folder to write locations.csv and skus.csv in (made if missing; "
                             "files of those names are replaced)")
    add_rebalance_parser(sub)
    add_create_transfers_parser(sub)
    add_sales_parser(sub)
    add_keys_parser(sub)
    add_simulate_parser(sub)
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        logs.configure(args.log_level, settings.log_format if args.command == "serve" else "text")
        if args.command == "serve":
            from services.routing.policy import LivePolicy

            LivePolicy(settings.routing_policy_path)  # refuse a bad policy file before anything starts
            from services.members.outbox_relay import sink_from_setting

            sink_from_setting(settings.crm_sink)  # and a CRM sink it cannot use
    except ValueError as error:  # PolicyError is a ValueError
        print(f"onestock: configuration error: {error}", file=sys.stderr)
        return 2
    if args.command == "simulate":  # needs a database only to take a snapshot
        from services.simulation.cli import run as simulate

        return simulate(settings, args)
    from services.common.database import DatabaseUnusable
    from services.common.migrate import (
        SchemaNotCurrent,
        require_current_schema,
        require_known_schema,
    )

    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(database_url(settings))
            if args.command == "migrate":
                require_known_schema(url)  # reachable, and not migrated by a newer OneStock
            else:
                require_current_schema(url)
        except SchemaNotCurrent as error:
            print(f"onestock: {error}", file=sys.stderr)
            return 2
        except DatabaseUnusable as error:  # unreachable, or not started in data_dir
            print(f"onestock: {error}", file=sys.stderr)
            return 1
        COMMANDS[args.command](settings, url, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
