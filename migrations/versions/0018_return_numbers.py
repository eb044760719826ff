"""Each return of an order numbered in the order it was taken (1, 2, ...), under the order's
row lock.

An order's returns were listed by ``create_time``, which is when each return's transaction
began, not when it took the lock: two returns racing on one order could be listed in the
opposite order to the one in which they were debited (sales_credit.debits gives each the
next units in group order). ``return_no`` is the order they were applied in, as
``line_no`` and ``group_no`` are for lines and groups.

Existing returns are numbered oldest first, the order 0017 debited them in.

Revision ID: 0018
Revises: 0017
"""

from migrations.sql import execute_script

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(
        """
        ALTER TABLE order_returns ADD COLUMN return_no integer;
        UPDATE order_returns r SET return_no = n.return_no
            FROM (SELECT return_id, row_number() OVER (PARTITION BY order_id
                                                       ORDER BY create_time, return_id)
                  AS return_no FROM order_returns) n
            WHERE r.return_id = n.return_id;
        ALTER TABLE order_returns ALTER COLUMN return_no SET NOT NULL,
            ADD CONSTRAINT return_no_positive CHECK (return_no > 0);
        DROP INDEX order_returns_order;
        CREATE UNIQUE INDEX order_returns_order ON order_returns (order_id, return_no)
        """
    )


def downgrade() -> None:
    execute_script(
        """
        DROP INDEX order_returns_order;
        ALTER TABLE order_returns DROP COLUMN return_no;
        CREATE INDEX order_returns_order ON order_returns (order_id, create_time)
        """
    )
