"""The schema's migrations, one revision at a time: each downgrade gives back the schema its
upgrade found, so a release can be rolled back revision by revision."""

import asyncio

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text

from services.common import migrate
from services.common.migrate import alembic_config
from services.orders.sales_credit import Sold, debits
from tests.helpers import engine_of, own_database_env
from tests.test_cli_and_server import onestock

# Every table's columns, indexes and constraints, functions and triggers, but alembic's own
# table, which stays once made.
SCHEMA = """
SELECT 'column', table_name || '.' || column_name || ' ' || data_type || ' '
       || is_nullable || ' ' || coalesce(column_default, '')
FROM information_schema.columns
WHERE table_schema = 'public' AND table_name <> 'alembic_version'
UNION ALL
SELECT 'index', indexdef FROM pg_indexes
WHERE schemaname = 'public' AND tablename <> 'alembic_version'
UNION ALL
SELECT 'constraint', conrelid::regclass::text || ' ' || pg_get_constraintdef(oid)
FROM pg_constraint
WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> 'alembic_version'
UNION ALL
SELECT 'function', proname || '(' || pg_get_function_arguments(oid) || ')' FROM pg_proc
WHERE pronamespace = 'public'::regnamespace
UNION ALL
SELECT 'trigger', tgrelid::regclass::text || ' ' || tgname FROM pg_trigger WHERE NOT tgisinternal
ORDER BY 1, 2
"""


async def schema_of(env: dict[str, str]) -> list[tuple]:
    async with engine_of(env) as engine, engine.connect() as conn:
        return [tuple(row) for row in await conn.execute(text(SCHEMA))]


async def test_every_migration_downgrades_to_the_schema_it_upgraded_from(database_url):
    env = await asyncio.to_thread(own_database_env, database_url)
    config = alembic_config(env["DATABASE_URL"])
    revisions = migrate.revisions(env["DATABASE_URL"])
    schemas = {"base": await schema_of(env)}
    assert schemas["base"] == []
    for revision in revisions:
        await asyncio.to_thread(command.upgrade, config, revision)
        schemas[revision] = await schema_of(env)
        assert schemas[revision] != schemas[list(schemas)[-2]], f"{revision} changed nothing"
    below = ["base", *revisions[:-1]]
    for revision, before in reversed(list(zip(revisions, below, strict=True))):
        await asyncio.to_thread(command.downgrade, config, before)
        assert await schema_of(env) == schemas[before], f"downgrading {revision}"
    await asyncio.to_thread(command.upgrade, config, "head")
    assert await schema_of(env) == schemas[revisions[-1]]


async def test_migrate_to_an_older_revision_rolls_back_and_the_commands_then_ask_for_migrate(
        database_url):
    env = await asyncio.to_thread(own_database_env, database_url)
    config = alembic_config(env["DATABASE_URL"])
    head = ScriptDirectory.from_config(config).get_revision("head")
    said = await asyncio.to_thread(onestock, env, "migrate")
    assert (said.returncode, said.stdout) == (0, "database schema is up to date\n")
    said = await asyncio.to_thread(onestock, env, "migrate", "--to", head.down_revision)
    assert (said.returncode, said.stdout) == (0, (
        f"database schema is rolled back from revision {head.revision} to "
        f"{head.down_revision}\n"))
    refused = await asyncio.to_thread(onestock, env, "keys", "list")
    assert refused.returncode == 2
    assert (f"the database schema is at revision {head.down_revision}, this OneStock needs "
            f"{head.revision}: run `onestock migrate`") in refused.stderr
    unknown = await asyncio.to_thread(onestock, env, "migrate", "--to", "9999")
    assert unknown.returncode == 2
    assert "onestock migrate: --to: no revision '9999' (revisions: 0001, 0002," in unknown.stderr
    said = await asyncio.to_thread(onestock, env, "migrate")
    assert (said.returncode, said.stdout) == (0, "database schema is up to date\n")
    assert (await asyncio.to_thread(onestock, env, "keys", "list")).returncode == 0


