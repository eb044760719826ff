"""The server SIGKILLed while tills and phones hold the last units of a hot SKU, their holds
sharing transactions (the coalesced hot path). Callers that lost the answer retry with the
same request id once a new server is up, as a POS terminal does after a lost connection:
no acknowledged hold is lost, no request holds twice, and no unit is held twice."""

import grpc
from onestock.inventory.v1 import inventory_service_pb2 as pb
from onestock.inventory.v1 import inventory_service_pb2_grpc as pb_grpc
from sqlalchemy import text

from tests.helpers import (
    assert_ledger_consistent,
    engine_of,
    kill_mid_burst,
    line,
    onestock_env,
    seed,
    sku,
    store,
)

HOT_UNITS = 300  # fewer than the callers ask for: the last holds are refused
CALLERS, CALLS_EACH = 40, 10
KILL_AFTER = 120  # acknowledged holds before the kill, with others in flight


def hold(caller: int, call: int) -> pb.ReserveStockRequest:
    """Every third request also holds a unit of a second SKU: both lines or neither."""
    lines = [line("TILL", "HOT", 1)] + ([line("TILL", "COLD", 1)] if call % 3 == 0 else [])
    return pb.ReserveStockRequest(
        request_id=f"hold-{caller}-{call}", lines=lines, ttl_seconds=3600,
        channel=pb.CHANNEL_POS if caller % 2 else pb.CHANNEL_MINI_PROGRAM)


async def stocked(channel) -> None:
    await seed(pb_grpc.InventoryServiceStub(channel), [store("TILL", 31.23, 121.47)],
               [sku("HOT"), sku("COLD")], {("TILL", "HOT"): HOT_UNITS, ("TILL", "COLD"): 10_000})


async def reserve(channel, request) -> tuple[str, str | None]:
    try:
        response = await pb_grpc.InventoryServiceStub(channel).ReserveStock(request, timeout=30)
    except grpc.RpcError as error:
        if error.code() == grpc.StatusCode.FAILED_PRECONDITION:  # no stock left
            return "refused", None
        return "unknown", None
    return "ok", response.reservation.reservation_id


async def test_a_kill_mid_burst_loses_no_acknowledged_hold_and_retries_hold_once(database_url):
    env, key = await onestock_env(database_url)
    callers = [[hold(n, call) for call in range(CALLS_EACH)] for n in range(CALLERS)]

    burst = await kill_mid_burst(env, key, stocked, reserve, callers, KILL_AFTER,
                                 made="SELECT request_id, reservation_id FROM reservations")

    burst.assert_retried_as_committed()
    held = burst.made()
    async with engine_of(env) as engine:
        async with engine.connect() as conn:
            active = set(await conn.scalars(text(
                "SELECT reservation_id FROM reservations WHERE state = 'ACTIVE'")))
            hot = await conn.scalar(text("SELECT reserved FROM stock_levels WHERE sku_id = 'HOT'"))
        assert active == held  # one reservation per request that held, none lost
        assert len(held) == hot == HOT_UNITS  # asked for more: every unit held, none twice
        await assert_ledger_consistent(engine)
