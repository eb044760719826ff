"""The grpcurl calls the README and docs/ show are calls the server takes, as written.

Each example's JSON body is parsed the way grpcurl parses it (proto3 JSON, against the
method's request type), so a renamed field or enum value in the protos breaks the test, not
a reader's first try. The examples that need nothing from an earlier answer are then sent,
in the order the pages give them, to a server holding the demo chain that `make run` loads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from google.protobuf import descriptor_pool, json_format
from google.protobuf.message_factory import GetMessageClass
from onestock.inventory.v1 import inventory_service_pb2  # noqa: F401 (registers the protos)
from onestock.members.v1 import member_service_pb2  # noqa: F401
from onestock.orders.v1 import order_service_pb2  # noqa: F401
from onestock.routing.v1 import routing_service_pb2  # noqa: F401

from services.common.uow import in_transaction
from services.inventory.demo_chain import build_demo_chain, seed_demo_chain

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# grpcurl [flags] -d '<json>' [\ newline] [flags] localhost:50051 <package.Service>/<Method>
CALL = re.compile(r"grpcurl\b[^\n']*?-d '(?P<body>.*?)'\s*(?:\\\s*\n\s*)?[^\n]*?"
                  r"localhost:50051 (?P<service>[\w.]+)/(?P<method>\w+)", re.S)
PLACEHOLDER = re.compile(r"<[a-z_]+>")  # <order_id>: a value from an earlier answer
# Examples that need what the demo chain does not have: a scenario folder of the reader's.
NOT_SENT = {"RunSimulation"}
# Whose right answer on a fresh demo chain is empty: nothing waits for the CRM, and no order
# has completed to earn points or be credited to a store (the walkthrough's steps that would
# need earlier answers).
EMPTY_AT_FIRST = {"GetSyncBacklog", "ListPointsLedger", "SummarizeSales"}


@dataclass(frozen=True)
class Example:
    page: str
    line: int
    service: str
    method: str
    body: str

    def __str__(self) -> str:
        return f"{self.page}:{self.line} {self.method}"

    def request(self):
        """The body as grpcurl would send it; placeholders filled with a stand-in id."""
        method = descriptor_pool.Default().FindServiceByName(self.service).FindMethodByName(
            self.method)
        body = PLACEHOLDER.sub("X-1", self.body)
        return json_format.Parse(body, GetMessageClass(method.input_type)()), method


def examples() -> list[Example]:
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for call in CALL.finditer(text):
            found.append(Example(page.relative_to(ROOT).as_posix(),
                                 text.count("\n", 0, call.start()) + 1,
                                 call["service"], call["method"], call["body"]))
    return found


EXAMPLES = examples()


def test_the_pages_show_calls_of_every_service():
    """The pattern still finds the examples (else the tests below would pass on nothing)."""
    assert {e.service.split(".")[1] for e in EXAMPLES} == {
        "inventory", "routing", "orders", "members"}
    assert len(EXAMPLES) >= 15


@pytest.mark.parametrize("example", EXAMPLES, ids=str)
def test_every_documented_body_is_a_request_the_method_takes(example):
    request, _ = example.request()
    assert request.ByteSize() > 0 or example.body.strip() == "{}", example


async def test_the_documented_calls_answer_on_the_demo_chain(channel, engine):
    chain = build_demo_chain()
    await in_transaction(engine, lambda conn: seed_demo_chain(conn, chain))
    sent = 0
    for example in EXAMPLES:
        if PLACEHOLDER.search(example.body) or example.method in NOT_SENT:
            continue
        request, method = example.request()
        call = channel.unary_unary(
            f"/{example.service}/{example.method}",
            request_serializer=type(request).SerializeToString,
            response_deserializer=GetMessageClass(method.output_type).FromString)
        try:
            answer = await call(request)
        except grpc.RpcError as error:
            pytest.fail(f"{example}: {error.code().name} {error.details()}")
        assert answer.ByteSize() > 0 or example.method in EMPTY_AT_FIRST, \
            f"{example} answered nothing"
        sent += 1
    assert sent >= 10
