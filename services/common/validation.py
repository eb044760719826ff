"""Checks shared by every service's request validation."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from services.common.config import Limits
from services.common.errors import Collector
from services.common.geo import valid_latitude, valid_longitude
from services.common.ranges import TIMES_SAID, within_times

ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]{0,63}")
REQUEST_ID_MAX = 128


def check_id(errors: Collector, value: str, field: str) -> bool:
    if ID_PATTERN.fullmatch(value):
        return True
    if not value:
        errors.add(field, "is required")
    else:
        errors.add(field, "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
    return False


def check_optional_id(errors: Collector, value: str, field: str) -> None:
    """An id that may be left empty (a filter, an optional reference): checked when given."""
    if value:
        check_id(errors, value, field)


def check_request_id(errors: Collector, value: str, field: str = "request_id") -> None:
    if not value:
        errors.add(field, "is required for idempotent retries")
    elif len(value) > REQUEST_ID_MAX or not value.isprintable():
        errors.add(field, f"must be 1-{REQUEST_ID_MAX} printable characters")


def check_text(errors: Collector, value: str, field: str, max_len: int, required: bool = False) -> None:
    if required and not value.strip():
        errors.add(field, "is required")
    elif len(value) > max_len:
        errors.add(field, f"must be at most {max_len} characters")
    elif any(ord(c) < 32 and c not in "\t" for c in value):
        errors.add(field, "must not contain control characters")


def check_point(errors: Collector, latitude: float, longitude: float, prefix: str = "") -> bool:
    ok = errors.check(valid_latitude(latitude), f"{prefix}latitude", "must be between -90 and 90")
    return errors.check(valid_longitude(longitude), f"{prefix}longitude",
                        "must be between -180 and 180") and ok


def _wire_names(enum, values) -> str:
    """Values of a protobuf enum as a caller writes them (in JSON, say): "A, B or C"."""
    names = [enum.Name(v) for v in sorted(values)]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def check_enum(errors: Collector, value: int, allowed, field: str, enum) -> bool:
    """Whether ``value`` of the protobuf ``enum`` is one of ``allowed``; if not, the
    refusal names the values allowed and the one given, by their wire names."""
    if value in allowed:
        return True
    given = enum.Name(value) if value in enum.values() else str(value)
    errors.add(field, f"must be {_wire_names(enum, allowed)} (got {given})")
    return False


def check_time(errors: Collector, message, name: str, field: str) -> datetime | None:
    """The message's required timestamp ``name`` as a UTC datetime, or None (and an error on
    ``field``) when it is missing, malformed or outside 1970 to 2199."""
    if not message.HasField(name):
        errors.add(field, "is required")
        return None
    try:
        when = getattr(message, name).ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError):
        errors.add(field, "is not a valid timestamp")
        return None
    if not within_times(when):
        errors.add(field, TIMES_SAID)
        return None
    return when


def sku_counts(errors: Collector, lines, field: str, limits: Limits, *, min_quantity: int,
               required: bool = False) -> dict[str, int]:
    """Units per SKU of lines with ``sku_id`` and ``quantity`` (a transfer, a receipt, a
    return), one line each, at most ``limits.max_lines`` (and at least one if ``required``)."""
    if len(lines) > limits.max_lines or (required and not lines):
        errors.add(field, f"must hold {1 if required else 0} to {limits.max_lines} lines")
    counts: dict[str, int] = {}
    for i, line in enumerate(lines[: limits.max_lines]):
        ok = check_id(errors, line.sku_id, f"{field}[{i}].sku_id")
        if not min_quantity <= line.quantity <= limits.max_quantity:
            errors.add(f"{field}[{i}].quantity", f"must be {min_quantity} to {limits.max_quantity}")
            ok = False
        if line.sku_id in counts:
            errors.add(f"{field}[{i}].sku_id", "is listed twice")
            ok = False
        if ok:
            counts[line.sku_id] = line.quantity
    return counts