async def test_a_database_migrated_by_a_newer_onestock_is_neither_migrated_nor_used(
        database_url):
    env = await asyncio.to_thread(own_database_env, database_url)
    assert (await asyncio.to_thread(onestock, env, "migrate")).returncode == 0
    head = ScriptDirectory.from_config(alembic_config(env["DATABASE_URL"])).get_current_head()
    async with engine_of(env) as engine, engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    for command_line in (("migrate",), ("migrate", "--to", head), ("keys", "list")):
        refused = await asyncio.to_thread(onestock, env, *command_line)
        assert refused.returncode == 2, command_line
        assert refused.stderr.endswith(
            f"onestock: the database schema is at revision 0999, which this OneStock does not "
            f"know (it needs {head}): is the code older than the database? A newer OneStock's "
            f"`onestock migrate --to {head}` rolls it back to this one\n"), refused.stderr


async def migrated_holding(database_url, *statements, to: str | None = None):
    """An own database migrated to revision ``to`` (head if None), holding what
    ``statements`` insert."""
    env = await asyncio.to_thread(own_database_env, database_url)
    to_revision = () if to is None else ("--to", to)
    assert (await asyncio.to_thread(onestock, env, "migrate", *to_revision)).returncode == 0
    async with engine_of(env) as engine, engine.begin() as conn:
        for statement in statements:
            await conn.execute(text(statement))
    return env


async def upgraded_from(revision: str, database_url, statements: list[str], *queries: str
                        ) -> list[dict]:
    """What each two-column query reads, as a dict, from an own database that held what
    ``statements`` insert at ``revision`` and was then migrated to head."""
    env = await migrated_holding(database_url, *statements, to=revision)
    assert (await asyncio.to_thread(onestock, env, "migrate")).returncode == 0
    async with engine_of(env) as engine, engine.connect() as conn:
        return [dict((await conn.execute(text(query))).all()) for query in queries]


async def assert_rollback_refused(env, to_revision: str, refusal: str) -> None:
    """`migrate --to` exits 2 with ``refusal`` and leaves the schema exactly as it was."""
    before = await schema_of(env)
    refused = await asyncio.to_thread(onestock, env, "migrate", "--to", to_revision)
    assert refused.returncode == 2
    assert refused.stderr.endswith(f"onestock migrate: {refusal}\n")
    assert await schema_of(env) == before


async def assert_rollback_refused_until(env, to_revision: str, refusal: str,
                                        undo: str) -> None:
    """Refused while the data the rollback would lose is there; done once ``undo`` (SQL)
    has removed it."""
    await assert_rollback_refused(env, to_revision, refusal)
    async with engine_of(env) as engine, engine.begin() as conn:
        await conn.execute(text(undo))
    assert (await asyncio.to_thread(onestock, env, "migrate", "--to", to_revision)).returncode == 0


async def test_a_rollback_below_points_spent_at_checkout_is_refused_and_changes_nothing(
        database_url):
    env = await migrated_holding(
        database_url, "INSERT INTO members (member_id, points) VALUES ('M-1', 0)",
        "INSERT INTO points_ledger (member_id, kind, order_id, points_delta, points_after, "
        "growth_after, tier_before, tier_after) "
        "VALUES ('M-1', 'REDEMPTION', 'o1', -100, 0, 0, 'STANDARD', 'STANDARD')")
    await assert_rollback_refused(
        env, "0008", "members have spent points at checkout (1 points ledger entries): "
        "rolling back below revision 0010 would lose them, so the schema stays where it is")
    assert (await asyncio.to_thread(onestock, env, "keys", "list")).returncode == 0  # still head


