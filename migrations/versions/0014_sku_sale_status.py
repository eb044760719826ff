"""Where a SKU may be sold: everywhere (ON_SALE), at the tills only, taken off the mall
(下架, STORES_ONLY), or nowhere (停售, HALTED: a recall, a price error). Existing SKUs
stay on sale; a column with a constant default is added without rewriting the table.

A downgrade is refused while any SKU is off sale: the older code would sell it again.

Revision ID: 0014
Revises: 0013
"""

from migrations.sql import RollbackGuard, execute_script

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

ROLLBACK_GUARD = RollbackGuard(
    "SELECT count(*) FROM skus WHERE sale_status <> 'ON_SALE'",
    "{count} SKUs are off sale: rolling back below revision 0014 would put them on sale "
    "again, so the schema stays where it is")


def upgrade() -> None:
    execute_script(
        """
        ALTER TABLE skus ADD COLUMN sale_status text NOT NULL DEFAULT 'ON_SALE'
            CHECK (sale_status IN ('ON_SALE', 'STORES_ONLY', 'HALTED'))
        """
    )


def downgrade() -> None:
    ROLLBACK_GUARD.check_here()
    execute_script("ALTER TABLE skus DROP COLUMN sale_status")
