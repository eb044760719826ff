"""What ops sees: Prometheus metrics that reflect the calls made, JSON log lines carrying the
request_id and principal (never the key), and OpenTelemetry spans for RPCs and queries."""

import asyncio
import contextlib
import io
import json
import logging
import re
import urllib.request

import grpc
import pytest
from onestock.inventory.v1 import inventory_service_pb2 as inv
from onestock.inventory.v1 import inventory_service_pb2_grpc as inv_grpc
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from services.common import logs, metrics, tracing
from services.common.server import start_server


def scrape(port: int) -> dict[tuple[str, tuple], float]:
    """Every sample of the /metrics page: (name, sorted labels) -> value."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as page:
        body = page.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body) for s in family.samples}


def sample(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_count_calls_by_method_and_status_and_reservations_by_outcome(
        ops, channels, server, engine):
    before = scrape(server.metrics_port)
    pos = inv_grpc.InventoryServiceStub(channels["POS@S1"])
    for i in range(3):
        await pos.ReserveStock(inv.ReserveStockRequest(
            request_id=f"ok-{i}", channel=inv.CHANNEL_POS,
            lines=[inv.ReservationLineInput(location_id="S1", sku_id="LAMP", quantity=1)]))
    with pytest.raises(grpc.aio.AioRpcError):
        await pos.ReserveStock(inv.ReserveStockRequest(
            request_id="too-many", channel=inv.CHANNEL_POS,
            lines=[inv.ReservationLineInput(location_id="S1", sku_id="LAMP", quantity=99_999)]))
    with pytest.raises(grpc.aio.AioRpcError):
        await pos.AdjustStock(inv.AdjustStockRequest(request_id="no", location_id="S1"))
    await metrics.refresh_database_gauges(engine)
    after = scrape(server.metrics_port)

    def delta(name, **labels):
        return sample(after, name, **labels) - sample(before, name, **labels)

    reserve = "InventoryService/ReserveStock"
    assert delta("onestock_rpc_calls_total", method=reserve, code="OK") == 3
    assert delta("onestock_rpc_calls_total", method=reserve, code="FAILED_PRECONDITION") == 1
    assert delta("onestock_rpc_calls_total", method="InventoryService/AdjustStock",
                 code="PERMISSION_DENIED") == 1
    assert delta("onestock_rpc_latency_seconds_count", method=reserve) == 4
    assert delta("onestock_reservations_total", outcome="made") == 3
    assert delta("onestock_reservations_total", outcome="rejected_stock") == 1
    async with engine.connect() as conn:
        from sqlalchemy import text
        pending = await conn.scalar(text(
            "SELECT count(*) FROM orders WHERE state = 'PENDING_PAYMENT'"))
        paid = await conn.scalar(text("SELECT count(*) FROM orders WHERE state = 'PAID'"))
        undelivered = await conn.scalar(text(
            "SELECT count(*) FROM outbox WHERE delivered_time IS NULL"))
    assert sample(after, "onestock_orders", state="PENDING_PAYMENT") == pending
    assert sample(after, "onestock_orders", state="PAID") == paid
    assert ("onestock_orders", (("state", "COMPLETED"),)) not in after  # never counted
    assert sample(after, "onestock_outbox_backlog") == undelivered


async def logged_calls(server, key: str, fmt: str, request: inv.AdjustStockRequest) -> str:
    """What the calls logger writes, in ``fmt``, while ``request`` is sent (answered or not),
    up to its own line: the server logs a call once it has answered, so the client may hear
    the answer first."""
    from services.access import client

    buffer = io.StringIO()
    handler = logs.handler(buffer, fmt)
    calls = logging.getLogger("onestock.calls")
    calls.addHandler(handler)
    calls.setLevel(logging.INFO)
    try:
        async with client.channel(f"127.0.0.1:{server.port}", key) as channel:
            with contextlib.suppress(grpc.RpcError):
                await inv_grpc.InventoryServiceStub(channel).AdjustStock(request)
        for _ in range(500):  # at most 5 s
            if request.request_id in buffer.getvalue():
                break
            await asyncio.sleep(0.01)
    finally:
        calls.removeHandler(handler)
    return buffer.getvalue()


async def test_each_call_logs_one_json_line_with_request_id_and_principal_and_no_secret(
        ops, server, issue_key):
    key = await issue_key("OPS")
    logged = await logged_calls(server, key, "json", inv.AdjustStockRequest(
        request_id="logged-1", location_id="S1", sku_id="LAMP", delta=1,
        reason=inv.ADJUSTMENT_REASON_RECEIPT))
    lines = [json.loads(line) for line in logged.splitlines()]
    [line] = [entry for entry in lines if entry.get("request_id") == "logged-1"]
    assert line["method"] == "InventoryService/AdjustStock" and line["code"] == "OK"
    assert line["principal"].startswith("key:") and line["principal"][4:] in key
    assert key not in logged and key.split("_", 2)[2] not in logged


async def test_in_text_format_each_call_line_still_says_its_method_code_and_request_id(
        ops, server, issue_key):
    key = await issue_key("OPS")
    logged = await logged_calls(server, key, "text", inv.AdjustStockRequest(
        request_id="logged as text", location_id="S1", sku_id="LAMP", delta=0,
        reason=inv.ADJUSTMENT_REASON_RECEIPT))
    [line] = [text for text in logged.splitlines() if "logged as text" in text]
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ INFO onestock\.calls: call ", line)
    assert "code=INVALID_ARGUMENT" in line and "request_id='logged as text'" in line
    assert "method=InventoryService/AdjustStock" in line and "principal=key:" in line
    assert key not in logged and key.split("_", 2)[2] not in logged


async def test_rpcs_and_their_database_queries_are_traced_when_an_exporter_is_configured(
        settings, database_url, engine, ops_key):
    from dataclasses import replace

    from services.access import client

    exporter = InMemorySpanExporter()
    tracing.start(exporter, processor=SimpleSpanProcessor)
    running = await start_server(replace(settings, otel_exporter="console"), database_url,
                                 address="127.0.0.1:0", engine=engine)
    try:
        async with client.channel(f"127.0.0.1:{running.port}", ops_key) as channel:
            with pytest.raises(grpc.aio.AioRpcError):
                await inv_grpc.InventoryServiceStub(channel).GetSku(
                    inv.GetSkuRequest(sku_id="NOPE"))
    finally:
        await running.stop(0.5)
        AsyncPGInstrumentor().uninstrument()
    spans = exporter.get_finished_spans()
    [rpc] = [s for s in spans if s.name.endswith("InventoryService/GetSku")]
    queries = [s for s in spans if s.parent is not None
               and s.parent.span_id == rpc.context.span_id]
    assert queries, [s.name for s in spans]
