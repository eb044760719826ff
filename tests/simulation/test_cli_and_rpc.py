"""`onestock simulate` and RoutingService.RunSimulation: same scenario, same KPIs; and the
RPC's bad input, retries and live snapshot."""

import asyncio
import json
import logging
import shutil
import sys
import tomllib

import grpc
import pytest
from google.protobuf import struct_pb2
from onestock.inventory.v1 import inventory_service_pb2 as inv
from onestock.inventory.v1 import inventory_service_pb2_grpc as inv_grpc
from onestock.routing.v1 import routing_service_pb2 as pb
from onestock.routing.v1 import routing_service_pb2_grpc as pb_grpc

from services.common.cli import main
from services.common.errors import ResourceExhausted
from services.common.uow import in_transaction
from services.inventory.catalogue import SaleStatus
from services.inventory.demo_chain import build_demo_chain, seed_demo_chain
from services.routing.policy import DEFAULT_POLICY, LivePolicy
from services.simulation import snapshot
from services.simulation.rpc import RUN_LOCK, Simulations, kpis_to_pb
from tests.helpers import bad_fields, error_info, free_port, seed, sku, store
from tests.simulation.test_scenario_files import MOVES, ORDERS, write

FAST = "pickup_radius_km = 3.0\nmax_split = 3\n[weights]\nper_hour_eta = 6.0\n"


def hand_made(root):
    """The hand-made scenario of test_scenario_files, in ``root``/hand-made."""
    from tests.simulation import test_scenario_files as files

    directory = root / "hand-made"
    directory.mkdir(exist_ok=True)
    for name, rows in (("locations.csv", files.LOCATIONS), ("skus.csv", files.SKUS),
                       ("stock.csv", files.STOCK), ("orders.csv", files.ORDERS)):
        write(directory, name, rows)
    return directory


@pytest.fixture
def scenario(settings, tmp_path):
    """The hand-made scenario, inside the server's simulation folder."""
    (tmp_path / "fast.toml").write_text(FAST)
    return hand_made(settings.simulation_dir)


@pytest.fixture
def routing(channel):
    return pb_grpc.RoutingServiceStub(channel)


async def run(routing, request) -> tuple[list[pb.SimulationProgress], pb.SimulationResult]:
    return await drain(routing.RunSimulation(request))


async def drain(messages) -> tuple[list[pb.SimulationProgress], pb.SimulationResult]:
    progress, result = [], None
    async for message in messages:
        if message.HasField("progress"):
            progress.append(message.progress)
        else:
            result = message.result
    return progress, result


def fast_policy() -> struct_pb2.Struct:
    settings = struct_pb2.Struct()
    settings.update(tomllib.loads(FAST))
    return settings


async def test_the_cli_and_the_rpc_give_the_same_kpis_for_the_same_scenario(
        routing, scenario, settings, tmp_path, capsys):
    """Head office's moves, from a file outside the scenario, included."""
    moves = write(settings.simulation_dir, "week-48.csv", [
        *MOVES, ["2026-11-23T08:00:00+08:00", "W1", "S1", "MUG", "2"]])
    out = tmp_path / "cli-report"
    code = main(["simulate", "--chain", str(scenario), "--policy", str(tmp_path / "fast.toml"),
                 "--moves", str(moves), "--out", str(out), "--no-progress"])
    assert code == 0
    assert f"report: {out / 'report.html'}" in capsys.readouterr().out
    from_cli = json.loads((out / "kpis.json").read_text())["policies"]

    progress, result = await run(routing, pb.RunSimulationRequest(
        request_id="compare-1", scenario_dir="hand-made", moves_file="week-48.csv",
        policies=[pb.SimulationPolicy(name="fast", settings=fast_policy())]))

    assert [kpis_to_pb(k) for k in from_cli] == list(result.policies)
    assert result.policies[0].head_office_moves == pb.HeadOfficeMoves(
        moves=1, units_asked=2, units_shipped=2)
    assert result.policies[0].orders == 3 and result.policies[0].policy == "fast"
    assert result.report_path == "reports/compare-1/report.html"
    assert (settings.simulation_dir / result.report_path).exists()
    assert progress[-1].orders_replayed == progress[-1].orders_total == 3


