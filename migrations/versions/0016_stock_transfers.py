"""Stock transfers between locations outside any order (调拨单): head office rebalancing
shelves, a warehouse restocking a store (services/inventory/transfers.py).

A transfer's lines are kept as JSON, [sku, quantity, received], beside its hold at the
source (a reservation, while REQUESTED); the expiry sweep finds transfers whose hold lapsed
through their own index. A downgrade is refused while a transfer is in
transit: its units have left the source and the older code could never receive them.

Revision ID: 0016
Revises: 0015
"""

from migrations.sql import RollbackGuard, execute_script

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

ROLLBACK_GUARD = RollbackGuard(
    "SELECT count(*) FROM stock_transfers WHERE state = 'IN_TRANSIT'",
    "{count} stock transfers are in transit: rolling back below revision 0016 would leave "
    "their units on no shelf, so the schema stays where it is")


def upgrade() -> None:
    execute_script(
        """
        CREATE TABLE stock_transfers (
            transfer_id             text PRIMARY KEY,
            source_location_id      text NOT NULL REFERENCES locations (location_id),
            destination_location_id text NOT NULL REFERENCES locations (location_id),
            lines                   jsonb NOT NULL,
            state                   text NOT NULL CHECK (state IN
                                        ('REQUESTED', 'IN_TRANSIT', 'RECEIVED', 'CANCELLED')),
            note                    text NOT NULL DEFAULT '',
            reservation_id          text NOT NULL,
            hold_expire_time        timestamptz NOT NULL,
            created_by              text NOT NULL DEFAULT '',
            create_time             timestamptz NOT NULL DEFAULT now(),
            ship_time               timestamptz,
            receive_time            timestamptz,
            cancel_time             timestamptz,
            cancel_reason           text NOT NULL DEFAULT '',
            CHECK (source_location_id <> destination_location_id)
        );
        CREATE INDEX stock_transfers_from ON stock_transfers (source_location_id, create_time);
        CREATE INDEX stock_transfers_to ON stock_transfers (destination_location_id, create_time);
        CREATE INDEX stock_transfers_requested ON stock_transfers (hold_expire_time)
            WHERE state = 'REQUESTED'
        """
    )


def downgrade() -> None:
    ROLLBACK_GUARD.check_here()
    execute_script("DROP TABLE stock_transfers")
