"""The inventory core decides without a database: these tests need none."""

from datetime import UTC, datetime, timedelta

import pytest

from services.common.errors import FailedPrecondition, InsufficientStock, InvalidArgument
from services.inventory.domain import (
    Channel,
    LineRequest,
    MovementKind,
    Reservation,
    ReservationLine,
    ReservationState,
    ReserveCommand,
    StockCount,
    StockLevel,
    adjust_on_hand,
    allocate_batch,
    close_changes,
    commit_quantities,
    count_changes,
    ensure_active,
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def reserve(request_id, *lines, channel=Channel.MINI_PROGRAM):
    return ReserveCommand(request_id, channel, "", tuple(LineRequest(*ln) for ln in lines), 900)


def test_online_channels_never_see_safety_stock():
    level = StockLevel("SH-1", "RETRO-CLOCK", on_hand=10, reserved=3, safety_stock=2)
    assert level.available_online == 5
    assert level.available_pos == 7
    assert level.available_for(Channel.MINI_PROGRAM) == 5
    assert level.available_for(Channel.POS) == 7


def test_online_availability_is_never_negative_when_pos_sold_into_safety_stock():
    assert StockLevel("SH-1", "RETRO-CLOCK", on_hand=5, reserved=4, safety_stock=3).available_online == 0


def test_batch_serves_requests_first_come_first_served():
    levels = {("SH-1", "LAMP"): StockLevel("SH-1", "LAMP", on_hand=3)}
    result = allocate_batch(
        [reserve("a", ("SH-1", "LAMP", 2)), reserve("b", ("SH-1", "LAMP", 2)),
         reserve("c", ("SH-1", "LAMP", 1))],
        levels,
    )
    assert sorted(result.granted) == [0, 2]
    assert list(result.refused) == [1]
    assert result.levels[("SH-1", "LAMP")].reserved == 3


def test_batch_grants_all_lines_or_none():
    levels = {
        ("SH-1", "LAMP"): StockLevel("SH-1", "LAMP", on_hand=5),
        ("SH-1", "SOFA"): StockLevel("SH-1", "SOFA", on_hand=1),
    }
    result = allocate_batch([reserve("a", ("SH-1", "LAMP", 2), ("SH-1", "SOFA", 2))], levels)
    assert result.granted == {}
    assert result.levels == levels  # the LAMP line was not held on its own


def test_refusal_lists_every_short_line_not_just_the_first():
    levels = {("SH-1", "LAMP"): StockLevel("SH-1", "LAMP", on_hand=1)}
    result = allocate_batch(
        [reserve("a", ("SH-1", "LAMP", 2), ("SH-1", "SOFA", 1), ("SH-2", "LAMP", 4))], levels)
    refusal = result.refused[0]
    assert isinstance(refusal, InsufficientStock)
    assert [(s.location_id, s.sku_id, s.requested, s.available) for s in refusal.shortfalls] == [
        ("SH-1", "LAMP", 2, 1), ("SH-1", "SOFA", 1, 0), ("SH-2", "LAMP", 4, 0)]


def test_pos_may_reserve_safety_stock_that_online_may_not():
    levels = {("SH-1", "LAMP"): StockLevel("SH-1", "LAMP", on_hand=2, safety_stock=2)}
    assert allocate_batch([reserve("a", ("SH-1", "LAMP", 1))], levels).refused
    assert allocate_batch([reserve("a", ("SH-1", "LAMP", 2), channel=Channel.POS)], levels).granted


def test_batch_reports_level_after_each_granted_line():
    levels = {("SH-1", "LAMP"): StockLevel("SH-1", "LAMP", on_hand=9)}
    result = allocate_batch([reserve("a", ("SH-1", "LAMP", 2)), reserve("b", ("SH-1", "LAMP", 3))],
                            levels)
    assert [afters[0].reserved for afters in result.granted.values()] == [2, 5]


def test_adjustment_cannot_take_on_hand_below_reserved_units():
    level = StockLevel("SH-1", "LAMP", on_hand=5, reserved=4)
    assert adjust_on_hand(level, delta=-1).on_hand == 4
    with pytest.raises(FailedPrecondition) as caught:
        adjust_on_hand(level, set_on_hand=3)
    assert caught.value.reason == "ON_HAND_BELOW_RESERVED"


def _reservation(state=ReservationState.ACTIVE, expires_in=timedelta(minutes=5)):
    return Reservation("r-1", Channel.POS, "", state,
                       [ReservationLine("SH-1", "LAMP", 3), ReservationLine("SH-1", "SOFA", 1)],
                       NOW, NOW + expires_in)


def test_only_active_unexpired_reservations_may_change():
    ensure_active(_reservation(), NOW)
    with pytest.raises(FailedPrecondition) as expired:
        ensure_active(_reservation(expires_in=timedelta(0)), NOW)
    assert expired.value.reason == "RESERVATION_EXPIRED"
    with pytest.raises(FailedPrecondition) as closed:
        ensure_active(_reservation(ReservationState.COMMITTED), NOW)
    assert closed.value.reason == "RESERVATION_NOT_ACTIVE"
    with pytest.raises(FailedPrecondition) as swept:
        ensure_active(_reservation(ReservationState.EXPIRED), NOW)
    assert swept.value.reason == "RESERVATION_EXPIRED"


def test_commit_without_lines_sells_everything():
    assert commit_quantities(_reservation(), []) == [3, 1]


def test_partial_commit_sells_listed_lines_and_nothing_of_the_rest():
    assert commit_quantities(_reservation(), [LineRequest("SH-1", "LAMP", 2)]) == [2, 0]


def test_partial_commit_cannot_sell_more_than_reserved_or_unknown_lines():
    with pytest.raises(InvalidArgument) as caught:
        commit_quantities(_reservation(), [LineRequest("SH-1", "LAMP", 4),
                                           LineRequest("SH-9", "LAMP", 1)])
    assert [v.field for v in caught.value.violations] == ["lines[0].quantity", "lines[1]"]


def test_closing_sells_committed_units_and_returns_the_rest():
    levels = {("SH-1", "LAMP"): StockLevel("SH-1", "LAMP", 10, 3),
              ("SH-1", "SOFA"): StockLevel("SH-1", "SOFA", 2, 1)}
    changes = close_changes(_reservation(), [2, 0], levels, MovementKind.RELEASE, "req")
    assert [(c.kind, c.on_hand_delta, c.reserved_delta) for c in changes] == [
        (MovementKind.COMMIT, -2, -2), (MovementKind.RELEASE, 0, -1), (MovementKind.RELEASE, 0, -1)]
    assert changes[1].after == StockLevel("SH-1", "LAMP", 8, 0)
    assert changes[2].after == StockLevel("SH-1", "SOFA", 2, 0)


def test_a_count_writes_only_what_differs_from_the_shelf():
    shelf = StockLevel("S1", "LAMP", on_hand=10, reserved=3, safety_stock=2)
    assert count_changes(shelf, StockCount("S1", "LAMP", 10, 2), "c") == []
    assert count_changes(shelf, StockCount("S1", "LAMP", 10, None), "c") == []
    [recount] = count_changes(shelf, StockCount("S1", "LAMP", 7), "c")
    assert (recount.kind, recount.on_hand_delta, recount.after) == (
        MovementKind.ADJUSTMENT, -3, StockLevel("S1", "LAMP", 7, 3, 2))
    counted, safety = count_changes(shelf, StockCount("S1", "LAMP", 12, 5), "c")
    assert counted.after == StockLevel("S1", "LAMP", 12, 3, 2)  # each entry's own after
    assert (safety.kind, safety.safety_stock_delta, safety.after) == (
        MovementKind.SAFETY_STOCK, 3, StockLevel("S1", "LAMP", 12, 3, 5))


def test_a_count_below_the_units_reserved_is_refused():
    shelf = StockLevel("S1", "LAMP", on_hand=10, reserved=3)
    with pytest.raises(FailedPrecondition) as refused:
        count_changes(shelf, StockCount("S1", "LAMP", 2), "c")
    assert refused.value.reason == "ON_HAND_BELOW_RESERVED"
