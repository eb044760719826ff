"""The routing index of this process, rebuilt when any process changes a location."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.notifications import Listener
from services.inventory import repository as repo
from services.routing.chain import Chain


class ChainCache:
    """Loads every location once into a Chain (KD-trees included) and keeps it until
    UpsertLocations, in this or another process, says the locations changed."""

    def __init__(self, engine: AsyncEngine, listener: Listener):
        self._engine = engine
        self._chain: Chain | None = None
        self._generation = 0  # bumped by every change notice
        self._lock = asyncio.Lock()
        listener.subscribe(repo.LOCATIONS_CHANNEL, lambda _payload: self.invalidate(),
                           on_reconnect=self.invalidate)

    def invalidate(self) -> None:
        self._generation += 1
        self._chain = None

    async def get(self) -> Chain:
        chain = self._chain
        if chain is not None:
            return chain
        async with self._lock:
            while self._chain is None:
                generation = self._generation
                async with self._engine.connect() as conn:
                    locations = await repo.all_locations(conn)
                chain = Chain(locations)
                if generation == self._generation:  # no change arrived while loading
                    self._chain = chain
            return self._chain
