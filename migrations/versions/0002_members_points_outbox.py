"""Members, the append-only points ledger, and the CRM outbox.

Unique partial indexes make "one award per order" and "one reversal per
return line" facts of the database, not only of the code: a retried or raced
completion cannot insert a second award.

Revision ID: 0002
Revises: 0001
"""

from migrations.sql import execute_script

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None



def upgrade() -> None:
    execute_script(
        """
        CREATE TABLE members (
            member_id   text PRIMARY KEY,
            points      bigint NOT NULL DEFAULT 0,
            growth      bigint NOT NULL DEFAULT 0 CHECK (growth >= 0),
            tier        text NOT NULL DEFAULT 'STANDARD'
                        CHECK (tier IN ('STANDARD', 'SILVER', 'GOLD', 'DIAMOND')),
            create_time timestamptz NOT NULL DEFAULT now(),
            update_time timestamptz NOT NULL DEFAULT now()
        );

        CREATE TABLE points_ledger (
            entry_id     bigserial PRIMARY KEY,
            member_id    text NOT NULL REFERENCES members,
            kind         text NOT NULL CHECK (kind IN ('AWARD', 'REVERSAL', 'TIER_CHANGE')),
            order_id     text NOT NULL,
            return_line  text,
            points_delta bigint NOT NULL DEFAULT 0,
            growth_delta bigint NOT NULL DEFAULT 0,
            points_after bigint NOT NULL,
            growth_after bigint NOT NULL,
            tier_before  text NOT NULL,
            tier_after   text NOT NULL,
            amount_minor bigint NOT NULL DEFAULT 0,
            actor        text NOT NULL DEFAULT '',
            create_time  timestamptz NOT NULL DEFAULT now(),
            CHECK ((kind = 'REVERSAL') = (return_line IS NOT NULL))
        );
        CREATE UNIQUE INDEX points_one_award_per_order ON points_ledger (order_id)
            WHERE kind = 'AWARD';
        CREATE UNIQUE INDEX points_one_reversal_per_return_line ON points_ledger (return_line)
            WHERE kind = 'REVERSAL';
        CREATE INDEX points_ledger_member ON points_ledger (member_id, entry_id);

        CREATE TABLE outbox (
            seq               bigserial PRIMARY KEY,
            event_id          text NOT NULL UNIQUE,
            member_id         text NOT NULL,
            kind              text NOT NULL,
            payload           bytea NOT NULL,
            create_time       timestamptz NOT NULL DEFAULT now(),
            attempts          integer NOT NULL DEFAULT 0,
            next_attempt_time timestamptz NOT NULL DEFAULT now(),
            last_error        text,
            delivered_time    timestamptz
        );
        CREATE INDEX outbox_pending ON outbox (member_id, seq) WHERE delivered_time IS NULL
        """
    )


def downgrade() -> None:
    execute_script("DROP TABLE outbox, points_ledger, members")
