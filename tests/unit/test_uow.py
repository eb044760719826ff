"""Which database errors the unit of work retries, and a real deadlock retried."""

import asyncio
from collections import Counter

import asyncpg
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from services.common.uow import after_commit, in_transaction, is_retryable

ADD_POINTS = text("UPDATE members SET points = points + :n WHERE member_id = :m")


class Orig(Exception):
    def __init__(self, sqlstate):
        self.sqlstate = sqlstate


def test_deadlocks_and_serialization_failures_are_retried_whichever_layer_raised_them():
    assert is_retryable(asyncpg.exceptions.DeadlockDetectedError("deadlock"))
    assert is_retryable(asyncpg.exceptions.SerializationError("conflict"))
    assert is_retryable(DBAPIError("stmt", {}, Orig("40P01")))


def test_constraint_violations_are_not_retried():
    assert not is_retryable(asyncpg.exceptions.CheckViolationError("check"))
    assert not is_retryable(DBAPIError("stmt", {}, Orig("23514")))
    assert not is_retryable(ValueError("not a database error"))


async def test_a_deadlock_is_retried_whole_and_only_the_attempt_that_commits_counts(engine):
    """Two transactions take the same two member rows in opposite orders: PostgreSQL aborts
    one; the unit of work runs it again, so both commit, each change lands once, and the
    after-commit callback of the aborted attempt never runs."""
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO members (member_id) VALUES ('M-A'), ('M-B')"))
    both_hold_one = asyncio.Barrier(2)
    attempts: Counter[str] = Counter()
    committed: list[str] = []

    def crossing(first: str, second: str):
        async def work(conn):
            attempts[first] += 1
            await conn.execute(ADD_POINTS, {"m": first, "n": 1})
            after_commit(lambda: committed.append(first))
            if attempts[first] == 1:
                await both_hold_one.wait()
            await conn.execute(ADD_POINTS, {"m": second, "n": 10})
            return first
        return work

    done = await asyncio.gather(in_transaction(engine, crossing("M-A", "M-B")),
                                in_transaction(engine, crossing("M-B", "M-A")))
    assert done == ["M-A", "M-B"]
    assert sorted(attempts.values()) == [1, 2]  # one lost the deadlock and ran again
    assert sorted(committed) == ["M-A", "M-B"]
    async with engine.connect() as conn:
        points = dict((await conn.execute(text(
            "SELECT member_id, points FROM members ORDER BY member_id"))).all())
    assert points == {"M-A": 11, "M-B": 11}
