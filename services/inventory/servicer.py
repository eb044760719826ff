"""gRPC InventoryService: validate, call a handler in a transaction, map the result.

Domain errors raised below are turned into gRPC statuses by the server's
error interceptor (services.common.server), not here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Protocol

from onestock.inventory.v1 import inventory_service_pb2 as pb
from onestock.inventory.v1 import inventory_service_pb2_grpc as pb_grpc
from sqlalchemy.ext.asyncio import AsyncEngine

from services.access.context import access
from services.common.config import Limits
from services.common.errors import (
    Collector,
    NotFound,
    OneStockError,
    ResourceExhausted,
    Unavailable,
)
from services.common.idempotency import checked_or_replayed, idempotent, request_hash
from services.common.pagination import decode_token, fitted_page, page_size
from services.common.validation import check_id, check_optional_id, check_text
from services.inventory import handlers, mapping, stock_feed, transfer_handlers, validation
from services.inventory import repository as repo
from services.inventory.catalogue import SaleTerms
from services.inventory.domain import require_on_sale
from services.inventory.reserve_batcher import METHOD as RESERVE_METHOD
from services.inventory.reserve_batcher import ReservationBatcher
from services.inventory.stock_feed import StockFeed

WATCH_SNAPSHOT_LIMIT = 5_000


class CachedCatalogue(Protocol):
    """The process's copy of the catalogue (services.routing.chain_cache.ChainCache)."""

    async def sale_terms(self) -> Mapping[str, SaleTerms]: ...

    def invalidate(self) -> None: ...


