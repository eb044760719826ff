"""Points ledger and CRM outbox against the real database, with a real gRPC CRM."""

import asyncio

import grpc
import pytest
from onestock.members.v1 import member_service_pb2 as pb
from onestock.members.v1 import member_service_pb2_grpc as pb_grpc
from sqlalchemy import text

from services.common.uow import in_transaction
from services.members.ledger import award_order, reverse_return_line
from services.members.outbox_relay import GrpcSink, OutboxRelay, backlog


async def award(engine, member, order, paid):
    return await in_transaction(engine, lambda c: award_order(c, member, order, paid))


async def ledger_of(engine, member):
    async with engine.connect() as conn:
        return (await conn.execute(text(
            "SELECT kind, order_id, points_delta, growth_delta, tier_before, tier_after "
            "FROM points_ledger WHERE member_id = :m ORDER BY entry_id"), {"m": member})).all()


async def balance(engine, member):
    async with engine.connect() as conn:
        return tuple((await conn.execute(text(
            "SELECT points, growth, tier FROM members WHERE member_id = :m"), {"m": member})).one())


async def test_racing_completions_of_one_order_award_once(engine):
    results = await asyncio.gather(*(award(engine, "M-1", "O-1", 12_345) for _ in range(20)))
    assert set(results) == {123}
    assert await ledger_of(engine, "M-1") == [
        ("AWARD", "O-1", 123, 123, "STANDARD", "STANDARD")]
    assert await balance(engine, "M-1") == (123, 123, "STANDARD")


async def test_crossing_a_threshold_records_the_tier_change(engine):
    await award(engine, "M-1", "O-1", 99_000)  # 990 yuan
    await award(engine, "M-1", "O-2", 2_000)  # 20 yuan: growth 1,010, silver
    kinds = [(k, o, tb, ta) for k, o, _, _, tb, ta in await ledger_of(engine, "M-1")]
    assert kinds[-2:] == [("AWARD", "O-2", "STANDARD", "SILVER"),
                          ("TIER_CHANGE", "O-2", "STANDARD", "SILVER")]
    await award(engine, "M-1", "O-3", 10_000)  # 100 yuan at the silver rate
    assert (await balance(engine, "M-1"))[0] == 990 + 20 + 120


async def test_return_lines_take_back_their_share_once_each(engine):
    await award(engine, "M-1", "O-1", 10_000)  # 100 points

    def reverse(line, refund):
        return in_transaction(engine, lambda c: reverse_return_line(c, "M-1", "O-1", line, refund))

    assert await reverse("R1:0", 3_000) == 30
    assert await reverse("R1:0", 3_000) == 30  # a retry changes nothing
    assert await reverse("R2:0", 7_000) == 70
    assert await reverse("R3:0", 5_000) == 0  # nothing left to take back
    assert await balance(engine, "M-1") == (0, 0, "STANDARD")


class Crm(pb_grpc.MemberSyncServiceServicer):
    """A test CRM: refuses while ``down``, records what it acknowledges."""

    def __init__(self):
        self.down = False
        self.acked: list[pb.MemberEvent] = []
        self.refused = 0

    async def DeliverMemberEvent(self, request, context):
        if self.down:
            self.refused += 1
            await context.abort(grpc.StatusCode.UNAVAILABLE, "CRM is down")
        self.acked.append(request.event)
        return pb.DeliverMemberEventResponse()


