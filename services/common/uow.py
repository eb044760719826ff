"""Transactions: commit on success, roll back on any error, retry on deadlock.

A handler gets a connection inside a transaction and never commits itself:
leaving the block normally commits, raising rolls everything back (the
cosmicpython unit of work, minus the ORM). Deadlocks and serialization
failures are retried here with jitter so that no client ever sees one.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import TypeVar

import asyncpg
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

T = TypeVar("T")

# The transaction's clock (PostgreSQL now() is fixed for a whole transaction), kept for the
# task running the transaction so it is read at most once: a dict while in_transaction()
# runs, None outside. Not kept on the connection, which is pooled and outlives it.
transaction_clock: ContextVar[dict | None] = ContextVar("transaction_clock", default=None)
# What to do once the transaction in_transaction() runs has committed (a list while it runs).
_on_commit: ContextVar[list[Callable[[], None]] | None] = ContextVar("on_commit", default=None)

RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected
MAX_ATTEMPTS = 8


def sqlstate(error: BaseException) -> str | None:
    """SQLSTATE of a database error, raised through SQLAlchemy or straight from asyncpg."""
    if isinstance(error, asyncpg.PostgresError):
        return error.sqlstate
    orig = getattr(error, "orig", None)
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


def is_retryable(error: BaseException) -> bool:
    return sqlstate(error) in RETRYABLE_SQLSTATES


async def in_transaction(engine: AsyncEngine, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction, retrying it whole on deadlock or serialization failure."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            token, pending = transaction_clock.set({}), _on_commit.set([])
            try:
                async with engine.begin() as conn:
                    result = await work(conn)
                for callback in _on_commit.get() or ():
                    callback()
                return result
            finally:
                transaction_clock.reset(token)
                _on_commit.reset(pending)
        except (DBAPIError, asyncpg.PostgresError) as error:
            if not is_retryable(error) or attempt == MAX_ATTEMPTS:
                raise
            await asyncio.sleep(random.uniform(0, 0.005 * 2**attempt))
    raise AssertionError("unreachable")


def after_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the running in_transaction() commits, and never if it rolls
    back or is retried: a counter of what a sweep did must not count a sweep undone. At
    once outside in_transaction()."""
    pending = _on_commit.get()
    if pending is None:
        callback()
    else:
        pending.append(callback)


async def as_of_one_moment(conn: AsyncConnection) -> None:
    """Make the reads of ``conn``'s transaction, which this begins, see one snapshot: a load
    committing between two of them shows in both or in neither."""
    await conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
