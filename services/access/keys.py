"""API keys: issued per client, stored hashed, listed, revoked, optionally expiring.

A key reads ``osk_<key_id>_<secret>``. Only the key id and SHA-256 of the
secret are stored: the secret is 32 random bytes, so a plain hash is as strong
as a slow one and costs a microsecond per call. The whole key is shown once,
when it is created.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.access.principals import Kind, Principal

PREFIX = "osk"
KEY_PATTERN = re.compile(r"^osk_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class ApiKey:
    """A stored key, without its secret."""

    key_id: str
    kind: Kind
    location_id: str | None
    name: str
    create_time: datetime
    expire_time: datetime | None
    revoke_time: datetime | None

    @property
    def principal(self) -> Principal:
        return Principal(f"key:{self.key_id}", self.kind, self.location_id, self.name)

    def usable_at(self, now: datetime) -> bool:
        return self.revoke_time is None and (self.expire_time is None or now < self.expire_time)


def secret_hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def parse(token: str) -> tuple[str, str] | None:
    """(key_id, secret) of a well-formed key, else None."""
    match = KEY_PATTERN.match(token)
    return (match.group(1), match.group(2)) if match else None


def matches(secret: str, stored_hash: bytes) -> bool:
    return hmac.compare_digest(secret_hash(secret), stored_hash)


class KeyRefused(ValueError):
    """A key cannot be issued as asked (unknown location, location missing or not allowed)."""


async def issue(conn: AsyncConnection, kind: Kind, *, name: str = "",
                location_id: str | None = None, expires_in: timedelta | None = None
                ) -> tuple[str, ApiKey]:
    """Create a key; returns the full key (shown once) and its stored record."""
    if kind.bound_to_location != (location_id is not None):
        raise KeyRefused(f"a {kind} key {'needs' if kind.bound_to_location else 'takes no'} "
                        "--location")
    if location_id is not None:
        known = await conn.scalar(text("SELECT 1 FROM locations WHERE location_id = :l"),
                                  {"l": location_id})
        if not known:
            raise KeyRefused(f"unknown location {location_id!r}")
    key_id = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(12))
    secret = secrets.token_urlsafe(32)
    row = (await conn.execute(text(
        "INSERT INTO api_keys (key_id, secret_hash, kind, location_id, name, expire_time) "
        "VALUES (:id, :h, :k, :l, :n, now() + CAST(:ttl AS interval)) RETURNING *"),
        {"id": key_id, "h": secret_hash(secret), "k": kind.value, "l": location_id, "n": name,
         "ttl": expires_in})).mappings().one()
    return f"{PREFIX}_{key_id}_{secret}", _key(row)


async def find(conn: AsyncConnection, key_id: str) -> tuple[ApiKey, bytes] | None:
    """The stored key and its secret hash, or None."""
    row = (await conn.execute(text("SELECT * FROM api_keys WHERE key_id = :id"),
                              {"id": key_id})).mappings().one_or_none()
    return (_key(row), bytes(row["secret_hash"])) if row else None


async def list_keys(conn: AsyncConnection) -> list[ApiKey]:
    rows = (await conn.execute(text("SELECT * FROM api_keys ORDER BY create_time, key_id"))
            ).mappings().all()
    return [_key(row) for row in rows]


async def revoke(conn: AsyncConnection, key_id: str) -> bool:
    """Revoke a key at once (every server process hears of it); False if no such key."""
    result = await conn.execute(text(
        "UPDATE api_keys SET revoke_time = coalesce(revoke_time, now()) WHERE key_id = :id "
        "RETURNING key_id"), {"id": key_id})
    if result.first() is None:
        return False
    await conn.execute(text("SELECT pg_notify(:ch, :id)"), {"ch": KEYS_CHANNEL, "id": key_id})
    return True


KEYS_CHANNEL = "onestock_api_keys"  # payload: the key id that changed


def _key(row) -> ApiKey:
    return ApiKey(row["key_id"], Kind(row["kind"]), row["location_id"], row["name"],
                  row["create_time"], row["expire_time"], row["revoke_time"])
