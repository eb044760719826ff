"""Member codes (会员码): the one-use codes a member's app shows at the till
(services/members/member_codes.py).

Only a digest of each code is kept, so reading the table gives no code a till would
accept. A used code keeps the order it made, for the audit trail, until the member's
next code clears their expired ones. A rollback may drop the table: a code lives two
minutes, and older code cannot take one anyway.

Revision ID: 0012
Revises: 0011
"""

from migrations.sql import execute_script

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(
        """
        CREATE TABLE member_codes (
            code_digest bytea PRIMARY KEY,
            member_id   text NOT NULL REFERENCES members (member_id),
            issued_by   text NOT NULL,
            issue_time  timestamptz NOT NULL DEFAULT now(),
            expire_time timestamptz NOT NULL,
            order_id    text,
            use_time    timestamptz,
            CHECK ((order_id IS NULL) = (use_time IS NULL))
        );
        CREATE INDEX member_codes_by_member ON member_codes (member_id, expire_time)
        """
    )


def downgrade() -> None:
    execute_script("DROP TABLE member_codes")
