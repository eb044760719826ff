"""The transaction clock is read once per transaction and never outlives it."""

import asyncio

from services.common.uow import in_transaction, transaction_clock
from services.inventory.repository import db_now


async def test_each_transaction_reads_its_own_clock_once(engine):
    async def twice(conn):
        return await db_now(conn), await db_now(conn)

    first, again = await in_transaction(engine, twice)
    assert first == again  # one transaction, one instant (PostgreSQL now())
    await asyncio.sleep(0.05)
    later, _ = await in_transaction(engine, twice)
    assert later > first  # the pooled connection did not carry the old clock over
    assert transaction_clock.get() is None  # nothing outlives the transaction
    async with engine.connect() as conn:
        outside = await db_now(conn)
    assert outside > first
