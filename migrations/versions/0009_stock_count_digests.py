"""Which counts each stock-count load wrote, so that the same counts are not loaded twice by
mistake (a night job finding yesterday's file, a folder loaded again for its catalogue).

`onestock load` keeps a digest of its stock counts (every counted shelf and its figures, in
key order) in its row of stock_count_loads. A fresh load of counts with the same digest, which
would set shelves that an earlier load counted back to those counts, undoing what sold since,
is refused unless asked for with --recount (services/inventory/load.py). Loads before this
revision have no digest and match nothing. The column is added without a default, so
PostgreSQL writes no existing row.

Revision ID: 0009
Revises: 0008
"""

from migrations.sql import execute_script

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(
        """
        ALTER TABLE stock_count_loads ADD COLUMN counts_digest text;
        CREATE INDEX stock_count_loads_by_counts ON stock_count_loads (counts_digest)
            WHERE counts_digest IS NOT NULL
        """
    )


def downgrade() -> None:
    execute_script(
        "DROP INDEX stock_count_loads_by_counts; "
        "ALTER TABLE stock_count_loads DROP COLUMN counts_digest"
    )
