"""Opaque page tokens (AIP-158) for keyset pagination.

A token carries the last key of the previous page and a fingerprint of the
filters, so a token reused with other filters is refused instead of silently
returning the wrong rows. Tokens are not signed: the key is only a position in
rows the caller may list anyway, so each list checks its shape (``KeyShape``)
and a hand-made token is refused like any other bad field, never sent to the
database as something it is not.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from datetime import datetime

from services.common.config import Limits
from services.common.errors import Collector

KeyShape = tuple[type, ...]  # the key's parts: str, int (a bigint id) or datetime (ISO 8601)
BIGINT = 2**63


def _typed(key, shape: KeyShape) -> tuple:
    """``key`` as the list expects it; ValueError when it is anything else."""
    if not isinstance(key, list) or len(key) != len(shape):
        raise ValueError("key")
    return tuple(_part(part, kind) for part, kind in zip(key, shape, strict=True))


def _part(part, kind: type):
    if kind is int:
        if type(part) is not int or not -BIGINT <= part < BIGINT:
            raise ValueError("key")
        return part
    # text PostgreSQL can store: no NUL, no lone surrogate (json.loads lets both through)
    if not isinstance(part, str) or "\x00" in part or len(part) > 200:
        raise ValueError("key")
    part.encode()  # UnicodeEncodeError, a ValueError, for a lone surrogate
    if kind is datetime:
        when = datetime.fromisoformat(part)
        if when.tzinfo is None:
            raise ValueError("key")
        return when
    return part


def _fingerprint(filters: dict) -> str:
    return hashlib.sha256(json.dumps(filters, sort_keys=True).encode()).hexdigest()[:16]


def encode_token(last_key: Sequence, filters: dict) -> str:
    payload = json.dumps({"k": [p.isoformat() if isinstance(p, datetime) else p
                                for p in last_key], "f": _fingerprint(filters)}).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def decode_token(token: str, filters: dict, errors: Collector, shape: KeyShape
                 ) -> tuple | None:
    """The last key carried by ``token``, typed as ``shape`` says, or None for the first page."""
    if not token:
        return None
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        key, fingerprint = _typed(payload["k"], shape), payload["f"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        errors.add("page_token", "is not a token this service issued")
        return None
    if fingerprint != _fingerprint(filters):
        errors.add("page_token", "was issued for different filters")
        return None
    return key


def page_size(requested: int, limits: Limits, errors: Collector) -> int:
    if requested < 0 or requested > limits.max_page_size:
        errors.add("page_size", f"must be between 0 and {limits.max_page_size}")
        return limits.default_page_size
    return requested or limits.default_page_size


REPLY_OVERHEAD_BYTES = 1_024  # the page token and the reply's own framing, with room to spare
ENTRY_FRAMING_BYTES = 6  # tag and length of one entry of a repeated field, at most


def fitting(messages: Sequence, max_bytes: int) -> int:
    """How many of ``messages``, in order, fit one reply of ``max_bytes``: a page may hold
    fewer than its page_size (AIP-158), and one of big entries must, or gRPC refuses to send
    it. At least one, so that paging always moves forward."""
    room = max_bytes - REPLY_OVERHEAD_BYTES
    for i, message in enumerate(messages):
        room -= message.ByteSize() + ENTRY_FRAMING_BYTES
        if room < 0:
            return max(i, 1)
    return len(messages)


def fitted_page(messages: Sequence, keys: Sequence[Sequence], filters: dict,
                max_bytes: int) -> tuple[Sequence, str]:
    """A page and its next_page_token, from the page's ``messages`` and the keys of the rows
    read for it (one more than a page, when there are more): the messages that fit one reply
    (see fitting), and a token that goes on after the last of them, or "" at the end."""
    count = fitting(messages, max_bytes)
    return messages[:count], encode_token(keys[count - 1], filters) if len(keys) > count else ""
