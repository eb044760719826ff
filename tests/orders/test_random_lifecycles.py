"""Random order lives through real channels, four calls at a time: checkouts (some retried, some
reusing another request's id, some spending points), payments right and wrong, cancellations,
every fulfilment step with right and wrong pickup codes, returns, till sales (some of units the
till held first, some of another store's or a spent hold, some spending points with a fresh
member code, a used one or another member's), deliveries of stock, and unpaid
orders expiring under them. No call ends INTERNAL or UNKNOWN, and after every round the
ledger, the orders and the points agree with each other."""

import asyncio
import random
from dataclasses import replace

import grpc
import pytest
from onestock.inventory.v1 import inventory_service_pb2 as inv
from onestock.members.v1 import member_service_pb2 as mem
from onestock.orders.v1 import order_service_pb2 as pb
from sqlalchemy import text

from tests.helpers import WALK_SEEDS, assert_ledger_consistent, status_of
from tests.orders.conftest import CUSTOMER

SKUS = {"LAMP": 10_000, "SOFA": 50_000, "VASE": 2_000}
LOCATIONS = ["A", "B", "W"]
STEPS = ["ShipTransfer", "ReceiveTransfer", "MarkReadyForPickup", "ConfirmPickup",
         "DispatchDelivery", "ConfirmDelivery"]

NEXT_STEP = {
    (pb.GROUP_KIND_PICKUP, pb.GROUP_STATE_AWAITING_TRANSFER): "ShipTransfer",
    (pb.GROUP_KIND_DELIVERY, pb.GROUP_STATE_AWAITING_TRANSFER): "ShipTransfer",
    (pb.GROUP_KIND_PICKUP, pb.GROUP_STATE_IN_TRANSIT): "ReceiveTransfer",
    (pb.GROUP_KIND_DELIVERY, pb.GROUP_STATE_IN_TRANSIT): "ReceiveTransfer",
    (pb.GROUP_KIND_PICKUP, pb.GROUP_STATE_PREPARING): "MarkReadyForPickup",
    (pb.GROUP_KIND_PICKUP, pb.GROUP_STATE_READY_FOR_PICKUP): "ConfirmPickup",
    (pb.GROUP_KIND_DELIVERY, pb.GROUP_STATE_PREPARING): "DispatchDelivery",
    (pb.GROUP_KIND_DELIVERY, pb.GROUP_STATE_OUT_FOR_DELIVERY): "ConfirmDelivery",
}


@pytest.fixture
def settings(settings):
    # some orders expire while others pay; member codes outlive the walk, so that the check
    # that every till sale spending points used one finds them all
    return replace(settings, order_payment_ttl_s=2, member_code_ttl_s=3600)


