"""Stock-count movements found by the load that wrote them, so a load stopped partway resumes.

`onestock load --resume REQUEST_ID` asks for the last shelf, in key order, that the stopped
load counted (services/inventory/load.py). The index holds only loads' movements ('load-'
request ids), in the key order a load writes them (byte order, as Python sorts), so the
question is one step down the index however long the ledger; the reservations' hot path
inserts no entry into it.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # CONCURRENTLY: every sale appends to the ledger; a plain CREATE INDEX would hold those
    # writes for as long as it takes to read the whole ledger.
    with op.get_context().autocommit_block():
        op.execute('CREATE INDEX CONCURRENTLY IF NOT EXISTS stock_movements_load '
                   'ON stock_movements (request_id, location_id COLLATE "C", sku_id COLLATE "C") '
                   "WHERE request_id LIKE 'load-%'")


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS stock_movements_load")
