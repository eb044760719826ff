"""gRPC OrderService: validate, run a handler in one transaction (with its request id), map."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import astuple, replace
from datetime import datetime

from onestock.orders.v1 import order_service_pb2 as pb
from onestock.orders.v1 import order_service_pb2_grpc as pb_grpc
from sqlalchemy.ext.asyncio import AsyncEngine

from services.access.authz import Scope
from services.access.context import Access, access, actor
from services.access.principals import Kind
from services.common.config import Settings
from services.common.errors import Collector, FieldViolation, InvalidArgument, NotFound
from services.common.idempotency import checked_or_replayed, idempotent, request_hash
from services.common.pagination import decode_token, fitted_page, page_size
from services.common.uow import as_of_one_moment, in_transaction
from services.common.validation import check_optional_id, check_text
from services.inventory.catalogue import SaleTerms
from services.inventory.domain import Channel, require_on_sale
from services.orders import handlers, pickup_codes, sales_credit, validation
from services.orders import repository as repo
from services.orders.mapping import (
    STATE_TO_PB,
    order_event_to_pb,
    order_to_pb,
    store_sales_to_pb,
)
from services.orders.order_batcher import OnlineOrder, OrderBatcher
from services.orders.order_feed import OrderFeed
from services.orders.state_machine import GroupEvent
from services.routing.chain_cache import ChainCache
from services.routing.policy import LivePolicy
from services.routing.road_distances import RoadDistances, with_road_distances

STATE_FROM_PB = {v: k for k, v in STATE_TO_PB.items()}
STEPS = {  # RPC name -> (event, response type)
    "ShipTransfer": (GroupEvent.SHIP_TRANSFER, pb.ShipTransferResponse),
    "ReceiveTransfer": (GroupEvent.RECEIVE_TRANSFER, pb.ReceiveTransferResponse),
    "MarkReadyForPickup": (GroupEvent.MARK_READY_FOR_PICKUP, pb.MarkReadyForPickupResponse),
    "ConfirmPickup": (GroupEvent.CONFIRM_PICKUP, pb.ConfirmPickupResponse),
    "DispatchDelivery": (GroupEvent.DISPATCH_DELIVERY, pb.DispatchDeliveryResponse),
    "ConfirmDelivery": (GroupEvent.CONFIRM_DELIVERY, pb.ConfirmDeliveryResponse),
}


class OrderServicer(pb_grpc.OrderServiceServicer):
    def __init__(self, engine: AsyncEngine, chains: ChainCache, policy: LivePolicy,
                 settings: Settings, feed: OrderFeed, online_orders: OrderBatcher,
                 roads: RoadDistances | None = None):
        self.engine = engine
        self.roads = roads
        self.online_orders = online_orders
        self.feed = feed
        self.chains = chains
        self.policy = policy
        self.settings = settings
        self.pickup_guard = pickup_codes.Guard(settings.pickup_code_attempts,
                                               settings.pickup_code_lockout_s)

    async def _reload(self, conn, order_id: str, response_type, caller: Access):
        return response_type(order=_shown(await repo.load_order(conn, order_id), caller))

    async def CreateOrder(self, request, context):
        rules = self.settings.member_rules
        cmd = validation.create_order(request, self.settings.limits, rules)
        caller = access()
        store = cmd.till_location_id or (cmd.route.pickup_location_id if cmd.route else None)
        _require_may_create(caller, cmd, store)
        chain, terms = await self.chains.get()
        unknown = [sku for sku, _, _ in cmd.lines if sku not in terms]
        if unknown:
            raise NotFound("sku", unknown, field="lines.sku_id")
        replayed = await checked_or_replayed(
            self.engine, "CreateOrder", request, pb.CreateOrderResponse,
            lambda: _require_sellable(cmd, terms))
        if replayed is not None:
            return replayed
        if store and store not in chain.by_id:
            raise NotFound("location", store, field="fulfilment.location_id")

        if cmd.route is not None:
            policy = self.policy.current
            cmd = replace(cmd, route=await with_road_distances(self.roads, chain, cmd.route, policy))
            online = OnlineOrder.of(cmd, chain, policy, actor())
            return await self.online_orders.create(online, request_hash(request))

        async def work(conn):
            order = await handlers.create_pos_sale(conn, cmd, chain.by_id[store].dealer_id,
                                                   caller, rules)
            return pb.CreateOrderResponse(order=_shown(order, caller))

        return await idempotent(self.engine, "CreateOrder", request, pb.CreateOrderResponse, work)

    async def ConfirmPayment(self, request, context):
        errors = Collector()
        validation.order_ref(request, errors=errors)
        errors.check(request.amount_minor > 0, "amount_minor", "must be more than 0")
        errors.raise_if_any()
        caller = access()

        async def work(conn):
            order = await handlers.confirm_payment(conn, request.order_id, request.amount_minor,
                                                   self.settings.order_hold_s, access=caller)
            return pb.ConfirmPaymentResponse(order=_shown(order, caller))

        return await idempotent(self.engine, "ConfirmPayment", request,
                                pb.ConfirmPaymentResponse, work)

    async def CancelOrder(self, request, context):
        errors = Collector()
        validation.order_ref(request, errors=errors)
        check_text(errors, request.reason, "reason", 200)
        errors.raise_if_any()
        caller = access()

        async def work(conn):
            order = await handlers.cancel_order(conn, request.order_id,
                                                request.reason or "CUSTOMER", access=caller)
            return pb.CancelOrderResponse(order=_shown(order, caller))

        return await idempotent(self.engine, "CancelOrder", request, pb.CancelOrderResponse, work)

    async def GetOrder(self, request, context):
        validation.order_ref(request, needs_request_id=False)
        caller = access()
        async with self.engine.connect() as conn:
            order = await _readable_order(conn, request.order_id, caller)
        return pb.GetOrderResponse(order=_shown(order, caller))

    async def _step(self, name: str, request):
        event, response_type = STEPS[name]
        errors = Collector()
        validation.order_ref(request, field="group_id", errors=errors)
        if event is GroupEvent.DISPATCH_DELIVERY:
            validation.courier_reference(request.courier_reference, errors)
        if event is GroupEvent.CONFIRM_PICKUP:
            errors.check(pickup_codes.well_formed(request.pickup_code), "pickup_code",
                         "must be the 6 digits issued by MarkReadyForPickup")
        errors.raise_if_any()
        caller = access()
        if event is GroupEvent.CONFIRM_PICKUP:
            refusal = await in_transaction(self.engine, lambda conn: handlers.judge_pickup_code(
                conn, request.group_id, request.pickup_code, self.pickup_guard, caller))
            if refusal is not None:
                raise refusal  # the wrong code has been counted: committed above

        async def work(conn):
            order = await handlers.group_step(
                conn, request.group_id, event,
                pickup_code=getattr(request, "pickup_code", ""),
                courier_reference=getattr(request, "courier_reference", ""), access=caller,
                rules=self.settings.member_rules)
            return response_type(order=_shown(order, caller))

        return await idempotent(self.engine, name, request, response_type, work)

    async def ReturnOrderLines(self, request, context):
        lines = validation.return_lines(request, self.settings.limits)
        caller = access()
        caller.require_location(request.location_id, "location_id")

        async def work(conn):
            await handlers.return_lines(conn, request.order_id, request.location_id, lines,
                                        request.request_id, self.settings.member_rules)
            return await self._reload(conn, request.order_id, pb.ReturnOrderLinesResponse,
                                      caller)

        return await idempotent(self.engine, "ReturnOrderLines", request,
                                pb.ReturnOrderLinesResponse, work)

    async def ListOrders(self, request, context):
        errors = Collector()
        for field in ("member_id", "location_id"):
            check_optional_id(errors, getattr(request, field), field)
        if not request.member_id and not request.location_id:
            errors.add("member_id", "member_id or location_id is required")
        state = STATE_FROM_PB.get(request.state, "") if request.state else ""
        errors.check(request.state == 0 or bool(state), "state", "unknown state")
        filters = {"m": request.member_id, "l": request.location_id, "s": state}
        size = page_size(request.page_size, self.settings.limits, errors)
        after = decode_token(request.page_token, filters, errors, (datetime, str))
        errors.raise_if_any()
        caller = access()
        caller.require_member(request.member_id, "member_id")
        caller.require_location(request.location_id, "location_id")
        async with self.engine.connect() as conn:
            keys = await repo.list_order_ids(
                conn, member_id=request.member_id, location_id=request.location_id, state=state,
                after=after, limit=size + 1)
            orders = await repo.load_orders(conn, [order_id for _, order_id in keys[:size]])
        shown, token = fitted_page(  # big orders: a shorter page
            [_shown(order, caller) for order in orders], keys, filters,
            self.settings.max_message_bytes)
        return pb.ListOrdersResponse(orders=shown, next_page_token=token)

    async def SummarizeSales(self, request, context):
        errors = Collector()
        period = validation.sales_period(request, errors)
        filters = {"p": [t.isoformat() for t in period or ()], "l": request.location_id,
                   "d": request.dealer_id}
        size = page_size(request.page_size, self.settings.limits, errors)
        after = decode_token(request.page_token, filters, errors, (str, str, str))
        errors.raise_if_any()
        access().require_location(request.location_id, "location_id")
        async with self.engine.connect() as conn:
            await as_of_one_moment(conn)  # a return committed meanwhile: in both reads or neither
            sales, returns = await repo.sales_between(
                conn, *period, location_id=request.location_id, dealer_id=request.dealer_id)
        rows = [(key, row) for key, row in sorted(sales_credit.summarize(sales, returns).items())
                if after is None or astuple(key) > after][:size + 1]
        shown, token = fitted_page([store_sales_to_pb(key, row) for key, row in rows[:size]],
                                   [astuple(key) for key, _ in rows], filters,
                                   self.settings.max_message_bytes)
        return pb.SummarizeSalesResponse(store_sales=shown, next_page_token=token)

    async def ListOrderEvents(self, request, context):
        errors = Collector()
        validation.order_ref(request, needs_request_id=False, errors=errors)
        size = page_size(request.page_size, self.settings.limits, errors)
        filters = {"o": request.order_id}
        after = decode_token(request.page_token, filters, errors, (int,))
        errors.raise_if_any()
        async with self.engine.connect() as conn:
            await _readable_order(conn, request.order_id, access())
            rows = await repo.order_events(conn, request.order_id, after[0] if after else None,
                                           size + 1)
        events, token = fitted_page([order_event_to_pb(r) for r in rows[:size]],
                                    [[r["event_id"]] for r in rows], filters,
                                    self.settings.max_message_bytes)
        return pb.ListOrderEventsResponse(events=events, next_page_token=token)

    async def WatchOrder(self, request, context):
        validation.order_ref(request, needs_request_id=False)
        caller = access()
        changes = self.feed.watch(request.order_id)  # before the first read: no change missed
        try:
            last = None
            while True:
                async with self.engine.connect() as conn:
                    order = await repo.load_order(conn, request.order_id)
                if order is None:
                    raise NotFound("order", request.order_id)
                if last is None:
                    _require_order_access(caller, order)
                message = _shown(order, caller)
                if message != last:
                    yield pb.WatchOrderResponse(order=message)
                    last = message
                if order.state.value in ("COMPLETED", "CANCELLED"):
                    return  # final: nothing more to follow
                await changes.get()
        finally:
            self.feed.unwatch(request.order_id, changes)

    async def ShipTransfer(self, request, context):
        return await self._step("ShipTransfer", request)

    async def ReceiveTransfer(self, request, context):
        return await self._step("ReceiveTransfer", request)

    async def MarkReadyForPickup(self, request, context):
        return await self._step("MarkReadyForPickup", request)

    async def ConfirmPickup(self, request, context):
        return await self._step("ConfirmPickup", request)

    async def DispatchDelivery(self, request, context):
        return await self._step("DispatchDelivery", request)

    async def ConfirmDelivery(self, request, context):
        return await self._step("ConfirmDelivery", request)

    async def CancelFulfilmentGroup(self, request, context):
        errors = Collector()
        validation.order_ref(request, field="group_id", errors=errors)
        check_text(errors, request.reason, "reason", 200)
        errors.raise_if_any()
        caller = access()

        async def work(conn):
            order = await handlers.cancel_group(
                conn, request.group_id, request.reason or "OUT_OF_STOCK", access=caller,
                rules=self.settings.member_rules)
            return pb.CancelFulfilmentGroupResponse(order=_shown(order, caller))

        return await idempotent(self.engine, "CancelFulfilmentGroup", request,
                                pb.CancelFulfilmentGroupResponse, work)



def _require_may_create(caller: Access, cmd, store: str | None) -> None:
    """The mall creates online orders for the member it acts for; a till sells at its store."""
    if caller.scope is Scope.OWN_MEMBER:
        caller.require(cmd.route is not None, "channel", "create till sales")
        caller.require_member(cmd.member_id, "member_id")
    elif caller.scope is Scope.OWN_LOCATION:
        caller.require(cmd.route is None, "channel", "create online orders")
        caller.require_location(store or "", "fulfilment.location_id")


def _require_sellable(cmd, terms: Mapping[str, SaleTerms]) -> None:
    """Every line on sale through the order's channel (the mall's, or a till's), at no more
    than its catalogue price: a promotion may lower a price, never raise it, since points
    follow what was charged and an inflated price would mint points."""
    channel = Channel.MINI_PROGRAM if cmd.route is not None else Channel.POS
    require_on_sale([sku for sku, _, _ in cmd.lines], terms, channel, "lines.sku_id")
    over = [FieldViolation(f"lines[{i}].unit_price_minor",
                           f"{price} exceeds the catalogue price {terms[sku].price_minor} of {sku}")
            for i, (sku, _, price) in enumerate(cmd.lines) if price > terms[sku].price_minor]
    if over:
        raise InvalidArgument(over)


def _shown(order, caller: Access) -> pb.Order:
    """The order for this caller. Its pickup codes go to the member's mall and head office
    only: the customer shows the code at the counter and staff type it in, so a counter that
    could read it would make ConfirmPickup's check prove nothing."""
    return order_to_pb(order, with_pickup_codes=caller.principal.kind in (Kind.MALL, Kind.OPS))


async def _readable_order(conn, order_id: str, caller: Access):
    """The order, if it exists and ``caller`` may read it (GetOrder, ListOrderEvents)."""
    order = await repo.load_order(conn, order_id)
    if order is None:
        raise NotFound("order", order_id)
    _require_order_access(caller, order)
    return order


def _require_order_access(caller: Access, order) -> None:
    """The mall sees its member's orders; a store sees orders it serves or supplies."""
    caller.require_member(order.member_id, "order_id")
    caller.require_some_location(
        {g.location_id for g in order.groups} | {t.source_id for g in order.groups
                                                  for t in g.transfers}, "order_id")