async def test_a_retry_streams_the_finished_result_and_another_request_may_not_reuse_the_id(
        routing, scenario, settings):
    request = pb.RunSimulationRequest(request_id="retry-1", scenario_dir="hand-made")
    _, first = await run(routing, request)
    report = settings.simulation_dir / first.report_path
    written = report.stat().st_mtime_ns

    progress, again = await run(routing, request)
    assert again == first and not progress  # not run again
    assert report.stat().st_mtime_ns == written

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await run(routing, pb.RunSimulationRequest(request_id="retry-1", scenario_dir="hand-made",
                                                   skip_bad_rows=True))
    assert caught.value.code() is grpc.StatusCode.ALREADY_EXISTS
    assert error_info(caught.value).reason == "REQUEST_ID_REUSED"


async def test_only_the_newest_runs_are_kept_and_a_removed_run_runs_again(engine, tmp_path,
                                                                          caplog):
    caplog.set_level(logging.INFO, logger="services.simulation.rpc")
    hand_made(tmp_path)
    simulations = Simulations(engine, tmp_path, LivePolicy(fixed=DEFAULT_POLICY), workers=1,
                              max_orders=1_000, keep_runs=2)

    def request(request_id):
        return pb.RunSimulationRequest(request_id=request_id, scenario_dir="hand-made")

    for request_id in ("run-1", "run-2", "run-3"):
        _, result = await drain(simulations.run(request(request_id)))
        assert (tmp_path / result.report_path).exists()
    assert runs_in(tmp_path) == ["run-2", "run-3"]
    assert "removed simulation runs run-1 " in caplog.text

    progress, again = await drain(simulations.run(request("run-1")))
    assert progress and again.policies == result.policies
    assert runs_in(tmp_path) == ["run-1", "run-3"]


def runs_in(root) -> list[str]:
    return sorted(p.name for p in (root / "reports").iterdir() if p.is_dir())


async def test_one_simulation_at_a_time_across_processes_and_a_dead_holder_lets_go(
        engine, tmp_path):
    """`serve --processes N` shares the folder: a run held by another process refuses this
    one, and the slot comes free when that process dies, however it dies."""
    hand_made(tmp_path)
    (tmp_path / "reports").mkdir()
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c",
        "import fcntl, os, sys, time\n"
        f"fd = os.open({str(tmp_path / 'reports' / RUN_LOCK)!r}, os.O_CREAT | os.O_RDWR)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\nprint('held', flush=True)\ntime.sleep(600)",
        stdout=asyncio.subprocess.PIPE)
    assert (await holder.stdout.readline()).strip() == b"held"
    simulations = Simulations(engine, tmp_path, LivePolicy(fixed=DEFAULT_POLICY), workers=1,
                              max_orders=1_000, keep_runs=5)
    request = pb.RunSimulationRequest(request_id="mine", scenario_dir="hand-made")
    with pytest.raises(ResourceExhausted) as refused:
        await drain(simulations.run(request))
    assert refused.value.reason == "SIMULATION_RUNNING"
    assert runs_in(tmp_path) == []  # nothing written
    holder.kill()  # SIGKILL: no chance to let go itself
    await holder.wait()
    _, result = await drain(simulations.run(request))
    assert (tmp_path / result.report_path).exists()


@pytest.mark.parametrize(("request_", "fields"), [
    (pb.RunSimulationRequest(request_id="p1", scenario_dir="../../etc"), ["scenario_dir"]),
    (pb.RunSimulationRequest(request_id="p2", scenario_dir="/etc"), ["scenario_dir"]),
    (pb.RunSimulationRequest(request_id="p3", scenario_dir="nowhere"), ["scenario_dir"]),
    (pb.RunSimulationRequest(request_id="p3m", scenario_dir="hand-made",
                             moves_file="../moves.csv"), ["moves_file"]),
    (pb.RunSimulationRequest(request_id="p4"), ["chain", "synthetic_orders"]),
    (pb.RunSimulationRequest(request_id="../p5", synthetic_chain=pb.SyntheticChain(),
                             synthetic_orders=pb.SyntheticOrders(orders=10)), ["request_id"]),
    (pb.RunSimulationRequest(request_id="p6", synthetic_chain=pb.SyntheticChain(locations=5),
                             synthetic_orders=pb.SyntheticOrders(orders=0, days=40)),
     ["synthetic_chain.locations", "synthetic_orders.orders", "synthetic_orders.days"]),
    (pb.RunSimulationRequest(request_id="p7", scenario_dir="hand-made", workers=99,
                             policies=[pb.SimulationPolicy(name="a"), pb.SimulationPolicy(
                                 name="a", settings=struct_pb2.Struct(
                                     fields={"pickup_radius": struct_pb2.Value(number_value=3)}))]),
     ["workers", "policies[1].name", "policies[1].settings.pickup_radius"]),
    # negative seeds and case sizes reached numpy and the replay (INTERNAL) before
    (pb.RunSimulationRequest(request_id="p8", synthetic_chain=pb.SyntheticChain(seed=-1),
                             synthetic_orders=pb.SyntheticOrders(orders=10, seed=-2),
                             transfer_case_units=-6),
     ["synthetic_chain.seed", "synthetic_orders.seed", "transfer_case_units"]),
    (pb.RunSimulationRequest(request_id="p9", synthetic_chain=pb.SyntheticChain(),
                             synthetic_orders=pb.SyntheticOrders(orders=10, days=31,
                                                                 start_date="9999-12-20")),
     ["synthetic_orders.start_date"]),
])
async def test_bad_requests_are_refused_naming_every_field_and_write_nothing(
        routing, scenario, settings, request_, fields):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await run(routing, request_)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(caught.value) == fields
    assert not (settings.simulation_dir / "reports").exists()