class Walk:
    """One random walk: what it has created, and one call of each kind."""

    def __init__(self, rng: random.Random, inventory, orders, members):
        self.rng, self.inventory, self.orders, self.members = rng, inventory, orders, members
        self.order_ids: list[str] = []
        self.shown: list[str] = []  # member codes issued
        self.held: list[str] = []  # tills' reservations
        self.codes: list[grpc.StatusCode] = []

    def request_id(self, kind: str) -> str:
        return f"{kind}-{self.rng.randrange(60)}"  # small pools: retries and reuse happen

    def points(self, member: str) -> int:
        """Points a member spends at checkout now and then (often more than they have)."""
        return self.rng.choice([0, 0, 0, 20, 150, 1_000]) if member else 0

    def lines(self, most: int = 3):
        skus = self.rng.sample(sorted(SKUS), self.rng.randint(1, most))
        return [(sku, self.rng.randint(1, 3)) for sku in skus]

    async def create(self):
        method = self.rng.choice([pb.FULFILMENT_METHOD_PICKUP, pb.FULFILMENT_METHOD_AUTO,
                                  pb.FULFILMENT_METHOD_SAME_CITY_DELIVERY])
        location = self.rng.choice(["", "A", "B"]) if method == pb.FULFILMENT_METHOD_PICKUP else ""
        member = self.rng.choice(["M-1", "M-2", ""])
        lines = self.lines()
        if self.rng.random() < 0.25:  # a lamp from A and a sofa from B: a split delivery
            method, lines = pb.FULFILMENT_METHOD_SAME_CITY_DELIVERY, [("LAMP", 1), ("SOFA", 1)]
        made = await self.orders.CreateOrder(pb.CreateOrderRequest(
            request_id=self.request_id("create"), channel=pb.CHANNEL_MINI_PROGRAM,
            member_id=member, points_to_redeem=self.points(member),
            lines=[pb.OrderLineInput(sku_id=s, quantity=q, unit_price_minor=SKUS[s])
                   for s, q in lines],
            fulfilment=pb.FulfilmentRequest(method=method, location_id=location,
                                            latitude=CUSTOMER[0], longitude=CUSTOMER[1],
                                            city="Shanghai")))
        self.order_ids.append(made.order.order_id)

    async def member_code(self, member: str) -> str:
        """A fresh code of the member's or, now and then, one shown before: used already, or
        another member's (a till scanning a stale screen)."""
        if self.shown and self.rng.random() < 0.25:
            return self.rng.choice(self.shown)
        issued = await self.members.IssueMemberCode(mem.IssueMemberCodeRequest(member_id=member))
        self.shown.append(issued.member_code.code)
        return issued.member_code.code

    async def sell_at_till(self):
        member = self.rng.choice(["M-1", "M-3", ""])
        points = self.points(member)
        code = await self.member_code(member) if points else ""
        made = await self.orders.CreateOrder(pb.CreateOrderRequest(
            request_id=self.request_id("till"), channel=pb.CHANNEL_POS,
            member_id=member if not code or self.rng.random() < 0.5 else "",
            points_to_redeem=points, member_code=code,
            lines=[pb.OrderLineInput(sku_id=s, quantity=q, unit_price_minor=SKUS[s])
                   for s, q in self.lines(1)],
            fulfilment=pb.FulfilmentRequest(method=pb.FULFILMENT_METHOD_IN_STORE,
                                            location_id=self.rng.choice(["A", "B"]))))
        self.order_ids.append(made.order.order_id)

    async def sell_held_at_till(self):
        """A till holds units first (ReserveStock), then sells them as an order consuming the
        hold; now and then the hold is another store's, or one already sold or released."""
        store = self.rng.choice(["A", "B"])
        lines = self.lines(1)
        if self.held and self.rng.random() < 0.3:
            reservation_id = self.rng.choice(self.held)
        else:
            held = await self.inventory.ReserveStock(inv.ReserveStockRequest(
                request_id=self.request_id("hold"), channel=inv.CHANNEL_POS,
                lines=[inv.ReservationLineInput(location_id=self.rng.choice([store, "A", "B"]),
                                                sku_id=s, quantity=q) for s, q in lines]))
            reservation_id = held.reservation.reservation_id
            self.held.append(reservation_id)
        made = await self.orders.CreateOrder(pb.CreateOrderRequest(
            request_id=self.request_id("till-held"), channel=pb.CHANNEL_POS,
            member_id=self.rng.choice(["M-1", "M-3", ""]),
            lines=[pb.OrderLineInput(sku_id=s, quantity=q, unit_price_minor=SKUS[s])
                   for s, q in lines],
            fulfilment=pb.FulfilmentRequest(method=pb.FULFILMENT_METHOD_IN_STORE,
                                            location_id=store, reservation_id=reservation_id)))
        self.order_ids.append(made.order.order_id)

    async def an_order(self) -> pb.Order | None:
        if not self.order_ids:
            return None
        got = await self.orders.GetOrder(pb.GetOrderRequest(
            order_id=self.rng.choice(self.order_ids)))
        return got.order

    async def pay(self):
        if order := await self.an_order():
            wrong = self.rng.random() < 0.2
            await self.orders.ConfirmPayment(pb.ConfirmPaymentRequest(
                request_id=f"pay-{order.order_id}-{wrong}", order_id=order.order_id,
                amount_minor=order.payable_minor + (1 if wrong else 0)))

    async def cancel(self):
        if order := await self.an_order():
            await self.orders.CancelOrder(pb.CancelOrderRequest(
                request_id=self.request_id("cancel"), order_id=order.order_id))

    async def step(self):
        order = await self.an_order()
        if order is None or not order.groups:
            return
        group = self.rng.choice(order.groups)
        name = NEXT_STEP.get((group.kind, group.state), "")
        if not name or self.rng.random() < 0.25:  # and now and then one out of turn
            name = self.rng.choice(STEPS)
        fields = {"request_id": self.request_id(name), "group_id": group.group_id}
        if name == "ConfirmPickup":
            right = group.pickup_code or "000000"
            fields["pickup_code"] = right if self.rng.random() < 0.7 else \
                f"{(int(right) + 1) % 10**6:06d}"
        if name == "DispatchDelivery":
            fields["courier_reference"] = "SF-1"
        await getattr(self.orders, name)(getattr(pb, f"{name}Request")(**fields))

    async def cancel_group(self):
        """One group of an order, of a split order when one of the first few looked at is."""
        orders = [o for o in [await self.an_order() for _ in range(4)] if o and o.groups]
        if orders:
            order = max(orders, key=lambda o: len(o.groups))
            await self.orders.CancelFulfilmentGroup(pb.CancelFulfilmentGroupRequest(
                request_id=self.request_id("cancel-group"),
                group_id=self.rng.choice(order.groups).group_id))

    async def give_back(self):
        if order := await self.an_order():
            await self.orders.ReturnOrderLines(pb.ReturnOrderLinesRequest(
                request_id=self.request_id("return"), order_id=order.order_id,
                location_id=self.rng.choice(["A", "B"]),
                lines=[pb.ReturnLineInput(sku_id=ln.sku_id, quantity=self.rng.randint(1, 2))
                       for ln in order.lines[:self.rng.randint(1, len(order.lines))]]))

    async def receive_stock(self):
        await self.inventory.AdjustStock(inv.AdjustStockRequest(
            request_id=self.request_id("receipt"), location_id=self.rng.choice(LOCATIONS),
            sku_id=self.rng.choice(sorted(SKUS)), delta=self.rng.randint(1, 4),
            reason=inv.ADJUSTMENT_REASON_RECEIPT))

    async def any_call(self):
        action = self.rng.choices(
            [self.create, self.sell_at_till, self.sell_held_at_till, self.pay, self.cancel,
             self.step, self.give_back, self.receive_stock, self.cancel_group],
            weights=[5, 1, 2, 4, 1, 8, 2, 1, 2])[0]
        self.codes.append(await status_of(action))


