"""The routing core's plans on the wire: the trace a caller reads is the core's, entry by entry."""

from datetime import UTC

from onestock.routing.v1 import routing_service_pb2 as pb

from services.routing.chain import Chain
from services.routing.mapping import plan_to_pb
from services.routing.model import Mode
from services.routing.planner import route
from services.routing.policy import DEFAULT_POLICY
from tests.routing.chains import NIGHT, order, store, warehouse


def test_every_trace_entry_carries_its_verdict_reasons_short_skus_and_opening():
    chain = Chain([store("NEAR", 1), store("FAR", 3), store("SHUT", 2, pickup=False),
                   warehouse("W", 8)])
    stock = {"NEAR": {"LAMP": 1}, "FAR": {"LAMP": 1}, "W": {"SOFA": 5}}
    plan = route(chain, order(("LAMP", 1), ("SOFA", 1), mode=Mode.AUTO, at=NIGHT), stock,
                 DEFAULT_POLICY)
    wire = plan_to_pb(plan).trace
    assert len(wire) == len(plan.trace) > 0
    assert any(c.opens_at for c in plan.trace) and any(c.short_skus for c in plan.trace)
    assert any(c.chosen for c in plan.trace) and any(not c.chosen for c in plan.trace)
    assert {c.role for c in plan.trace} == {"pickup", "delivery", "transfer_source"}
    for entry, considered in zip(wire, plan.trace, strict=True):
        assert entry.location_id == considered.location_id
        assert pb.CandidateRole.Name(entry.role) == f"CANDIDATE_ROLE_{considered.role.upper()}"
        assert entry.distance_km == round(considered.distance_km, 3)
        assert entry.chosen is considered.chosen
        assert [pb.CandidateReason.Name(r) for r in entry.reasons] == [
            f"CANDIDATE_REASON_{r.value}" for r in considered.reasons]
        assert tuple(entry.short_sku_ids) == considered.short_skus
        assert entry.HasField("opens_time") is (considered.opens_at is not None)
        if considered.opens_at is not None:
            assert entry.opens_time.ToDatetime(tzinfo=UTC) == considered.opens_at


def test_a_plan_without_its_trace_leaves_the_trace_empty():
    chain = Chain([store("NEAR", 1)])
    plan = route(chain, order(("LAMP", 1)), {"NEAR": {"LAMP": 1}}, DEFAULT_POLICY)
    assert plan.trace and not plan_to_pb(plan, with_trace=False).trace