async def test_a_rollback_below_closed_periods_is_refused_while_a_store_has_one(database_url):
    env = await migrated_holding(
        database_url,
        "INSERT INTO locations (location_id, name, kind, latitude, longitude, city, closures) "
        "VALUES ('SH-1', 'SH-1', 'STORE', 31.2, 121.4, 'Shanghai', "
        "'[{\"start\": \"2027-02-05T16:00:00+00:00\", \"end\": \"2027-02-12T02:00:00+00:00\","
        " \"reason\": \"\"}]')")
    await assert_rollback_refused_until(
        env, "0010", "1 locations have closed periods: rolling back below revision 0011 "
        "would lose them, and route orders to closed stores, so the schema stays where it is",
        "UPDATE locations SET closures = '[]'")


async def test_paid_orders_open_at_0013_are_settled_by_their_holds_which_run_a_day_longer(
        database_url):
    """A paid order from before 0013 takes its earliest active hold as its fulfil-by time,
    and its active holds a day more; unpaid orders and others' holds are left as they were."""
    env = await asyncio.to_thread(own_database_env, database_url)
    assert (await asyncio.to_thread(onestock, env, "migrate", "--to", "0012")).returncode == 0
    due = "2027-01-08 10:00:00+00"
    async with engine_of(env) as engine, engine.begin() as conn:
        for order_id, state in (("paid", "PAID"), ("unpaid", "PENDING_PAYMENT")):
            await conn.execute(text(
                "INSERT INTO orders (order_id, request_id, channel, state, goods_minor, "
                "total_minor) VALUES (:o, :o, 'MINI_PROGRAM', :s, 100, 100)"),
                {"o": order_id, "s": state})
        for reservation_id, reference, state, expires in (
                ("r1", "paid", "ACTIVE", due), ("r2", "paid", "ACTIVE", "2027-01-09 10:00:00+00"),
                ("r3", "paid", "COMMITTED", "2027-01-01 10:00:00+00"),
                ("r4", "unpaid", "ACTIVE", due), ("r5", "till", "ACTIVE", due)):
            await conn.execute(text(
                "INSERT INTO reservations (reservation_id, channel, reference, state, "
                "expire_time, close_time) VALUES (:r, 'MINI_PROGRAM', :ref, :s, "
                "CAST(CAST(:e AS text) AS timestamptz), CASE WHEN :s = 'ACTIVE' THEN NULL ELSE now() END)"),
                {"r": reservation_id, "ref": reference, "s": state, "e": expires})
    assert (await asyncio.to_thread(onestock, env, "migrate")).returncode == 0
    async with engine_of(env) as engine, engine.connect() as conn:
        deadlines = dict((await conn.execute(text(
            "SELECT order_id, fulfil_by::text FROM orders"))).all())
        holds = dict((await conn.execute(text(
            "SELECT reservation_id, expire_time::text FROM reservations"))).all())
    assert deadlines == {"paid": "2027-01-08 10:00:00+00", "unpaid": None}
    assert holds == {"r1": "2027-01-09 10:00:00+00", "r2": "2027-01-10 10:00:00+00",
                     "r3": "2027-01-01 10:00:00+00", "r4": due, "r5": due}


async def test_a_rollback_below_sale_statuses_is_refused_while_a_sku_is_off_sale(database_url):
    env = await migrated_holding(
        database_url, "INSERT INTO skus (sku_id, name, price_minor, sale_status) "
        "VALUES ('LAMP', 'Lamp', 100, 'HALTED'), ('VASE', 'Vase', 100, 'ON_SALE')")
    await assert_rollback_refused_until(
        env, "0013", "1 SKUs are off sale: rolling back below revision 0014 would put them on "
        "sale again, so the schema stays where it is", "UPDATE skus SET sale_status = 'ON_SALE'")


