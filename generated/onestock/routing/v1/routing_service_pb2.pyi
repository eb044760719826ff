import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class FulfilmentMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FULFILMENT_MODE_UNSPECIFIED: _ClassVar[FulfilmentMode]
    FULFILMENT_MODE_PICKUP: _ClassVar[FulfilmentMode]
    FULFILMENT_MODE_SAME_CITY_DELIVERY: _ClassVar[FulfilmentMode]
    FULFILMENT_MODE_AUTO: _ClassVar[FulfilmentMode]

class CandidateReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CANDIDATE_REASON_UNSPECIFIED: _ClassVar[CandidateReason]
    CANDIDATE_REASON_OUT_OF_RADIUS: _ClassVar[CandidateReason]
    CANDIDATE_REASON_NOT_IN_CITY: _ClassVar[CandidateReason]
    CANDIDATE_REASON_NO_CAPABILITY: _ClassVar[CandidateReason]
    CANDIDATE_REASON_INSUFFICIENT_STOCK: _ClassVar[CandidateReason]
    CANDIDATE_REASON_CLOSED: _ClassVar[CandidateReason]
    CANDIDATE_REASON_FARTHER: _ClassVar[CandidateReason]
    CANDIDATE_REASON_TOO_FAR_FOR_TRANSFER: _ClassVar[CandidateReason]

class CandidateRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CANDIDATE_ROLE_UNSPECIFIED: _ClassVar[CandidateRole]
    CANDIDATE_ROLE_PICKUP: _ClassVar[CandidateRole]
    CANDIDATE_ROLE_DELIVERY: _ClassVar[CandidateRole]
    CANDIDATE_ROLE_TRANSFER_SOURCE: _ClassVar[CandidateRole]
FULFILMENT_MODE_UNSPECIFIED: FulfilmentMode
FULFILMENT_MODE_PICKUP: FulfilmentMode
FULFILMENT_MODE_SAME_CITY_DELIVERY: FulfilmentMode
FULFILMENT_MODE_AUTO: FulfilmentMode
CANDIDATE_REASON_UNSPECIFIED: CandidateReason
CANDIDATE_REASON_OUT_OF_RADIUS: CandidateReason
CANDIDATE_REASON_NOT_IN_CITY: CandidateReason
CANDIDATE_REASON_NO_CAPABILITY: CandidateReason
CANDIDATE_REASON_INSUFFICIENT_STOCK: CandidateReason
CANDIDATE_REASON_CLOSED: CandidateReason
CANDIDATE_REASON_FARTHER: CandidateReason
CANDIDATE_REASON_TOO_FAR_FOR_TRANSFER: CandidateReason
CANDIDATE_ROLE_UNSPECIFIED: CandidateRole
CANDIDATE_ROLE_PICKUP: CandidateRole
CANDIDATE_ROLE_DELIVERY: CandidateRole
CANDIDATE_ROLE_TRANSFER_SOURCE: CandidateRole

class OrderLine(_message.Message):
    __slots__ = ("sku_id", "quantity")
    SKU_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    sku_id: str
    quantity: int
    def __init__(self, sku_id: _Optional[str] = ..., quantity: _Optional[int] = ...) -> None: ...

class RouteRequest(_message.Message):
    __slots__ = ("lines", "latitude", "longitude", "city", "mode", "pickup_location_id", "order_time", "policy_overrides")
    LINES_FIELD_NUMBER: _ClassVar[int]
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    CITY_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    PICKUP_LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_TIME_FIELD_NUMBER: _ClassVar[int]
    POLICY_OVERRIDES_FIELD_NUMBER: _ClassVar[int]
    lines: _containers.RepeatedCompositeFieldContainer[OrderLine]
    latitude: float
    longitude: float
    city: str
    mode: FulfilmentMode
    pickup_location_id: str
    order_time: _timestamp_pb2.Timestamp
    policy_overrides: _struct_pb2.Struct
    def __init__(self, lines: _Optional[_Iterable[_Union[OrderLine, _Mapping]]] = ..., latitude: _Optional[float] = ..., longitude: _Optional[float] = ..., city: _Optional[str] = ..., mode: _Optional[_Union[FulfilmentMode, str]] = ..., pickup_location_id: _Optional[str] = ..., order_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., policy_overrides: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class Transfer(_message.Message):
    __slots__ = ("source_location_id", "destination_location_id", "lines", "distance_km", "same_city", "cost_minor", "arrive_time")
    SOURCE_LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_KM_FIELD_NUMBER: _ClassVar[int]
    SAME_CITY_FIELD_NUMBER: _ClassVar[int]
    COST_MINOR_FIELD_NUMBER: _ClassVar[int]
    ARRIVE_TIME_FIELD_NUMBER: _ClassVar[int]
    source_location_id: str
    destination_location_id: str
    lines: _containers.RepeatedCompositeFieldContainer[OrderLine]
    distance_km: float
    same_city: bool
    cost_minor: int
    arrive_time: _timestamp_pb2.Timestamp
    def __init__(self, source_location_id: _Optional[str] = ..., destination_location_id: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[OrderLine, _Mapping]]] = ..., distance_km: _Optional[float] = ..., same_city: _Optional[bool] = ..., cost_minor: _Optional[int] = ..., arrive_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Shipment(_message.Message):
    __slots__ = ("mode", "location_id", "lines", "distance_km", "fee_minor", "prep_start_time", "ready_time", "transfers")
    MODE_FIELD_NUMBER: _ClassVar[int]
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_KM_FIELD_NUMBER: _ClassVar[int]
    FEE_MINOR_FIELD_NUMBER: _ClassVar[int]
    PREP_START_TIME_FIELD_NUMBER: _ClassVar[int]
    READY_TIME_FIELD_NUMBER: _ClassVar[int]
    TRANSFERS_FIELD_NUMBER: _ClassVar[int]
    mode: FulfilmentMode
    location_id: str
    lines: _containers.RepeatedCompositeFieldContainer[OrderLine]
    distance_km: float
    fee_minor: int
    prep_start_time: _timestamp_pb2.Timestamp
    ready_time: _timestamp_pb2.Timestamp
    transfers: _containers.RepeatedCompositeFieldContainer[Transfer]
    def __init__(self, mode: _Optional[_Union[FulfilmentMode, str]] = ..., location_id: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[OrderLine, _Mapping]]] = ..., distance_km: _Optional[float] = ..., fee_minor: _Optional[int] = ..., prep_start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ready_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., transfers: _Optional[_Iterable[_Union[Transfer, _Mapping]]] = ...) -> None: ...

