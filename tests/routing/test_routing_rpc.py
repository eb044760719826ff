"""RoutingService through a real channel, on the demo chain, against live stock."""

from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf import struct_pb2, timestamp_pb2
from onestock.inventory.v1 import inventory_service_pb2 as inv
from onestock.inventory.v1 import inventory_service_pb2_grpc as inv_grpc
from onestock.routing.v1 import routing_service_pb2 as pb
from onestock.routing.v1 import routing_service_pb2_grpc as pb_grpc
from sqlalchemy import text

from services.common.geo import haversine_km
from services.common.uow import in_transaction
from services.inventory.demo_chain import build_demo_chain, seed_demo_chain
from tests.helpers import bad_fields, error_info, table_counts

PEOPLES_SQUARE = (31.2304, 121.4737)
WEST_LAKE = (30.2590, 120.1300)
AFTERNOON = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 14:00 in Shanghai


@pytest.fixture
async def demo(engine):
    chain = build_demo_chain()
    await in_transaction(engine, lambda conn: seed_demo_chain(conn, chain))
    return chain


@pytest.fixture
def routing(channel, demo):
    return pb_grpc.RoutingServiceStub(channel)


@pytest.fixture
def inventory(channel):
    return inv_grpc.InventoryServiceStub(channel)


def at(when: datetime) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(when)
    return ts


def request(*lines, mode=pb.FULFILMENT_MODE_PICKUP, point=PEOPLES_SQUARE, city="Shanghai",
            when=AFTERNOON, **kw):
    return pb.RouteRequest(lines=[pb.OrderLine(sku_id=s, quantity=q) for s, q in lines],
                           latitude=point[0], longitude=point[1], city=city, mode=mode,
                           order_time=at(when), **kw)


async def nearest_pickup_store_with(engine, sku_id, quantity, point=PEOPLES_SQUARE,
                                    radius_km=10.0):
    """Brute force over the database: the nearest pickup store holding enough for online sale."""
    async with engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT l.location_id, l.latitude, l.longitude FROM stock_levels s "
            "JOIN locations l USING (location_id) WHERE s.sku_id = :sku AND l.can_pickup "
            "AND s.on_hand - s.reserved - s.safety_stock >= :q"), {"sku": sku_id, "q": quantity})).all()
    ranked = sorted((haversine_km(*point, lat, lng), loc) for loc, lat, lng in rows)
    return next((loc for d, loc in ranked if d <= radius_km), None)


async def test_pickup_goes_to_the_nearest_store_with_live_stock(routing, engine):
    expected = await nearest_pickup_store_with(engine, "MILK-001", 1)
    plan = (await routing.RouteOrder(pb.RouteOrderRequest(order=request(("MILK-001", 1))))).plan
    assert plan.feasible and plan.label == "pickup"
    assert plan.distance_measure == pb.DISTANCE_MEASURE_GREAT_CIRCLE  # no road provider
    assert plan.shipments[0].location_id == expected
    chosen = [c for c in plan.trace if c.chosen]
    assert [c.location_id for c in chosen] == [expected]


async def test_routing_follows_live_availability_and_never_uses_safety_stock(
        routing, inventory, engine):
    first = await nearest_pickup_store_with(engine, "MILK-001", 1)
    async with engine.connect() as conn:
        on_hand = await conn.scalar(text(
            "SELECT on_hand FROM stock_levels WHERE location_id = :l AND sku_id = 'MILK-001'"),
            {"l": first})
    # keep every unit back from online sale: the shelf still has them, the mall may not sell them
    await inventory.SetSafetyStock(inv.SetSafetyStockRequest(
        request_id="s", location_id=first, sku_id="MILK-001", safety_stock=on_hand))
    second = await nearest_pickup_store_with(engine, "MILK-001", 1)
    assert second != first
    plan = (await routing.RouteOrder(pb.RouteOrderRequest(order=request(("MILK-001", 1))))).plan
    assert plan.shipments[0].location_id == second
    rejected = next(c for c in plan.trace if c.location_id == first and c.role == 1)
    assert list(rejected.short_sku_ids) == ["MILK-001"]
    assert pb.CANDIDATE_REASON_INSUFFICIENT_STOCK in rejected.reasons


