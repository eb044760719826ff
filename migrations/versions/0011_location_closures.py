"""Closed periods of a location: Spring Festival, a refit, a typhoon.

A location's closures are kept beside its opening hours, as a JSON array of
{"start", "end", "reason"} with UTC ISO-8601 instants; existing locations have none.

A downgrade is refused while any location has one: the older code would route orders to a
store that is closed.

Revision ID: 0011
Revises: 0010
"""

from migrations.sql import RollbackGuard, execute_script

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

ROLLBACK_GUARD = RollbackGuard(
    "SELECT count(*) FROM locations WHERE closures <> '[]'",
    "{count} locations have closed periods: rolling back below revision 0011 would lose them, "
    "and route orders to closed stores, so the schema stays where it is")


def upgrade() -> None:
    execute_script(
        """
        ALTER TABLE locations ADD COLUMN closures jsonb NOT NULL DEFAULT '[]'
            CHECK (jsonb_typeof(closures) = 'array')
        """
    )


def downgrade() -> None:
    ROLLBACK_GUARD.check_here()
    execute_script("ALTER TABLE locations DROP COLUMN closures")
