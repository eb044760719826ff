"""Member codes (会员码): how a till knows that the customer at the counter is the member
whose points it spends.

The member's app asks for a code through the mall's back end, which has signed the member
in (MemberService.IssueMemberCode), and shows it as a bar code; the till scans it into
CreateOrder. Naming a member_id proves nothing, since anyone can read a phone number off a
receipt; a code proves that the member's phone is at the counter now. So a code has 18
random digits, lives ``ONESTOCK_MEMBER_CODE_TTL_S`` (120 s by default) and makes one sale:
a photo of it is worth nothing a minute later. Only its SHA-256 digest is stored, so
whoever reads the table learns no code a till would accept.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.errors import FailedPrecondition
from services.common.idempotency import driver
from services.members import ledger

DIGITS = 18


class Refusal(enum.StrEnum):
    """Why a scanned code made no sale."""

    EXPIRED = "EXPIRED"
    USED = "USED"
    UNKNOWN = "UNKNOWN"


def new_code() -> str:
    return f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"


def well_formed(code: str) -> bool:
    """18 ASCII digits, as new_code() makes them."""
    return len(code) == DIGITS and code.isascii() and code.isdigit()


def digest(code: str) -> bytes:
    return hashlib.sha256(code.encode()).digest()


def refusal(expire_time: datetime | None, use_time: datetime | None) -> Refusal:
    """Why a code that could not be used was refused, from its row (None: no such row)."""
    if expire_time is None:
        return Refusal.UNKNOWN
    return Refusal.USED if use_time is not None else Refusal.EXPIRED


_ADVICE = {
    Refusal.EXPIRED: "has expired",
    Refusal.USED: "has already made a sale",
    Refusal.UNKNOWN: "is not a code OneStock issued",
}


async def issue(conn: AsyncConnection, member_id: str, ttl_s: int,
                actor: str) -> tuple[str, datetime]:
    """A new code for ``member_id`` (created when missing) and when it expires. The member's
    expired codes go first, so the table holds a few live codes per member at most."""
    await ledger.ensure_member(conn, member_id)
    db = await driver(conn)
    await db.execute("DELETE FROM member_codes WHERE member_id = $1 AND expire_time <= now()",
                     member_id)
    while True:  # a clash of 18 random digits with a live code: draw again
        code = new_code()
        expire_time = await db.fetchval(
            "INSERT INTO member_codes (code_digest, member_id, issued_by, expire_time) "
            "VALUES ($1, $2, $3, now() + make_interval(secs => $4)) "
            "ON CONFLICT DO NOTHING RETURNING expire_time",
            digest(code), member_id, actor, float(ttl_s))
        if expire_time is not None:
            return code, expire_time


async def use(conn: AsyncConnection, code: str, member_id: str | None, order_id: str) -> str:
    """Spend ``code`` on ``order_id`` in the caller's transaction and return its member.

    The row lock of the UPDATE settles sales racing with one code: the first to commit
    takes it, and the others then find it used. A code of another member than the one the
    sale names is refused and stays unused."""
    db = await driver(conn)
    key = digest(code)
    owner = await db.fetchval(
        "UPDATE member_codes SET order_id = $2, use_time = now() "
        "WHERE code_digest = $1 AND order_id IS NULL AND expire_time > now() "
        "RETURNING member_id", key, order_id)
    if owner is None:
        row = await db.fetchrow(
            "SELECT expire_time, use_time FROM member_codes WHERE code_digest = $1", key)
        why = refusal(*(row or (None, None)))
        raise FailedPrecondition(
            f"member_code {_ADVICE[why]}: ask the member to show the code their app shows now",
            reason="MEMBER_CODE_INVALID", metadata={"field": "member_code", "why": why.value})
    if member_id and member_id != owner:
        raise FailedPrecondition(
            f"member_code is not the code of member {member_id} (member_id): scan the code of "
            "the member the sale is for, or leave member_id empty",
            reason="MEMBER_CODE_MISMATCH", metadata={"field": "member_code"})
    return owner