async def test_a_rollback_below_group_cancellations_is_refused_while_a_group_was_cancelled_alone(
        database_url):
    env = await migrated_holding(
        database_url,
        "INSERT INTO locations (location_id, name, kind, latitude, longitude, city) "
        "VALUES ('SH-1', 'SH-1', 'STORE', 31.2, 121.4, 'Shanghai')",
        "INSERT INTO orders (order_id, request_id, channel, state, goods_minor, total_minor) "
        "VALUES ('o1', 'o1', 'MINI_PROGRAM', 'COMPLETED', 200, 200)",
        "INSERT INTO fulfilment_groups (group_id, order_id, group_no, kind, state, location_id, "
        "lines, cancel_reason, refund_minor) VALUES "
        "('g1', 'o1', 0, 'DELIVERY', 'HANDED_OVER', 'SH-1', '[]', '', 0), "
        "('g2', 'o1', 1, 'DELIVERY', 'CANCELLED', 'SH-1', '[]', 'OUT_OF_STOCK', 100)")
    await assert_rollback_refused_until(
        env, "0014", "1 fulfilment groups were cancelled on their own: rolling back below "
        "revision 0015 would award points on their goods and take them back as returns, so "
        "the schema stays where it is", "DELETE FROM fulfilment_groups WHERE group_id = 'g2'")


async def test_a_rollback_below_stock_transfers_is_refused_while_one_is_in_transit(database_url):
    env = await migrated_holding(
        database_url,
        "INSERT INTO locations (location_id, name, kind, latitude, longitude, city) VALUES "
        "('A', 'A', 'STORE', 31.2, 121.4, 'Shanghai'), ('B', 'B', 'STORE', 31.3, 121.4, "
        "'Shanghai')",
        "INSERT INTO stock_transfers (transfer_id, source_location_id, destination_location_id, "
        "lines, state, reservation_id, hold_expire_time) VALUES "
        "('t1', 'A', 'B', '[]', 'IN_TRANSIT', 'r1', now()), "
        "('t2', 'A', 'B', '[]', 'RECEIVED', 'r2', now())")
    await assert_rollback_refused_until(
        env, "0015", "1 stock transfers are in transit: rolling back below revision 0016 would "
        "leave their units on no shelf, so the schema stays where it is",
        "UPDATE stock_transfers SET state = 'RECEIVED'")


