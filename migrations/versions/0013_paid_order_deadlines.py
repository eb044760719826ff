"""A paid order's fulfil-by time: when OneStock settles the order if it is still open.

Before this revision a paid order's holds simply lapsed after ONESTOCK_ORDER_HOLD_S under
an order that stayed PAID: the units went back on sale while the goods waited at the
counter, and ConfirmPickup then failed on the lapsed hold. From here on the order is
settled at fulfil_by (cancelled as NOT_COLLECTED or NOT_FULFILLED, or, with goods on their
way, given more time), and its holds run a day past it, so that the order settles them
first (services/orders/handlers.py, settle_overdue).

Paid orders already open take the earliest expiry of their active holds as their fulfil-by
time, and those holds a day more.

Revision ID: 0013
Revises: 0012
"""

from alembic import op

from migrations.sql import execute_script

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(
        """
        ALTER TABLE orders ADD COLUMN fulfil_by timestamptz;
        UPDATE orders o SET fulfil_by = COALESCE(held.due, now())
        FROM (SELECT p.order_id, min(r.expire_time) AS due FROM orders p
              LEFT JOIN reservations r ON r.reference = p.order_id AND r.state = 'ACTIVE'
              WHERE p.state = 'PAID' GROUP BY p.order_id) held
        WHERE o.order_id = held.order_id;
        UPDATE reservations r SET expire_time = r.expire_time + interval '1 day'
        FROM orders o WHERE r.reference = o.order_id AND o.state = 'PAID' AND r.state = 'ACTIVE'
        """
    )
    # CONCURRENTLY, as 0006: the orders table is written every second
    with op.get_context().autocommit_block():
        op.execute("CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_paid_fulfil_by "
                   "ON orders (fulfil_by) WHERE state = 'PAID'")


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS orders_paid_fulfil_by")
    execute_script("ALTER TABLE orders DROP COLUMN fulfil_by")
