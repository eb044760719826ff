"""Thousands of malformed and hostile requests, to every RPC, built from the proto
descriptors: wrong kinds of ids, negative and huge numbers, NaN, empty and enormous lists,
other stores' ids, strings with SQL and control characters. The same server process keeps
answering, no call ends INTERNAL or UNKNOWN, and every refused call leaves the database as
it found it."""

import contextlib

import grpc
import pytest
from google.protobuf import descriptor as d
from google.protobuf import message_factory
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onestock.inventory.v1 import inventory_service_pb2 as inv
from onestock.inventory.v1 import inventory_service_pb2_grpc as inv_grpc
from onestock.members.v1 import member_service_pb2 as mem
from onestock.members.v1 import member_service_pb2_grpc as mem_grpc
from onestock.orders.v1 import order_service_pb2 as ords
from onestock.orders.v1 import order_service_pb2_grpc as ords_grpc

from services.common.pagination import encode_token
from tests.access.conftest import call, database_fingerprint, service_descriptor
from tests.access.test_authorization_table import CASES
from tests.helpers import bad_fields

KNOWN_IDS = ["S1", "S2", "LAMP", "RARE", "A", "B", "W", "S1-1"]
HOSTILE_TEXT = ["", " ", "'; DROP TABLE stock_levels; --", "\x00", "\u202e", "\r\n", "%s%n",
                "../../etc/passwd", "x" * 5_000, "🛒" * 50, "NaN", "-1", "osk_"]
INT64 = (-(2**63), 2**63 - 1)
INT32 = (-(2**31), 2**31 - 1)
SCALARS = {
    d.FieldDescriptor.TYPE_STRING: st.one_of(st.sampled_from(KNOWN_IDS + HOSTILE_TEXT),
                                             st.text(max_size=40)),
    d.FieldDescriptor.TYPE_INT64: st.one_of(st.sampled_from([0, -1, 1, *INT64]),
                                            st.integers(*INT64)),
    d.FieldDescriptor.TYPE_INT32: st.one_of(st.sampled_from([0, -1, 1, *INT32]),
                                            st.integers(*INT32)),
    d.FieldDescriptor.TYPE_DOUBLE: st.floats(allow_nan=True, allow_infinity=True),
    d.FieldDescriptor.TYPE_BOOL: st.booleans(),
    d.FieldDescriptor.TYPE_ENUM: st.integers(-3, 12),  # unknown values included
}


def messages(descriptor: d.Descriptor, depth: int = 0) -> st.SearchStrategy:
    """Any message of this type, every field optional, lists from empty to enormous."""
    cls = message_factory.GetMessageClass(descriptor)
    if descriptor.full_name in ("google.protobuf.Struct", "google.protobuf.Value"):
        return st.just(cls())
    fields = {}
    for field in descriptor.fields:
        if field.type == d.FieldDescriptor.TYPE_MESSAGE:
            if depth >= 3:
                continue
            value = messages(field.message_type, depth + 1)
        else:
            value = SCALARS.get(field.type, st.just(None))
        if field.is_repeated and depth == 0:  # enormous at the top only: 2,000 x 2,000 won't fit
            value = st.one_of(st.lists(value, max_size=4), value.map(lambda v: [v] * 2_000))
        elif field.is_repeated:
            value = st.lists(value, max_size=3)
        fields[field.name] = st.one_of(st.none(), value)

    def build(values: dict):
        message = cls()
        for name, value in values.items():
            if value is None:
                continue
            field = descriptor.fields_by_name[name]
            target = getattr(message, name)
            if field.is_repeated:
                (target.extend if field.type != d.FieldDescriptor.TYPE_MESSAGE
                 else lambda vs, t=target: [t.add().CopyFrom(v) for v in vs])(value)
            elif field.type == d.FieldDescriptor.TYPE_MESSAGE:
                target.CopyFrom(value)
            else:
                with contextlib.suppress(ValueError):  # a lone surrogate: no wire carries it
                    setattr(message, name, value)
        return message

    return st.fixed_dictionaries({}, optional=fields).map(build)


RPCS = sorted({rpc for _, rpc, _, _ in CASES})
CALLERS = ["OPS", "POS@S1", "POS@S2", "STAFF@S1", "MALL(A)", "CRM"]


async def send(channel, rpc: str, request) -> grpc.StatusCode:
    try:
        return await call(channel, rpc, request, stream_wait_s=2)
    except TimeoutError:
        return grpc.StatusCode.OK  # a valid watch: it waits for changes


@pytest.mark.slow
@pytest.mark.parametrize("rpc", RPCS)
@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
async def test_hostile_requests_never_crash_the_server_nor_change_data_when_refused(
        rpc, ops, channels, engine, data):
    service, method = rpc.split("/")
    request = data.draw(messages(service_descriptor(service).methods_by_name[method].input_type),
                        label="request")
    caller = data.draw(st.sampled_from(CALLERS), label="caller")
    before = await database_fingerprint(engine)
    code = await send(channels[caller], rpc, request)
    assert code not in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN)
    if code not in (grpc.StatusCode.OK, grpc.StatusCode.CANCELLED):
        assert await database_fingerprint(engine) == before, code
    health = health_pb2_grpc.HealthStub(channels["OPS"])
    reply = await health.Check(health_pb2.HealthCheckRequest())  # the same process answers
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


# Each list's filters as its servicer fingerprints them, so a forged token passes that check
# and only its key can give it away.
LISTS = [
    (inv_grpc.InventoryServiceStub, "ListLocations", inv.ListLocationsRequest(),
     {"city": "", "kind": ""}),
    (inv_grpc.InventoryServiceStub, "ListSkus", inv.ListSkusRequest(), {}),
    (inv_grpc.InventoryServiceStub, "ListStockMovements", inv.ListStockMovementsRequest(),
     {"l": "", "s": "", "r": ""}),
    (mem_grpc.MemberServiceStub, "ListPointsLedger", mem.ListPointsLedgerRequest(member_id="A"),
     {"m": "A"}),
    (ords_grpc.OrderServiceStub, "ListOrders", ords.ListOrdersRequest(member_id="A"),
     {"m": "A", "l": "", "s": ""}),
]
FORGED_KEYS = [[], [5, 6, 7], [True], [2**70], ["x\x00"], ["\ud800"], [None], [{"a": 1}],
               ["not a time", "o"], ["2026-11-22T10:00:00", "o"], [1.5]]


@pytest.mark.parametrize("stub,method,request_,filters", LISTS, ids=[m for _, m, _, _ in LISTS])
async def test_a_hand_made_page_token_is_refused_naming_it_whatever_its_key(
        stub, method, request_, filters, ops, channels, engine):
    before = await database_fingerprint(engine)
    listing = getattr(stub(channels["OPS"]), method)
    for key in FORGED_KEYS:
        request_.page_token = encode_token(key, filters)
        with pytest.raises(grpc.RpcError) as refused:
            await listing(request_)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, key
        assert "page_token" in bad_fields(refused.value), key
    assert await database_fingerprint(engine) == before
