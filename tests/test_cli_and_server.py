"""The `onestock` command line and the served process, as an operator runs them."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest
from alembic.script import ScriptDirectory
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from onestock.inventory.v1 import inventory_service_pb2 as pb
from onestock.inventory.v1 import inventory_service_pb2_grpc as pb_grpc

from services.access.client import credentials_metadata
from services.common.migrate import alembic_config
from services.inventory.catalogue import LocationKind
from services.inventory.demo_chain import build_demo_chain
from tests.helpers import cli_key, free_port, own_database_env


def onestock(env, *args, **kw):
    return subprocess.run([sys.executable, "-m", "services.common.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120, **kw)


def served(env, *args: str) -> subprocess.Popen:
    """`onestock serve` in a process of its own, its whole log (stdout and stderr) kept."""
    return subprocess.Popen([sys.executable, "-m", "services.common.cli", "serve", *args],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)  # its own group, to kill whole if it hangs


def catches(pid: int, signum: int) -> bool:
    """Whether process ``pid`` has a handler for ``signum`` (Linux's /proc)."""
    status = Path(f"/proc/{pid}/status").read_text()
    caught = next(line for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(int(caught.split()[1], 16) >> (signum - 1) & 1)


def stopped(server: subprocess.Popen, timeout: float = 60) -> str:
    """SIGTERM, as an operator stops it; the log, once the process has exited."""
    server.send_signal(signal.SIGTERM)
    try:
        return server.communicate(timeout=timeout)[0]
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)  # no server outlives a failed test
        raise


def test_migrate_seed_serve_and_drain_on_sigterm(database_url):
    env = own_database_env(database_url)
    port = env["ONESTOCK_LISTEN"].rsplit(":", 1)[1]
    assert onestock(env, "migrate").returncode == 0
    seeded = onestock(env, "seed-demo")
    assert "40 stores, 2 warehouses, 300 SKUs; stock loaded" in seeded.stdout
    reseeded = onestock(env, "seed-demo")
    assert "already present, kept" in reseeded.stdout
    auth = credentials_metadata(cli_key(env))

    server = served(env)
    try:
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=30)
        health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(
            service="onestock.inventory.v1.InventoryService"))
        assert health.status == health_pb2.HealthCheckResponse.SERVING
        listing = next(reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]), metadata=auth))
        names = {s.name for s in listing.list_services_response.service}
        assert "onestock.inventory.v1.InventoryService" in names
        stores = pb_grpc.InventoryServiceStub(channel).ListLocations(pb.ListLocationsRequest(
            city="Hangzhou", kind=pb.LOCATION_KIND_STORE, page_size=100), metadata=auth)
        assert len(stores.locations) == 16
        channel.close()
    finally:
        output = stopped(server, timeout=30)
    assert server.returncode == 0, output
    assert "draining in-flight calls" in output


