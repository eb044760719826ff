"""Wrong pickup codes counted per group, and the time a group's code stays locked after too
many (services/orders/pickup_codes.py).

Both columns are added with constant defaults, so PostgreSQL writes no existing row.

Revision ID: 0007
Revises: 0006
"""

from migrations.sql import execute_script

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(
        """
        ALTER TABLE fulfilment_groups
            ADD COLUMN pickup_failures integer NOT NULL DEFAULT 0 CHECK (pickup_failures >= 0),
            ADD COLUMN pickup_locked_until timestamptz
        """
    )


def downgrade() -> None:
    execute_script(
        "ALTER TABLE fulfilment_groups DROP COLUMN pickup_failures, DROP COLUMN pickup_locked_until"
    )
