"""Returns: what came back of each line, and each return with its refund.

Revision ID: 0004
Revises: 0003
"""

from migrations.sql import execute_script

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None



def upgrade() -> None:
    execute_script(
        """
        ALTER TABLE order_lines ADD COLUMN returned_quantity bigint NOT NULL DEFAULT 0,
            ADD CONSTRAINT returned_within_quantity
            CHECK (returned_quantity BETWEEN 0 AND quantity);
        CREATE TABLE order_returns (
            return_id       text PRIMARY KEY,
            order_id        text NOT NULL REFERENCES orders,
            location_id     text NOT NULL REFERENCES locations,
            lines           jsonb NOT NULL,
            refund_minor    bigint NOT NULL CHECK (refund_minor >= 0),
            points_reversed bigint NOT NULL DEFAULT 0,
            create_time     timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX order_returns_order ON order_returns (order_id, create_time)
        """
    )


def downgrade() -> None:
    execute_script(
        "DROP TABLE order_returns; "
        "ALTER TABLE order_lines DROP CONSTRAINT returned_within_quantity, "
        "DROP COLUMN returned_quantity")
