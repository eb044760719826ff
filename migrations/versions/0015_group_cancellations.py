"""One fulfilment group of a paid order cancelled on its own (缺货取消): a store that
cannot supply its part, or a pickup nobody collected beside a part that was delivered.
The group keeps why, the money it gives back (its goods' share of what was paid, and its
courier fee) and the points it gives back; existing groups have none.

A downgrade is refused while any group was cancelled on its own: the older code would
award points on goods never handed over, and accept them back as a return.

Revision ID: 0015
Revises: 0014
"""

from migrations.sql import RollbackGuard, execute_script

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

ROLLBACK_GUARD = RollbackGuard(
    "SELECT count(*) FROM fulfilment_groups WHERE cancel_reason <> ''",
    "{count} fulfilment groups were cancelled on their own: rolling back below revision 0015 "
    "would award points on their goods and take them back as returns, so the schema stays "
    "where it is")


def upgrade() -> None:
    execute_script(
        """
        ALTER TABLE fulfilment_groups
            ADD COLUMN cancel_reason   text NOT NULL DEFAULT '',
            ADD COLUMN refund_minor    bigint NOT NULL DEFAULT 0 CHECK (refund_minor >= 0),
            ADD COLUMN points_restored bigint NOT NULL DEFAULT 0 CHECK (points_restored >= 0)
        """
    )


def downgrade() -> None:
    ROLLBACK_GUARD.check_here()
    execute_script(
        """
        ALTER TABLE fulfilment_groups DROP COLUMN cancel_reason, DROP COLUMN refund_minor,
            DROP COLUMN points_restored
        """
    )