@pytest.fixture
async def crm():
    server = grpc.aio.server()
    crm = Crm()
    pb_grpc.add_MemberSyncServiceServicer_to_server(crm, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield crm, f"127.0.0.1:{port}"
    await server.stop(0)


async def drain(relay, rounds=50):
    for _ in range(rounds):
        await relay.deliver_due()
        await asyncio.sleep(0.05)


async def test_events_wait_while_the_crm_is_down_then_drain_in_order_per_member(engine, crm):
    crm, address = crm
    relay = OutboxRelay(engine, GrpcSink(address), base_backoff_s=0.05, max_backoff_s=0.2)
    crm.down = True
    for i in range(3):
        await award(engine, "M-A", f"A{i}", 10_000)
        await award(engine, "M-B", f"B{i}", 10_000)
    await drain(relay, rounds=5)
    assert crm.acked == [] and crm.refused > 0
    async with engine.connect() as conn:
        pending = await conn.scalar(text("SELECT count(*) FROM outbox WHERE delivered_time IS NULL"))
    assert pending == 6

    crm.down = False
    await drain(relay)
    await relay.stop()
    assert len(crm.acked) == 6
    assert len({e.event_id for e in crm.acked}) == 6  # each acknowledged event sent once
    for member, prefix in (("M-A", "A"), ("M-B", "B")):
        mine = [e for e in crm.acked if e.member_id == member]
        assert [e.order_id for e in mine] == [f"{prefix}0", f"{prefix}1", f"{prefix}2"]
        assert [e.member_sequence for e in mine] == sorted(e.member_sequence for e in mine)
        assert [e.points_after for e in mine] == [100, 200, 300]


def refusing(address: str, member_id: str, message: str) -> GrpcSink:
    """The test CRM at ``address``, behind a sink that fails every event of one member."""

    class Refusing(GrpcSink):
        async def deliver(self, event):
            if event.member_id == member_id:
                raise RuntimeError(message)
            await super().deliver(event)

    return Refusing(address)


async def test_one_members_failing_event_does_not_hold_up_another_member(engine, crm):
    crm, address = crm

    relay = OutboxRelay(engine, refusing(address, "M-STUCK", "CRM rejects this member"),
                        base_backoff_s=0.05, max_backoff_s=0.1)
    await award(engine, "M-STUCK", "S1", 10_000)
    await award(engine, "M-OK", "K1", 10_000)
    await drain(relay, rounds=5)
    await relay.stop()
    assert [e.member_id for e in crm.acked] == ["M-OK"]
    async with engine.connect() as conn:
        attempts, error = (await conn.execute(text(
            "SELECT attempts, last_error FROM outbox WHERE member_id = 'M-STUCK'"))).one()
    assert attempts >= 2 and "rejects this member" in error


class SlowCrm:
    """An in-process sink that answers after ``delay_s``, recording what it acknowledged and
    which members it was sent events of at the same time."""

    def __init__(self, delay_s=0.02):
        self.delay_s = delay_s
        self.acked: list[pb.MemberEvent] = []
        self.in_flight: set[str] = set()
        self.peak = 0
        self.overlapping_member = False

    async def deliver(self, event):
        self.overlapping_member |= event.member_id in self.in_flight
        self.in_flight.add(event.member_id)
        self.peak = max(self.peak, len(self.in_flight))
        try:
            await asyncio.sleep(self.delay_s)
        finally:
            self.in_flight.discard(event.member_id)
        self.acked.append(event)

    async def close(self):
        return None


async def awards_for(engine, members, per_member):
    for i in range(per_member):
        for m in range(members):
            await award(engine, f"M-{m:02d}", f"O-{m:02d}-{i}", 10_000)


def assert_in_order_once(acked, members, per_member):
    assert len(acked) == members * per_member
    assert len({e.event_id for e in acked}) == len(acked)  # none sent twice
    for m in range(members):
        mine = [e.order_id for e in acked if e.member_id == f"M-{m:02d}"]
        assert mine == [f"O-{m:02d}-{i}" for i in range(per_member)]


async def test_a_slow_crm_gets_several_members_at_once_but_each_member_in_order(engine):
    await awards_for(engine, members=20, per_member=3)
    crm = SlowCrm()
    relay = OutboxRelay(engine, crm, concurrency=8)
    await drain(relay, rounds=10)
    assert_in_order_once(crm.acked, 20, 3)
    assert 1 < crm.peak <= 8  # in parallel, within the bound
    assert not crm.overlapping_member  # one event of a member in flight at a time


async def test_relays_of_several_processes_share_the_outbox_and_send_each_event_once(engine):
    await awards_for(engine, members=10, per_member=4)
    crm = SlowCrm(delay_s=0.005)
    relays = [OutboxRelay(engine, crm, batch=7, concurrency=4) for _ in range(3)]
    for _ in range(30):
        await asyncio.gather(*(relay.deliver_due() for relay in relays))
    assert_in_order_once(crm.acked, 10, 4)
    assert not crm.overlapping_member


async def test_a_refusing_crm_is_offered_one_round_per_look_not_the_whole_backlog(engine):
    await awards_for(engine, members=25, per_member=1)

    class Down:
        offered = 0

        async def deliver(self, event):
            Down.offered += 1
            raise ConnectionError("CRM is down")

    relay = OutboxRelay(engine, Down(), batch=10, base_backoff_s=60)
    assert await relay.deliver_due() == 0
    assert Down.offered == 10  # one round, though rounds of 10 were full and more were due
    crm = SlowCrm(delay_s=0)
    relay = OutboxRelay(engine, crm, batch=10)
    assert await relay.deliver_due() == 15  # the rest, round after full round, at once


async def test_an_event_whose_relay_died_mid_send_goes_again_after_its_lease(engine):
    await award(engine, "M-1", "O-1", 10_000)

    offered = asyncio.Event()

    class Hangs:
        async def deliver(self, event):
            offered.set()  # claimed and leased by now
            await asyncio.Event().wait()  # the CRM never answers this one: the process dies

    async def lease_left_s() -> float:
        async with engine.connect() as conn:
            return float(await conn.scalar(text(
                "SELECT EXTRACT(EPOCH FROM next_attempt_time - now()) FROM outbox")))

    dying = asyncio.create_task(OutboxRelay(engine, Hangs(), lease_s=3).deliver_due())
    await offered.wait()
    dying.cancel()
    crm = SlowCrm(delay_s=0)
    survivor = OutboxRelay(engine, crm)
    assert await survivor.deliver_due() == 0  # still leased to the dead relay
    await asyncio.sleep(await lease_left_s() + 0.05)
    assert await survivor.deliver_due() == 1
    assert [e.order_id for e in crm.acked] == ["O-1"]
    async with engine.connect() as conn:
        assert await conn.scalar(text(
            "SELECT count(*) FROM outbox WHERE delivered_time IS NULL")) == 0


async def test_a_round_ends_within_its_lease_however_slow_the_crm(engine):
    """Else a relay in another process could claim the same events and send them again
    while the first still waits for the CRM."""
    for n in range(3):
        await award(engine, f"M-{n}", f"O-{n}", 10_000)

    class NeverAnswers:
        offered = 0

        async def deliver(self, event):
            NeverAnswers.offered += 1
            await asyncio.Event().wait()

    relay = OutboxRelay(engine, NeverAnswers(), concurrency=1, lease_s=2,
                        base_backoff_s=0.01, max_backoff_s=0.01)
    started = asyncio.get_running_loop().time()
    assert await asyncio.wait_for(relay.deliver_due(), 10) == 0
    assert asyncio.get_running_loop().time() - started < 2  # outcomes recorded within the lease
    assert NeverAnswers.offered == 1  # the one slot waited out the round; the others not sent
    async with engine.connect() as conn:
        outcomes = (await conn.execute(text(
            "SELECT last_error, attempts, next_attempt_time <= now() FROM outbox "
            "ORDER BY attempts DESC"))).all()
    tried, *unoffered = outcomes
    assert tried[0].startswith("no answer within the round's lease") and tried[1] == 1
    assert unoffered == [(None, 0, True)] * 2  # no attempt counted, due again at once
    await asyncio.sleep(0.05)  # the one tried waits out its backoff, not the lease
    crm = SlowCrm(delay_s=0)
    assert await OutboxRelay(engine, crm).deliver_due() == 3
    assert sorted(e.order_id for e in crm.acked) == ["O-0", "O-1", "O-2"]


async def test_the_backlog_names_the_oldest_held_event_its_member_and_the_crms_answer(
        engine, crm):
    crm, address = crm

    assert (await backlog(engine)).oldest_pending_event_id == ""  # nothing pending
    await award(engine, "M-STUCK", "S1", 10_000)
    await award(engine, "M-STUCK", "S2", 10_000)  # held back behind S1
    await award(engine, "M-OK", "K1", 10_000)
    relay = OutboxRelay(engine, refusing(address, "M-STUCK", "CRM: unknown member M-STUCK"),
                        base_backoff_s=0.01, max_backoff_s=0.01)
    await drain(relay, rounds=4)
    await relay.stop()
    seen = await backlog(engine)
    assert (seen.pending_events, seen.pending_members) == (2, 1)
    async with engine.connect() as conn:
        first = await conn.scalar(text(
            "SELECT event_id FROM outbox WHERE member_id = 'M-STUCK' ORDER BY seq LIMIT 1"))
    assert (seen.oldest_pending_event_id, seen.oldest_pending_member_id) == (first, "M-STUCK")
    assert seen.oldest_pending_attempts >= 2
    assert "unknown member M-STUCK" in seen.oldest_pending_error


async def test_member_rpcs_show_balances_ledger_and_backlog(engine, channel):
    stub = pb_grpc.MemberServiceStub(channel)
    made = await stub.UpsertMember(pb.UpsertMemberRequest(request_id="u", member_id="M-1"))
    assert (made.member.points, made.member.tier) == (0, pb.TIER_STANDARD)
    await award(engine, "M-1", "O-1", 100_000)  # 1,000 yuan: silver
    got = (await stub.GetMember(pb.GetMemberRequest(member_id="M-1"))).member
    assert (got.points, got.growth, got.tier) == (1_000, 1_000, pb.TIER_SILVER)
    page = await stub.ListPointsLedger(pb.ListPointsLedgerRequest(member_id="M-1", page_size=1))
    assert [e.kind for e in page.entries] == [pb.LEDGER_ENTRY_KIND_TIER_CHANGE]
    rest = await stub.ListPointsLedger(pb.ListPointsLedgerRequest(
        member_id="M-1", page_token=page.next_page_token))
    assert [e.kind for e in rest.entries] == [pb.LEDGER_ENTRY_KIND_AWARD]
    backlog = await stub.GetSyncBacklog(pb.GetSyncBacklogRequest())
    assert backlog.pending_events in (0, 2)  # the server's log-sink relay may have sent them
    with pytest.raises(grpc.RpcError) as caught:
        await stub.GetMember(pb.GetMemberRequest(member_id="NOBODY"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as caught:
        await stub.GetMember(pb.GetMemberRequest(member_id="bad id;"))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
