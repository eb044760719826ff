"""The authorization table: which kind of principal may call which RPC, and over what.

This module is the table docs/security.md prints and tests/access walks. A
kind missing from an RPC's row is refused (PERMISSION_DENIED) before any work.
A kind that is present gets a scope, which the servicer applies once it knows
which location or member the call touches:

- ANY: no further limit.
- OWN_LOCATION: every location the call touches must be the principal's own
  (a POS till's store, a staff member's store).
- OWN_MEMBER: every member the call touches must be the member the mall says
  it acts for (the ``x-onestock-member-id`` header).

OPS may call everything; it is not listed row by row.
"""

from __future__ import annotations

from enum import StrEnum

from services.access.principals import Kind


class Scope(StrEnum):
    ANY = "any"
    OWN_LOCATION = "own location"
    OWN_MEMBER = "own member"


ANY, LOC, MEM = Scope.ANY, Scope.OWN_LOCATION, Scope.OWN_MEMBER
MALL, POS, STAFF, CRM = Kind.MALL, Kind.POS, Kind.STORE_STAFF, Kind.CRM

_CATALOGUE_READ = {MALL: ANY, POS: ANY, STAFF: ANY}
_AVAILABILITY_READ = {MALL: ANY, POS: ANY, STAFF: ANY}
_TILL = {POS: LOC}
_AT_THE_STORE = {STAFF: LOC}

# RPC (service/method) -> {kind: scope}; OPS is allowed everything.
TABLE: dict[str, dict[Kind, Scope]] = {
    # catalogue
    "onestock.inventory.v1.InventoryService/UpsertLocations": {},
    "onestock.inventory.v1.InventoryService/GetLocation": _CATALOGUE_READ,
    "onestock.inventory.v1.InventoryService/ListLocations": _CATALOGUE_READ,
    "onestock.inventory.v1.InventoryService/UpsertSkus": {},
    "onestock.inventory.v1.InventoryService/GetSku": _CATALOGUE_READ,
    "onestock.inventory.v1.InventoryService/ListSkus": _CATALOGUE_READ,
    # stock
    "onestock.inventory.v1.InventoryService/AdjustStock": {},
    "onestock.inventory.v1.InventoryService/BatchAdjustStock": {},
    "onestock.inventory.v1.InventoryService/SetSafetyStock": {},
    "onestock.inventory.v1.InventoryService/ListStockLevels": {POS: LOC, STAFF: LOC},
    "onestock.inventory.v1.InventoryService/ListStockMovements": {STAFF: LOC},
    "onestock.inventory.v1.InventoryService/GetAvailability": _AVAILABILITY_READ,
    "onestock.inventory.v1.InventoryService/WatchStock": _AVAILABILITY_READ,
    # reservations at the till
    "onestock.inventory.v1.InventoryService/ReserveStock": _TILL,
    "onestock.inventory.v1.InventoryService/CommitReservation": _TILL,
    "onestock.inventory.v1.InventoryService/ReleaseReservation": _TILL,
    "onestock.inventory.v1.InventoryService/ExtendReservation": _TILL,
    "onestock.inventory.v1.InventoryService/GetReservation": _TILL,
    "onestock.inventory.v1.InventoryService/ListReservations": {POS: LOC, STAFF: LOC},
    # routing
    "onestock.inventory.v1.InventoryService/CreateStockTransfer": {},
    "onestock.inventory.v1.InventoryService/ShipStockTransfer": _AT_THE_STORE,
    "onestock.inventory.v1.InventoryService/ReceiveStockTransfer": _AT_THE_STORE,
    "onestock.inventory.v1.InventoryService/CancelStockTransfer": {},
    "onestock.inventory.v1.InventoryService/GetStockTransfer": _AT_THE_STORE,
    "onestock.inventory.v1.InventoryService/ListStockTransfers": _AT_THE_STORE,
    "onestock.routing.v1.RoutingService/FindNearestStores": _CATALOGUE_READ,
    "onestock.routing.v1.RoutingService/QuoteFulfilment": {MALL: ANY},
    "onestock.routing.v1.RoutingService/RouteOrder": {MALL: ANY},
    "onestock.routing.v1.RoutingService/RunSimulation": {},
    # members
    "onestock.members.v1.MemberService/UpsertMember": {CRM: ANY},
    "onestock.members.v1.MemberService/GetMember": {MALL: MEM, CRM: ANY},
    "onestock.members.v1.MemberService/IssueMemberCode": {MALL: MEM},
    "onestock.members.v1.MemberService/ListPointsLedger": {MALL: MEM, CRM: ANY},
    "onestock.members.v1.MemberService/GetSyncBacklog": {},
    # orders
    "onestock.orders.v1.OrderService/CreateOrder": {MALL: MEM, POS: LOC},
    "onestock.orders.v1.OrderService/ConfirmPayment": {MALL: MEM},
    "onestock.orders.v1.OrderService/CancelOrder": {MALL: MEM},
    "onestock.orders.v1.OrderService/GetOrder": {MALL: MEM, POS: LOC, STAFF: LOC},
    "onestock.orders.v1.OrderService/ListOrders": {MALL: MEM, POS: LOC, STAFF: LOC},
    "onestock.orders.v1.OrderService/WatchOrder": {MALL: MEM, POS: LOC, STAFF: LOC},
    "onestock.orders.v1.OrderService/ListOrderEvents": {MALL: MEM, POS: LOC, STAFF: LOC},
    "onestock.orders.v1.OrderService/ShipTransfer": _AT_THE_STORE,
    "onestock.orders.v1.OrderService/ReceiveTransfer": _AT_THE_STORE,
    "onestock.orders.v1.OrderService/MarkReadyForPickup": _AT_THE_STORE,
    "onestock.orders.v1.OrderService/ConfirmPickup": _AT_THE_STORE,
    "onestock.orders.v1.OrderService/DispatchDelivery": _AT_THE_STORE,
    "onestock.orders.v1.OrderService/ConfirmDelivery": _AT_THE_STORE,
    "onestock.orders.v1.OrderService/CancelFulfilmentGroup": _AT_THE_STORE,
    "onestock.orders.v1.OrderService/ReturnOrderLines": {POS: LOC, STAFF: LOC},
    "onestock.orders.v1.OrderService/SummarizeSales": {STAFF: LOC},
}

