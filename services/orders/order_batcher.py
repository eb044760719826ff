"""CreateOrder for online orders: concurrent checkouts coalesced into shared transactions.

One transaction per order costs about seven round trips (claim the request
id, lock the member, read what it holds, lock the stock rows, write the
reservations, write the order, remember the response) and queues every order
of a flash sale on the same stock rows. A batch pays those round trips once
(services/common/coalescing.py): the stock rows every order of the batch may
look at are locked together, in key order; then each order, in arrival order,
is routed against what the orders before it left, and holds its plan's units;
then all reservations are written with one statement, all orders with another.

An order that cannot be served (no stock left, a member over the hold limit or
without the points it would spend) is refused alone: it changes nothing, leaves
no request id behind, and the rest of the batch goes on. Lock order is that of
every other use case: request ids, members' holds, stock rows in key order,
then the rows of the members spending points.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from onestock.orders.v1 import order_service_pb2 as pb
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.common.coalescing import (
    NO_LINGER,
    Coalescer,
    Linger,
    Outcome,
    Pending,
    claim_batch,
    refused_claims,
)
from services.common.errors import FailedPrecondition, OneStockError
from services.common.idempotency import FORGET_SQL, REMEMBER_SQL, driver
from services.common.uow import in_transaction
from services.inventory import repository as stock_repo
from services.inventory.domain import (
    ReserveCommand,
    StockKey,
    StockLevel,
    allocate_batch,
    refuse_over_hold_limit,
)
from services.inventory.reserve_batcher import ReservationWrite
from services.members import ledger
from services.orders import repository as repo
from services.orders.handlers import NewOrder, goods_minor, reserve_command
from services.orders.mapping import order_to_pb
from services.orders.repository import Group, Order, Transfer
from services.orders.state_machine import GroupKind, OrderState, first_group_state
from services.routing.chain import Chain
from services.routing.model import Mode, Plan
from services.routing.planner import relevant_locations, route
from services.routing.policy import RoutingPolicy

METHOD = "CreateOrder"


@dataclass(frozen=True)
class OnlineOrder:
    """An online order waiting for its batch, with what the caller worked out beforehand:
    the chain it was checked against, the policy it is routed under (the one in force when it
    arrived, whatever reload lands before its batch), the stock rows its routing may read, and
    who asks."""

    new: NewOrder
    chain: Chain
    policy: RoutingPolicy
    keys: frozenset[StockKey]
    actor: str

    @classmethod
    def of(cls, new: NewOrder, chain: Chain, policy: RoutingPolicy, actor: str) -> OnlineOrder:
        skus = {sku for sku, _, _ in new.lines}
        ids = relevant_locations(chain, new.route, policy)
        return cls(new, chain, policy, frozenset((loc, sku) for loc in ids for sku in skus),
                   actor)


class OrderBatcher:
    """CreateOrder's online orders served in shared transactions."""

    def __init__(self, engine: AsyncEngine, payment_ttl_s: int, *,
                 hold_limit: int = 0, workers: int = 1, max_batch: int = 100,
                 linger: Linger = NO_LINGER):
        self._engine = engine
        self._payment_ttl_s = payment_ttl_s
        self._hold_limit = hold_limit
        self._coalescer: Coalescer[OnlineOrder] = Coalescer(
            "orders", self._write, workers=workers, max_batch=max_batch, linger=linger)
        self.start, self.stop = self._coalescer.start, self._coalescer.stop

    async def create(self, order: OnlineOrder, fingerprint: bytes) -> pb.CreateOrderResponse:
        return await self._coalescer.submit(order.new.request_id, order, fingerprint)

    async def _write(self, batch: list[Pending[OnlineOrder]]) -> list[Outcome]:
        return await in_transaction(self._engine, lambda conn: self._write_batch(conn, batch))

    async def _write_batch(self, conn: AsyncConnection, batch: list[Pending[OnlineOrder]]
                           ) -> list[Outcome]:
        db = await driver(conn)
        outcomes, fresh, now = await claim_batch(db, METHOD, batch, pb.CreateOrderResponse)
        wanted = [batch[i].command for i in fresh]
        held = await self._holdings(db, wanted)
        levels = await stock_repo.lock_stock(conn, sorted({k for o in wanted for k in o.keys}))
        spenders = await ledger.lock_members(
            conn, {o.new.member_id for o in wanted if o.new.points_to_redeem})
        taking = _Taking(levels, held, ReservationWrite(now), self._hold_limit,
                         {m.member_id: m.points for m in spenders.values()})
        made: list[tuple[int, Order]] = []
        for i in fresh:
            try:
                made.append((i, taking.take(batch[i].command, now, self._payment_ttl_s)))
            except OneStockError as error:
                outcomes[i] = error
        await taking.write.execute(db, taking.changed())
        for _, order in made:
            if order.points_redeemed:
                spenders[order.member_id] = await ledger.redeem(
                    conn, spenders[order.member_id], order.order_id, order.points_redeemed,
                    order.points_discount_minor, order.created_by)
        await repo.insert_orders(conn, [order for _, order in made])
        for i, order in made:
            outcomes[i] = pb.CreateOrderResponse(order=order_to_pb(order))
        if made:
            await db.execute(REMEMBER_SQL, METHOD, [batch[i].request_id for i, _ in made],
                             [outcomes[i].SerializeToString() for i, _ in made])
        forget = refused_claims(batch, outcomes, fresh)
        if forget:
            await db.execute(FORGET_SQL, METHOD, forget)
        return outcomes  # type: ignore[return-value]

    async def _holdings(self, db, orders: list[OnlineOrder]) -> dict[tuple[str, str], int]:
        """What the batch's members hold already, under their locks (before any stock lock)."""
        members = [o.new.member_id for o in orders if o.new.member_id]
        if self._hold_limit <= 0 or not members:
            return {}
        skus = {sku for o in orders for sku, _, _ in o.new.lines}
        return await stock_repo.member_holdings(db, members, skus)


