"""The synthetic order stream has the shape of the chains' reports (DOMAIN.md)."""

from collections import Counter
from datetime import timedelta

import numpy as np
import pytest

from services.inventory.catalogue import LocationKind
from services.simulation import synthetic
from services.simulation.scenario import SyntheticOrdersSpec


@pytest.fixture(scope="module")
def stream():
    locations = synthetic.chain_locations(300, seed=1)
    skus = list(synthetic.catalogue(2_000, seed=1))
    return locations, list(synthetic.order_stream(locations, skus, SyntheticOrdersSpec(
        orders=30_000, days=2, seed=4)))


def local_hours(orders) -> Counter:
    return Counter((o.placed_at + timedelta(hours=8)).hour for o in orders)


def test_orders_peak_at_lunch_afternoon_and_evening_with_a_quarter_while_stores_are_closed(
        stream):
    _, orders = stream
    by_hour = local_hours(orders)
    closed = sum(n for hour, n in by_hour.items() if hour >= 22 or hour < 10)

    assert 0.23 < closed / len(orders) < 0.27
    assert max(by_hour, key=by_hour.get) == 21
    assert by_hour[11] > max(by_hour[10], by_hour[12])
    assert by_hour[15] > max(by_hour[14], by_hour[16])
    assert by_hour[20] > by_hour[19]


def test_orders_come_in_time_order_from_members_living_near_the_stores(stream):
    locations, orders = stream
    assert all(a.placed_at <= b.placed_at for a, b in zip(orders, orders[1:], strict=False))
    cities = {loc.city for loc in locations if loc.kind is LocationKind.STORE}
    assert {o.request.city for o in orders} <= cities
    homes = {}
    for o in orders:  # a member always orders to the same address
        assert homes.setdefault(o.member_id, (o.request.latitude, o.request.longitude)) == (
            o.request.latitude, o.request.longitude)


def test_a_fifth_of_members_place_about_four_fifths_of_the_orders(stream):
    _, orders = stream
    per_member = np.array(sorted(Counter(o.member_id for o in orders).values(), reverse=True))
    top_fifth = per_member[: len(per_member) // 5].sum() / per_member.sum()
    assert 0.65 < top_fifth < 0.9


def test_orders_have_one_to_five_lines_and_popular_skus_dominate(stream):
    _, orders = stream
    sizes = Counter(len(o.request.lines) for o in orders)
    assert set(sizes) <= {1, 2, 3, 4, 5} and sizes[1] > sizes[2] > sizes[3]
    skus = Counter(line.sku_id for o in orders for line in o.request.lines)
    top_20 = sum(n for _, n in skus.most_common(20))
    assert top_20 / sum(skus.values()) > 0.3  # 1% of the range, a third of the lines


def test_the_same_seed_gives_the_same_stream():
    locations = synthetic.chain_locations(100, seed=2)
    skus = list(synthetic.catalogue(300, seed=2))
    spec = SyntheticOrdersSpec(orders=500, seed=9)
    assert list(synthetic.order_stream(locations, skus, spec)) == list(
        synthetic.order_stream(locations, skus, spec))


def test_an_order_or_a_slice_of_the_stream_is_the_one_iteration_gives():
    locations = synthetic.chain_locations(50, seed=2)
    skus = list(synthetic.catalogue(300, seed=2))
    stream = synthetic.order_stream(locations, skus, SyntheticOrdersSpec(orders=2_000, seed=5))
    every = list(stream)

    assert stream[0] == every[0] and stream[-1] == every[-1] and stream[1234] == every[1234]
    assert stream[10:500] == every[10:500]
    assert stream[1990:5000] == every[1990:]
    assert stream[3::97] == every[3::97]
    assert stream[500:10] == []
    with pytest.raises(IndexError):
        stream[2_000]
