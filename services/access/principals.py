"""Who is calling: the kinds of client OneStock serves, and one authenticated caller.

Pure data, no I/O: the authorization table, the guard and the audit trail all
speak in these terms.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """Kinds of principal, one per kind of client in DOMAIN.md's "Who uses it"."""

    MALL = "MALL"  # the mini-program mall's back end, acting for its members
    POS = "POS"  # one till, bound to one location
    STORE_STAFF = "STORE_STAFF"  # pick, pack, hand over, receive; bound to one location
    OPS = "OPS"  # head office: everything
    CRM = "CRM"  # the member points peer

    @property
    def bound_to_location(self) -> bool:
        return self in (Kind.POS, Kind.STORE_STAFF)


@dataclass(frozen=True)
class Principal:
    """An authenticated caller. ``principal_id`` is what audit records name ("key:k_...")."""

    principal_id: str
    kind: Kind
    location_id: str | None = None
    name: str = ""


SYSTEM = Principal("system", Kind.OPS, name="OneStock's own background work")


def command_line(user: str, command: str) -> Principal:
    """Whoever runs an ``onestock`` command that writes, named by their login: they reach
    the database itself, so no key is asked, but the audit trail still says who it was."""
    return Principal(f"cli:{user}", Kind.OPS, name=f"onestock {command}")
