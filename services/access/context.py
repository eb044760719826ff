"""The access of the call being served: who, with which scope, acting for which member.

The server's interceptor sets it for each call; servicers apply its scope
once they know which location or member a call touches, and the audit columns
read ``actor()`` wherever a change is written. Work that no call started (the
expiry sweeper, the outbox relay) runs as ``system``.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass

from services.access.authz import Scope
from services.access.principals import SYSTEM, Principal
from services.common.errors import PermissionDenied


@dataclass(frozen=True)
class Access:
    principal: Principal
    scope: Scope = Scope.ANY
    member_id: str = ""  # the member a MALL call acts for ("" when none)

    def _deny(self, field: str, why: str):
        raise PermissionDenied(f"{self.principal.kind} {self.principal.principal_id} may not "
                               f"{why} ({field})", field=field,
                               principal_id=self.principal.principal_id)

    def require_location(self, location_ids: str | Iterable[str], field: str) -> None:
        """Every location named must be the principal's own, under OWN_LOCATION."""
        if self.scope is not Scope.OWN_LOCATION:
            return
        ids = {location_ids} if isinstance(location_ids, str) else set(location_ids)
        if not ids or ids != {self.principal.location_id}:
            self._deny(field, f"act outside its location {self.principal.location_id}")

    def require_some_location(self, location_ids: Iterable[str], field: str) -> None:
        """The principal's location must be among those named, under OWN_LOCATION."""
        if self.scope is Scope.OWN_LOCATION and self.principal.location_id not in set(location_ids):
            self._deny(field, f"act on what its location {self.principal.location_id} "
                              "does not serve")

    def require_member(self, member_id: str | None, field: str) -> None:
        """The member named must be the one the call acts for, under OWN_MEMBER."""
        if self.scope is Scope.OWN_MEMBER and (member_id or "") != self.member_id:
            if not self.member_id:
                self._deny(field, "act for a member without the x-onestock-member-id header "
                                  "naming them")
            self._deny(field, f"act for a member other than {self.member_id}, the one its "
                              "x-onestock-member-id header names")

    def require(self, allowed: bool, field: str, why: str) -> None:
        if not allowed:
            self._deny(field, why)


SYSTEM_ACCESS = Access(SYSTEM)
current_access: ContextVar[Access] = ContextVar("current_access", default=SYSTEM_ACCESS)


def access() -> Access:
    return current_access.get()


def actor() -> str:
    """The principal id written beside every change (ledger, reservation, order, points)."""
    return current_access.get().principal.principal_id
