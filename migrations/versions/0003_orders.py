"""Orders, their lines and fulfilment groups.

A group holds its stock in reservations: one at the serving store for the
units it already has, one per transfer source; units received by a transfer
are held by a new reservation at the serving store. Hand-over commits the
group's reservations at the serving store; cancelling releases what is held.

Revision ID: 0003
Revises: 0002
"""

from migrations.sql import execute_script

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None



def upgrade() -> None:
    execute_script(
        """
        CREATE TABLE orders (
            order_id       text PRIMARY KEY,
            request_id     text NOT NULL,
            channel        text NOT NULL CHECK (channel IN ('MINI_PROGRAM', 'POS')),
            member_id      text,
            state          text NOT NULL CHECK (state IN ('PENDING_PAYMENT', 'PAID', 'COMPLETED',
                                                         'CANCELLED')),
            goods_minor    bigint NOT NULL CHECK (goods_minor >= 0),
            total_minor    bigint NOT NULL CHECK (total_minor >= goods_minor),
            currency       char(3) NOT NULL DEFAULT 'CNY',
            create_time    timestamptz NOT NULL DEFAULT now(),
            expire_time    timestamptz,
            pay_time       timestamptz,
            complete_time  timestamptz,
            cancel_time    timestamptz,
            cancel_reason  text NOT NULL DEFAULT '',
            points_awarded bigint NOT NULL DEFAULT 0
        );
        CREATE INDEX orders_unpaid_expiry ON orders (expire_time) WHERE state = 'PENDING_PAYMENT';
        CREATE INDEX orders_member ON orders (member_id, create_time) WHERE member_id IS NOT NULL;

        CREATE TABLE order_lines (
            order_id          text NOT NULL REFERENCES orders,
            line_no           integer NOT NULL,
            sku_id            text NOT NULL REFERENCES skus,
            quantity          bigint NOT NULL CHECK (quantity > 0),
            unit_price_minor  bigint NOT NULL CHECK (unit_price_minor >= 0),
            PRIMARY KEY (order_id, line_no),
            UNIQUE (order_id, sku_id)
        );

        CREATE TABLE fulfilment_groups (
            group_id           text PRIMARY KEY,
            order_id           text NOT NULL REFERENCES orders,
            group_no           integer NOT NULL,
            kind               text NOT NULL CHECK (kind IN ('PICKUP', 'DELIVERY', 'IN_STORE')),
            state              text NOT NULL,
            location_id        text NOT NULL REFERENCES locations,
            dealer_id          text NOT NULL DEFAULT '',
            lines              jsonb NOT NULL,
            transfers          jsonb NOT NULL DEFAULT '[]',
            held_reservations  text[] NOT NULL DEFAULT '{}',
            delivery_fee_minor bigint NOT NULL DEFAULT 0,
            planned_ready_time timestamptz,
            pickup_code        text NOT NULL DEFAULT '',
            courier_reference  text NOT NULL DEFAULT '',
            update_time        timestamptz NOT NULL DEFAULT now(),
            UNIQUE (order_id, group_no)
        );
        CREATE INDEX fulfilment_groups_location ON fulfilment_groups (location_id, state)
        """
    )


def downgrade() -> None:
    execute_script("DROP TABLE fulfilment_groups, order_lines, orders")
