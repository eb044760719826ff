import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LocationKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LOCATION_KIND_UNSPECIFIED: _ClassVar[LocationKind]
    LOCATION_KIND_STORE: _ClassVar[LocationKind]
    LOCATION_KIND_WAREHOUSE: _ClassVar[LocationKind]

class SaleStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SALE_STATUS_UNSPECIFIED: _ClassVar[SaleStatus]
    SALE_STATUS_ON_SALE: _ClassVar[SaleStatus]
    SALE_STATUS_STORES_ONLY: _ClassVar[SaleStatus]
    SALE_STATUS_HALTED: _ClassVar[SaleStatus]

class AdjustmentReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ADJUSTMENT_REASON_UNSPECIFIED: _ClassVar[AdjustmentReason]
    ADJUSTMENT_REASON_RECEIPT: _ClassVar[AdjustmentReason]
    ADJUSTMENT_REASON_CYCLE_COUNT: _ClassVar[AdjustmentReason]
    ADJUSTMENT_REASON_DAMAGE: _ClassVar[AdjustmentReason]
    ADJUSTMENT_REASON_CORRECTION: _ClassVar[AdjustmentReason]
    ADJUSTMENT_REASON_RETURN: _ClassVar[AdjustmentReason]

class MovementKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MOVEMENT_KIND_UNSPECIFIED: _ClassVar[MovementKind]
    MOVEMENT_KIND_ADJUSTMENT: _ClassVar[MovementKind]
    MOVEMENT_KIND_RESERVE: _ClassVar[MovementKind]
    MOVEMENT_KIND_COMMIT: _ClassVar[MovementKind]
    MOVEMENT_KIND_RELEASE: _ClassVar[MovementKind]
    MOVEMENT_KIND_EXPIRE: _ClassVar[MovementKind]
    MOVEMENT_KIND_SAFETY_STOCK: _ClassVar[MovementKind]

class Channel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANNEL_UNSPECIFIED: _ClassVar[Channel]
    CHANNEL_MINI_PROGRAM: _ClassVar[Channel]
    CHANNEL_POS: _ClassVar[Channel]
    CHANNEL_OPS: _ClassVar[Channel]

class ReservationState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RESERVATION_STATE_UNSPECIFIED: _ClassVar[ReservationState]
    RESERVATION_STATE_ACTIVE: _ClassVar[ReservationState]
    RESERVATION_STATE_COMMITTED: _ClassVar[ReservationState]
    RESERVATION_STATE_RELEASED: _ClassVar[ReservationState]
    RESERVATION_STATE_EXPIRED: _ClassVar[ReservationState]

class StockTransferState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STOCK_TRANSFER_STATE_UNSPECIFIED: _ClassVar[StockTransferState]
    STOCK_TRANSFER_STATE_REQUESTED: _ClassVar[StockTransferState]
    STOCK_TRANSFER_STATE_IN_TRANSIT: _ClassVar[StockTransferState]
    STOCK_TRANSFER_STATE_RECEIVED: _ClassVar[StockTransferState]
    STOCK_TRANSFER_STATE_CANCELLED: _ClassVar[StockTransferState]
LOCATION_KIND_UNSPECIFIED: LocationKind
LOCATION_KIND_STORE: LocationKind
LOCATION_KIND_WAREHOUSE: LocationKind
SALE_STATUS_UNSPECIFIED: SaleStatus
SALE_STATUS_ON_SALE: SaleStatus
SALE_STATUS_STORES_ONLY: SaleStatus
SALE_STATUS_HALTED: SaleStatus
ADJUSTMENT_REASON_UNSPECIFIED: AdjustmentReason
ADJUSTMENT_REASON_RECEIPT: AdjustmentReason
ADJUSTMENT_REASON_CYCLE_COUNT: AdjustmentReason
ADJUSTMENT_REASON_DAMAGE: AdjustmentReason
ADJUSTMENT_REASON_CORRECTION: AdjustmentReason
ADJUSTMENT_REASON_RETURN: AdjustmentReason
MOVEMENT_KIND_UNSPECIFIED: MovementKind
MOVEMENT_KIND_ADJUSTMENT: MovementKind
MOVEMENT_KIND_RESERVE: MovementKind
MOVEMENT_KIND_COMMIT: MovementKind
MOVEMENT_KIND_RELEASE: MovementKind
MOVEMENT_KIND_EXPIRE: MovementKind
MOVEMENT_KIND_SAFETY_STOCK: MovementKind
CHANNEL_UNSPECIFIED: Channel
CHANNEL_MINI_PROGRAM: Channel
CHANNEL_POS: Channel
CHANNEL_OPS: Channel
RESERVATION_STATE_UNSPECIFIED: ReservationState
RESERVATION_STATE_ACTIVE: ReservationState
RESERVATION_STATE_COMMITTED: ReservationState
RESERVATION_STATE_RELEASED: ReservationState
RESERVATION_STATE_EXPIRED: ReservationState
STOCK_TRANSFER_STATE_UNSPECIFIED: StockTransferState
STOCK_TRANSFER_STATE_REQUESTED: StockTransferState
STOCK_TRANSFER_STATE_IN_TRANSIT: StockTransferState
STOCK_TRANSFER_STATE_RECEIVED: StockTransferState
STOCK_TRANSFER_STATE_CANCELLED: StockTransferState

