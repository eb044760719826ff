"""Client side: channels that send an API key (and the member a mall call acts for) on every call.

Used by the tests; ops tools in Python can use it too. Any gRPC client works without it by sending the metadata itself:
``authorization: Bearer osk_...`` and, for the mall, ``x-onestock-member-id``.
"""

from __future__ import annotations

import grpc

from services.access.guard import MEMBER_HEADER


def credentials_metadata(api_key: str, member_id: str = "") -> tuple[tuple[str, str], ...]:
    headers = (("authorization", f"Bearer {api_key}"),)
    return (*headers, (MEMBER_HEADER, member_id)) if member_id else headers


class _Metadata:
    def __init__(self, metadata: tuple[tuple[str, str], ...]):
        self._metadata = metadata

    def details(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        metadata = grpc.aio.Metadata(*(details.metadata or ()), *self._metadata)
        return grpc.aio.ClientCallDetails(details.method, details.timeout, metadata,
                                          details.credentials, details.wait_for_ready)


# grpc.aio files an interceptor under one kind of call only: one class per kind.
class _UnaryUnary(_Metadata, grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation, details, request):
        return await continuation(self.details(details), request)


class _UnaryStream(_Metadata, grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation, details, request):
        return await continuation(self.details(details), request)


class _StreamStream(_Metadata, grpc.aio.StreamStreamClientInterceptor):
    async def intercept_stream_stream(self, continuation, details, request_iterator):
        return await continuation(self.details(details), request_iterator)


def channel(target: str, api_key: str, *, member_id: str = "",
            credentials: grpc.ChannelCredentials | None = None, options=None) -> grpc.aio.Channel:
    """An asyncio channel whose every call carries ``api_key`` (TLS when ``credentials``)."""
    metadata = credentials_metadata(api_key, member_id)
    interceptors = [kind(metadata) for kind in (_UnaryUnary, _UnaryStream, _StreamStream)]
    if credentials is None:
        return grpc.aio.insecure_channel(target, options=options, interceptors=interceptors)
    return grpc.aio.secure_channel(target, credentials, options=options,
                                   interceptors=interceptors)
