"""Request ids (AIP-155): a retried request returns the first response and does nothing twice.

The key is claimed with INSERT .. ON CONFLICT DO NOTHING inside the same
transaction as the work. A racing duplicate blocks on the key until the first
transaction ends: if it committed, the duplicate reads the stored response; if
it rolled back (the request failed), the duplicate claims the key and runs.
Failed requests leave no key behind, so a retry after the cause is fixed runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from google.protobuf.message import Message
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.common.errors import AlreadyExists, request_id_reused
from services.common.uow import in_transaction

R = TypeVar("R", bound=Message)


def request_hash(request: Message) -> bytes:
    """Fingerprint of a request without its request_id, stable across retries."""
    copy = type(request)()
    copy.CopyFrom(request)
    copy.ClearField("request_id")
    return hashlib.sha256(copy.SerializeToString(deterministic=True)).digest()


@dataclass(frozen=True)
class Claim:
    """What a claim found: None response means the caller owns the key and must do the work."""

    request_id: str
    response: bytes | None = None
    error: AlreadyExists | None = None


async def claim_many(
    conn: AsyncConnection, method: str, keys: Sequence[tuple[str, bytes]]
) -> dict[str, Claim]:
    """Claim request ids in sorted order (so two batches cannot deadlock on them)."""
    ordered = sorted(dict(keys).items())
    ids = [k for k, _ in ordered]
    hashes = [h for _, h in ordered]
    claimed = set(
        (
            await conn.execute(
                text(
                    "INSERT INTO idempotency_keys (method, request_id, request_hash) "
                    "SELECT :method, k, h FROM unnest(CAST(:ids AS text[]), CAST(:hashes AS bytea[])) "
                    "AS t(k, h) ORDER BY k ON CONFLICT DO NOTHING RETURNING request_id"
                ),
                {"method": method, "ids": ids, "hashes": hashes},
            )
        ).scalars()
    )
    claims = {k: Claim(k) for k in claimed}
    others = [k for k in ids if k not in claimed]
    if others:
        rows = await conn.execute(
            text(
                "SELECT request_id, request_hash, response FROM idempotency_keys "
                "WHERE method = :method AND request_id = ANY(CAST(:ids AS text[]))"
            ),
            {"method": method, "ids": others},
        )
        wanted = dict(keys)
        for request_id, stored_hash, response in rows:
            if bytes(stored_hash) != wanted[request_id]:
                claims[request_id] = Claim(request_id, error=request_id_reused(request_id))
            else:
                claims[request_id] = Claim(request_id, response=bytes(response))
    return claims


async def remember_many(conn: AsyncConnection, method: str, responses: dict[str, bytes]) -> None:
    if not responses:
        return
    await conn.execute(
        text(
            "UPDATE idempotency_keys AS i SET response = t.r "
            "FROM unnest(CAST(:ids AS text[]), CAST(:rs AS bytea[])) AS t(k, r) "
            "WHERE i.method = :method AND i.request_id = t.k"
        ),
        {"method": method, "ids": list(responses), "rs": list(responses.values())},
    )


async def forget_many(conn: AsyncConnection, method: str, request_ids: Sequence[str]) -> None:
    if not request_ids:
        return
    await conn.execute(
        text(
            "DELETE FROM idempotency_keys WHERE method = :method "
            "AND request_id = ANY(CAST(:ids AS text[]))"
        ),
        {"method": method, "ids": list(request_ids)},
    )


async def idempotent(
    engine: AsyncEngine,
    method: str,
    request: Message,
    response_type: type[R],
    work: Callable[[AsyncConnection], Awaitable[R]],
) -> R:
    """Run ``work`` once per request_id, in one transaction with the key; replay otherwise."""
    request_id = request.request_id
    fingerprint = request_hash(request)

    async def attempt(conn: AsyncConnection) -> R:
        claim = (await claim_many(conn, method, [(request_id, fingerprint)]))[request_id]
        if claim.error:
            raise claim.error
        if claim.response is not None:
            return response_type.FromString(claim.response)
        response = await work(conn)
        await remember_many(conn, method, {request_id: response.SerializeToString()})
        return response

    return await in_transaction(engine, attempt)


async def purge_older_than(conn: AsyncConnection, hours: int) -> int:
    result = await conn.execute(
        text("DELETE FROM idempotency_keys WHERE create_time < now() - make_interval(hours => :h)"),
        {"h": hours},
    )
    return result.rowcount or 0
