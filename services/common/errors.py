"""Domain errors, raised by cores and repositories, mapped to gRPC statuses in one place.

The cores know nothing of gRPC: they raise these. ``to_rpc_status`` turns one
into a google.rpc.Status carrying an ErrorInfo (reason + metadata) and, for bad
input, one BadRequest listing every bad field (AIP-193).
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

ERROR_DOMAIN = "onestock"


@dataclass(frozen=True)
class FieldViolation:
    """One bad field: its path in the request (e.g. ``lines[2].quantity``) and why."""

    field: str
    description: str


class OneStockError(Exception):
    """Base of every error a client may see; carries its gRPC code and reason."""

    code: grpc.StatusCode = grpc.StatusCode.INTERNAL
    reason: str = "INTERNAL"

    def __init__(self, message: str, *, reason: str | None = None, metadata=None):
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason
        self.metadata: dict[str, str] = {k: str(v) for k, v in (metadata or {}).items()}


class InvalidArgument(OneStockError):
    code = grpc.StatusCode.INVALID_ARGUMENT
    reason = "INVALID_ARGUMENT"

    def __init__(self, violations: list[FieldViolation]):
        self.violations = list(violations)
        summary = "; ".join(f"{v.field}: {v.description}" for v in self.violations)
        super().__init__(f"invalid request: {summary}")


class NotFound(OneStockError):
    code = grpc.StatusCode.NOT_FOUND
    reason = "NOT_FOUND"

    def __init__(self, resource: str, ids, *, field: str | None = None):
        ids = [ids] if isinstance(ids, str) else sorted(set(ids))
        label = field or f"{resource}_id"
        super().__init__(
            f"{resource} not found: {', '.join(ids)} ({label})",
            metadata={"resource": resource, "ids": ",".join(ids), "field": label},
        )


class FailedPrecondition(OneStockError):
    code = grpc.StatusCode.FAILED_PRECONDITION


class AlreadyExists(OneStockError):
    code = grpc.StatusCode.ALREADY_EXISTS


class PermissionDenied(OneStockError):
    """A valid credential that may not do this (AIP-211: said whether or not the thing exists)."""

    code = grpc.StatusCode.PERMISSION_DENIED
    reason = "PERMISSION_DENIED"

    def __init__(self, message: str, *, field: str = "", principal_id: str = ""):
        super().__init__(message, metadata={"field": field, "principal": principal_id})


class Unauthenticated(OneStockError):
    code = grpc.StatusCode.UNAUTHENTICATED
    reason = "UNAUTHENTICATED"


class ResourceExhausted(OneStockError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED
    reason = "RESOURCE_EXHAUSTED"


class Unavailable(OneStockError):
    """The database did not answer (a restart, a failover, a lost connection, a full pool):
    the call may be retried, with the same request_id, which does nothing twice."""

    code = grpc.StatusCode.UNAVAILABLE
    reason = "DATABASE_UNAVAILABLE"

    def __init__(self, message: str = "the database did not answer; retry the call (with "
                 "the same request_id: nothing is done twice)", *, reason: str | None = None):
        super().__init__(message, reason=reason)


@dataclass(frozen=True)
class Shortfall:
    """A line that cannot be served: how many units were asked and how many are free."""

    location_id: str
    sku_id: str
    requested: int
    available: int


class InsufficientStock(FailedPrecondition):
    """Every short line of a request, not only the first (Saleor's lesson)."""

    def __init__(self, shortfalls: list[Shortfall]):
        self.shortfalls = list(shortfalls)
        lines = ", ".join(
            f"{s.location_id}/{s.sku_id} requested {s.requested} available {s.available}"
            for s in self.shortfalls
        )
        metadata = {"short_lines": str(len(self.shortfalls))}
        for i, s in enumerate(self.shortfalls):
            metadata[f"line{i}"] = f"{s.location_id}/{s.sku_id}:{s.requested}:{s.available}"
        super().__init__(f"insufficient stock: {lines}", reason="INSUFFICIENT_STOCK", metadata=metadata)


def request_id_reused(request_id: str) -> AlreadyExists:
    return AlreadyExists(
        f"request_id {request_id!r} was already used for a different request, or by another "
        "caller (a retry must send the same request with the same key)",
        reason="REQUEST_ID_REUSED",
        metadata={"request_id": request_id},
    )


class Collector:
    """Gathers field violations so one response names every bad field."""

    def __init__(self) -> None:
        self.violations: list[FieldViolation] = []

    def add(self, field_path: str, description: str) -> None:
        self.violations.append(FieldViolation(field_path, description))

    def check(self, ok: bool, field_path: str, description: str) -> bool:
        if not ok:
            self.add(field_path, description)
        return ok

    def raise_if_any(self) -> None:
        if self.violations:
            raise InvalidArgument(self.violations)


def _pack(message) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


def to_rpc_status(error: OneStockError) -> status_pb2.Status:
    """The google.rpc.Status a client receives for ``error``."""
    details = [
        _pack(
            error_details_pb2.ErrorInfo(
                reason=error.reason, domain=ERROR_DOMAIN, metadata=error.metadata
            )
        )
    ]
    if isinstance(error, InvalidArgument):
        bad_request = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                for v in error.violations
            ]
        )
        details.append(_pack(bad_request))
    return status_pb2.Status(code=error.code.value[0], message=error.message, details=details)


def internal_status(message: str = "internal error") -> status_pb2.Status:
    return status_pb2.Status(code=code_pb2.INTERNAL, message=message)
