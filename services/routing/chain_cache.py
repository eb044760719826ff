"""The routing index of this process, rebuilt when any process changes a location."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from types import MappingProxyType

from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.notifications import Listener
from services.inventory import repository as repo
from services.routing.chain import Chain


class ChainCache:
    """Loads every location once into a Chain (KD-trees included), and every SKU's
    catalogue price, and keeps them until UpsertLocations or UpsertSkus, in this or another
    process, says the catalogue changed."""

    def __init__(self, engine: AsyncEngine, listener: Listener):
        self._engine = engine
        self._chain: Chain | None = None
        self._sku_prices: Mapping[str, int] | None = None
        self._generation = 0  # bumped by every change notice
        self._lock = asyncio.Lock()
        for channel in (repo.LOCATIONS_CHANNEL, repo.SKUS_CHANNEL):
            listener.subscribe(channel, lambda _payload: self.invalidate(),
                               on_reconnect=self.invalidate)

    def invalidate(self) -> None:
        self._generation += 1
        self._chain = None
        self._sku_prices = None

    async def get(self) -> tuple[Chain, Mapping[str, int]]:
        """The chain and the known SKUs' prices, loaded anew after any catalogue change."""
        if self._chain is not None and self._sku_prices is not None:
            return self._chain, self._sku_prices
        async with self._lock:
            while self._chain is None or self._sku_prices is None:
                generation = self._generation
                async with self._engine.connect() as conn:
                    locations = await repo.all_locations(conn)
                    prices = await repo.sku_prices(conn)
                if generation == self._generation:  # no change arrived while loading
                    self._chain, self._sku_prices = Chain(locations), MappingProxyType(prices)
            return self._chain, self._sku_prices
