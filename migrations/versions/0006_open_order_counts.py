"""Paid orders indexed by themselves, so the orders-in-flight gauge never scans history.

The metrics refresher counts PENDING_PAYMENT and PAID orders every few seconds; each
count reads a partial index that holds only the orders in that state, however many
completed orders the table has gathered.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # CONCURRENTLY: a chain's orders table is written every second; a plain CREATE INDEX
    # would hold its writes for as long as it takes to read every order.
    with op.get_context().autocommit_block():
        op.execute("CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_paid ON orders (create_time) "
                   "WHERE state = 'PAID'")


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS orders_paid")