# Callable with no credential at all: load balancers probe health.
PUBLIC = frozenset({"grpc.health.v1.Health/Check", "grpc.health.v1.Health/Watch"})
# Callable by any authenticated principal: schema discovery.
ANY_PRINCIPAL = frozenset({
    "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
    "grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
})


def scope_for(method: str, kind: Kind) -> Scope | None:
    """The scope ``kind`` has on ``method`` ("/pkg.Service/Method" or without the slash),
    or None when it may not call it at all."""
    method = method.lstrip("/")
    if kind is Kind.OPS or method in ANY_PRINCIPAL:
        return Scope.ANY
    return TABLE.get(method, {}).get(kind)


def markdown_table() -> str:
    """The table as docs/security.md prints it (a test keeps the two the same)."""
    kinds = [Kind.MALL, Kind.POS, Kind.STORE_STAFF, Kind.CRM, Kind.OPS]
    mark = {Scope.ANY: "yes", Scope.OWN_LOCATION: "own store", Scope.OWN_MEMBER: "own member"}
    rows = ["| RPC | " + " | ".join(kinds) + " |", "|---" * (len(kinds) + 1) + "|"]
    for method in TABLE:
        cells = [mark.get(scope_for(method, kind), "-") for kind in kinds]
        rows.append(f"| `{method.rsplit('.', 1)[-1]}` | " + " | ".join(cells) + " |")
    return "\n".join(rows)
