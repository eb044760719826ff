"""Helpers for migrations written as plain SQL scripts."""

from alembic import op


def execute_script(script: str) -> None:
    """asyncpg runs one statement per call; the scripts keep no ';' inside a statement."""
    for statement in script.split(";"):
        if statement.strip():
            op.execute(statement)
