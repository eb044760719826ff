"""How far each stock-count load has written, so a load stopped partway resumes.

`onestock load` writes a chain's counted shelves a part at a time, in key order
(services/inventory/load.py); with each part, in the same transaction, it records the last
shelf of the part here. `onestock load --resume REQUEST_ID` reads that one row and counts
only the shelves after it. One row per load, written once per few thousand shelves: the
ledger, which every sale appends to, carries no extra index for it.

Revision ID: 0008
Revises: 0007
"""

from migrations.sql import execute_script

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(
        """
        CREATE TABLE stock_count_loads (
            request_id        text PRIMARY KEY,
            last_location_id  text NOT NULL,
            last_sku_id       text NOT NULL,
            shelves           bigint NOT NULL,
            actor             text NOT NULL,
            update_time       timestamptz NOT NULL DEFAULT now()
        );
        """
    )


def downgrade() -> None:
    execute_script("DROP TABLE stock_count_loads;")
