"""The routing index of this process, rebuilt when any process changes a location."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.notifications import Listener
from services.inventory import repository as repo
from services.routing.chain import Chain


class ChainCache:
    """Loads every location once into a Chain (KD-trees included), and the set of SKU
    ids, and keeps them until UpsertLocations or UpsertSkus, in this or another
    process, says the catalogue changed."""

    def __init__(self, engine: AsyncEngine, listener: Listener):
        self._engine = engine
        self._chain: Chain | None = None
        self._sku_ids: frozenset[str] | None = None
        self._generation = 0  # bumped by every change notice
        self._lock = asyncio.Lock()
        for channel in (repo.LOCATIONS_CHANNEL, repo.SKUS_CHANNEL):
            listener.subscribe(channel, lambda _payload: self.invalidate(),
                               on_reconnect=self.invalidate)

    def invalidate(self) -> None:
        self._generation += 1
        self._chain = None
        self._sku_ids = None

    async def get(self) -> tuple[Chain, frozenset[str]]:
        """The chain and the known SKU ids, loaded anew after any catalogue change."""
        if self._chain is not None and self._sku_ids is not None:
            return self._chain, self._sku_ids
        async with self._lock:
            while self._chain is None or self._sku_ids is None:
                generation = self._generation
                async with self._engine.connect() as conn:
                    locations = await repo.all_locations(conn)
                    sku_ids = await repo.all_sku_ids(conn)
                if generation == self._generation:  # no change arrived while loading
                    self._chain, self._sku_ids = Chain(locations), frozenset(sku_ids)
            return self._chain, self._sku_ids
