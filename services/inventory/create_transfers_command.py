"""`onestock create-transfers`: the stock transfers head office kept from `onestock
rebalance`'s file, each created once however often the file runs (services/inventory/
moves_file.py). Only the parser is imported at start-up: the work loads with the command.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING

from services.common.ranges import Range, whole_number

if TYPE_CHECKING:
    from services.common.config import Limits
    from services.inventory.moves_file import Outcome

HOLD_HOURS = Range(1, 168)


def add_parser(sub) -> None:
    command = sub.add_parser("create-transfers", help="create the stock transfers of a moves "
                                                      "file written by `onestock rebalance`")
    command.add_argument("--hold-hours", type=whole_number(HOLD_HOURS), metavar="N",
                         help=f"how long each source holds the units for its transfer, "
                              f"{HOLD_HOURS} (default: the longest a hold may last, "
                              "ONESTOCK_MAX_TTL_S)")
    command.add_argument("--note", default="", help="a note on every transfer created")
    command.add_argument("file", metavar="FILE", help="the moves file (CSV or Parquet)")


def run(url: str, args: argparse.Namespace, limits: Limits) -> int:
    """The command: create, say what happened to each transfer, exit 0 when all of them
    exist, 1 when some were refused (or the database stopped answering), 2 for a bad file."""
    from services.access.context import Access, current_access
    from services.access.principals import command_line
    from services.common.database import command_engine, database_unavailable
    from services.common.input_files import InputError
    from services.inventory.load import login
    from services.inventory.moves_file import (
        check_transfers,
        create,
        option_problem,
        read_transfers,
    )

    path = Path(args.file)
    ttl_s = args.hold_hours * 3600 if args.hold_hours else 0
    if problem := option_problem(args.note, ttl_s, limits):
        print(f"onestock create-transfers: {problem} (nothing was created)", file=sys.stderr)
        return 2
    try:
        planned = read_transfers(path, limits, args.note, ttl_s)
        check_transfers(path, planned, limits)
    except InputError as error:
        print(f"onestock create-transfers: {error} (nothing was created)", file=sys.stderr)
        return 2
    outcomes: list[Outcome] = []

    async def go() -> None:
        current_access.set(Access(command_line(login(), "create-transfers")))  # created_by
        async with command_engine(url) as engine:
            await create(engine, planned, outcomes)

    try:
        asyncio.run(go())
    except Exception as error:
        if not database_unavailable(error):
            raise
        _report(path, outcomes)
        print(f"onestock create-transfers: the database stopped answering after {len(outcomes)} "
              f"of the file's {len(planned)} transfers: run the same file again once it "
              "answers, to create the rest", file=sys.stderr)
        return 1
    return 1 if _report(path, outcomes) else 0


def _report(path: Path, outcomes: list[Outcome]) -> int:
    """Say what became of each transfer, then the counts; returns how many were refused."""
    for outcome in outcomes:
        print(_said(path, outcome), file=sys.stderr if outcome.refusal else sys.stdout)
    created = sum(o.created_now for o in outcomes)
    refused = sum(o.refusal is not None for o in outcomes)
    print(f"{path}: {created} stock transfers created, "
          f"{len(outcomes) - created - refused} created by an earlier run, {refused} refused")
    return refused


def _said(path: Path, outcome: Outcome) -> str:
    request = outcome.planned.request
    moved = (f"{request.source_location_id} -> {request.destination_location_id}, "
             f"{sum(line.quantity for line in request.lines)} units of "
             f"{len(request.lines)} SKUs")
    if outcome.refusal is not None:
        return (f"{path}:{outcome.planned.line}: {request.request_id} ({moved}): refused, "
                f"{outcome.refusal.reason}: {outcome.refusal.message}")
    when = "created" if outcome.created_now else "created by an earlier run"
    return (f"{request.request_id} ({moved}): {when}, transfer {outcome.transfer.transfer_id}, "
            f"held until {outcome.transfer.hold_expire_time.ToDatetime(UTC):%Y-%m-%d %H:%M} UTC")