class OpeningHours(_message.Message):
    __slots__ = ("iso_weekdays", "open_minute", "close_minute")
    ISO_WEEKDAYS_FIELD_NUMBER: _ClassVar[int]
    OPEN_MINUTE_FIELD_NUMBER: _ClassVar[int]
    CLOSE_MINUTE_FIELD_NUMBER: _ClassVar[int]
    iso_weekdays: _containers.RepeatedScalarFieldContainer[int]
    open_minute: int
    close_minute: int
    def __init__(self, iso_weekdays: _Optional[_Iterable[int]] = ..., open_minute: _Optional[int] = ..., close_minute: _Optional[int] = ...) -> None: ...

class Capabilities(_message.Message):
    __slots__ = ("pickup", "same_city_delivery", "transfer_source")
    PICKUP_FIELD_NUMBER: _ClassVar[int]
    SAME_CITY_DELIVERY_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_SOURCE_FIELD_NUMBER: _ClassVar[int]
    pickup: bool
    same_city_delivery: bool
    transfer_source: bool
    def __init__(self, pickup: _Optional[bool] = ..., same_city_delivery: _Optional[bool] = ..., transfer_source: _Optional[bool] = ...) -> None: ...

class Location(_message.Message):
    __slots__ = ("location_id", "name", "kind", "latitude", "longitude", "city", "capabilities", "delivery_radius_km", "time_zone", "opening_hours", "dealer_id", "closures")
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    CITY_FIELD_NUMBER: _ClassVar[int]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_RADIUS_KM_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    OPENING_HOURS_FIELD_NUMBER: _ClassVar[int]
    DEALER_ID_FIELD_NUMBER: _ClassVar[int]
    CLOSURES_FIELD_NUMBER: _ClassVar[int]
    location_id: str
    name: str
    kind: LocationKind
    latitude: float
    longitude: float
    city: str
    capabilities: Capabilities
    delivery_radius_km: float
    time_zone: str
    opening_hours: _containers.RepeatedCompositeFieldContainer[OpeningHours]
    dealer_id: str
    closures: _containers.RepeatedCompositeFieldContainer[ClosedPeriod]
    def __init__(self, location_id: _Optional[str] = ..., name: _Optional[str] = ..., kind: _Optional[_Union[LocationKind, str]] = ..., latitude: _Optional[float] = ..., longitude: _Optional[float] = ..., city: _Optional[str] = ..., capabilities: _Optional[_Union[Capabilities, _Mapping]] = ..., delivery_radius_km: _Optional[float] = ..., time_zone: _Optional[str] = ..., opening_hours: _Optional[_Iterable[_Union[OpeningHours, _Mapping]]] = ..., dealer_id: _Optional[str] = ..., closures: _Optional[_Iterable[_Union[ClosedPeriod, _Mapping]]] = ...) -> None: ...

