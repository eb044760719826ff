"""Points spent as a discount at checkout (积分抵现), and given back by cancellations and
returns.

An order records the points it spent and the fen they took off its goods; a return records
the points it gave back. The points ledger gains two kinds: REDEMPTION (the points an order
spent, once per order) and RESTORE (points given back: once per order when it is cancelled,
once per return line when goods come back). The new columns default to 0, so orders and
returns from before spent nothing.

A downgrade is refused once any order has spent points: the older code would neither show
nor give back what they took off.

Revision ID: 0010
Revises: 0009
"""

from migrations.sql import RollbackGuard, execute_script

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ROLLBACK_GUARD = RollbackGuard(
    "SELECT count(*) FROM points_ledger WHERE kind IN ('REDEMPTION', 'RESTORE')",
    "members have spent points at checkout ({count} points ledger entries): rolling back "
    "below revision 0010 would lose them, so the schema stays where it is")


def upgrade() -> None:
    execute_script(
        """
        ALTER TABLE orders
            ADD COLUMN points_redeemed bigint NOT NULL DEFAULT 0 CHECK (points_redeemed >= 0),
            ADD COLUMN points_discount_minor bigint NOT NULL DEFAULT 0,
            ADD CONSTRAINT points_discount_within_goods
                CHECK (points_discount_minor BETWEEN 0 AND goods_minor);
        ALTER TABLE order_returns ADD COLUMN points_restored bigint NOT NULL DEFAULT 0;
        ALTER TABLE points_ledger DROP CONSTRAINT points_ledger_kind_check,
            DROP CONSTRAINT points_ledger_check,
            ADD CONSTRAINT points_ledger_kind_check
                CHECK (kind IN ('AWARD', 'REVERSAL', 'TIER_CHANGE', 'REDEMPTION', 'RESTORE')),
            ADD CONSTRAINT points_ledger_return_line_check
                CHECK (kind = 'RESTORE' OR (kind = 'REVERSAL') = (return_line IS NOT NULL));
        CREATE UNIQUE INDEX points_one_redemption_per_order ON points_ledger (order_id)
            WHERE kind = 'REDEMPTION';
        CREATE UNIQUE INDEX points_one_restore_per_cancelled_order ON points_ledger (order_id)
            WHERE kind = 'RESTORE' AND return_line IS NULL;
        CREATE UNIQUE INDEX points_one_restore_per_return_line ON points_ledger (return_line)
            WHERE kind = 'RESTORE' AND return_line IS NOT NULL
        """
    )


def downgrade() -> None:
    ROLLBACK_GUARD.check_here()
    execute_script(
        """
        DROP INDEX points_one_restore_per_return_line, points_one_restore_per_cancelled_order,
            points_one_redemption_per_order;
        ALTER TABLE points_ledger DROP CONSTRAINT points_ledger_return_line_check,
            DROP CONSTRAINT points_ledger_kind_check,
            ADD CONSTRAINT points_ledger_kind_check
                CHECK (kind IN ('AWARD', 'REVERSAL', 'TIER_CHANGE')),
            ADD CONSTRAINT points_ledger_check
                CHECK ((kind = 'REVERSAL') = (return_line IS NOT NULL));
        ALTER TABLE order_returns DROP COLUMN points_restored;
        ALTER TABLE orders DROP CONSTRAINT points_discount_within_goods,
            DROP COLUMN points_discount_minor, DROP COLUMN points_redeemed
        """
    )