class Candidate(_message.Message):
    __slots__ = ("location_id", "role", "distance_km", "chosen", "reasons", "short_sku_ids", "opens_time")
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_KM_FIELD_NUMBER: _ClassVar[int]
    CHOSEN_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    SHORT_SKU_IDS_FIELD_NUMBER: _ClassVar[int]
    OPENS_TIME_FIELD_NUMBER: _ClassVar[int]
    location_id: str
    role: CandidateRole
    distance_km: float
    chosen: bool
    reasons: _containers.RepeatedScalarFieldContainer[CandidateReason]
    short_sku_ids: _containers.RepeatedScalarFieldContainer[str]
    opens_time: _timestamp_pb2.Timestamp
    def __init__(self, location_id: _Optional[str] = ..., role: _Optional[_Union[CandidateRole, str]] = ..., distance_km: _Optional[float] = ..., chosen: _Optional[bool] = ..., reasons: _Optional[_Iterable[_Union[CandidateReason, str]]] = ..., short_sku_ids: _Optional[_Iterable[str]] = ..., opens_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Plan(_message.Message):
    __slots__ = ("feasible", "mode", "label", "shipments", "delivery_fee_minor", "transfer_cost_minor", "ready_time", "score", "trace", "unfillable_reasons")
    FEASIBLE_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    SHIPMENTS_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_FEE_MINOR_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_COST_MINOR_FIELD_NUMBER: _ClassVar[int]
    READY_TIME_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    TRACE_FIELD_NUMBER: _ClassVar[int]
    UNFILLABLE_REASONS_FIELD_NUMBER: _ClassVar[int]
    feasible: bool
    mode: FulfilmentMode
    label: str
    shipments: _containers.RepeatedCompositeFieldContainer[Shipment]
    delivery_fee_minor: int
    transfer_cost_minor: int
    ready_time: _timestamp_pb2.Timestamp
    score: float
    trace: _containers.RepeatedCompositeFieldContainer[Candidate]
    unfillable_reasons: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, feasible: _Optional[bool] = ..., mode: _Optional[_Union[FulfilmentMode, str]] = ..., label: _Optional[str] = ..., shipments: _Optional[_Iterable[_Union[Shipment, _Mapping]]] = ..., delivery_fee_minor: _Optional[int] = ..., transfer_cost_minor: _Optional[int] = ..., ready_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., score: _Optional[float] = ..., trace: _Optional[_Iterable[_Union[Candidate, _Mapping]]] = ..., unfillable_reasons: _Optional[_Iterable[str]] = ...) -> None: ...

class QuoteFulfilmentRequest(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: RouteRequest
    def __init__(self, order: _Optional[_Union[RouteRequest, _Mapping]] = ...) -> None: ...

class QuoteFulfilmentResponse(_message.Message):
    __slots__ = ("pickup_options", "delivery_options", "transfer_options")
    PICKUP_OPTIONS_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_OPTIONS_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_OPTIONS_FIELD_NUMBER: _ClassVar[int]
    pickup_options: _containers.RepeatedCompositeFieldContainer[Plan]
    delivery_options: _containers.RepeatedCompositeFieldContainer[Plan]
    transfer_options: _containers.RepeatedCompositeFieldContainer[Plan]
    def __init__(self, pickup_options: _Optional[_Iterable[_Union[Plan, _Mapping]]] = ..., delivery_options: _Optional[_Iterable[_Union[Plan, _Mapping]]] = ..., transfer_options: _Optional[_Iterable[_Union[Plan, _Mapping]]] = ...) -> None: ...

class RouteOrderRequest(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: RouteRequest
    def __init__(self, order: _Optional[_Union[RouteRequest, _Mapping]] = ...) -> None: ...

class RouteOrderResponse(_message.Message):
    __slots__ = ("plan",)
    PLAN_FIELD_NUMBER: _ClassVar[int]
    plan: Plan
    def __init__(self, plan: _Optional[_Union[Plan, _Mapping]] = ...) -> None: ...