class ClosedPeriod(_message.Message):
    __slots__ = ("start_time", "end_time", "reason")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    reason: str
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class Sku(_message.Message):
    __slots__ = ("sku_id", "name", "spec", "price_minor", "currency", "sale_status")
    SKU_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    PRICE_MINOR_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    SALE_STATUS_FIELD_NUMBER: _ClassVar[int]
    sku_id: str
    name: str
    spec: str
    price_minor: int
    currency: str
    sale_status: SaleStatus
    def __init__(self, sku_id: _Optional[str] = ..., name: _Optional[str] = ..., spec: _Optional[str] = ..., price_minor: _Optional[int] = ..., currency: _Optional[str] = ..., sale_status: _Optional[_Union[SaleStatus, str]] = ...) -> None: ...

class UpsertLocationsRequest(_message.Message):
    __slots__ = ("request_id", "locations")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    LOCATIONS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    locations: _containers.RepeatedCompositeFieldContainer[Location]
    def __init__(self, request_id: _Optional[str] = ..., locations: _Optional[_Iterable[_Union[Location, _Mapping]]] = ...) -> None: ...

class UpsertLocationsResponse(_message.Message):
    __slots__ = ("locations",)
    LOCATIONS_FIELD_NUMBER: _ClassVar[int]
    locations: _containers.RepeatedCompositeFieldContainer[Location]
    def __init__(self, locations: _Optional[_Iterable[_Union[Location, _Mapping]]] = ...) -> None: ...

class GetLocationRequest(_message.Message):
    __slots__ = ("location_id",)
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    location_id: str
    def __init__(self, location_id: _Optional[str] = ...) -> None: ...

class GetLocationResponse(_message.Message):
    __slots__ = ("location",)
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    location: Location
    def __init__(self, location: _Optional[_Union[Location, _Mapping]] = ...) -> None: ...

