"""What checking every call costs: GetAvailability (one store, one SKU, a key looked up,
the authorization table consulted, the call logged and counted) on a server with
authentication on, against the same call on a server with ONESTOCK_AUTH=disabled, both on
one database, interleaved round by round. Reported as the ratio of the two throughputs.

    .venv/bin/python -m bench.auth_overhead [--rounds 3 --seconds 5 --concurrency 100]
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics

from onestock.inventory.v1 import inventory_service_pb2 as pb
from onestock.inventory.v1 import inventory_service_pb2_grpc as pb_grpc

from bench.harness import (
    Connections,
    closed_loop,
    database,
    load_arguments,
    seed_demo,
    server_process,
    write_result,
)
from services.common.cli import event_loop_factory

REQUEST = pb.GetAvailabilityRequest(sku_ids=["MILK-002"],
                                    locations=pb.LocationIds(location_ids=["SH-S001"]))


def caller(connections: Connections):
    stubs = connections.stubs(pb_grpc.InventoryServiceStub)

    async def call(n):
        return await stubs[n % len(stubs)].GetAvailability(REQUEST, metadata=connections.metadata)

    return call


async def run(args, checked, open_) -> dict:
    to_checked = Connections(checked, args.connections)
    to_open = Connections(open_, args.connections)
    with_auth, without = caller(to_checked), caller(to_open)
    loop = dict(concurrency=args.concurrency, duration_s=args.seconds)
    rounds = []
    for _ in range(args.rounds):
        off = await closed_loop("GetAvailability, ONESTOCK_AUTH=disabled", without, **loop,
                                server=open_)
        on = await closed_loop("GetAvailability, API key checked", with_auth, **loop,
                               server=checked)
        print(off.line(), on.line(), sep="\n", flush=True)
        rounds.append((off, on))
    await to_checked.close()
    await to_open.close()
    ratios = [on.per_s / off.per_s for off, on in rounds]
    return {
        "concurrency": args.concurrency, "rounds": args.rounds, "seconds_per_phase": args.seconds,
        "auth_off_per_s": [round(off.per_s) for off, _ in rounds],
        "auth_on_per_s": [round(on.per_s) for _, on in rounds],
        "auth_off_cpu_us_per_call": [round(off.server_cpu_us_per_call) for off, _ in rounds],
        "auth_on_cpu_us_per_call": [round(on.server_cpu_us_per_call) for _, on in rounds],
        "errors": sum(off.errors + on.errors for off, on in rounds),
        "ratio_on_to_off": [round(r, 3) for r in ratios],
        "median_ratio_on_to_off": round(statistics.median(ratios), 3),
    }


def main() -> None:
    args = load_arguments(__doc__).parse_args()
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(database())
        asyncio.run(seed_demo(url))
        checked = stack.enter_context(server_process(url))
        open_ = stack.enter_context(server_process(url, ONESTOCK_AUTH="disabled"))
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            result = runner.run(run(args, checked, open_))
    write_result("auth_overhead", result)
    print(f"median throughput with keys checked: {result['median_ratio_on_to_off']:.2f} of "
          "the same server with authentication off")


if __name__ == "__main__":
    main()
