"""Catalogue, stock levels, reservations, the stock movement ledger and request ids.

The CHECK constraints are the last line of defence behind the code: whatever a
bug does, reserved can never exceed on_hand nor go negative.

Revision ID: 0001
Revises:
"""

from migrations.sql import execute_script

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None



def upgrade() -> None:
    execute_script(
        """
        CREATE TABLE locations (
            location_id        text PRIMARY KEY,
            name               text NOT NULL,
            kind               text NOT NULL CHECK (kind IN ('STORE', 'WAREHOUSE')),
            latitude           double precision NOT NULL CHECK (latitude BETWEEN -90 AND 90),
            longitude          double precision NOT NULL CHECK (longitude BETWEEN -180 AND 180),
            city               text NOT NULL,
            can_pickup         boolean NOT NULL DEFAULT false,
            can_deliver        boolean NOT NULL DEFAULT false,
            can_transfer       boolean NOT NULL DEFAULT false,
            delivery_radius_km double precision NOT NULL DEFAULT 0
                               CHECK (delivery_radius_km >= 0),
            time_zone          text NOT NULL DEFAULT 'Asia/Shanghai',
            opening_hours      jsonb NOT NULL DEFAULT '[]',
            dealer_id          text NOT NULL DEFAULT '',
            update_time        timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX locations_city_kind ON locations (city, kind, location_id);
        CREATE INDEX locations_lat_lng ON locations (latitude, longitude);

        CREATE TABLE skus (
            sku_id       text PRIMARY KEY,
            name         text NOT NULL,
            spec         text NOT NULL DEFAULT '',
            price_minor  bigint NOT NULL CHECK (price_minor >= 0),
            currency     char(3) NOT NULL DEFAULT 'CNY',
            update_time  timestamptz NOT NULL DEFAULT now()
        );

        CREATE TABLE stock_levels (
            location_id  text NOT NULL REFERENCES locations,
            sku_id       text NOT NULL REFERENCES skus,
            on_hand      bigint NOT NULL DEFAULT 0,
            reserved     bigint NOT NULL DEFAULT 0,
            safety_stock bigint NOT NULL DEFAULT 0,
            update_time  timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (location_id, sku_id),
            CONSTRAINT reserved_not_negative CHECK (reserved >= 0),
            CONSTRAINT reserved_within_on_hand CHECK (reserved <= on_hand),
            CONSTRAINT safety_stock_not_negative CHECK (safety_stock >= 0)
        );
        CREATE INDEX stock_levels_sku ON stock_levels (sku_id);

        CREATE TABLE reservations (
            reservation_id text PRIMARY KEY,
            channel        text NOT NULL CHECK (channel IN ('MINI_PROGRAM', 'POS', 'OPS')),
            reference      text NOT NULL DEFAULT '',
            state          text NOT NULL
                           CHECK (state IN ('ACTIVE', 'COMMITTED', 'RELEASED', 'EXPIRED')),
            request_id     text NOT NULL DEFAULT '',
            create_time    timestamptz NOT NULL DEFAULT now(),
            expire_time    timestamptz NOT NULL,
            close_time     timestamptz,
            CHECK ((state = 'ACTIVE') = (close_time IS NULL))
        );
        CREATE INDEX reservations_active_expiry ON reservations (expire_time)
            WHERE state = 'ACTIVE';

        CREATE TABLE reservation_lines (
            reservation_id     text NOT NULL REFERENCES reservations,
            line_no            integer NOT NULL,
            location_id        text NOT NULL,
            sku_id             text NOT NULL,
            quantity           bigint NOT NULL CHECK (quantity > 0),
            committed_quantity bigint NOT NULL DEFAULT 0
                               CHECK (committed_quantity BETWEEN 0 AND quantity),
            PRIMARY KEY (reservation_id, line_no),
            UNIQUE (reservation_id, location_id, sku_id),
            FOREIGN KEY (location_id, sku_id) REFERENCES stock_levels
        );

        CREATE TABLE stock_movements (
            movement_id        bigserial PRIMARY KEY,
            location_id        text NOT NULL,
            sku_id             text NOT NULL,
            kind               text NOT NULL,
            reason             text,
            on_hand_delta      bigint NOT NULL DEFAULT 0,
            reserved_delta     bigint NOT NULL DEFAULT 0,
            safety_stock_delta bigint NOT NULL DEFAULT 0,
            on_hand_after      bigint NOT NULL,
            reserved_after     bigint NOT NULL,
            reservation_id     text,
            request_id         text,
            note               text NOT NULL DEFAULT '',
            create_time        timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX stock_movements_stock ON stock_movements (location_id, sku_id, movement_id);
        CREATE INDEX stock_movements_reservation ON stock_movements (reservation_id)
            WHERE reservation_id IS NOT NULL;

        CREATE TABLE idempotency_keys (
            method       text NOT NULL,
            request_id   text NOT NULL,
            request_hash bytea NOT NULL,
            response     bytea,
            create_time  timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (method, request_id)
        );
        CREATE INDEX idempotency_keys_age ON idempotency_keys (create_time);
        """
    )


def downgrade() -> None:
    execute_script(
        """
        DROP TABLE idempotency_keys, stock_movements, reservation_lines, reservations,
                   stock_levels, skus, locations;
        """
    )
