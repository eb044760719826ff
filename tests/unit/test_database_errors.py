"""Which errors mean the database did not answer (UNAVAILABLE, retry) and which are bugs."""

import asyncpg
import pytest
from sqlalchemy import exc

from services.common.database import database_unavailable


@pytest.mark.parametrize("error", [
    ConnectionRefusedError(111, "Connection refused"),
    exc.TimeoutError("QueuePool limit reached"),  # every pooled connection busy
    exc.DBAPIError("SELECT 1", {}, TimeoutError(), connection_invalidated=False),
    exc.DBAPIError("SELECT 1", {}, Exception("gone"), connection_invalidated=True),
    asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    asyncpg.InterfaceError("connection is closed"),
    asyncpg.CannotConnectNowError("the database system is starting up"),
    asyncpg.AdminShutdownError("terminating connection due to administrator command"),
    asyncpg.TooManyConnectionsError("sorry, too many clients already"),
    # what SQLAlchemy raises when a new connection is turned away (ALLOW_CONNECTIONS false)
    exc.DBAPIError(None, None, asyncpg.ObjectNotInPrerequisiteStateError(
        'database "onestock" is not currently accepting connections')),
], ids=type)
def test_a_database_that_did_not_answer_is_told_from_a_bug(error):
    assert database_unavailable(error)
    try:  # and through the chain a handler's own exception carries
        raise RuntimeError("while reserving") from error
    except RuntimeError as wrapped:
        assert database_unavailable(wrapped)


@pytest.mark.parametrize("error", [
    OSError(28, "No space left on device"),  # a report that cannot be written is no outage
    TimeoutError(),
    ValueError("bad"),
    asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
    asyncpg.UniqueViolationError("duplicate key"),
    # the same class from a statement: a bug of ours, not an outage
    exc.DBAPIError("SELECT 1", {}, asyncpg.ObjectNotInPrerequisiteStateError("cannot do that")),
], ids=type)
def test_anything_else_stays_a_bug(error):
    assert not database_unavailable(error)
