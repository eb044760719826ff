"""Bring the database schema to the newest Alembic revision (or back to an older one, to roll a
release back), and tell whether it is there."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

import migrations
from services.common.database import DatabaseUnusable


class SchemaNotCurrent(Exception):
    """The database's schema is not the one this OneStock was built for."""


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Run pending migrations (synchronously: call before the server's event loop starts)."""
    command.upgrade(alembic_config(url), revision)


def revisions(url: str) -> list[str]:
    """Every revision, oldest first."""
    scripts = ScriptDirectory.from_config(alembic_config(url))
    return [script.revision for script in reversed(list(scripts.walk_revisions()))]


def migrate_to(url: str, revision: str) -> str:
    """Bring the schema to ``revision`` (one of revisions()): up, or down when the database is
    past it, as when a release is rolled back. Says what was done."""
    known = revisions(url)
    current = schema_revision(url)
    if current in known and known.index(revision) < known.index(current):
        leaving = known[known.index(revision) + 1: known.index(current) + 1]
        asyncio.run(_check_rollback_guards(url, reversed(leaving)))
        command.downgrade(alembic_config(url), revision)
        return f"rolled back from revision {current} to {revision}"
    upgrade(url, revision)
    return f"at revision {revision}" if revision != known[-1] else "up to date"


async def _check_rollback_guards(url: str, leaving) -> None:
    """Every revision to be rolled back, newest first, is asked whether that would lose
    anything (its ROLLBACK_GUARD) before any is: alembic commits each step on its own, so a
    refusal met on the way down would leave the schema part rolled back."""
    from sqlalchemy import text

    from services.common.database import command_engine

    scripts = ScriptDirectory.from_config(alembic_config(url))
    async with command_engine(url) as engine, engine.connect() as conn:
        for revision in leaving:
            guard = getattr(scripts.get_revision(revision).module, "ROLLBACK_GUARD", None)
            if guard is not None:
                guard.check(await conn.scalar(text(guard.count_sql)))


def require_current_schema(url: str) -> None:
    """Refuse to work on a database whose schema is behind (or ahead of) this code: a server
    started before ``onestock migrate`` would fail every call and log a traceback a second."""
    known = revisions(url)
    head = known[-1]
    current = schema_revision(url)
    if current == head:
        return
    if current is None:
        raise SchemaNotCurrent("the database has no OneStock schema yet: run `onestock migrate`")
    if current in known:
        raise SchemaNotCurrent(f"the database schema is at revision {current}, this OneStock "
                               f"needs {head}: run `onestock migrate`")
    raise _unknown(current, head)


def require_known_schema(url: str) -> None:
    """Refuse to migrate a database migrated by a newer OneStock: this one cannot tell what
    its revision holds, nor undo it."""
    known = revisions(url)
    current = schema_revision(url)
    if current is not None and current not in known:
        raise _unknown(current, known[-1])


def _unknown(current: str, head: str) -> SchemaNotCurrent:
    return SchemaNotCurrent(
        f"the database schema is at revision {current}, which this OneStock does not know (it "
        f"needs {head}): is the code older than the database? A newer OneStock's `onestock "
        f"migrate --to {head}` rolls it back to this one")


def schema_revision(url: str) -> str | None:
    """The database's Alembic revision (None: no OneStock schema), or DatabaseUnusable."""
    import asyncpg
    from sqlalchemy.engine import make_url

    try:
        return asyncio.run(_current_revision(url))
    except (TimeoutError, OSError, asyncpg.PostgresError) as error:
        where = make_url(url)
        raise DatabaseUnusable(f"cannot use the database {where.database!r} on "
                               f"{where.host}:{where.port or 5432}: {error}") from None


async def _current_revision(url: str) -> str | None:
    from sqlalchemy import text

    from services.common.database import command_engine

    async with command_engine(url) as engine, engine.connect() as conn:
        if await conn.scalar(text("SELECT to_regclass('alembic_version')")) is None:
            return None
        return await conn.scalar(text("SELECT version_num FROM alembic_version"))