def test_on_its_embedded_database_the_server_stops_printing_only_its_own_lines(tmp_path):
    """Stopping the embedded PostgreSQL at shutdown starts pg_ctl while gRPC's threads run;
    after a call had read the database, gRPC's fork handlers added a line of their own
    ("skipping fork() handlers") to the server's log."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "GRPC_ENABLE_FORK_SUPPORT")}
    env.update(ONESTOCK_DATA_DIR=str(tmp_path / "data"), ONESTOCK_LISTEN=f"127.0.0.1:{free_port()}",
               ONESTOCK_METRICS_LISTEN="127.0.0.1:0", ONESTOCK_LOG_FORMAT="json")
    assert onestock(env, "migrate").returncode == 0
    assert onestock(env, "seed-demo").returncode == 0
    key = cli_key(env)
    server = served(env)
    try:
        with grpc.insecure_channel(env["ONESTOCK_LISTEN"]) as channel:
            grpc.channel_ready_future(channel).result(timeout=60)
            with pytest.raises(grpc.RpcError) as refused:
                pb_grpc.InventoryServiceStub(channel).GetAvailability(pb.GetAvailabilityRequest(
                    sku_ids=["NO-SUCH-SKU"], near=pb.NearPoint(
                        latitude=31.2304, longitude=121.4737, radius_km=3)),
                    metadata=credentials_metadata(key))
            assert refused.value.code() is grpc.StatusCode.NOT_FOUND
    finally:
        output = stopped(server)
    assert server.returncode == 0, output
    lines = output.splitlines()
    assert any("draining in-flight calls" in line for line in lines)
    assert all(line.startswith(("{", "OneStock listening on ")) for line in lines), output


def test_an_embedded_database_a_killed_server_left_running_is_stopped_by_the_next_to_exit(
        tmp_path):
    """A server killed outright (SIGKILL, the OOM killer) leaves its embedded PostgreSQL
    running, and its own id among the processes the library counts as using it. The next
    server joins that PostgreSQL and, being the only one left, stops it when it exits."""
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(ONESTOCK_DATA_DIR=str(tmp_path / "data"), ONESTOCK_LISTEN=f"127.0.0.1:{free_port()}",
               ONESTOCK_METRICS_LISTEN="off")
    postmaster = tmp_path / "data" / "pgdata" / "postmaster.pid"
    assert onestock(env, "migrate").returncode == 0
    assert not postmaster.exists()  # a command stops what it started
    try:
        killed = served(env)
        try:
            with grpc.insecure_channel(env["ONESTOCK_LISTEN"]) as channel:
                grpc.channel_ready_future(channel).result(timeout=60)
        finally:
            killed.kill()  # the server alone, not its PostgreSQL
            killed.communicate()
        assert postmaster.exists()
        server = served(env)
        try:
            with grpc.insecure_channel(env["ONESTOCK_LISTEN"]) as channel:
                grpc.channel_ready_future(channel).result(timeout=60)
        finally:
            output = stopped(server)
        assert server.returncode == 0, output
        assert not postmaster.exists(), "the embedded PostgreSQL was left running"
    finally:
        if postmaster.exists():  # no PostgreSQL outlives a failed test
            os.kill(int(postmaster.read_text().split()[0]), signal.SIGINT)


def test_commands_refuse_a_database_without_this_schema_and_name_the_fix(database_url, tmp_path):
    env = own_database_env(database_url)  # a new, empty database
    for command in (["serve"], ["seed-demo"], ["keys", "list"],
                    ["simulate", "--from-database", "--out", str(tmp_path / "report")]):
        refused = onestock(env, *command)
        assert refused.returncode == 2, command
        assert "the database has no OneStock schema yet: run `onestock migrate`" in refused.stderr
        assert "Traceback" not in refused.stderr
    assert onestock(env, "migrate").returncode == 0
    assert onestock(env, "keys", "list").returncode == 0

    def schema_at(revision):
        psql = f"UPDATE alembic_version SET version_num = '{revision}'"
        asyncio.run(_execute(env["DATABASE_URL"], psql))

    head = ScriptDirectory.from_config(alembic_config(database_url)).get_revision("head")
    schema_at(head.down_revision)  # as if the last migration had not run
    behind = onestock(env, "seed-demo")
    assert behind.returncode == 2
    assert (f"schema is at revision {head.down_revision}, this OneStock needs {head.revision}: "
            "run `onestock migrate`") in behind.stderr
    schema_at("0099")  # as if a newer OneStock had migrated it
    ahead = onestock(env, "serve")
    assert ahead.returncode == 2 and "which this OneStock does not know" in ahead.stderr


async def _execute(url: str, statement: str) -> None:
    from sqlalchemy import text

    from services.common.database import command_engine

    async with command_engine(url) as engine, engine.begin() as conn:
        await conn.execute(text(statement))


def test_a_database_it_cannot_reach_or_start_is_said_in_a_line_not_a_traceback(tmp_path):
    closed = f"postgresql://onestock:secret@127.0.0.1:{free_port()}/onestock"
    unreachable = onestock({**os.environ, "DATABASE_URL": closed}, "migrate")
    assert unreachable.returncode == 1
    assert unreachable.stderr.startswith("onestock: cannot use the database 'onestock' on 127.0.0.1:")
    (tmp_path / "a-file").write_text("not a folder")
    # no XDG_RUNTIME_DIR either, as in a container: the embedded server's library must not
    # warn about it on every command
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "XDG_RUNTIME_DIR")}
    no_data_dir = onestock({**env, "ONESTOCK_DATA_DIR": str(tmp_path / "a-file" / "data")},
                           "migrate")
    assert no_data_dir.returncode == 1
    assert no_data_dir.stderr.startswith("onestock: cannot start the embedded PostgreSQL in")
    for result in (unreachable, no_data_dir):
        assert len(result.stderr.splitlines()) == 1, result.stderr


def test_an_address_already_taken_is_said_in_a_line_not_a_traceback(database_url):
    env = own_database_env(database_url)
    assert onestock(env, "migrate").returncode == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        for variable, says in (("ONESTOCK_LISTEN", "cannot serve gRPC on"),
                               ("ONESTOCK_METRICS_LISTEN", "cannot serve metrics on")):
            refused = onestock({**env, variable: address}, "serve")
            assert refused.returncode == 1
            assert f"onestock: {says} {address} ({variable})" in refused.stderr
            assert "Traceback" not in refused.stderr


def test_serve_refuses_a_number_of_processes_out_of_range():
    for processes in ("0", "-2", "65"):
        refused = onestock(dict(os.environ), "serve", "--processes", processes)
        assert refused.returncode == 2
        assert "argument --processes: must be 1 to 64" in refused.stderr


def test_configuration_error_is_reported_not_a_traceback():
    env = {**os.environ, "ONESTOCK_MAX_LINES": "lots"}
    result = onestock(env, "migrate")
    assert result.returncode == 2
    assert "ONESTOCK_MAX_LINES" in result.stderr and "Traceback" not in result.stderr


def test_demo_chain_is_deterministic_and_realistic():
    chain = build_demo_chain()
    assert chain == build_demo_chain()
    stores = [loc for loc in chain.locations if loc.kind is LocationKind.STORE]
    warehouses = [loc for loc in chain.locations if loc.kind is LocationKind.WAREHOUSE]
    assert (len(stores), len(warehouses), len(chain.skus)) == (40, 2, 300)
    assert {loc.city for loc in chain.locations} == {"Shanghai", "Hangzhou"}
    for loc in chain.locations:  # inside the two cities' bounds
        assert 29.9 < loc.latitude < 31.6 and 119.8 < loc.longitude < 122.0
    assert any(lv.on_hand == 0 for lv in chain.stock), "some items are sold out somewhere"
    assert any(lv.safety_stock > 0 for lv in chain.stock), "some safety stock is kept"
    assert any(lv.on_hand > 0 and lv.available_online == 0 < lv.available_pos
               for lv in chain.stock), "safety stock hides some shelves from online"
    assert build_demo_chain(seed=1) != chain


def children_of(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def serving(port: str) -> bool:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        grpc.channel_ready_future(channel).result(timeout=30)
        reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
        return reply.status == health_pb2.HealthCheckResponse.SERVING


def test_a_server_process_that_dies_is_started_again_in_its_place(database_url):
    """Under `serve --processes 2`, the OOM killer takes one process: the supervisor starts
    another in its place, rather than serve on at half strength until someone notices."""
    env = own_database_env(database_url)
    port = env["ONESTOCK_LISTEN"].rsplit(":", 1)[1]
    assert onestock(env, "migrate").returncode == 0
    server = served(env, "--processes", "2")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(children := children_of(server.pid)) < 2:
            time.sleep(0.2)
        assert len(children) == 2 and serving(port)
        os.kill(children[0], signal.SIGKILL)
        while time.monotonic() < deadline and (
                len(now := children_of(server.pid)) < 2 or children[0] in now):
            time.sleep(0.2)
        assert len(now) == 2 and children[1] in now and children[0] not in now
        replacement = next(pid for pid in now if pid != children[1])
        while time.monotonic() < deadline and not catches(replacement, signal.SIGTERM):
            time.sleep(0.2)  # started and serving: it drains on SIGTERM like the other
        assert serving(port)
    finally:
        output = stopped(server)
    assert server.returncode == 0, output
    assert f"server process 0 (pid {children[0]}) exited with -9 after " in output
    assert "starting it again" in output
    assert output.count("draining in-flight calls") == 2


def test_server_processes_that_cannot_start_are_not_started_forever(database_url):
    """A process that dies as it starts (here: its port taken by another program) cannot
    be helped by starting it again: after three tries the others are stopped, and the
    supervisor exits saying why."""
    env = own_database_env(database_url)
    assert onestock(env, "migrate").returncode == 0
    with socket.socket() as taken:  # another program's port, not shared with SO_REUSEPORT
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env["ONESTOCK_LISTEN"] = f"127.0.0.1:{taken.getsockname()[1]}"
        server = served(env, "--processes", "2")
        try:
            output = server.communicate(timeout=120)[0]
        finally:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGKILL)
    assert server.returncode == 1, output
    assert output.count(f"cannot serve gRPC on {env['ONESTOCK_LISTEN']}") == 2 * 3
    assert "times in a row; stopping the others" in output


def test_several_server_processes_share_one_port_reload_their_policy_and_stop_together(
        database_url, tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text("max_split = 2\n")
    env = {**own_database_env(database_url), "ONESTOCK_ROUTING_POLICY": str(policy)}
    port = env["ONESTOCK_LISTEN"].rsplit(":", 1)[1]
    assert onestock(env, "migrate").returncode == 0
    server = served(env, "--processes", "2")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # both children up
            children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
            if len(children) == 2:
                break
            time.sleep(0.2)
        assert len(children) == 2
        for _ in range(4):  # new connections land on either process; all are served
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                grpc.channel_ready_future(channel).result(timeout=30)
                reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
                assert reply.status == health_pb2.HealthCheckResponse.SERVING
        while time.monotonic() < deadline and not all(
                catches(int(child), signal.SIGHUP) for child in children):
            time.sleep(0.2)  # a process not yet serving would die of it, as any program would
        policy.write_text("max_split = 3\n")
        server.send_signal(signal.SIGHUP)  # forwarded to both; neither stops
    finally:
        output = stopped(server)
    assert server.returncode == 0, output
    assert output.count(f"routing policy reloaded from {policy}: max_split 2 -> 3") == 2
    assert output.count("draining in-flight calls") == 2
