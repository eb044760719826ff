"""Helpers for migrations written as plain SQL scripts."""

from alembic import op


def execute_script(script: str) -> None:
    """asyncpg runs one statement per call; the scripts keep no ';' inside a statement."""
    for statement in script.split(";"):
        if statement.strip():
            op.execute(statement)


class RollbackRefused(RuntimeError):
    """A downgrade that would lose what the database now holds; raised before it changes
    anything, so the schema stays where it is."""
