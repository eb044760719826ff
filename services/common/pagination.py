"""Opaque page tokens (AIP-158) for keyset pagination.

A token carries the last key of the previous page and a fingerprint of the
filters, so a token reused with other filters is refused instead of silently
returning the wrong rows.
"""

from __future__ import annotations

import base64
import hashlib
import json

from services.common.config import Limits
from services.common.errors import Collector


def _fingerprint(filters: dict) -> str:
    return hashlib.sha256(json.dumps(filters, sort_keys=True).encode()).hexdigest()[:16]


def encode_token(last_key: list, filters: dict) -> str:
    payload = json.dumps({"k": last_key, "f": _fingerprint(filters)}).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def decode_token(token: str, filters: dict, errors: Collector) -> list | None:
    """The last key carried by ``token``, or None for the first page."""
    if not token:
        return None
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        key, fingerprint = payload["k"], payload["f"]
        if not isinstance(key, list):
            raise ValueError("key")
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
