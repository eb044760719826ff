"""OpenTelemetry tracing of RPCs and database calls, on when an exporter is configured.

ONESTOCK_OTEL_EXPORTER=console prints spans to stdout; =otlp sends them to
the collector named by the standard OTEL_EXPORTER_OTLP_ENDPOINT (install
``onestock[otlp]``). Each RPC is a server span; each asyncpg query inside it
is a child span, so one slow call shows where its time went.
"""

from __future__ import annotations

import logging

from opentelemetry import trace
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.instrumentation.grpc import aio_server_interceptor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

log = logging.getLogger(__name__)
_provider: TracerProvider | None = None


def _exporter(name: str) -> SpanExporter:
    if name == "console":
        return ConsoleSpanExporter()
    try:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    except ImportError as error:
        raise ValueError("ONESTOCK_OTEL_EXPORTER=otlp needs `pip install onestock[otlp]`"
                         ) from error
    return OTLPSpanExporter()


def start(exporter: str | SpanExporter, *, processor=BatchSpanProcessor):
    """Install tracing once per process; returns the gRPC server interceptor to add first."""
    global _provider
    if _provider is None:
        _provider = TracerProvider(resource=Resource.create({"service.name": "onestock"}))
        span_exporter = _exporter(exporter) if isinstance(exporter, str) else exporter
        _provider.add_span_processor(processor(span_exporter))
        trace.set_tracer_provider(_provider)
        AsyncPGInstrumentor().instrument(tracer_provider=_provider)
        log.info("OpenTelemetry tracing on (%s)", exporter)
    return aio_server_interceptor(tracer_provider=_provider)