async def test_a_bad_row_in_a_scenario_file_is_refused_with_its_file_line_and_field(
        routing, scenario):
    write(scenario, "orders.csv", [*ORDERS, ["A4", "2026-11-23T12:00:00Z", "M1", "GOLD:1",
                                             "31.2", "121.4", "Shanghai", "PICKUP", ""]])
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await run(routing, pb.RunSimulationRequest(request_id="bad-row", scenario_dir="hand-made"))
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(caught.value) == ["orders_file"]
    assert "orders.csv:5: lines: unknown SKU 'GOLD'" in caught.value.details()

    _, skipped = await run(routing, pb.RunSimulationRequest(
        request_id="bad-row-skipped", scenario_dir="hand-made", skip_bad_rows=True))
    assert skipped.policies[0].orders == 3

    write(scenario, "orders.csv", ORDERS)
    write(scenario, "moves.csv", [*MOVES, ["", "W1", "S1", "GOLD", "1"]])
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await run(routing, pb.RunSimulationRequest(request_id="bad-move", scenario_dir="hand-made"))
    assert bad_fields(caught.value) == ["moves_file"]
    assert "moves.csv:2: sku_id: unknown SKU 'GOLD'" in caught.value.details()



async def test_a_live_snapshot_replays_synthetic_orders_on_the_database_s_chain(
        routing, engine, settings):
    chain = build_demo_chain()
    await in_transaction(engine, lambda conn: seed_demo_chain(conn, chain))

    _, result = await run(routing, pb.RunSimulationRequest(
        request_id="live-1", live_snapshot=True,
        synthetic_orders=pb.SyntheticOrders(orders=2_000, seed=3)))

    snapshot = settings.simulation_dir / "reports" / "live-1" / "snapshot"
    assert len((snapshot / "locations.csv").read_text().splitlines()) == len(chain.locations) + 1
    online = sum(1 for lv in chain.stock if lv.available_online > 0)
    assert len((snapshot / "stock.csv").read_text().splitlines()) == online + 1
    kpis = result.policies[0]
    assert kpis.orders == 2_000 and kpis.policy == "default"
    assert kpis.peak_store_hour_location_id in {loc.location_id for loc in chain.locations}
    assert kpis.filled > 1_000  # the demo chain stocks most of its range in both cities


async def test_a_live_snapshot_keeps_sale_statuses_and_no_stock_the_mall_may_not_sell(
        engine, channel):
    """The snapshot is the shelves online orders may take: a SKU taken off the mall brings
    none, and its status goes with the catalogue so that a replay refuses its orders."""
    inventory = inv_grpc.InventoryServiceStub(channel)
    await seed(inventory, [store("A", 31.23, 121.47)],
               [sku("LAMP"), inv.Sku(sku_id="VASE", name="Vase", price_minor=900,
                                     sale_status=inv.SALE_STATUS_STORES_ONLY)],
               stock={("A", "LAMP"): 3, ("A", "VASE"): 4})
    async with engine.connect() as conn:
        catalogue, stock = await snapshot.read(conn)
    assert stock == [("A", "LAMP", 3)]
    assert {s.sku_id: s.sale_status for s in catalogue.skus} == {
        "LAMP": SaleStatus.ON_SALE, "VASE": SaleStatus.STORES_ONLY}


async def test_the_cli_takes_a_snapshot_of_the_database_too(engine, database_url, tmp_path,
                                                           monkeypatch):
    chain = build_demo_chain()
    await in_transaction(engine, lambda conn: seed_demo_chain(conn, chain))
    monkeypatch.setenv("DATABASE_URL", database_url)
    out = tmp_path / "live"
    assert await asyncio.to_thread(main, [
        "simulate", "--from-database", "--synthetic-orders", "500", "--out", str(out),
        "--no-progress"]) == 0
    document = json.loads((out / "kpis.json").read_text())
    assert document["scenario"]["locations"] == len(chain.locations)
    assert document["policies"][0]["orders"] == 500
    shutil.rmtree(out)