class _Taking:
    """The batch's orders taking stock one after another, from the rows locked for them."""

    def __init__(self, levels: dict[StockKey, StockLevel], held: dict[tuple[str, str], int],
                 write: ReservationWrite, hold_limit: int, points: dict[str, int]):
        self.levels, self.held, self.write, self.hold_limit = levels, held, write, hold_limit
        self.points = points  # balances of the members spending points, as the batch goes
        self._before = dict(levels)

    def take(self, online: OnlineOrder, now, ttl_s: int) -> Order:
        """Route the order against what is left and hold its plan's units; or raise, having
        changed nothing."""
        new = online.new
        if new.points_to_redeem:
            ledger.require_points(new.member_id, self.points[new.member_id], new.points_to_redeem)
        plan = route(online.chain, new.route, self._view(online.keys), online.policy)
        if not plan.feasible:
            raise FailedPrecondition(
                "the order cannot be fulfilled: " + "; ".join(plan.unfillable),
                reason="INSUFFICIENT_STOCK", metadata={"why": " | ".join(plan.unfillable)})
        order_id = str(uuid.uuid4())
        groups, commands, owners = _hold_commands(order_id, plan, online, ttl_s)
        # only this order's rows and holdings are handed over: copying the batch's would cost
        # every order time in proportion to the batch
        keys = {line.key for command in commands for line in command.lines}
        mine = {(new.member_id, sku) for _, sku in keys} if new.member_id else set()
        over = refuse_over_hold_limit(
            commands, {k: self.held[k] for k in mine if k in self.held}, self.hold_limit)
        if over:
            raise next(iter(over.values()))
        allocation = allocate_batch(commands, {k: self.levels[k] for k in keys
                                               if k in self.levels})
        if allocation.refused:
            raise next(iter(allocation.refused.values()))
        self.levels.update(allocation.levels)
        if new.member_id:  # the member's later orders in the batch count these too
            for line in (line for command in commands for line in command.lines):
                key = (new.member_id, line.sku_id)
                self.held[key] = self.held.get(key, 0) + line.quantity
        for (g, t), (j, afters) in zip(owners, allocation.granted.items(), strict=True):
            reservation = self.write.add(commands[j], afters, remember=False)
            if t is None:
                groups[g].held.append(reservation.reservation_id)
            else:
                groups[g].transfers[t].reservation_id = reservation.reservation_id
        if new.points_to_redeem:
            self.points[new.member_id] -= new.points_to_redeem
        goods = goods_minor(new.lines)
        return Order(order_id, new.request_id, new.channel, new.member_id,
                     OrderState.PENDING_PAYMENT, goods,
                     goods + sum(g.delivery_fee_minor for g in groups), list(new.lines), groups,
                     create_time=now, expire_time=stock_repo.expire_time(now, ttl_s),
                     created_by=online.actor, points_redeemed=new.points_to_redeem,
                     points_discount_minor=new.points_discount_minor)

    def changed(self) -> list[StockLevel]:
        return [lv for key, lv in self.levels.items() if self._before.get(key) != lv]

    def _view(self, keys) -> dict[str, dict[str, int]]:
        """Units online orders may take, per location and SKU (never safety stock)."""
        view: dict[str, dict[str, int]] = {}
        for key in keys:
            level = self.levels.get(key)
            if level is not None and level.available_online > 0:
                view.setdefault(key[0], {})[key[1]] = level.available_online
        return view


def _hold_commands(order_id: str, plan: Plan, online: OnlineOrder, ttl_s: int
                   ) -> tuple[list[Group], list[ReserveCommand], list[tuple[int, int | None]]]:
    """The order's groups, and one reservation per group at its store (what it has) and
    per transfer source; ``owners`` says which group (and transfer) each one is for."""
    member_id = online.new.member_id or ""
    groups: list[Group] = []
    commands: list[ReserveCommand] = []
    owners: list[tuple[int, int | None]] = []
    for n, shipment in enumerate(plan.shipments):
        group_id = f"{order_id}-{n + 1}"
        arriving: dict[str, int] = {}
        transfers = []
        for t in shipment.transfers:
            lines = [(ln.sku_id, ln.quantity) for ln in t.lines]
            for sku, qty in lines:
                arriving[sku] = arriving.get(sku, 0) + qty
            commands.append(reserve_command(order_id, f"{group_id}:{t.source_id}", t.source_id,
                                            lines, ttl_s, member_id=member_id, by=online.actor))
            transfers.append(Transfer(t.source_id, lines, ""))
            owners.append((len(groups), len(transfers) - 1))
        own = [(ln.sku_id, ln.quantity - arriving.get(ln.sku_id, 0)) for ln in shipment.lines]
        own = [(sku, qty) for sku, qty in own if qty > 0]
        if own:
            commands.append(reserve_command(order_id, f"{group_id}:own", shipment.location_id,
                                            own, ttl_s, member_id=member_id, by=online.actor))
            owners.append((len(groups), None))
        kind = GroupKind.PICKUP if shipment.mode is Mode.PICKUP else GroupKind.DELIVERY
        groups.append(Group(
            group_id, n + 1, kind, first_group_state(kind, bool(transfers)),
            shipment.location_id, online.chain.by_id[shipment.location_id].dealer_id,
            [(ln.sku_id, ln.quantity) for ln in shipment.lines], transfers, [],
            shipment.fee_minor, shipment.ready_at))
    return groups, commands, owners
