"""The one server interceptor every call passes through.

In order: a call whose deadline has already passed is refused before any
work; the guard authenticates the caller and checks the authorization table;
the call's access and log fields are set for the servicer; domain errors
become google.rpc.Status (ErrorInfo, BadRequest) and anything unexpected is
logged with its traceback and answered INTERNAL, the server serving on; and
every call is counted and timed in the metrics and logged as one JSON line.
"""

from __future__ import annotations

import inspect
import logging
import time

import grpc
from grpc_status import rpc_status

from services.access.context import current_access
from services.access.guard import Guard
from services.common import metrics
from services.common.database import database_unavailable
from services.common.errors import OneStockError, Unavailable, internal_status, to_rpc_status
from services.common.logs import call_fields

log = logging.getLogger(__name__)
calls_log = logging.getLogger("onestock.calls")


# A call with less time left than this cannot do its work in time, and gRPC rounds deadlines
# to its timer's millisecond: a deadline already passed may still show up to about 1 ms left.
LEAST_USEFUL_REMAINING_S = 0.002


class _Method:
    """What stays the same for every call of one RPC, worked out once."""

    def __init__(self, guard: Guard, method: str):
        self.guard, self.method = guard, method
        self.label = method.rsplit(".", 1)[-1]  # "InventoryService/ReserveStock"
        self.latency = metrics.LATENCY.labels(self.label)


class _Call:
    """What the interceptor knows about one call while serving it."""

    def __init__(self, rpc: _Method, context, request):
        self.rpc, self.context = rpc, context
        self.request_id = str(getattr(request, "request_id", "") or "")
        self.code = "OK"
        self.start = time.perf_counter()
        self._tokens: list = []

    async def enter(self) -> None:
        remaining = self.context.time_remaining()
        if remaining is not None and remaining < LEAST_USEFUL_REMAINING_S:
            self.code = "DEADLINE_EXCEEDED"
            await self.context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline already passed")
        fields = {"method": self.rpc.label, "request_id": self.request_id}
        self._tokens.append((call_fields, call_fields.set(fields)))
        access = await self.rpc.guard.admit(self.rpc.method, self.context)
        fields["principal"] = access.principal.principal_id
        self._tokens.append((current_access, current_access.set(access)))

    async def fail(self, error: BaseException) -> None:
        if isinstance(error, grpc.aio.AbortError):
            self.code = _code_name(self.context.code(), self.code)
            raise error
        if not isinstance(error, OneStockError) and database_unavailable(error):
            log.warning("database unavailable in %s: %r", self.rpc.method, error)
            error = Unavailable()
        if isinstance(error, OneStockError):
            self.code = error.code.name
            await self.context.abort_with_status(rpc_status.to_status(to_rpc_status(error)))
        self.code = "INTERNAL"
        log.error("unexpected error in %s", self.rpc.method, exc_info=error)
        await self.context.abort_with_status(rpc_status.to_status(internal_status()))

    def exit(self, cancelled: bool) -> None:
        if cancelled:
            self.code = "CANCELLED"
        elapsed = time.perf_counter() - self.start
        metrics.CALLS.labels(self.rpc.label, self.code).inc()
        self.rpc.latency.observe(elapsed)
        calls_log.info("call", extra={"code": self.code, "duration_ms": round(elapsed * 1e3, 3)})
        for var, token in reversed(self._tokens):
            var.reset(token)


def _code_name(code, default: str) -> str:
    if isinstance(code, grpc.StatusCode):
        return code.name
    return default if code is None else str(code)


def _unary(behavior, rpc: _Method):
    async def handle(request, context):
        call = _Call(rpc, context, request)
        cancelled = True
        try:
            await call.enter()
            response = await behavior(request, context)
            cancelled = False
            return response
        except Exception as error:  # noqa: BLE001 - mapped to a status, never propagated raw
            cancelled = False
            await call.fail(error)
        finally:
            call.exit(cancelled)

    return handle


def _streaming(behavior, rpc: _Method, *, request_streaming: bool):
    """Server-streaming and bidirectional calls alike; only the first carries a request
    (and so a request_id) to log."""
    async def handle(request_or_iterator, context):
        call = _Call(rpc, context, None if request_streaming else request_or_iterator)
        cancelled = True
        try:
            await call.enter()
            async for response in behavior(request_or_iterator, context):
                yield response
            cancelled = False
        except Exception as error:  # noqa: BLE001 - mapped to a status, never propagated raw
            cancelled = False
            await call.fail(error)
        finally:
            call.exit(cancelled)

    return handle


def _is_async(behavior) -> bool:
    return inspect.iscoroutinefunction(behavior) or inspect.isasyncgenfunction(behavior)


class CallInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, guard: Guard) -> None:
        self._guard = guard
        self._cache: dict[str, grpc.RpcMethodHandler | None] = {}

    async def intercept_service(self, continuation, handler_call_details):
        method = handler_call_details.method
        if method in self._cache:
            return self._cache[method]
        handler = await continuation(handler_call_details)
        wrapped = self._wrap(handler, method) if handler is not None else None
        self._cache[method] = wrapped
        return wrapped

    def _wrap(self, handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
        serializers = {"request_deserializer": handler.request_deserializer,
                       "response_serializer": handler.response_serializer}
        rpc = _Method(self._guard, method)
        if handler.request_streaming and handler.response_streaming:
            behavior, make = handler.stream_stream, grpc.stream_stream_rpc_method_handler
            wrapped = _streaming(behavior, rpc, request_streaming=True)
        elif handler.response_streaming:
            behavior, make = handler.unary_stream, grpc.unary_stream_rpc_method_handler
            wrapped = _streaming(behavior, rpc, request_streaming=False)
        elif not handler.request_streaming:
            behavior, make = handler.unary_unary, grpc.unary_unary_rpc_method_handler
            wrapped = _unary(behavior, rpc)
        else:
            raise RuntimeError(f"{method}: client-streaming RPCs are not guarded; add a wrapper")
        if not _is_async(behavior):
            raise RuntimeError(f"{method}: a synchronous handler on the asyncio server")
        return make(wrapped, **serializers)
