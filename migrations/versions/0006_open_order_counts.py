"""Paid orders indexed by themselves, so the orders-in-flight gauge never scans history.

The metrics refresher counts PENDING_PAYMENT and PAID orders every few seconds; each
count reads a partial index that holds only the orders in that state, however many
completed orders the table has gathered.

Revision ID: 0006
Revises: 0005
"""

from migrations.sql import execute_script

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script("CREATE INDEX orders_paid ON orders (create_time) WHERE state = 'PAID'")


def downgrade() -> None:
    execute_script("DROP INDEX orders_paid")