def test_the_cli_says_in_a_line_when_it_cannot_start_the_database_to_snapshot(
        tmp_path, monkeypatch, capsys):
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ONESTOCK_DATA_DIR", str(tmp_path / "a-file" / "data"))
    assert main(["simulate", "--from-database", "--out", str(tmp_path / "o"),
                 "--no-progress"]) == 1  # the machine's fault, as for `onestock migrate`
    said = capsys.readouterr().err
    assert said.startswith(f"onestock simulate: cannot start the embedded PostgreSQL in "
                           f"{tmp_path / 'a-file' / 'data'} (ONESTOCK_DATA_DIR): ")
    assert "Traceback" not in said and not (tmp_path / "o").exists()


def test_the_cli_names_a_bad_policy_key_and_exits_2(tmp_path, capsys):
    policy = tmp_path / "typo.toml"
    policy.write_text("pickup_radius_kms = 3\n")
    assert main(["simulate", "--policy", str(policy), "--synthetic-orders", "10",
                 "--locations", "30", "--skus", "20", "--out", str(tmp_path / "o"),
                 "--no-progress"]) == 2
    assert f"{policy}: pickup_radius_kms: unknown key" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(("flags", "message"), [
    (["--synthetic-orders", "-5"], "argument --synthetic-orders: must be 1 to"),
    (["--seed", "-1"], "argument --seed: must be 0 to"),
    (["--locations", "ten"], "argument --locations: 'ten' is not a whole number"),
    (["--transfer-case-units", "0"], "argument --transfer-case-units: must be 1 to 1,000"),
    (["--start", "9999-12-20"], "argument --start: must be 1970-01-01 to 2199-12-31"),
    (["--start", "23/11/2026"], "argument --start: must be a date, YYYY-MM-DD"),
    (["--ray", "head-node"], "argument --ray: 'head-node' is not a Ray address"),
])
def test_the_cli_refuses_a_value_out_of_range_naming_the_flag(tmp_path, capsys, flags, message):
    with pytest.raises(SystemExit) as exited:
        main(["simulate", "--synthetic-orders", "10", *flags, "--out", str(tmp_path / "o")])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_the_cli_names_an_output_folder_it_cannot_make_and_exits_2(tmp_path, capsys):
    (tmp_path / "file").write_text("not a folder")
    out = tmp_path / "file" / "report"
    assert main(["simulate", "--synthetic-orders", "10", "--locations", "30", "--skus", "20",
                 "--out", str(out), "--no-progress"]) == 2
    assert f"onestock simulate: {out}" in capsys.readouterr().err


def test_a_run_that_fills_nothing_says_so_rather_than_an_eta_of_none(tmp_path, capsys):
    chain = tmp_path / "empty-shelves"
    chain.mkdir()
    (chain / "locations.csv").write_text(
        "location_id,kind,latitude,longitude,city,can_pickup,can_deliver,delivery_radius_km\n"
        "S1,STORE,31.2349,121.4737,Shanghai,true,true,5\n")
    (chain / "skus.csv").write_text("sku_id\nTEA\n")
    (chain / "stock.csv").write_text("location_id,sku_id,units\n")  # nothing on any shelf
    (chain / "orders.csv").write_text(
        "order_id,placed_at,lines,latitude,longitude,city,mode\n"
        "A1,2026-11-23T11:00:00+08:00,TEA:2,31.2304,121.4737,Shanghai,AUTO\n")
    assert main(["simulate", "--chain", str(chain), "--out", str(tmp_path / "o"),
                 "--no-progress"]) == 0
    said = capsys.readouterr().out
    assert "0 of 1 orders filled (0.0%), no ETA (nothing filled)," in said
    assert "delivery fees 0.00 yuan, transfer costs 0.00 yuan" in said
    html = (tmp_path / "o" / "report.html").read_text()
    assert "no ETA (nothing filled)" in html and "None" not in html


def test_a_ray_cluster_that_does_not_answer_is_said_at_once_not_waited_for(tmp_path, capsys):
    pytest.importorskip("ray")
    address = f"127.0.0.1:{free_port()}"  # nothing listens there
    assert main(["simulate", "--synthetic-orders", "10", "--locations", "30", "--skus", "20",
                 "--ray", address, "--out", str(tmp_path / "o"), "--no-progress"]) == 1
    assert f"onestock simulate: no Ray cluster answers at {address}" in capsys.readouterr().err
