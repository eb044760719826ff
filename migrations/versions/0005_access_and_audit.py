"""Access and audit: API keys, who did each change, order history, member holds.

Revision ID: 0005
Revises: 0004
"""

from migrations.sql import execute_script

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(
        """
        CREATE TABLE api_keys (
            key_id       text PRIMARY KEY,
            secret_hash  bytea NOT NULL,
            kind         text NOT NULL
                         CHECK (kind IN ('MALL', 'POS', 'STORE_STAFF', 'OPS', 'CRM')),
            location_id  text REFERENCES locations,
            name         text NOT NULL DEFAULT '',
            create_time  timestamptz NOT NULL DEFAULT now(),
            expire_time  timestamptz,
            revoke_time  timestamptz,
            CHECK ((kind IN ('POS', 'STORE_STAFF')) = (location_id IS NOT NULL))
        );

        ALTER TABLE stock_movements ADD COLUMN actor text NOT NULL DEFAULT '';
        ALTER TABLE reservations ADD COLUMN actor text NOT NULL DEFAULT '',
            ADD COLUMN member_id text;
        CREATE INDEX reservations_member_active ON reservations (member_id)
            WHERE state = 'ACTIVE' AND member_id IS NOT NULL;
        ALTER TABLE orders ADD COLUMN created_by text NOT NULL DEFAULT '';
        ALTER TABLE order_returns ADD COLUMN actor text NOT NULL DEFAULT '';

        CREATE TABLE order_events (
            event_id     bigserial PRIMARY KEY,
            order_id     text NOT NULL REFERENCES orders,
            action       text NOT NULL,
            actor        text NOT NULL,
            state        text NOT NULL,
            group_states jsonb NOT NULL DEFAULT '{}',
            create_time  timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX order_events_order ON order_events (order_id, event_id)
        """
    )


def downgrade() -> None:
    execute_script(
        """
        DROP TABLE order_events, api_keys;
        ALTER TABLE order_returns DROP COLUMN actor;
        ALTER TABLE orders DROP COLUMN created_by;
        DROP INDEX reservations_member_active;
        ALTER TABLE reservations DROP COLUMN actor, DROP COLUMN member_id;
        ALTER TABLE stock_movements DROP COLUMN actor
        """
    )
