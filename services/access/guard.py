"""Authentication and the first authorization step, run by the server for every call.

A call carries ``authorization: Bearer osk_...``. The key is looked up once
and then served from a small cache; a revocation reaches every server process
at once through NOTIFY, and expiry is checked on every call. When POS tills
must present client certificates, a POS key is accepted only over a TLS
connection whose certificate names the same location (CN ``pos:<location>``).
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import grpc
from sqlalchemy.ext.asyncio import AsyncEngine

from services.access import keys
from services.access.authz import PUBLIC, Scope, scope_for
from services.access.context import Access
from services.access.principals import Kind, Principal
from services.common.errors import Collector, PermissionDenied, Unauthenticated
from services.common.notifications import Listener
from services.common.validation import check_id

log = logging.getLogger(__name__)

MEMBER_HEADER = "x-onestock-member-id"
ANONYMOUS = Principal("anonymous", Kind.OPS, name="authentication disabled")
PUBLIC_ACCESS = Access(Principal("public", Kind.OPS, name="unauthenticated health check"))
CACHE_LIMIT = 10_000


class Guard:
    def __init__(self, engine: AsyncEngine, *, enabled: bool = True, cache_s: float = 30.0,
                 pos_requires_client_cert: bool = False):
        self._engine = engine
        self.enabled = enabled
        self._cache_s = cache_s
        self._pos_requires_cert = pos_requires_client_cert
        self._cache: dict[str, tuple[float, tuple[keys.ApiKey, bytes] | None]] = {}
        self._listener: Listener | None = None

    def listen(self, listener: Listener) -> None:
        """Forget a key when any process revokes it, or, while no notice can arrive, a
        second after reading it."""
        self._listener = listener
        listener.subscribe(keys.KEYS_CHANNEL, lambda key_id: self._cache.pop(key_id, None),
                           on_reconnect=self._cache.clear)

    async def admit(self, method: str, context: grpc.aio.ServicerContext) -> Access:
        """Who is calling and with which scope; raises UNAUTHENTICATED or PERMISSION_DENIED."""
        method = method.lstrip("/")
        if method in PUBLIC:
            return PUBLIC_ACCESS
        metadata = {k: v for k, v in (context.invocation_metadata() or ()) if isinstance(v, str)}
        member_id = metadata.get(MEMBER_HEADER, "")
        principal = (await self._authenticate(metadata.get("authorization", ""), context)
                     if self.enabled else ANONYMOUS)
        scope = scope_for(method, principal.kind)
        if scope is None:
            raise PermissionDenied(f"{principal.kind} {principal.principal_id} may not call "
                                   f"{method}", field="method", principal_id=principal.principal_id)
        if scope is Scope.OWN_MEMBER and member_id:
            errors = Collector()
            check_id(errors, member_id, MEMBER_HEADER)
            errors.raise_if_any()
        return Access(principal, scope, member_id)

    async def _authenticate(self, header: str, context) -> Principal:
        scheme, _, token = header.partition(" ")
        if not header:
            raise Unauthenticated("missing credential: send 'authorization: Bearer <api key>'")
        parsed = keys.parse(token.strip()) if scheme.lower() == "bearer" else None
        if parsed is None:
            raise Unauthenticated("malformed credential: expected 'Bearer osk_<id>_<secret>'")
        key_id, secret = parsed
        found = await self._lookup(key_id)
        if found is None or not keys.matches(secret, found[1]):
            raise Unauthenticated("unknown API key")
        key = found[0]
        if not key.usable_at(datetime.now(UTC)):
            raise Unauthenticated(f"API key {key_id} is "
                                  f"{'revoked' if key.revoke_time else 'expired'}")
        if key.kind is Kind.POS and self._pos_requires_cert:
            _require_till_certificate(context, key.location_id)
        return key.principal

    async def _lookup(self, key_id: str) -> tuple[keys.ApiKey, bytes] | None:
        cached = self._cache.get(key_id)
        now = time.monotonic()
        kept_s = self._cache_s if self._listener is None else self._listener.max_age(self._cache_s)
        if cached is not None and now - cached[0] < kept_s:
            return cached[1]
        async with self._engine.connect() as conn:
            found = await keys.find(conn, key_id)
        if len(self._cache) >= CACHE_LIMIT:  # a flood of made-up key ids cannot grow it
            self._cache.clear()
        self._cache[key_id] = (now, found)
        return found


def _require_till_certificate(context, location_id: str | None) -> None:
    """A POS key counts only beside a client certificate issued to the same store."""
    auth = context.auth_context() or {}
    names = {name.decode() for name in auth.get("x509_common_name", ())}
    if f"pos:{location_id}" not in names:
        raise Unauthenticated(f"POS keys need a client certificate with CN pos:{location_id}")
