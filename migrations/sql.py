"""Helpers for migrations written as plain SQL scripts."""

from dataclasses import dataclass

from alembic import op


def execute_script(script: str) -> None:
    """asyncpg runs one statement per call; the scripts keep no ';' inside a statement."""
    for statement in script.split(";"):
        if statement.strip():
            op.execute(statement)


class RollbackRefused(RuntimeError):
    """A downgrade that would lose what the database now holds; raised before it changes
    anything, so the schema stays where it is."""


@dataclass(frozen=True)
class RollbackGuard:
    """What rolling a revision back would lose: a query counting it, and the refusal to give
    when the count is not 0 (``{count}`` stands for it). A revision names its guard
    ``ROLLBACK_GUARD``: `onestock migrate --to` checks every guard on the way down before it
    rolls anything back, so a refusal three revisions down leaves the schema where it was."""

    count_sql: str
    refusal: str

    def check(self, count: int) -> None:
        if count:
            raise RollbackRefused(self.refusal.format(count=count))

    def check_here(self) -> None:
        """The check inside the revision's own downgrade (alembic run directly)."""
        self.check(op.get_bind().exec_driver_sql(self.count_sql).scalar())