async def assert_orders_and_points_agree(engine) -> None:
    async with engine.connect() as conn:
        async def rows(sql):
            return (await conn.execute(text(sql))).all()

        # every completed member order is awarded once; nothing else is awarded
        assert await rows(
            "SELECT o.order_id FROM orders o WHERE o.state = 'COMPLETED' AND o.member_id <> '' "
            "AND NOT EXISTS (SELECT 1 FROM points_ledger p WHERE p.order_id = o.order_id "
            "AND p.kind = 'AWARD')") == []
        assert await rows(
            "SELECT p.order_id FROM points_ledger p JOIN orders o USING (order_id) "
            "WHERE p.kind = 'AWARD' AND o.state <> 'COMPLETED'") == []
        # returns never take back more than was awarded, nor give back more than was spent
        assert await rows(
            "SELECT order_id FROM points_ledger GROUP BY order_id "
            "HAVING SUM(points_delta) FILTER (WHERE kind IN ('AWARD', 'REVERSAL')) < 0 "
            "OR SUM(growth_delta) FILTER (WHERE kind IN ('AWARD', 'REVERSAL')) < 0 "
            "OR SUM(points_delta) FILTER (WHERE kind IN ('REDEMPTION', 'RESTORE')) > 0") == []
        # an order spent what it says, once; a cancelled one has it all back
        assert await rows(
            "SELECT o.order_id FROM orders o LEFT JOIN points_ledger p ON p.order_id = "
            "o.order_id AND p.kind IN ('REDEMPTION', 'RESTORE') GROUP BY o.order_id "
            "HAVING -COALESCE(SUM(p.points_delta) FILTER (WHERE p.kind = 'REDEMPTION'), 0) "
            "<> MAX(o.points_redeemed) OR (MAX(o.state) = 'CANCELLED' "
            "AND COALESCE(SUM(p.points_delta), 0) <> 0)") == []
        # balances are their ledger, entry after entry
        assert await rows(
            "SELECT m.member_id FROM members m LEFT JOIN (SELECT member_id, SUM(points_delta) p, "
            "SUM(growth_delta) g FROM points_ledger GROUP BY 1) l USING (member_id) "
            "WHERE m.points <> COALESCE(l.p, 0) OR m.growth <> COALESCE(l.g, 0)") == []
        # one CRM event per ledger entry, both counted in one statement: the expiry sweep
        # may give points back between two (read committed: a snapshot per statement)
        events, entries = (await conn.execute(text(
            "SELECT (SELECT count(*) FROM outbox), (SELECT count(*) FROM points_ledger)"))).one()
        assert events == entries
        # a cancelled or completed order holds nothing
        assert await rows(
            "SELECT o.order_id, r.reservation_id FROM orders o JOIN reservations r "
            "ON r.reference = o.order_id WHERE o.state IN ('CANCELLED', 'COMPLETED') "
            "AND r.state = 'ACTIVE'") == []
        # a till spent points only with a code of the order's member, one code per sale
        assert await rows(
            "SELECT o.order_id FROM orders o LEFT JOIN member_codes c USING (order_id) "
            "WHERE o.channel = 'POS' AND o.points_redeemed > 0 "
            "GROUP BY o.order_id HAVING count(c.order_id) FILTER "
            "(WHERE c.member_id = o.member_id) <> 1") == []
        # nothing comes back that was not handed over (bought, less groups cancelled alone)
        assert await rows(
            "SELECT l.order_id, l.sku_id FROM order_lines l, LATERAL (SELECT COALESCE(SUM("
            "(e->>1)::bigint), 0) AS units FROM fulfilment_groups g, jsonb_array_elements(g.lines)"
            " e WHERE g.order_id = l.order_id AND g.cancel_reason <> '' AND e->>0 = l.sku_id) c "
            "WHERE l.returned_quantity > l.quantity - c.units OR l.returned_quantity < 0") == []
        # a group cancelled alone holds nothing, and was never handed over
        assert await rows(
            "SELECT g.group_id FROM fulfilment_groups g JOIN reservations r "
            "ON r.reservation_id = ANY(g.held_reservations) WHERE g.cancel_reason <> '' "
            "AND r.state NOT IN ('RELEASED', 'EXPIRED')") == []
        # money given back for groups and returns never passes what was paid for the goods,
        # and an order earns on what it kept
        assert await rows(
            "SELECT o.order_id FROM orders o, LATERAL (SELECT COALESCE(SUM(refund_minor - "
            "delivery_fee_minor), 0) AS back FROM fulfilment_groups g WHERE g.order_id = "
            "o.order_id AND g.cancel_reason <> '') c, LATERAL (SELECT COALESCE(SUM("
            "refund_minor), 0) AS back FROM order_returns r WHERE r.order_id = o.order_id) r "
            "WHERE c.back + r.back > o.goods_minor - o.points_discount_minor OR EXISTS ("
            "SELECT 1 FROM points_ledger p WHERE p.order_id = o.order_id AND p.kind = 'AWARD' "
            "AND p.amount_minor <> o.goods_minor - o.points_discount_minor - c.back)") == []
        # a group has a hand-over time exactly when handed over (its sale is credited then)
        assert await rows(
            "SELECT group_id FROM fulfilment_groups "
            "WHERE (state = 'HANDED_OVER') <> (handover_time IS NOT NULL)") == []
        # every unit returned is debited once, to a store of the order that sold it
        assert await rows(
            "SELECT l.order_id, l.sku_id FROM order_lines l, LATERAL (SELECT COALESCE(SUM("
            "(d->>3)::bigint), 0) AS units FROM order_returns r, jsonb_array_elements(r.debits) d "
            "WHERE r.order_id = l.order_id AND d->>2 = l.sku_id) x "
            "WHERE x.units <> l.returned_quantity") == []
        assert await rows(
            "WITH debited AS (SELECT r.order_id, d->>0 AS loc, d->>2 AS sku, "
            "SUM((d->>3)::bigint) AS units FROM order_returns r, jsonb_array_elements(r.debits) d "
            "GROUP BY 1, 2, 3), sold AS (SELECT g.order_id, g.location_id AS loc, e->>0 AS sku, "
            "SUM((e->>1)::bigint) AS units FROM fulfilment_groups g, "
            "jsonb_array_elements(g.lines) e WHERE g.state = 'HANDED_OVER' GROUP BY 1, 2, 3) "
            "SELECT d.order_id, d.loc, d.sku FROM debited d LEFT JOIN sold s "
            "USING (order_id, loc, sku) WHERE d.units > COALESCE(s.units, 0)") == []


