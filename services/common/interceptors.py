"""Server interceptors: one place where domain errors become gRPC statuses.

Servicers raise OneStockError subclasses; this turns each into a
google.rpc.Status with ErrorInfo / BadRequest details. Anything unexpected is
logged with its traceback and answered with INTERNAL, and the server keeps
serving.
"""

from __future__ import annotations

import inspect
import logging

import grpc
from grpc_status import rpc_status

from services.common.errors import OneStockError, internal_status, to_rpc_status

log = logging.getLogger(__name__)


async def _abort(context: grpc.aio.ServicerContext, error: Exception, method: str):
    if isinstance(error, OneStockError):
        await context.abort_with_status(rpc_status.to_status(to_rpc_status(error)))
    log.exception("unexpected error in %s", method, exc_info=error)
    await context.abort_with_status(rpc_status.to_status(internal_status()))


def _wrap_unary(behavior, method: str):
    async def handle(request, context):
        try:
            return await behavior(request, context)
        except grpc.aio.AbortError:
            raise
        except Exception as error:  # noqa: BLE001 - mapped, never propagated
            await _abort(context, error, method)

    return handle


def _wrap_stream(behavior, method: str):
    async def handle(request, context):
        try:
            async for response in behavior(request, context):
                yield response
        except grpc.aio.AbortError:
            raise
        except Exception as error:  # noqa: BLE001 - mapped, never propagated
            await _abort(context, error, method)

    return handle


def _is_async(behavior) -> bool:
    return inspect.iscoroutinefunction(behavior) or inspect.isasyncgenfunction(behavior)


class ErrorMappingInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self) -> None:
        self._cache: dict[str, grpc.RpcMethodHandler] = {}

    async def intercept_service(self, continuation, handler_call_details):
        method = handler_call_details.method
        cached = self._cache.get(method)
        if cached is not None:
            return cached
        handler = await continuation(handler_call_details)
        behavior = handler and (handler.unary_stream or handler.unary_unary)
        if handler is None or handler.request_streaming or not _is_async(behavior):
            return handler  # unknown method, a streaming request, or a sync handler: untouched
        if handler.response_streaming:
            wrapped = grpc.unary_stream_rpc_method_handler(
                _wrap_stream(handler.unary_stream, method),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        else:
            wrapped = grpc.unary_unary_rpc_method_handler(
                _wrap_unary(handler.unary_unary, method),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        self._cache[method] = wrapped
        return wrapped