async def test_groups_and_returns_from_before_0017_get_hand_over_times_and_debits_by_the_rule(
        database_url):
    """A group's hand-over time comes from its order's history (its last update when the
    history has none); each old return is debited as ReturnOrderLines now debits one."""
    statements = [
        "INSERT INTO locations (location_id, name, kind, latitude, longitude, city) VALUES "
        "('A', 'A', 'STORE', 31.2, 121.4, 'Shanghai'), ('B', 'B', 'STORE', 31.3, 121.4, "
        "'Shanghai')",
        "INSERT INTO skus (sku_id, name, price_minor) VALUES ('SOFA', 'Sofa', 500), "
        "('LAMP', 'Lamp', 100)",
        "INSERT INTO orders (order_id, request_id, channel, state, goods_minor, total_minor) "
        "VALUES ('o1', 'o1', 'MINI_PROGRAM', 'COMPLETED', 1600, 1600), "
        "('o2', 'o2', 'POS', 'COMPLETED', 100, 100)",
        "INSERT INTO order_lines (order_id, line_no, sku_id, quantity, unit_price_minor, "
        "returned_quantity) VALUES ('o1', 0, 'SOFA', 3, 500, 3), ('o1', 1, 'LAMP', 1, 100, 1), "
        "('o2', 0, 'LAMP', 1, 100, 0)",
        "INSERT INTO fulfilment_groups (group_id, order_id, group_no, kind, state, location_id, "
        "dealer_id, lines, update_time) VALUES "
        "('o1-2', 'o1', 2, 'DELIVERY', 'HANDED_OVER', 'B', '', '[[\"SOFA\", 2]]', "
        "'2026-11-20 12:00+00'), "
        "('o1-1', 'o1', 1, 'DELIVERY', 'HANDED_OVER', 'A', 'D-A', "
        "'[[\"SOFA\", 1], [\"LAMP\", 1]]', '2026-11-20 12:00+00'), "
        "('o1-0', 'o1', 0, 'DELIVERY', 'CANCELLED', 'A', 'D-A', '[[\"SOFA\", 1]]', "
        "'2026-11-20 12:00+00'), "
        "('o2-1', 'o2', 1, 'IN_STORE', 'HANDED_OVER', 'B', '', '[[\"LAMP\", 1]]', "
        "'2026-11-19 09:00+00')",
        "INSERT INTO order_events (order_id, action, actor, state, group_states, create_time) "
        "VALUES ('o1', 'CONFIRM_DELIVERY', 'k', 'PAID', "
        "'{\"o1-1\": \"HANDED_OVER\", \"o1-2\": \"OUT_FOR_DELIVERY\"}', '2026-11-20 10:00+00'), "
        "('o1', 'CONFIRM_DELIVERY', 'k', 'COMPLETED', "
        "'{\"o1-1\": \"HANDED_OVER\", \"o1-2\": \"HANDED_OVER\"}', '2026-11-20 11:00+00')",
        "INSERT INTO order_returns (return_id, order_id, location_id, lines, refund_minor, "
        "create_time) VALUES "
        "('r2', 'o1', 'B', '[[\"SOFA\", 1, 500], [\"LAMP\", 1, 100]]', 600, "
        "'2026-11-22 10:00+00'), "
        "('r1', 'o1', 'A', '[[\"SOFA\", 2, 500]]', 1000, '2026-11-21 10:00+00')"]
    handed_over, debited = await upgraded_from(
        "0016", database_url, statements,
        "SELECT group_id, handover_time::text FROM fulfilment_groups",
        "SELECT return_id, debits FROM order_returns")
    assert handed_over == {"o1-1": "2026-11-20 10:00:00+00", "o1-2": "2026-11-20 11:00:00+00",
                           "o1-0": None, "o2-1": "2026-11-19 09:00:00+00"}
    sold = [Sold(2, "B", "", [("SOFA", 2)]), Sold(1, "A", "D-A", [("SOFA", 1), ("LAMP", 1)])]
    assert debited == {
        "r1": [d.as_row() for d in debits(sold, {}, [("SOFA", 2, 500)])],
        "r2": [d.as_row() for d in debits(sold, {"SOFA": 2}, [("SOFA", 1, 500),
                                                               ("LAMP", 1, 100)])]}
    assert debited["r1"] == [["A", "D-A", "SOFA", 1, 500], ["B", "", "SOFA", 1, 500]]


async def test_returns_from_before_0018_are_numbered_per_order_oldest_first(database_url):
    statements = [
        "INSERT INTO locations (location_id, name, kind, latitude, longitude, city) VALUES "
        "('A', 'A', 'STORE', 31.2, 121.4, 'Shanghai')",
        "INSERT INTO skus (sku_id, name, price_minor) VALUES ('LAMP', 'Lamp', 100)",
        "INSERT INTO orders (order_id, request_id, channel, state, goods_minor, total_minor) "
        "VALUES ('o1', 'o1', 'POS', 'COMPLETED', 300, 300), "
        "('o2', 'o2', 'POS', 'COMPLETED', 100, 100)",
        "INSERT INTO order_returns (return_id, order_id, location_id, lines, refund_minor, "
        "create_time) VALUES "
        "('r-late', 'o1', 'A', '[]', 0, '2026-11-22 10:00+00'), "
        "('r-b', 'o1', 'A', '[]', 0, '2026-11-21 10:00+00'), "
        "('r-a', 'o1', 'A', '[]', 0, '2026-11-21 10:00+00'), "
        "('r-other', 'o2', 'A', '[]', 0, '2026-11-23 10:00+00')"]
    [numbered] = await upgraded_from("0017", database_url, statements,
                                     "SELECT return_id, return_no FROM order_returns")
    assert numbered == {"r-a": 1, "r-b": 2, "r-late": 3, "r-other": 1}
