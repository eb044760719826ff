"""Sales credited to the stores that served them and to their dealers (业绩归属,
services/orders/sales_credit.py).

A fulfilment group records when it was handed over, and a return records whom it is
debited to: [location, dealer, sku, units, unit price] per store that had sold the units
(a split order may have sold one SKU from two stores). Both are read by SummarizeSales
through their own indexes.

Existing rows are filled in from what the database already holds: a group's hand-over time
is the first entry of its order's history that shows it handed over (its last update for
orders older than the history, 0005); a return's debits follow the same rule as new
returns, worked out in SQL: each SKU's units are numbered across the groups that handed
it over, in group order, and each return takes back the next ones, oldest return first.

Revision ID: 0017
Revises: 0016
"""

from migrations.sql import execute_script

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(
        """
        ALTER TABLE fulfilment_groups ADD COLUMN handover_time timestamptz;
        UPDATE fulfilment_groups g SET handover_time = COALESCE(
            (SELECT min(e.create_time) FROM order_events e
             WHERE e.order_id = g.order_id AND e.group_states ->> g.group_id = 'HANDED_OVER'),
            g.update_time)
        WHERE g.state = 'HANDED_OVER';
        CREATE INDEX fulfilment_groups_handover ON fulfilment_groups (handover_time)
            WHERE handover_time IS NOT NULL;

        ALTER TABLE order_returns ADD COLUMN debits jsonb NOT NULL DEFAULT '[]';
        WITH returned AS (
            SELECT r.return_id, r.order_id, l.n, l.line ->> 0 AS sku,
                   (l.line ->> 1)::bigint AS units, (l.line ->> 2)::bigint AS price,
                   COALESCE(sum((l.line ->> 1)::bigint) OVER (
                       PARTITION BY r.order_id, l.line ->> 0
                       ORDER BY r.create_time, r.return_id, l.n
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS first_unit
            FROM order_returns r,
                 jsonb_array_elements(r.lines) WITH ORDINALITY AS l(line, n)),
        sold AS (
            SELECT g.order_id, g.group_no, g.location_id, g.dealer_id, l.line ->> 0 AS sku,
                   (l.line ->> 1)::bigint AS units,
                   COALESCE(sum((l.line ->> 1)::bigint) OVER (
                       PARTITION BY g.order_id, l.line ->> 0 ORDER BY g.group_no
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS first_unit
            FROM fulfilment_groups g, jsonb_array_elements(g.lines) AS l(line)
            WHERE g.state = 'HANDED_OVER'),
        debited AS (
            SELECT r.return_id, r.n, s.group_no, s.location_id, s.dealer_id, r.sku, r.price,
                   LEAST(r.first_unit + r.units, s.first_unit + s.units)
                   - GREATEST(r.first_unit, s.first_unit) AS units
            FROM returned r JOIN sold s ON s.order_id = r.order_id AND s.sku = r.sku)
        UPDATE order_returns r SET debits = d.debits
        FROM (SELECT return_id, jsonb_agg(jsonb_build_array(location_id, dealer_id, sku, units,
                                                            price) ORDER BY n, group_no) AS debits
              FROM debited WHERE units > 0 GROUP BY return_id) d
        WHERE r.return_id = d.return_id;
        CREATE INDEX order_returns_time ON order_returns (create_time)
        """
    )


def downgrade() -> None:
    execute_script(
        """
        DROP INDEX order_returns_time;
        ALTER TABLE order_returns DROP COLUMN debits;
        DROP INDEX fulfilment_groups_handover;
        ALTER TABLE fulfilment_groups DROP COLUMN handover_time
        """
    )