class ListLocationsRequest(_message.Message):
    __slots__ = ("city", "kind", "page_size", "page_token")
    CITY_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    city: str
    kind: LocationKind
    page_size: int
    page_token: str
    def __init__(self, city: _Optional[str] = ..., kind: _Optional[_Union[LocationKind, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListLocationsResponse(_message.Message):
    __slots__ = ("locations", "next_page_token")
    LOCATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    locations: _containers.RepeatedCompositeFieldContainer[Location]
    next_page_token: str
    def __init__(self, locations: _Optional[_Iterable[_Union[Location, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpsertSkusRequest(_message.Message):
    __slots__ = ("request_id", "skus")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SKUS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    skus: _containers.RepeatedCompositeFieldContainer[Sku]
    def __init__(self, request_id: _Optional[str] = ..., skus: _Optional[_Iterable[_Union[Sku, _Mapping]]] = ...) -> None: ...

class UpsertSkusResponse(_message.Message):
    __slots__ = ("skus",)
    SKUS_FIELD_NUMBER: _ClassVar[int]
    skus: _containers.RepeatedCompositeFieldContainer[Sku]
    def __init__(self, skus: _Optional[_Iterable[_Union[Sku, _Mapping]]] = ...) -> None: ...

class GetSkuRequest(_message.Message):
    __slots__ = ("sku_id",)
    SKU_ID_FIELD_NUMBER: _ClassVar[int]
    sku_id: str
    def __init__(self, sku_id: _Optional[str] = ...) -> None: ...

class GetSkuResponse(_message.Message):
    __slots__ = ("sku",)
    SKU_FIELD_NUMBER: _ClassVar[int]
    sku: Sku
    def __init__(self, sku: _Optional[_Union[Sku, _Mapping]] = ...) -> None: ...

class ListSkusRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "sale_status")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SALE_STATUS_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    sale_status: SaleStatus
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., sale_status: _Optional[_Union[SaleStatus, str]] = ...) -> None: ...

class ListSkusResponse(_message.Message):
    __slots__ = ("skus", "next_page_token")
    SKUS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    skus: _containers.RepeatedCompositeFieldContainer[Sku]
    next_page_token: str
    def __init__(self, skus: _Optional[_Iterable[_Union[Sku, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class StockLevel(_message.Message):
    __slots__ = ("location_id", "sku_id", "on_hand", "reserved", "safety_stock", "available_online", "available_pos")
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_ID_FIELD_NUMBER: _ClassVar[int]
    ON_HAND_FIELD_NUMBER: _ClassVar[int]
    RESERVED_FIELD_NUMBER: _ClassVar[int]
    SAFETY_STOCK_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_ONLINE_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_POS_FIELD_NUMBER: _ClassVar[int]
    location_id: str
    sku_id: str
    on_hand: int
    reserved: int
    safety_stock: int
    available_online: int
    available_pos: int
    def __init__(self, location_id: _Optional[str] = ..., sku_id: _Optional[str] = ..., on_hand: _Optional[int] = ..., reserved: _Optional[int] = ..., safety_stock: _Optional[int] = ..., available_online: _Optional[int] = ..., available_pos: _Optional[int] = ...) -> None: ...

class AdjustStockRequest(_message.Message):
    __slots__ = ("request_id", "location_id", "sku_id", "delta", "set_on_hand", "reason", "note")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_ID_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    SET_ON_HAND_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    location_id: str
    sku_id: str
    delta: int
    set_on_hand: int
    reason: AdjustmentReason
    note: str
    def __init__(self, request_id: _Optional[str] = ..., location_id: _Optional[str] = ..., sku_id: _Optional[str] = ..., delta: _Optional[int] = ..., set_on_hand: _Optional[int] = ..., reason: _Optional[_Union[AdjustmentReason, str]] = ..., note: _Optional[str] = ...) -> None: ...

class AdjustStockResponse(_message.Message):
    __slots__ = ("stock", "movement")
    STOCK_FIELD_NUMBER: _ClassVar[int]
    MOVEMENT_FIELD_NUMBER: _ClassVar[int]
    stock: StockLevel
    movement: StockMovement
    def __init__(self, stock: _Optional[_Union[StockLevel, _Mapping]] = ..., movement: _Optional[_Union[StockMovement, _Mapping]] = ...) -> None: ...

class StockAdjustment(_message.Message):
    __slots__ = ("location_id", "sku_id", "delta", "set_on_hand", "reason", "note")
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_ID_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    SET_ON_HAND_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    location_id: str
    sku_id: str
    delta: int
    set_on_hand: int
    reason: AdjustmentReason
    note: str
    def __init__(self, location_id: _Optional[str] = ..., sku_id: _Optional[str] = ..., delta: _Optional[int] = ..., set_on_hand: _Optional[int] = ..., reason: _Optional[_Union[AdjustmentReason, str]] = ..., note: _Optional[str] = ...) -> None: ...

class BatchAdjustStockRequest(_message.Message):
    __slots__ = ("request_id", "adjustments")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ADJUSTMENTS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    adjustments: _containers.RepeatedCompositeFieldContainer[StockAdjustment]
    def __init__(self, request_id: _Optional[str] = ..., adjustments: _Optional[_Iterable[_Union[StockAdjustment, _Mapping]]] = ...) -> None: ...

class BatchAdjustStockResponse(_message.Message):
    __slots__ = ("stocks", "movements")
    STOCKS_FIELD_NUMBER: _ClassVar[int]
    MOVEMENTS_FIELD_NUMBER: _ClassVar[int]
    stocks: _containers.RepeatedCompositeFieldContainer[StockLevel]
    movements: _containers.RepeatedCompositeFieldContainer[StockMovement]
    def __init__(self, stocks: _Optional[_Iterable[_Union[StockLevel, _Mapping]]] = ..., movements: _Optional[_Iterable[_Union[StockMovement, _Mapping]]] = ...) -> None: ...

class SetSafetyStockRequest(_message.Message):
    __slots__ = ("request_id", "location_id", "sku_id", "safety_stock")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_ID_FIELD_NUMBER: _ClassVar[int]
    SAFETY_STOCK_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    location_id: str
    sku_id: str
    safety_stock: int
    def __init__(self, request_id: _Optional[str] = ..., location_id: _Optional[str] = ..., sku_id: _Optional[str] = ..., safety_stock: _Optional[int] = ...) -> None: ...

class SetSafetyStockResponse(_message.Message):
    __slots__ = ("stock",)
    STOCK_FIELD_NUMBER: _ClassVar[int]
    stock: StockLevel
    def __init__(self, stock: _Optional[_Union[StockLevel, _Mapping]] = ...) -> None: ...

class StockMovement(_message.Message):
    __slots__ = ("movement_id", "location_id", "sku_id", "kind", "reason", "on_hand_delta", "reserved_delta", "safety_stock_delta", "on_hand_after", "reserved_after", "reservation_id", "request_id", "note", "create_time", "actor")
    MOVEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ON_HAND_DELTA_FIELD_NUMBER: _ClassVar[int]
    RESERVED_DELTA_FIELD_NUMBER: _ClassVar[int]
    SAFETY_STOCK_DELTA_FIELD_NUMBER: _ClassVar[int]
    ON_HAND_AFTER_FIELD_NUMBER: _ClassVar[int]
    RESERVED_AFTER_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    movement_id: int
    location_id: str
    sku_id: str
    kind: MovementKind
    reason: AdjustmentReason
    on_hand_delta: int
    reserved_delta: int
    safety_stock_delta: int
    on_hand_after: int
    reserved_after: int
    reservation_id: str
    request_id: str
    note: str
    create_time: _timestamp_pb2.Timestamp
    actor: str
    def __init__(self, movement_id: _Optional[int] = ..., location_id: _Optional[str] = ..., sku_id: _Optional[str] = ..., kind: _Optional[_Union[MovementKind, str]] = ..., reason: _Optional[_Union[AdjustmentReason, str]] = ..., on_hand_delta: _Optional[int] = ..., reserved_delta: _Optional[int] = ..., safety_stock_delta: _Optional[int] = ..., on_hand_after: _Optional[int] = ..., reserved_after: _Optional[int] = ..., reservation_id: _Optional[str] = ..., request_id: _Optional[str] = ..., note: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[str] = ...) -> None: ...

class ListStockLevelsRequest(_message.Message):
    __slots__ = ("location_id", "only_sold_out_online", "page_size", "page_token")
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    ONLY_SOLD_OUT_ONLINE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    location_id: str
    only_sold_out_online: bool
    page_size: int
    page_token: str
    def __init__(self, location_id: _Optional[str] = ..., only_sold_out_online: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListStockLevelsResponse(_message.Message):
    __slots__ = ("stock_levels", "next_page_token")
    STOCK_LEVELS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    stock_levels: _containers.RepeatedCompositeFieldContainer[StockLevel]
    next_page_token: str
    def __init__(self, stock_levels: _Optional[_Iterable[_Union[StockLevel, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListStockMovementsRequest(_message.Message):
    __slots__ = ("location_id", "sku_id", "reservation_id", "page_size", "page_token")
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_ID_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    location_id: str
    sku_id: str
    reservation_id: str
    page_size: int
    page_token: str
    def __init__(self, location_id: _Optional[str] = ..., sku_id: _Optional[str] = ..., reservation_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListStockMovementsResponse(_message.Message):
    __slots__ = ("movements", "next_page_token")
    MOVEMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    movements: _containers.RepeatedCompositeFieldContainer[StockMovement]
    next_page_token: str
    def __init__(self, movements: _Optional[_Iterable[_Union[StockMovement, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class NearPoint(_message.Message):
    __slots__ = ("latitude", "longitude", "radius_km")
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    RADIUS_KM_FIELD_NUMBER: _ClassVar[int]
    latitude: float
    longitude: float
    radius_km: float
    def __init__(self, latitude: _Optional[float] = ..., longitude: _Optional[float] = ..., radius_km: _Optional[float] = ...) -> None: ...

class GetAvailabilityRequest(_message.Message):
    __slots__ = ("sku_ids", "locations", "near")
    SKU_IDS_FIELD_NUMBER: _ClassVar[int]
    LOCATIONS_FIELD_NUMBER: _ClassVar[int]
    NEAR_FIELD_NUMBER: _ClassVar[int]
    sku_ids: _containers.RepeatedScalarFieldContainer[str]
    locations: LocationIds
    near: NearPoint
    def __init__(self, sku_ids: _Optional[_Iterable[str]] = ..., locations: _Optional[_Union[LocationIds, _Mapping]] = ..., near: _Optional[_Union[NearPoint, _Mapping]] = ...) -> None: ...

class LocationIds(_message.Message):
    __slots__ = ("location_ids",)
    LOCATION_IDS_FIELD_NUMBER: _ClassVar[int]
    location_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, location_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class Availability(_message.Message):
    __slots__ = ("stock", "distance_km", "reopen_time", "sale_status")
    STOCK_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_KM_FIELD_NUMBER: _ClassVar[int]
    REOPEN_TIME_FIELD_NUMBER: _ClassVar[int]
    SALE_STATUS_FIELD_NUMBER: _ClassVar[int]
    stock: StockLevel
    distance_km: float
    reopen_time: _timestamp_pb2.Timestamp
    sale_status: SaleStatus
    def __init__(self, stock: _Optional[_Union[StockLevel, _Mapping]] = ..., distance_km: _Optional[float] = ..., reopen_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sale_status: _Optional[_Union[SaleStatus, str]] = ...) -> None: ...

class GetAvailabilityResponse(_message.Message):
    __slots__ = ("availabilities",)
    AVAILABILITIES_FIELD_NUMBER: _ClassVar[int]
    availabilities: _containers.RepeatedCompositeFieldContainer[Availability]
    def __init__(self, availabilities: _Optional[_Iterable[_Union[Availability, _Mapping]]] = ...) -> None: ...

class ReservationLineInput(_message.Message):
    __slots__ = ("location_id", "sku_id", "quantity")
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    location_id: str
    sku_id: str
    quantity: int
    def __init__(self, location_id: _Optional[str] = ..., sku_id: _Optional[str] = ..., quantity: _Optional[int] = ...) -> None: ...

class ReservationLine(_message.Message):
    __slots__ = ("location_id", "sku_id", "quantity", "committed_quantity")
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    COMMITTED_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    location_id: str
    sku_id: str
    quantity: int
    committed_quantity: int
    def __init__(self, location_id: _Optional[str] = ..., sku_id: _Optional[str] = ..., quantity: _Optional[int] = ..., committed_quantity: _Optional[int] = ...) -> None: ...

class Reservation(_message.Message):
    __slots__ = ("reservation_id", "channel", "reference", "state", "lines", "create_time", "expire_time", "close_time", "member_id")
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    CLOSE_TIME_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    reservation_id: str
    channel: Channel
    reference: str
    state: ReservationState
    lines: _containers.RepeatedCompositeFieldContainer[ReservationLine]
    create_time: _timestamp_pb2.Timestamp
    expire_time: _timestamp_pb2.Timestamp
    close_time: _timestamp_pb2.Timestamp
    member_id: str
    def __init__(self, reservation_id: _Optional[str] = ..., channel: _Optional[_Union[Channel, str]] = ..., reference: _Optional[str] = ..., state: _Optional[_Union[ReservationState, str]] = ..., lines: _Optional[_Iterable[_Union[ReservationLine, _Mapping]]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., close_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., member_id: _Optional[str] = ...) -> None: ...

class ReserveStockRequest(_message.Message):
    __slots__ = ("request_id", "channel", "reference", "lines", "ttl_seconds", "member_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    channel: Channel
    reference: str
    lines: _containers.RepeatedCompositeFieldContainer[ReservationLineInput]
    ttl_seconds: int
    member_id: str
    def __init__(self, request_id: _Optional[str] = ..., channel: _Optional[_Union[Channel, str]] = ..., reference: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[ReservationLineInput, _Mapping]]] = ..., ttl_seconds: _Optional[int] = ..., member_id: _Optional[str] = ...) -> None: ...

class ReserveStockResponse(_message.Message):
    __slots__ = ("reservation",)
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    reservation: Reservation
    def __init__(self, reservation: _Optional[_Union[Reservation, _Mapping]] = ...) -> None: ...

class CommitLine(_message.Message):
    __slots__ = ("location_id", "sku_id", "quantity")
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    location_id: str
    sku_id: str
    quantity: int
    def __init__(self, location_id: _Optional[str] = ..., sku_id: _Optional[str] = ..., quantity: _Optional[int] = ...) -> None: ...

class CommitReservationRequest(_message.Message):
    __slots__ = ("request_id", "reservation_id", "lines")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    reservation_id: str
    lines: _containers.RepeatedCompositeFieldContainer[CommitLine]
    def __init__(self, request_id: _Optional[str] = ..., reservation_id: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[CommitLine, _Mapping]]] = ...) -> None: ...

class CommitReservationResponse(_message.Message):
    __slots__ = ("reservation",)
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    reservation: Reservation
    def __init__(self, reservation: _Optional[_Union[Reservation, _Mapping]] = ...) -> None: ...

class ReleaseReservationRequest(_message.Message):
    __slots__ = ("request_id", "reservation_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    reservation_id: str
    def __init__(self, request_id: _Optional[str] = ..., reservation_id: _Optional[str] = ...) -> None: ...

class ReleaseReservationResponse(_message.Message):
    __slots__ = ("reservation",)
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    reservation: Reservation
    def __init__(self, reservation: _Optional[_Union[Reservation, _Mapping]] = ...) -> None: ...

class ExtendReservationRequest(_message.Message):
    __slots__ = ("request_id", "reservation_id", "ttl_seconds")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    reservation_id: str
    ttl_seconds: int
    def __init__(self, request_id: _Optional[str] = ..., reservation_id: _Optional[str] = ..., ttl_seconds: _Optional[int] = ...) -> None: ...

class ExtendReservationResponse(_message.Message):
    __slots__ = ("reservation",)
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    reservation: Reservation
    def __init__(self, reservation: _Optional[_Union[Reservation, _Mapping]] = ...) -> None: ...

class GetReservationRequest(_message.Message):
    __slots__ = ("reservation_id",)
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    reservation_id: str
    def __init__(self, reservation_id: _Optional[str] = ...) -> None: ...

class GetReservationResponse(_message.Message):
    __slots__ = ("reservation",)
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    reservation: Reservation
    def __init__(self, reservation: _Optional[_Union[Reservation, _Mapping]] = ...) -> None: ...

class ListReservationsRequest(_message.Message):
    __slots__ = ("location_id", "sku_id", "page_size", "page_token")
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    location_id: str
    sku_id: str
    page_size: int
    page_token: str
    def __init__(self, location_id: _Optional[str] = ..., sku_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListReservationsResponse(_message.Message):
    __slots__ = ("reservations", "next_page_token")
    RESERVATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    reservations: _containers.RepeatedCompositeFieldContainer[Reservation]
    next_page_token: str
    def __init__(self, reservations: _Optional[_Iterable[_Union[Reservation, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class WatchStockRequest(_message.Message):
    __slots__ = ("location_ids", "sku_ids")
    LOCATION_IDS_FIELD_NUMBER: _ClassVar[int]
    SKU_IDS_FIELD_NUMBER: _ClassVar[int]
    location_ids: _containers.RepeatedScalarFieldContainer[str]
    sku_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, location_ids: _Optional[_Iterable[str]] = ..., sku_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class WatchStockResponse(_message.Message):
    __slots__ = ("stock", "initial")
    STOCK_FIELD_NUMBER: _ClassVar[int]
    INITIAL_FIELD_NUMBER: _ClassVar[int]
    stock: StockLevel
    initial: bool
    def __init__(self, stock: _Optional[_Union[StockLevel, _Mapping]] = ..., initial: _Optional[bool] = ...) -> None: ...

class StockTransferLine(_message.Message):
    __slots__ = ("sku_id", "quantity", "received_quantity")
    SKU_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    sku_id: str
    quantity: int
    received_quantity: int
    def __init__(self, sku_id: _Optional[str] = ..., quantity: _Optional[int] = ..., received_quantity: _Optional[int] = ...) -> None: ...

class StockTransferLineInput(_message.Message):
    __slots__ = ("sku_id", "quantity")
    SKU_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    sku_id: str
    quantity: int
    def __init__(self, sku_id: _Optional[str] = ..., quantity: _Optional[int] = ...) -> None: ...

class StockTransfer(_message.Message):
    __slots__ = ("transfer_id", "source_location_id", "destination_location_id", "lines", "state", "note", "reservation_id", "hold_expire_time", "create_time", "ship_time", "receive_time", "cancel_time", "cancel_reason")
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    HOLD_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    SHIP_TIME_FIELD_NUMBER: _ClassVar[int]
    RECEIVE_TIME_FIELD_NUMBER: _ClassVar[int]
    CANCEL_TIME_FIELD_NUMBER: _ClassVar[int]
    CANCEL_REASON_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    source_location_id: str
    destination_location_id: str
    lines: _containers.RepeatedCompositeFieldContainer[StockTransferLine]
    state: StockTransferState
    note: str
    reservation_id: str
    hold_expire_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    ship_time: _timestamp_pb2.Timestamp
    receive_time: _timestamp_pb2.Timestamp
    cancel_time: _timestamp_pb2.Timestamp
    cancel_reason: str
    def __init__(self, transfer_id: _Optional[str] = ..., source_location_id: _Optional[str] = ..., destination_location_id: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[StockTransferLine, _Mapping]]] = ..., state: _Optional[_Union[StockTransferState, str]] = ..., note: _Optional[str] = ..., reservation_id: _Optional[str] = ..., hold_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ship_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., receive_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cancel_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cancel_reason: _Optional[str] = ...) -> None: ...

class CreateStockTransferRequest(_message.Message):
    __slots__ = ("request_id", "source_location_id", "destination_location_id", "lines", "note", "ttl_seconds")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    source_location_id: str
    destination_location_id: str
    lines: _containers.RepeatedCompositeFieldContainer[StockTransferLineInput]
    note: str
    ttl_seconds: int
    def __init__(self, request_id: _Optional[str] = ..., source_location_id: _Optional[str] = ..., destination_location_id: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[StockTransferLineInput, _Mapping]]] = ..., note: _Optional[str] = ..., ttl_seconds: _Optional[int] = ...) -> None: ...

class CreateStockTransferResponse(_message.Message):
    __slots__ = ("transfer",)
    TRANSFER_FIELD_NUMBER: _ClassVar[int]
    transfer: StockTransfer
    def __init__(self, transfer: _Optional[_Union[StockTransfer, _Mapping]] = ...) -> None: ...

class ShipStockTransferRequest(_message.Message):
    __slots__ = ("request_id", "transfer_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    transfer_id: str
    def __init__(self, request_id: _Optional[str] = ..., transfer_id: _Optional[str] = ...) -> None: ...

class ShipStockTransferResponse(_message.Message):
    __slots__ = ("transfer",)
    TRANSFER_FIELD_NUMBER: _ClassVar[int]
    transfer: StockTransfer
    def __init__(self, transfer: _Optional[_Union[StockTransfer, _Mapping]] = ...) -> None: ...

class ReceiveStockTransferRequest(_message.Message):
    __slots__ = ("request_id", "transfer_id", "received_lines")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_LINES_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    transfer_id: str
    received_lines: _containers.RepeatedCompositeFieldContainer[StockTransferLineInput]
    def __init__(self, request_id: _Optional[str] = ..., transfer_id: _Optional[str] = ..., received_lines: _Optional[_Iterable[_Union[StockTransferLineInput, _Mapping]]] = ...) -> None: ...

class ReceiveStockTransferResponse(_message.Message):
    __slots__ = ("transfer",)
    TRANSFER_FIELD_NUMBER: _ClassVar[int]
    transfer: StockTransfer
    def __init__(self, transfer: _Optional[_Union[StockTransfer, _Mapping]] = ...) -> None: ...

class CancelStockTransferRequest(_message.Message):
    __slots__ = ("request_id", "transfer_id", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    transfer_id: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., transfer_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CancelStockTransferResponse(_message.Message):
    __slots__ = ("transfer",)
    TRANSFER_FIELD_NUMBER: _ClassVar[int]
    transfer: StockTransfer
    def __init__(self, transfer: _Optional[_Union[StockTransfer, _Mapping]] = ...) -> None: ...

class GetStockTransferRequest(_message.Message):
    __slots__ = ("transfer_id",)
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    def __init__(self, transfer_id: _Optional[str] = ...) -> None: ...

class GetStockTransferResponse(_message.Message):
    __slots__ = ("transfer",)
    TRANSFER_FIELD_NUMBER: _ClassVar[int]
    transfer: StockTransfer
    def __init__(self, transfer: _Optional[_Union[StockTransfer, _Mapping]] = ...) -> None: ...

class ListStockTransfersRequest(_message.Message):
    __slots__ = ("location_id", "state", "page_size", "page_token")
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    location_id: str
    state: StockTransferState
    page_size: int
    page_token: str
    def __init__(self, location_id: _Optional[str] = ..., state: _Optional[_Union[StockTransferState, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListStockTransfersResponse(_message.Message):
    __slots__ = ("transfers", "next_page_token")
    TRANSFERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    transfers: _containers.RepeatedCompositeFieldContainer[StockTransfer]
    next_page_token: str
    def __init__(self, transfers: _Optional[_Iterable[_Union[StockTransfer, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