class InventoryServicer(pb_grpc.InventoryServiceServicer):
    def __init__(self, engine: AsyncEngine, limits: Limits, batcher: ReservationBatcher,
                 feed: StockFeed, max_message_bytes: int, catalogue: CachedCatalogue):
        self.engine = engine
        self.catalogue = catalogue
        self.limits = limits
        self.batcher = batcher
        self.feed = feed
        self.max_message_bytes = max_message_bytes
        self.max_availability = max_message_bytes // mapping.AVAILABILITY_MAX_BYTES

    async def _read(self, work):
        async with self.engine.connect() as conn:
            return await work(conn)

    # --- catalogue -------------------------------------------------------

    async def UpsertLocations(self, request, context):
        locations = validation.upsert_locations(request, self.limits)

        async def work(conn):
            await repo.upsert_locations(conn, locations)
            return pb.UpsertLocationsResponse(
                locations=[mapping.location_to_pb(loc) for loc in locations])

        response = await idempotent(self.engine, "UpsertLocations", request,
                                    pb.UpsertLocationsResponse, work)
        self.catalogue.invalidate()
        return response

    async def GetLocation(self, request, context):
        _require_id(request.location_id, "location_id")
        found = await self._read(lambda c: repo.get_locations(c, [request.location_id]))
        if request.location_id not in found:
            raise NotFound("location", request.location_id)
        return pb.GetLocationResponse(location=mapping.location_to_pb(found[request.location_id]))

    async def ListLocations(self, request, context):
        errors = Collector()
        known_kind = mapping.LOCATION_KIND_FROM_PB.get(request.kind)
        errors.check(request.kind == 0 or known_kind is not None, "kind", "unknown kind")
        check_text(errors, request.city, "city", 200)
        kind = known_kind.value if known_kind else ""  # "" = any kind
        filters = {"city": request.city, "kind": kind}
        size = page_size(request.page_size, self.limits, errors)
        after = decode_token(request.page_token, filters, errors, (str,))
        errors.raise_if_any()
        rows = await self._read(lambda c: repo.list_locations(
            c, city=request.city, kind=kind, after_id=after[0] if after else None, limit=size + 1))
        locations, token = fitted_page(
            [mapping.location_to_pb(loc) for loc in rows[:size]],
            [[loc.location_id] for loc in rows], filters, self.max_message_bytes)
        return pb.ListLocationsResponse(locations=locations, next_page_token=token)

    async def UpsertSkus(self, request, context):
        skus = validation.upsert_skus(request, self.limits)

        async def work(conn):
            await repo.upsert_skus(conn, skus)
            stored = await repo.get_skus(conn, [s.sku_id for s in skus])
            return pb.UpsertSkusResponse(skus=[mapping.sku_to_pb(stored[s.sku_id]) for s in skus])

        response = await idempotent(self.engine, "UpsertSkus", request, pb.UpsertSkusResponse,
                                    work)
        self.catalogue.invalidate()
        return response

    async def GetSku(self, request, context):
        _require_id(request.sku_id, "sku_id")
        found = await self._read(lambda c: repo.get_skus(c, [request.sku_id]))
        if request.sku_id not in found:
            raise NotFound("sku", request.sku_id)
        return pb.GetSkuResponse(sku=mapping.sku_to_pb(found[request.sku_id]))

    async def ListSkus(self, request, context):
        errors = Collector()
        status = mapping.SALE_STATUS_FROM_PB.get(request.sale_status)
        errors.check(request.sale_status == 0 or status is not None, "sale_status",
                     "unknown sale status")
        filters = {"sale_status": status.value} if status else {}  # tokens from before stay good
        size = page_size(request.page_size, self.limits, errors)
        after = decode_token(request.page_token, filters, errors, (str,))
        errors.raise_if_any()
        rows = await self._read(lambda c: repo.list_skus(
            c, after_id=after[0] if after else None, limit=size + 1,
            sale_status=filters.get("sale_status", "")))
        skus, token = fitted_page([mapping.sku_to_pb(s) for s in rows[:size]],
                                  [[s.sku_id] for s in rows], filters, self.max_message_bytes)
        return pb.ListSkusResponse(skus=skus, next_page_token=token)

    # --- stock -----------------------------------------------------------

    async def AdjustStock(self, request, context):
        cmd = validation.adjust_stock(request, self.limits)

        async def work(conn):
            change, movement_id, created = await handlers.adjust_stock(conn, cmd)
            return pb.AdjustStockResponse(stock=mapping.stock_to_pb(change.after),
                                          movement=mapping.change_to_pb(change, movement_id, created))

        return await idempotent(self.engine, "AdjustStock", request, pb.AdjustStockResponse, work)

    async def BatchAdjustStock(self, request, context):
        commands = validation.batch_adjust_stock(request, self.limits)

        async def work(conn):
            applied = await handlers.batch_adjust_stock(conn, commands)
            return pb.BatchAdjustStockResponse(
                stocks=[mapping.stock_to_pb(change.after) for change, _, _ in applied],
                movements=[mapping.change_to_pb(change, movement_id, created)
                           for change, movement_id, created in applied])

        return await idempotent(self.engine, "BatchAdjustStock", request,
                                pb.BatchAdjustStockResponse, work)

    async def SetSafetyStock(self, request, context):
        validation.set_safety_stock(request, self.limits)

        async def work(conn):
            level = await handlers.set_safety_stock(conn, request.request_id, request.location_id,
                                                    request.sku_id, request.safety_stock)
            return pb.SetSafetyStockResponse(stock=mapping.stock_to_pb(level))

        return await idempotent(self.engine, "SetSafetyStock", request,
                                pb.SetSafetyStockResponse, work)

    async def ListStockLevels(self, request, context):
        errors = Collector()
        check_id(errors, request.location_id, "location_id")
        filters = {"l": request.location_id, "o": request.only_sold_out_online}
        size = page_size(request.page_size, self.limits, errors)
        after = decode_token(request.page_token, filters, errors, (str,))
        errors.raise_if_any()
        access().require_location(request.location_id, "location_id")

        async def read(conn):
            await handlers.require_known(conn, [request.location_id], [])
            return await repo.list_stock_levels(
                conn, location_id=request.location_id,
                sold_out_online=request.only_sold_out_online,
                after_sku=after[0] if after else None, limit=size + 1)

        rows = await self._read(read)
        levels, token = fitted_page([mapping.stock_to_pb(level) for level in rows[:size]],
                                    [[level.sku_id] for level in rows], filters,
                                    self.max_message_bytes)
        return pb.ListStockLevelsResponse(stock_levels=levels, next_page_token=token)

    async def ListStockMovements(self, request, context):
        errors = Collector()
        for field in ("location_id", "sku_id"):
            check_optional_id(errors, getattr(request, field), field)
        validation.check_reservation_id(errors, request.reservation_id, required=False)
        filters = {"l": request.location_id, "s": request.sku_id, "r": request.reservation_id}
        size = page_size(request.page_size, self.limits, errors)
        before = decode_token(request.page_token, filters, errors, (int,))
        errors.raise_if_any()
        access().require_location(request.location_id, "location_id")
        rows = await self._read(lambda c: repo.list_movements(
            c, location_id=request.location_id, sku_id=request.sku_id,
            reservation_id=request.reservation_id, before_id=before[0] if before else None,
            limit=size + 1))
        movements, token = fitted_page([mapping.movement_row_to_pb(r) for r in rows[:size]],
                                       [[r.movement_id] for r in rows], filters,
                                       self.max_message_bytes)
        return pb.ListStockMovementsResponse(movements=movements, next_page_token=token)

    async def GetAvailability(self, request, context):
        query = validation.get_availability(request, self.limits)
        rows = await self._read(lambda c: handlers.availability(c, query, self.max_availability))
        return pb.GetAvailabilityResponse(availabilities=[
            pb.Availability(stock=mapping.stock_to_pb(level), distance_km=round(distance, 3),
                            reopen_time=mapping.timestamp(reopens),
                            sale_status=mapping.SALE_STATUS_TO_PB[status])
            for level, distance, reopens, status in rows
        ])

    # --- reservations ----------------------------------------------------

    async def ReserveStock(self, request, context):
        command = validation.reserve_stock(request, self.limits)
        caller = access()
        caller.require_location({line.location_id for line in command.lines}, "lines.location_id")
        terms = await self.catalogue.sale_terms()
        replayed = await checked_or_replayed(
            self.engine, RESERVE_METHOD, request, pb.ReserveStockResponse,
            lambda: require_on_sale([line.sku_id for line in command.lines], terms,
                                    command.channel, "lines.sku_id"))
        if replayed is not None:
            return replayed
        command = replace(command, actor=caller.principal.principal_id)
        return await self.batcher.reserve(command, request_hash(request))

    async def CommitReservation(self, request, context):
        lines = validation.commit_reservation(request, self.limits)

        async def work(conn):
            res = await handlers.commit_reservation(conn, request.request_id,
                                                    request.reservation_id, lines, access())
            return pb.CommitReservationResponse(reservation=mapping.reservation_to_pb(res))

        return await idempotent(self.engine, "CommitReservation", request,
                                pb.CommitReservationResponse, work)

    async def ReleaseReservation(self, request, context):
        validation.release_reservation(request)

        async def work(conn):
            res = await handlers.release_reservation(conn, request.request_id,
                                                     request.reservation_id, access())
            return pb.ReleaseReservationResponse(reservation=mapping.reservation_to_pb(res))

        return await idempotent(self.engine, "ReleaseReservation", request,
                                pb.ReleaseReservationResponse, work)

    async def ExtendReservation(self, request, context):
        validation.extend_reservation(request, self.limits)

        async def work(conn):
            res = await handlers.extend_reservation(conn, request.reservation_id,
                                                    request.ttl_seconds, access())
            return pb.ExtendReservationResponse(reservation=mapping.reservation_to_pb(res))

        return await idempotent(self.engine, "ExtendReservation", request,
                                pb.ExtendReservationResponse, work)

    async def GetReservation(self, request, context):
        validation.get_reservation(request)
        res = await self._read(
            lambda c: handlers.load_reservation(c, request.reservation_id, lock=False,
                                                access=access()))
        return pb.GetReservationResponse(reservation=mapping.reservation_to_pb(res))

    async def ListReservations(self, request, context):
        errors = Collector()
        check_id(errors, request.location_id, "location_id")
        check_optional_id(errors, request.sku_id, "sku_id")
        filters = {"l": request.location_id, "s": request.sku_id}
        size = page_size(request.page_size, self.limits, errors)
        after = decode_token(request.page_token, filters, errors, (datetime, str))
        errors.raise_if_any()
        access().require_location(request.location_id, "location_id")

        async def read(conn):
            await handlers.require_known(conn, [request.location_id],
                                         [request.sku_id] if request.sku_id else [])
            return await repo.list_active_reservations(
                conn, location_id=request.location_id, sku_id=request.sku_id or None,
                after=after, limit=size + 1)

        rows = await self._read(read)
        held, token = fitted_page([mapping.reservation_to_pb(r) for r in rows[:size]],
                                  [[r.expire_time, r.reservation_id] for r in rows], filters,
                                  self.max_message_bytes)
        return pb.ListReservationsResponse(reservations=held, next_page_token=token)

    # --- stock transfers (调拨单) -------------------------------------------

    async def CreateStockTransfer(self, request, context):
        new = validation.new_transfer(request, self.limits)

        async def work(conn):
            transfer = await transfer_handlers.create_transfer(conn, new)
            return pb.CreateStockTransferResponse(transfer=mapping.transfer_to_pb(transfer))

        return await idempotent(self.engine, "CreateStockTransfer", request,
                                pb.CreateStockTransferResponse, work)

    async def ShipStockTransfer(self, request, context):
        validation.transfer_step(request)
        caller = access()

        async def work(conn):
            transfer = await transfer_handlers.ship_transfer(
                conn, request.transfer_id, request.request_id, caller)
            return pb.ShipStockTransferResponse(transfer=mapping.transfer_to_pb(transfer))

        return await idempotent(self.engine, "ShipStockTransfer", request,
                                pb.ShipStockTransferResponse, work)

    async def ReceiveStockTransfer(self, request, context):
        arrived = validation.received(request, self.limits)
        caller = access()

        async def work(conn):
            transfer = await transfer_handlers.receive_transfer(
                conn, request.transfer_id, request.request_id, arrived, caller)
            return pb.ReceiveStockTransferResponse(transfer=mapping.transfer_to_pb(transfer))

        return await idempotent(self.engine, "ReceiveStockTransfer", request,
                                pb.ReceiveStockTransferResponse, work)

    async def CancelStockTransfer(self, request, context):
        errors = Collector()
        validation.transfer_step(request, errors)
        check_text(errors, request.reason, "reason", 200)
        errors.raise_if_any()

        async def work(conn):
            transfer = await transfer_handlers.cancel_transfer(
                conn, request.transfer_id, request.request_id, request.reason or "CANCELLED")
            return pb.CancelStockTransferResponse(transfer=mapping.transfer_to_pb(transfer))

        return await idempotent(self.engine, "CancelStockTransfer", request,
                                pb.CancelStockTransferResponse, work)

    async def GetStockTransfer(self, request, context):
        _require_id(request.transfer_id, "transfer_id")
        transfer = await self._read(lambda c: repo.load_transfer(c, request.transfer_id))
        if transfer is None:
            raise NotFound("stock transfer", request.transfer_id, field="transfer_id")
        access().require_some_location([transfer.source_id, transfer.destination_id],
                                       "transfer_id")
        return pb.GetStockTransferResponse(transfer=mapping.transfer_to_pb(transfer))

    async def ListStockTransfers(self, request, context):
        errors = Collector()
        check_id(errors, request.location_id, "location_id")
        state = mapping.TRANSFER_STATE_FROM_PB.get(request.state)
        errors.check(request.state == 0 or state is not None, "state", "unknown state")
        filters = {"l": request.location_id, "s": state.value if state else ""}
        size = page_size(request.page_size, self.limits, errors)
        after = decode_token(request.page_token, filters, errors, (datetime, str))
        errors.raise_if_any()
        access().require_location(request.location_id, "location_id")

        async def read(conn):
            await handlers.require_known(conn, [request.location_id], [])
            return await repo.list_transfers(conn, location_id=request.location_id,
                                             state=filters["s"], after=after, limit=size + 1)

        rows = await self._read(read)
        transfers, token = fitted_page([mapping.transfer_to_pb(t) for t in rows[:size]],
                                       [[t.create_time, t.transfer_id] for t in rows], filters,
                                       self.max_message_bytes)
        return pb.ListStockTransfersResponse(transfers=transfers, next_page_token=token)

    # --- live changes ----------------------------------------------------

    async def WatchStock(self, request, context):
        location_ids, sku_ids = validation.watch_stock(request, self.limits)
        await self._read(lambda c: handlers.require_known(c, location_ids, sku_ids))
        subscription = None
        try:
            subscription = self.feed.subscribe(location_ids, sku_ids)  # before the snapshot: no gap
            snapshot = await self._read(lambda c: repo.read_stock_matching(
                c, location_ids, sku_ids, WATCH_SNAPSHOT_LIMIT))
            for level in snapshot:
                yield pb.WatchStockResponse(stock=mapping.stock_to_pb(level), initial=True)
            while True:
                level = await subscription.next()
                yield pb.WatchStockResponse(stock=mapping.stock_to_pb(level))
        except stock_feed.SubscriberTooSlow:
            raise ResourceExhausted(f"the stream fell more than {stock_feed.QUEUE_LIMIT:,} "
                                    "changes behind; reopen it", reason="WATCHER_TOO_SLOW") from None
        except stock_feed.ChangesMissed:
            raise Unavailable("the server cannot hear stock changes (its database connection "
                              "dropped); reopen the stream for the current levels",
                              reason="STOCK_CHANGES_MISSED") from None
        finally:
            if subscription is not None:
                subscription.close()


def _require_id(value: str, field: str) -> None:
    errors = Collector()
    check_id(errors, value, field)
    errors.raise_if_any()


__all__ = ["InventoryServicer", "OneStockError"]
