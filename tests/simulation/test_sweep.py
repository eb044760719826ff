"""Sweeps: worker processes and a (local) Ray cluster give what one process gives."""

import asyncio
import multiprocessing
import threading

import pytest
from onestock.routing.v1 import routing_service_pb2 as pb
from onestock.routing.v1 import routing_service_pb2_grpc as pb_grpc

from services.routing.policy import DEFAULT_POLICY, policy_from_dict
from services.simulation import sweep
from services.simulation.scenario import ScenarioSpec, SyntheticChainSpec, SyntheticOrdersSpec

CHAIN = SyntheticChainSpec(locations=120, skus=400, seed=4)
SPECS = [ScenarioSpec(synthetic_chain=CHAIN, synthetic_orders=SyntheticOrdersSpec(
    orders=1_500, seed=seed), name=f"day-{seed}") for seed in (1, 2)]
POLICIES = [("default", DEFAULT_POLICY),
            ("deliver-far", policy_from_dict({"max_split": 3, "weights": {"fee_per_yuan": 0.2}}))]
JOBS = [sweep.Job(spec, name, policy) for spec in SPECS for name, policy in POLICIES]


class Counted(sweep.Tracker):
    def __init__(self):
        self.total = self.done = 0

    def add_total(self, orders):
        self.total += orders

    def advance(self, orders):
        self.done += orders


@pytest.fixture(scope="module")
def in_process():
    return sweep.run(JOBS)


def test_worker_processes_give_the_same_kpis_in_the_same_order(in_process):
    tracker = Counted()
    assert sweep.run(JOBS, workers=2, tracker=tracker) == in_process
    assert tracker.done == tracker.total == 4 * 1_500
    assert len({k["filled"] for k in in_process}) > 1  # four different outcomes, not one


@pytest.mark.slow
def test_a_local_ray_cluster_gives_the_same_kpis(in_process):
    pytest.importorskip("ray")
    tracker = Counted()
    assert sweep.run(JOBS, ray_address="local", tracker=tracker) == in_process
    assert tracker.done == tracker.total == 4 * 1_500


def test_a_cancelled_sweep_stops_its_workers():
    cancel = threading.Event()

    class CancelOnFirstProgress(Counted):
        def advance(self, orders):
            super().advance(orders)
            cancel.set()

    big = [sweep.Job(ScenarioSpec(synthetic_chain=CHAIN, synthetic_orders=SyntheticOrdersSpec(
        orders=2_000_000)), "default", DEFAULT_POLICY)] * 2
    with pytest.raises(sweep.Cancelled):
        sweep.run(big, workers=2, tracker=CancelOnFirstProgress(), cancel=cancel)
    assert not multiprocessing.active_children()


async def test_a_client_going_away_stops_the_server_s_simulation(channel):
    routing = pb_grpc.RoutingServiceStub(channel)
    call = routing.RunSimulation(pb.RunSimulationRequest(
        request_id="going-away", synthetic_chain=pb.SyntheticChain(locations=120, skus=400),
        synthetic_orders=pb.SyntheticOrders(orders=3_000_000)))
    async for message in call:
        if message.progress.orders_replayed:
            break
    call.cancel()
    for _ in range(100):
        if not multiprocessing.active_children():
            break
        await asyncio.sleep(0.2)
    assert not multiprocessing.active_children()
    # the server is free again for the next simulation
    again = routing.RunSimulation(pb.RunSimulationRequest(
        request_id="after", synthetic_chain=pb.SyntheticChain(locations=30, skus=50),
        synthetic_orders=pb.SyntheticOrders(orders=100)))
    messages = [m async for m in again]
    assert messages[-1].result.policies[0].orders == 100
