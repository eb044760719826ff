"""Sales credited to the stores that served them and to their dealers (业绩归属).

Pure (no I/O). A franchise chain settles with each dealer for what the dealer's stores sold
(DOMAIN.md: the sale is credited to the store that fulfils it), and head office ranks its own
stores the same way. So:

- a fulfilment group handed over credits its serving store, and the dealer recorded on the
  group at checkout (a store that changes dealer keeps its past sales with the old one), with
  its goods at the order's prices, when it is handed over;
- a return debits the store that sold the units, not the one that took them back (a customer
  may bring goods bought for delivery from store A back to store B), when it comes back. When
  two stores of a split order sold the same SKU, its units are numbered across the groups in
  group order and each return takes back the next ones: the rule is fixed when the return is
  recorded (``debits``), so a period already settled never changes.

Courier fees are the courier's and points are the chain's: neither is in the figures.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

MAX_SALES_PERIOD = timedelta(days=366)  # a year's settlement at most, leap or not


@dataclass(frozen=True, order=True)
class CreditKey:
    """Whom a sale is credited to: one row of the summary."""

    location_id: str
    dealer_id: str
    currency: str


@dataclass(frozen=True)
class Sold:
    """What one handed-over group of an order sold: its store, dealer and lines."""

    group_no: int
    location_id: str
    dealer_id: str
    lines: Sequence[tuple[str, int]]  # (sku, units)


@dataclass(frozen=True)
class Debit:
    """Part of a return taken off a store's credit."""

    location_id: str
    dealer_id: str
    sku_id: str
    units: int
    unit_price_minor: int

    def as_row(self) -> list:
        """As the order_returns.debits column keeps it."""
        return [self.location_id, self.dealer_id, self.sku_id, self.units, self.unit_price_minor]


def debits(sold: Iterable[Sold], returned_before: Mapping[str, int],
           lines: Iterable[tuple[str, int, int]]) -> list[Debit]:
    """Whom a return of ``lines`` (sku, units, unit price) is debited to, given the units of
    each SKU that earlier returns took back. Each SKU's units are numbered across the groups
    that sold it, in group order; this return takes back the next ones. ReturnOrderLines
    takes back at most what was handed over, so every unit finds its store."""
    groups = sorted(sold, key=lambda s: s.group_no)
    taken = dict(returned_before)
    out = []
    for sku, units, price in lines:
        first = taken.get(sku, 0)
        taken[sku] = first + units
        group_first = 0
        for group in groups:
            held = sum(n for s, n in group.lines if s == sku)
            overlap = min(first + units, group_first + held) - max(first, group_first)
            if overlap > 0:
                out.append(Debit(group.location_id, group.dealer_id, sku, overlap, price))
            group_first += held
    return out


@dataclass
class StoreSales:
    """One store's (and dealer's) sales over a period."""

    groups_handed_over: int = 0
    units_sold: int = 0
    goods_sold_minor: int = 0
    units_returned: int = 0
    goods_returned_minor: int = 0

    @property
    def net_goods_minor(self) -> int:
        return self.goods_sold_minor - self.goods_returned_minor


def summarize(sales: Iterable[tuple[CreditKey, int, int, int]],
              returns: Iterable[tuple[str, Iterable[Debit]]]) -> dict[CreditKey, StoreSales]:
    """Per store, dealer and currency: ``sales`` are (key, groups, units, goods) as the
    database sums them, ``returns`` (currency, debits) for each return in the period."""
    out: dict[CreditKey, StoreSales] = {}
    for key, groups, units, goods in sales:
        row = out.setdefault(key, StoreSales())
        row.groups_handed_over += groups
        row.units_sold += units
        row.goods_sold_minor += goods
    for currency, debited in returns:
        for debit in debited:
            row = out.setdefault(CreditKey(debit.location_id, debit.dealer_id, currency),
                                 StoreSales())
            row.units_returned += debit.units
            row.goods_returned_minor += debit.units * debit.unit_price_minor
    return out