async def test_same_city_delivery_in_hangzhou_stays_in_city_and_radius(routing, demo):
    plan = (await routing.RouteOrder(pb.RouteOrderRequest(order=request(
        ("TEA-001", 1), mode=pb.FULFILMENT_MODE_SAME_CITY_DELIVERY, point=WEST_LAKE,
        city="Hangzhou")))).plan
    assert plan.feasible and plan.mode == pb.FULFILMENT_MODE_SAME_CITY_DELIVERY
    by_id = {loc.location_id: loc for loc in demo.locations}
    for shipment in plan.shipments:
        store = by_id[shipment.location_id]
        assert store.city == "Hangzhou" and store.can_deliver
        assert shipment.distance_km <= store.delivery_radius_km
        assert shipment.fee_minor > 0


async def test_the_basic_view_is_the_same_plan_without_its_trace(routing):
    order = request(("MILK-001", 1), ("TEA-001", 1), mode=pb.FULFILMENT_MODE_AUTO)
    full, unset, basic = [(await routing.RouteOrder(pb.RouteOrderRequest(order=order, view=view))
                           ).plan for view in (pb.PLAN_VIEW_FULL, pb.PLAN_VIEW_UNSPECIFIED,
                                               pb.PLAN_VIEW_BASIC)]
    assert full.trace and unset == full
    assert not basic.trace
    full.ClearField("trace")
    assert basic == full


async def test_an_unknown_view_is_invalid_naming_it(routing, engine):
    before = await table_counts(engine)
    with pytest.raises(grpc.RpcError) as caught:
        await routing.RouteOrder(pb.RouteOrderRequest(order=request(("MILK-001", 1)), view=9))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(caught.value) == ["view"]
    assert await table_counts(engine) == before


async def test_an_order_placed_at_night_is_ready_after_the_store_opens(routing):
    night = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
    plan = (await routing.RouteOrder(pb.RouteOrderRequest(order=request(
        ("MILK-001", 1), when=night)))).plan
    opening = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    assert plan.shipments[0].prep_start_time.ToDatetime(tzinfo=UTC) == opening
    assert plan.ready_time.ToDatetime(tzinfo=UTC) == opening + timedelta(minutes=30)


async def test_a_new_store_is_routed_to_as_soon_as_it_is_upserted(routing, inventory):
    await routing.RouteOrder(pb.RouteOrderRequest(order=request(("MILK-001", 1))))  # warm cache
    await inventory.UpsertLocations(inv.UpsertLocationsRequest(request_id="new", locations=[
        inv.Location(location_id="SH-NEW", name="New", kind=inv.LOCATION_KIND_STORE,
                     latitude=PEOPLES_SQUARE[0], longitude=PEOPLES_SQUARE[1] + 0.0005,
                     city="Shanghai", capabilities=inv.Capabilities(pickup=True))]))
    await inventory.AdjustStock(inv.AdjustStockRequest(
        request_id="a", location_id="SH-NEW", sku_id="MILK-001", delta=3,
        reason=inv.ADJUSTMENT_REASON_RECEIPT))
    plan = (await routing.RouteOrder(pb.RouteOrderRequest(order=request(("MILK-001", 1))))).plan
    assert plan.shipments[0].location_id == "SH-NEW"


