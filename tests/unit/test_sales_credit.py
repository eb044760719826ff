"""Whom a return is debited to, and the sums per store (services/orders/sales_credit.py)."""

from datetime import UTC, date, datetime

import pytest

from services.orders.sales_credit import CreditKey, Debit, Sold, StoreSales, debits, summarize
from services.orders.sales_report import period

# A split delivery: store A sold 1 sofa and a lamp, B 2 sofas; group numbers out of order
SOLD = [Sold(2, "B", "", [("SOFA", 2)]), Sold(1, "A", "D-A", [("SOFA", 1), ("LAMP", 1)])]


def test_a_return_takes_back_each_skus_next_units_in_group_order():
    assert debits(SOLD, {}, [("SOFA", 2, 500)]) == [
        Debit("A", "D-A", "SOFA", 1, 500), Debit("B", "", "SOFA", 1, 500)]
    assert debits(SOLD, {"SOFA": 2}, [("SOFA", 1, 500), ("LAMP", 1, 100)]) == [
        Debit("B", "", "SOFA", 1, 500), Debit("A", "D-A", "LAMP", 1, 100)]
    assert debits(SOLD, {"SOFA": 1}, [("SOFA", 2, 500)]) == [Debit("B", "", "SOFA", 2, 500)]


def test_every_unit_of_a_sku_is_debited_once_however_the_returns_are_cut():
    for cuts in ([3], [1, 1, 1], [1, 2], [2, 1]):
        before: dict[str, int] = {}
        by_store: dict[str, int] = {}
        for units in cuts:
            for debit in debits(SOLD, before, [("SOFA", units, 500)]):
                by_store[debit.location_id] = by_store.get(debit.location_id, 0) + debit.units
            before["SOFA"] = before.get("SOFA", 0) + units
        assert by_store == {"A": 1, "B": 2}, cuts


def test_the_summary_sums_sales_and_debits_per_store_dealer_and_currency():
    a, b = CreditKey("A", "D-A", "CNY"), CreditKey("B", "", "CNY")
    summary = summarize(
        [(a, 2, 3, 1_500), (b, 1, 1, 500)],
        [("CNY", [Debit("A", "D-A", "SOFA", 1, 500)]),
         ("CNY", [Debit("A", "D-A", "LAMP", 1, 100), Debit("C", "D-C", "LAMP", 2, 100)]),
         ("HKD", [Debit("B", "", "LAMP", 1, 90)])])
    assert summary == {
        a: StoreSales(2, 3, 1_500, 2, 600), b: StoreSales(1, 1, 500, 0, 0),
        CreditKey("C", "D-C", "CNY"): StoreSales(0, 0, 0, 2, 200),
        CreditKey("B", "", "HKD"): StoreSales(0, 0, 0, 1, 90)}
    assert summary[a].net_goods_minor == 900


def test_the_commands_days_run_between_local_midnights_for_at_most_366_days():
    assert period(date(2026, 11, 1), date(2026, 12, 1), "Asia/Shanghai") == (
        datetime(2026, 10, 31, 16, tzinfo=UTC), datetime(2026, 11, 30, 16, tzinfo=UTC))
    assert period(date(2027, 3, 1), date(2027, 4, 1), "Europe/Paris") == (  # summer time starts
        datetime(2027, 2, 28, 23, tzinfo=UTC), datetime(2027, 3, 31, 22, tzinfo=UTC))
    assert period(date(2028, 1, 1), date(2029, 1, 1), "UTC")[1] == datetime(2029, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="--to: must be at most 366 days after --from"):
        period(date(2026, 1, 1), date(2027, 1, 3), "UTC")
