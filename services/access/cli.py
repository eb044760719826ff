"""`onestock keys create | list | revoke`, and the demo keys `onestock seed-demo` prints.

A key is printed once, on stdout and alone on its line, so scripts can capture
it (``KEY=$(onestock keys create --kind OPS --name ci)``); what it is goes to
stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from services.access import keys
from services.access.principals import Kind
from services.common.database import command_engine
from services.common.errors import Collector
from services.common.uow import in_transaction
from services.common.validation import ID_PATTERN, check_text

DEMO_PREFIX = "demo:"
DURATION = re.compile(r"^(\d+)([smhd])$")
MAX_LIFETIME = timedelta(days=3_650)
MAX_NAME = 200


def duration(raw: str) -> timedelta:
    """'90s', '15m', '12h' or '30d', up to ten years."""
    match = DURATION.match(raw)
    if not match:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a duration like 90s, 15m, 12h or 30d")
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
    count = int(match.group(1))
    if count == 0:  # a key that expires as it is made
        raise argparse.ArgumentTypeError(f"{raw!r} is no time at all")
    if count > MAX_LIFETIME / timedelta(**{unit: 1}):  # before timedelta() can overflow
        raise argparse.ArgumentTypeError(f"{raw!r} is more than ten years")
    return timedelta(**{unit: count})


def identifier(raw: str) -> str:
    """A location or key id, as the services take them."""
    if not ID_PATTERN.fullmatch(raw):
        raise argparse.ArgumentTypeError(
            f"{raw!r} is not an id (1-64 letters, digits, '.', '_' or '-')")
    return raw


def holder_name(raw: str) -> str:
    """Who or what holds a key, checked as the services check free text."""
    errors = Collector()
    check_text(errors, raw, "name", MAX_NAME)
    if errors.violations:
        raise argparse.ArgumentTypeError(f"the name {errors.violations[0].description}")
    return raw


def add_parser(sub) -> None:
    parser = sub.add_parser("keys", help="create, list and revoke API keys")
    actions = parser.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="issue a key (printed once)")
    create.add_argument("--kind", required=True, choices=[k.value for k in Kind],
                        help="what the key may do (docs/security.md has the table)")
    create.add_argument("--location", type=identifier,
                        help="the store of a POS or STORE_STAFF key")
    create.add_argument("--name", type=holder_name, default="",
                        help="who or what holds it, e.g. 'till 3'")
    create.add_argument("--expires-in", type=duration, help="e.g. 30d; default: never")
    actions.add_parser("list", help="every key, without secrets")
    revoke = actions.add_parser("revoke", help="revoke a key at once, in every server process")
    revoke.add_argument("key_id", type=identifier, help="the key's id, as `keys list` shows it")


def run(url: str, args) -> int:
    return asyncio.run(_run(url, args))


async def _run(url: str, args) -> int:
    async with command_engine(url) as engine:
        if args.action == "create":
            try:
                key, stored = await in_transaction(engine, lambda conn: keys.issue(
                    conn, Kind(args.kind), name=args.name, location_id=args.location,
                    expires_in=args.expires_in))
            except keys.KeyRefused as error:
                print(f"onestock: {error}", file=sys.stderr)
                return 2
            print(key)
            print(f"created {describe(stored)}", file=sys.stderr)
        elif args.action == "list":
            async with engine.connect() as conn:
                for stored in await keys.list_keys(conn):
                    print(describe(stored))
        else:
            if not await in_transaction(engine, lambda conn: keys.revoke(conn, args.key_id)):
                print(f"onestock: no key {args.key_id}", file=sys.stderr)
                return 1
            print(f"revoked {args.key_id}")
        return 0


def describe(key: keys.ApiKey) -> str:
    state = ("revoked" if key.revoke_time else
             f"expires {key.expire_time:%Y-%m-%dT%H:%M:%SZ}" if key.expire_time else "active")
    where = f" at {key.location_id}" if key.location_id else ""
    return f"{key.key_id}  {key.kind}{where}  {key.name!r}  {state}"


async def issue_demo_keys(conn: AsyncConnection, store_id: str) -> list[tuple[str, str]]:
    """A fresh key of every kind for the demo, the previous demo keys revoked: (label, key)."""
    for old in await keys.list_keys(conn):  # revoked as any key is: running servers hear of it
        if old.name.startswith(DEMO_PREFIX) and old.revoke_time is None:
            await keys.revoke(conn, old.key_id)
    issued = []
    for kind in Kind:
        location = store_id if kind.bound_to_location else None
        label = f"{kind}{f' at {location}' if location else ''}"
        key, _ = await keys.issue(conn, kind, name=f"{DEMO_PREFIX}{kind.lower()}",
                                  location_id=location)
        issued.append((label, key))
    return issued
