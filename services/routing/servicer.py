"""gRPC RoutingService: validate, read live availability, let the core decide, map the plan."""

from __future__ import annotations

from onestock.routing.v1 import routing_service_pb2 as pb
from onestock.routing.v1 import routing_service_pb2_grpc as pb_grpc
from sqlalchemy.ext.asyncio import AsyncEngine

from services.access.context import access
from services.access.principals import Kind
from services.common.config import Limits
from services.common.errors import NotFound
from services.inventory import repository as inventory_repo
from services.inventory.domain import Channel, require_on_sale
from services.routing import validation
from services.routing.chain_cache import ChainCache
from services.routing.mapping import distance_measure, nearby_store_to_pb, plan_to_pb
from services.routing.model import Mode, RouteRequest
from services.routing.planner import quote, relevant_locations, route
from services.routing.policy import LivePolicy
from services.routing.road_distances import RoadDistances, with_road_distances
from services.routing.store_finder import nearest_stores, stores_to_measure
from services.simulation.rpc import Simulations


class RoutingServicer(pb_grpc.RoutingServiceServicer):
    def __init__(self, engine: AsyncEngine, chains: ChainCache, policy: LivePolicy,
                 limits: Limits, simulations: Simulations, roads: RoadDistances | None = None):
        self.engine = engine
        self.roads = roads
        self.chains = chains
        self.policy = policy
        self.limits = limits
        self.simulations = simulations

    async def _inputs(self, msg: pb.RouteRequest, *, require_mode: bool):
        request = validation.route_request(msg, self.limits, require_mode=require_mode)
        caller = access()
        caller.require(not msg.HasField("policy_overrides") or caller.principal.kind is Kind.OPS,
                       "order.policy_overrides", "override the routing policy (OPS only)")
        policy = validation.policy_for(msg, self.policy.current)
        chain, terms = await self.chains.get()
        if request.pickup_location_id and request.pickup_location_id not in chain.by_id:
            raise NotFound("location", request.pickup_location_id,
                           field="order.pickup_location_id")
        skus = [line.sku_id for line in request.lines]
        unknown_skus = [sku for sku in skus if sku not in terms]
        if unknown_skus:
            raise NotFound("sku", unknown_skus, field="order.lines.sku_id")
        require_on_sale(skus, terms, Channel.MINI_PROGRAM, "order.lines.sku_id")
        request = await with_road_distances(self.roads, chain, request, policy)
        ids = relevant_locations(chain, request, policy)
        async with self.engine.connect() as conn:
            stock = await inventory_repo.online_availability(conn, ids, skus)
        return chain, request, stock, policy

    async def FindNearestStores(self, request, context):
        search = validation.store_search(request)
        chain, _ = await self.chains.get()
        radius_km = search.radius_km or self.policy.current.pickup_radius_km
        road_km = None
        if self.roads is not None:  # by road, as checkout will route; great-circle if it fails
            stores = stores_to_measure(chain, search.latitude, search.longitude, radius_km)
            road_km = (await self.roads.measure(search.latitude, search.longitude, stores)
                       if stores else {})
        found = nearest_stores(
            chain, search.latitude, search.longitude, service=search.service,
            radius_km=radius_km, limit=search.limit, now=search.at, road_km=road_km)
        return pb.FindNearestStoresResponse(stores=[nearby_store_to_pb(s) for s in found],
                                            distance_measure=distance_measure(road_km is not None))

    async def RouteOrder(self, request, context):
        trace = validation.with_trace(request.view)
        chain, order, stock, policy = await self._inputs(request.order, require_mode=True)
        return pb.RouteOrderResponse(plan=plan_to_pb(route(chain, order, stock, policy),
                                                     with_trace=trace, by_road=order.by_road))

    async def QuoteFulfilment(self, request, context):
        chain, order, stock, policy = await self._inputs(request.order, require_mode=False)
        options = quote(chain, _any_mode(order), stock, policy)

        def shown(plans):
            return [plan_to_pb(p, with_trace=False, by_road=order.by_road) for p in plans]

        return pb.QuoteFulfilmentResponse(pickup_options=shown(options.pickup),
                                          delivery_options=shown(options.delivery),
                                          transfer_options=shown(options.transfer))

    async def RunSimulation(self, request, context):
        async for message in self.simulations.run(request):
            yield message


def _any_mode(order: RouteRequest) -> RouteRequest:
    return order._replace(mode=Mode.AUTO)
