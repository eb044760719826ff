"""The routing index of this process, rebuilt when any process changes a location."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Mapping
from types import MappingProxyType

from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.notifications import Listener
from services.inventory import repository as repo
from services.inventory.catalogue import SaleTerms
from services.routing.chain import Chain


class ChainCache:
    """Loads every location once into a Chain (KD-trees included), and every SKU's
    catalogue price and sale status, and keeps them until UpsertLocations or UpsertSkus,
    in this or another process, says the catalogue changed. While the LISTEN connection
    is down, no notice can say so: the catalogue is then read again every DEAF_MAX_AGE_S."""

    def __init__(self, engine: AsyncEngine, listener: Listener):
        self._engine = engine
        self._chain: Chain | None = None
        self._sale_terms: Mapping[str, SaleTerms] | None = None
        self._generation = 0  # bumped by every change notice
        self._loaded_at = 0.0  # time.monotonic() of the last load
        self._lock = asyncio.Lock()
        self._listener = listener
        for channel in (repo.LOCATIONS_CHANNEL, repo.SKUS_CHANNEL):
            listener.subscribe(channel, lambda _payload: self.invalidate(),
                               on_reconnect=self.invalidate)

    def invalidate(self) -> None:
        """Forget the catalogue. Called on every change notice, and by this process's own
        catalogue writes once committed, so that a halted SKU is refused here from the
        moment UpsertSkus answers (other processes follow the notice)."""
        self._generation += 1
        self._chain = None
        self._sale_terms = None

    async def get(self) -> tuple[Chain, Mapping[str, SaleTerms]]:
        """The chain and the known SKUs' sale terms, loaded anew after any catalogue change."""
        if not self._fresh():
            async with self._lock:
                while not self._fresh():
                    generation = self._generation
                    async with self._engine.connect() as conn:
                        locations = await repo.all_locations(conn)
                        terms = await repo.sale_terms(conn)
                    if generation == self._generation:  # no change arrived while loading
                        self._chain, self._sale_terms = Chain(locations), MappingProxyType(terms)
                        self._loaded_at = time.monotonic()
        return self._chain, self._sale_terms

    def _fresh(self) -> bool:
        """Loaded, and no change announced since; or, while no notice can arrive, loaded
        only just now."""
        return self._chain is not None and self._sale_terms is not None and (
            time.monotonic() - self._loaded_at < self._listener.max_age(math.inf))

    async def sale_terms(self) -> Mapping[str, SaleTerms]:
        return (await self.get())[1]
