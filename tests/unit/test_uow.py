"""Which database errors the unit of work retries."""

import asyncpg
from sqlalchemy.exc import DBAPIError

from services.common.uow import is_retryable


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