async def test_a_store_closed_for_a_period_is_passed_over_until_it_reopens(
        routing, inventory, engine):
    nearest = await nearest_pickup_store_with(engine, "MILK-001", 1)
    shop = (await inventory.GetLocation(inv.GetLocationRequest(location_id=nearest))).location
    festival = shop.closures.add(reason="Spring Festival")
    festival.start_time.FromDatetime(AFTERNOON - timedelta(days=1))
    festival.end_time.FromDatetime(AFTERNOON + timedelta(days=2))
    await inventory.UpsertLocations(inv.UpsertLocationsRequest(request_id="close",
                                                               locations=[shop]))
    plan = (await routing.RouteOrder(pb.RouteOrderRequest(order=request(("MILK-001", 1))))).plan
    assert plan.shipments[0].location_id != nearest
    passed = next(c for c in plan.trace if c.location_id == nearest and
                  c.role == pb.CANDIDATE_ROLE_PICKUP)
    assert list(passed.reasons) == [pb.CANDIDATE_REASON_TEMPORARILY_CLOSED]
    assert passed.opens_time.ToDatetime(tzinfo=UTC) >= AFTERNOON + timedelta(days=2)
    after = (await routing.RouteOrder(pb.RouteOrderRequest(order=request(
        ("MILK-001", 1), when=AFTERNOON + timedelta(days=2))))).plan
    assert after.shipments[0].location_id == nearest


async def test_quote_offers_pickup_and_delivery_options(routing):
    response = await routing.QuoteFulfilment(pb.QuoteFulfilmentRequest(order=request(
        ("MILK-001", 1), mode=pb.FULFILMENT_MODE_UNSPECIFIED)))
    assert len(response.pickup_options) >= 2
    assert all(p.mode == pb.FULFILMENT_MODE_PICKUP for p in response.pickup_options)
    assert response.delivery_options
    scores = [p.score for p in response.pickup_options]
    assert scores == sorted(scores)


async def test_policy_overrides_change_the_decision(routing):
    tiny = struct_pb2.Struct()
    tiny.update({"pickup_radius_km": 0.1})
    plan = (await routing.RouteOrder(pb.RouteOrderRequest(order=request(
        ("MILK-001", 1), policy_overrides=tiny)))).plan
    assert not plan.feasible
    assert "within 0.1 km" in plan.unfillable_reasons[0]


async def test_unknown_policy_key_is_invalid_naming_it(routing):
    typo = struct_pb2.Struct()
    typo.update({"pickup_radius": 5})
    with pytest.raises(grpc.RpcError) as caught:
        await routing.RouteOrder(pb.RouteOrderRequest(order=request(
            ("MILK-001", 1), policy_overrides=typo)))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(caught.value) == ["order.policy_overrides.pickup_radius"]


@pytest.mark.parametrize("override,field", [
    ({"prep_minutes": 10**15}, "prep_minutes"),
    ({"same_city_transfer_hours": 1e300}, "same_city_transfer_hours"),
    ({"transfer_per_km_minor": 1e30}, "transfer_per_km_minor"),
    ({"delivery_bands": [{"max_km": 10, "fee_minor": 1e30, "courier_minutes": 5}]},
     "delivery_bands[0].fee_minor"),
    ({"weights": {"per_hour_eta": 1e308}}, "weights.per_hour_eta"),
])
async def test_a_policy_value_beyond_its_bound_is_invalid_naming_it(routing, override, field):
    """Values a plan's times and fees could not hold (they answered INTERNAL before)."""
    overrides = struct_pb2.Struct()
    overrides.update(override)
    with pytest.raises(grpc.RpcError) as caught:
        await routing.RouteOrder(pb.RouteOrderRequest(order=request(
            ("MILK-001", 1), policy_overrides=overrides)))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(caught.value) == [f"order.policy_overrides.{field}"]


