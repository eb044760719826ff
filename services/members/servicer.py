"""gRPC MemberService: balances, member codes, the points ledger, and the CRM sync backlog."""

from __future__ import annotations

from onestock.members.v1 import member_service_pb2 as pb
from onestock.members.v1 import member_service_pb2_grpc as pb_grpc
from sqlalchemy.ext.asyncio import AsyncEngine

from services.access.context import access, actor
from services.common.config import Settings
from services.common.errors import Collector, NotFound
from services.common.idempotency import driver, idempotent
from services.common.pagination import decode_token, fitted_page, page_size
from services.common.validation import check_id, check_request_id
from services.inventory.mapping import timestamp
from services.members import ledger, member_codes
from services.members.outbox_relay import backlog
from services.members.rules import Tier

KIND_TO_PB = {"AWARD": pb.LEDGER_ENTRY_KIND_AWARD, "REVERSAL": pb.LEDGER_ENTRY_KIND_REVERSAL,
              "TIER_CHANGE": pb.LEDGER_ENTRY_KIND_TIER_CHANGE,
              "REDEMPTION": pb.LEDGER_ENTRY_KIND_REDEMPTION, "RESTORE": pb.LEDGER_ENTRY_KIND_RESTORE}


def member_to_pb(row) -> pb.Member:
    return pb.Member(member_id=row["member_id"], points=row["points"], growth=row["growth"],
                     tier=ledger.TIER_TO_PB[Tier(row["tier"])],
                     create_time=timestamp(row["create_time"]))


class MemberServicer(pb_grpc.MemberServiceServicer):
    def __init__(self, engine: AsyncEngine, settings: Settings):
        self.engine = engine
        self.limits = settings.limits
        self.code_ttl_s = settings.member_code_ttl_s
        self.max_message_bytes = settings.max_message_bytes

    async def UpsertMember(self, request, context):
        errors = Collector()
        check_request_id(errors, request.request_id)
        check_id(errors, request.member_id, "member_id")
        errors.raise_if_any()

        async def work(conn):
            await ledger.ensure_member(conn, request.member_id)
            return pb.UpsertMemberResponse(
                member=member_to_pb(await ledger.get_member(conn, request.member_id)))

        return await idempotent(self.engine, "UpsertMember", request, pb.UpsertMemberResponse,
                                work)

    async def GetMember(self, request, context):
        _require_own_member(request.member_id)
        async with self.engine.connect() as conn:
            row = await ledger.get_member(conn, request.member_id)
        if row is None:
            raise NotFound("member", request.member_id)
        return pb.GetMemberResponse(member=member_to_pb(row))

    async def IssueMemberCode(self, request, context):
        """No request_id: a retry issues another code, and either works until it expires."""
        _require_own_member(request.member_id)
        async with self.engine.begin() as conn:
            code, expire_time = await member_codes.issue(conn, request.member_id,
                                                         self.code_ttl_s, actor())
        return pb.IssueMemberCodeResponse(member_code=pb.MemberCode(
            code=code, member_id=request.member_id, expire_time=timestamp(expire_time)))

    async def ListPointsLedger(self, request, context):
        errors = Collector()
        check_id(errors, request.member_id, "member_id")
        size = page_size(request.page_size, self.limits, errors)
        before = decode_token(request.page_token, {"m": request.member_id}, errors, (int,))
        errors.raise_if_any()
        access().require_member(request.member_id, "member_id")
        async with self.engine.connect() as conn:
            db = await driver(conn)
            if await ledger.get_member(conn, request.member_id) is None:
                raise NotFound("member", request.member_id)
            rows = await db.fetch(
                "SELECT * FROM points_ledger WHERE member_id = $1 "
                "AND ($2::bigint IS NULL OR entry_id < $2) ORDER BY entry_id DESC LIMIT $3",
                request.member_id, before[0] if before else None, size + 1)
        entries, token = fitted_page([_entry(r) for r in rows[:size]],
                                     [[r["entry_id"]] for r in rows], {"m": request.member_id},
                                     self.max_message_bytes)
        return pb.ListPointsLedgerResponse(entries=entries, next_page_token=token)

    async def GetSyncBacklog(self, request, context):
        return await backlog(self.engine)


def _require_own_member(member_id: str) -> None:
    """A well-formed member id that the caller may act for (the mall: only its own)."""
    errors = Collector()
    check_id(errors, member_id, "member_id")
    errors.raise_if_any()
    access().require_member(member_id, "member_id")


def _entry(row) -> pb.LedgerEntry:
    return pb.LedgerEntry(
        entry_id=row["entry_id"], kind=KIND_TO_PB[row["kind"]], order_id=row["order_id"],
        return_line=row["return_line"] or "", points_delta=row["points_delta"],
        growth_delta=row["growth_delta"], points_after=row["points_after"],
        growth_after=row["growth_after"], tier_before=ledger.TIER_TO_PB[Tier(row["tier_before"])],
        tier_after=ledger.TIER_TO_PB[Tier(row["tier_after"])], amount_minor=row["amount_minor"],
        actor=row["actor"], create_time=timestamp(row["create_time"]))
