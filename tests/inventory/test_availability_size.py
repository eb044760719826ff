"""An availability answer never outgrows the largest message: too many is refused by name."""

from dataclasses import replace

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from onestock.inventory.v1 import inventory_service_pb2 as pb
from onestock.inventory.v1 import inventory_service_pb2_grpc as pb_grpc

from services.inventory.mapping import AVAILABILITY_MAX_BYTES
from tests.helpers import bad_fields, sku, store

MESSAGE_BYTES = 20_160  # room for 90 answers
SKUS = [f"K{i:02d}" for i in range(20)]


@pytest.fixture
def settings(settings):
    return replace(settings, max_message_bytes=MESSAGE_BYTES)


@pytest.fixture
async def stub(channel):
    stub = pb_grpc.InventoryServiceStub(channel)
    stores = [store(f"S{i:02d}", 31.2 + i * 0.009, 121.4) for i in range(60)]  # 1 km apart
    await stub.UpsertLocations(pb.UpsertLocationsRequest(request_id="l", locations=stores))
    await stub.UpsertSkus(pb.UpsertSkusRequest(request_id="s", skus=[sku(s) for s in SKUS]))
    return stub


def near(radius_km: float) -> pb.GetAvailabilityRequest:
    return pb.GetAvailabilityRequest(sku_ids=SKUS, near=pb.NearPoint(
        latitude=31.2, longitude=121.4, radius_km=radius_km))


async def test_more_answers_than_one_reply_holds_are_refused_naming_what_to_narrow(stub):
    assert MESSAGE_BYTES // AVAILABILITY_MAX_BYTES == 90
    with pytest.raises(grpc.RpcError) as caught:  # 60 stores x 20 SKUs, not a gRPC size error
        await stub.GetAvailability(near(100))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(caught.value) == ["near.radius_km"]
    assert "60 locations x 20 SKUs is 1,200 answers; one reply holds at most 90" in (
        caught.value.details())
    with pytest.raises(grpc.RpcError) as caught:
        await stub.GetAvailability(pb.GetAvailabilityRequest(
            sku_ids=SKUS, locations=pb.LocationIds(location_ids=[f"S{i:02d}" for i in range(5)])))
    assert bad_fields(caught.value) == ["locations.location_ids"]


async def test_an_answer_up_to_the_bound_is_served_whole_and_nearest_first(stub):
    served = await stub.GetAvailability(near(3.5))  # stores 0, 1, 2 and 3 km away
    assert len(served.availabilities) == 4 * 20 <= 90
    distances = [a.distance_km for a in served.availabilities]
    assert distances == sorted(distances)


def test_the_largest_availability_fits_the_bound_an_answer_is_sized_by():
    """Longest ids, counts of ten varint bytes, a reopening with nanoseconds, a sale status:
    each entry of a reply, with its framing, stays within AVAILABILITY_MAX_BYTES."""
    largest = pb.Availability(
        stock=pb.StockLevel(location_id="L" * 64, sku_id="S" * 64, on_hand=-1, reserved=-1,
                            safety_stock=-1, available_online=-1, available_pos=-1),
        distance_km=19_999.999, reopen_time=Timestamp(seconds=253_402_300_799, nanos=999_999_999),
        sale_status=pb.SALE_STATUS_HALTED)
    reply = pb.GetAvailabilityResponse(availabilities=[largest] * 10)
    assert reply.ByteSize() <= 10 * AVAILABILITY_MAX_BYTES