@pytest.mark.parametrize("order,field", [
    (pb.RouteRequest(latitude=31.2, longitude=121.4, city="Shanghai",
                     mode=pb.FULFILMENT_MODE_PICKUP), "order.lines"),
    (request(("MILK-001", 0)), "order.lines[0].quantity"),
    (request(("MILK-001", 1), ("MILK-001", 2)), "order.lines[1].sku_id"),
    (request(("MILK-001", 1), point=(91, 121)), "order.latitude"),
    (request(("MILK-001", 1), point=(31, 190)), "order.longitude"),
    (request(("MILK-001", 1), mode=pb.FULFILMENT_MODE_UNSPECIFIED), "order.mode"),
    (request(("MILK-001", 1), mode=7), "order.mode"),
    (request(("MILK-001", 1), mode=pb.FULFILMENT_MODE_SAME_CITY_DELIVERY, city=""), "order.city"),
    (request(("MILK-001", 1), mode=pb.FULFILMENT_MODE_SAME_CITY_DELIVERY,
             pickup_location_id="SH-001"), "order.pickup_location_id"),
    # the last second a Timestamp holds: the ETA after it overflowed datetime (INTERNAL before)
    (request(("MILK-001", 1), mode=pb.FULFILMENT_MODE_AUTO,
             when=datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)), "order.order_time"),
    (request(("MILK-001", 1), when=datetime(1969, 12, 31, tzinfo=UTC)), "order.order_time"),
])
async def test_bad_route_requests_name_the_field(routing, engine, order, field):
    before = await table_counts(engine)
    with pytest.raises(grpc.RpcError) as caught:
        await routing.RouteOrder(pb.RouteOrderRequest(order=order))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in bad_fields(caught.value)
    assert await table_counts(engine) == before


async def test_unknown_sku_or_pickup_store_is_not_found(routing):
    for order in (request(("NO-SUCH-SKU", 1)), request(("MILK-001", 1), pickup_location_id="NOPE")):
        with pytest.raises(grpc.RpcError) as caught:
            await routing.RouteOrder(pb.RouteOrderRequest(order=order))
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_a_sku_taken_off_the_mall_is_neither_quoted_nor_routed_naming_it(
        routing, inventory, demo):
    milk = (await routing.RouteOrder(pb.RouteOrderRequest(order=request(("MILK-001", 1))))).plan
    assert milk.feasible
    for status in (inv.SALE_STATUS_STORES_ONLY, inv.SALE_STATUS_HALTED):
        await inventory.UpsertSkus(inv.UpsertSkusRequest(request_id=f"off-{status}", skus=[
            inv.Sku(sku_id="MILK-001", name="Milk", price_minor=100, sale_status=status)]))
        order = request(("MILK-001", 1), ("TEA-001", 1), mode=pb.FULFILMENT_MODE_AUTO)
        for call in (routing.RouteOrder(pb.RouteOrderRequest(order=order)),
                     routing.QuoteFulfilment(pb.QuoteFulfilmentRequest(order=order))):
            with pytest.raises(grpc.RpcError) as caught:
                await call
            assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
            info = error_info(caught.value)
            assert (info.reason, info.metadata["sku_ids"], info.metadata["field"]) == (
                "SKU_NOT_ON_SALE", "MILK-001", "order.lines.sku_id")


async def test_a_new_sku_is_routable_as_soon_as_it_is_upserted(routing, inventory):
    with pytest.raises(grpc.RpcError):  # unknown, and the catalogue is now cached
        await routing.RouteOrder(pb.RouteOrderRequest(order=request(("NEW-SKU", 1))))
    await inventory.UpsertSkus(inv.UpsertSkusRequest(request_id="sku", skus=[
        inv.Sku(sku_id="NEW-SKU", name="New", price_minor=100)]))
    await inventory.AdjustStock(inv.AdjustStockRequest(
        request_id="a", location_id="SH-W01", sku_id="NEW-SKU", delta=5,
        reason=inv.ADJUSTMENT_REASON_RECEIPT))
    plan = (await routing.RouteOrder(pb.RouteOrderRequest(order=request(("NEW-SKU", 1))))).plan
    assert plan.feasible and plan.shipments[0].transfers[0].source_location_id == "SH-W01"