@pytest.mark.parametrize("seed", WALK_SEEDS)
async def test_random_order_lives_keep_stock_orders_and_points_in_agreement(
        stubs, engine, seed):
    inventory, orders, members = stubs
    for member in ("M-1", "M-2"):  # points to spend from the start: a sofa bought at the till
        await orders.CreateOrder(pb.CreateOrderRequest(
            request_id=f"first-{member}", channel=pb.CHANNEL_POS, member_id=member,
            lines=[pb.OrderLineInput(sku_id="SOFA", quantity=1, unit_price_minor=SKUS["SOFA"])],
            fulfilment=pb.FulfilmentRequest(method=pb.FULFILMENT_METHOD_IN_STORE,
                                            location_id="B")))
    for store, sku in (("A", "LAMP"), ("B", "SOFA")):  # enough of each for split deliveries
        await inventory.AdjustStock(inv.AdjustStockRequest(
            request_id=f"stock-{store}", location_id=store, sku_id=sku, delta=20,
            reason=inv.ADJUSTMENT_REASON_RECEIPT))
    walk = Walk(random.Random(seed), inventory, orders, members)
    for round_no in range(60):
        await asyncio.gather(*(walk.any_call() for _ in range(4)))
        if round_no % 8 == 7:
            await asyncio.sleep(0.5)  # let unpaid orders run out of time now and then
        await assert_ledger_consistent(engine)
        await assert_orders_and_points_agree(engine)
    # the walk went somewhere: orders were completed, and some calls were refused
    async with engine.connect() as conn:
        states = dict((await conn.execute(text(
            "SELECT state, count(*) FROM orders GROUP BY state"))).all())
    assert states.get("COMPLETED", 0) > 0 and states.get("CANCELLED", 0) > 0, states
    async with engine.connect() as conn:  # and points were spent (given back in some walks)
        kinds = set((await conn.execute(text("SELECT kind FROM points_ledger"))).scalars())
    assert "REDEMPTION" in kinds, kinds
    assert grpc.StatusCode.OK in walk.codes and grpc.StatusCode.FAILED_PRECONDITION in walk.codes
