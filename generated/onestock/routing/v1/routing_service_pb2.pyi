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
    CANDIDATE_REASON_NO_ROAD_ROUTE: _ClassVar[CandidateReason]
    CANDIDATE_REASON_TEMPORARILY_CLOSED: _ClassVar[CandidateReason]

class DistanceMeasure(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DISTANCE_MEASURE_UNSPECIFIED: _ClassVar[DistanceMeasure]
    DISTANCE_MEASURE_GREAT_CIRCLE: _ClassVar[DistanceMeasure]
    DISTANCE_MEASURE_ROAD: _ClassVar[DistanceMeasure]

class CandidateRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CANDIDATE_ROLE_UNSPECIFIED: _ClassVar[CandidateRole]
    CANDIDATE_ROLE_PICKUP: _ClassVar[CandidateRole]
    CANDIDATE_ROLE_DELIVERY: _ClassVar[CandidateRole]
    CANDIDATE_ROLE_TRANSFER_SOURCE: _ClassVar[CandidateRole]

class StoreService(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STORE_SERVICE_UNSPECIFIED: _ClassVar[StoreService]
    STORE_SERVICE_PICKUP: _ClassVar[StoreService]
    STORE_SERVICE_SAME_CITY_DELIVERY: _ClassVar[StoreService]

class PlanView(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PLAN_VIEW_UNSPECIFIED: _ClassVar[PlanView]
    PLAN_VIEW_BASIC: _ClassVar[PlanView]
    PLAN_VIEW_FULL: _ClassVar[PlanView]
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
CANDIDATE_REASON_NO_ROAD_ROUTE: CandidateReason
CANDIDATE_REASON_TEMPORARILY_CLOSED: CandidateReason
DISTANCE_MEASURE_UNSPECIFIED: DistanceMeasure
DISTANCE_MEASURE_GREAT_CIRCLE: DistanceMeasure
DISTANCE_MEASURE_ROAD: DistanceMeasure
CANDIDATE_ROLE_UNSPECIFIED: CandidateRole
CANDIDATE_ROLE_PICKUP: CandidateRole
CANDIDATE_ROLE_DELIVERY: CandidateRole
CANDIDATE_ROLE_TRANSFER_SOURCE: CandidateRole
STORE_SERVICE_UNSPECIFIED: StoreService
STORE_SERVICE_PICKUP: StoreService
STORE_SERVICE_SAME_CITY_DELIVERY: StoreService
PLAN_VIEW_UNSPECIFIED: PlanView
PLAN_VIEW_BASIC: PlanView
PLAN_VIEW_FULL: PlanView

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
    __slots__ = ("feasible", "mode", "label", "shipments", "delivery_fee_minor", "transfer_cost_minor", "ready_time", "score", "trace", "unfillable_reasons", "distance_measure")
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
    DISTANCE_MEASURE_FIELD_NUMBER: _ClassVar[int]
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
    distance_measure: DistanceMeasure
    def __init__(self, feasible: _Optional[bool] = ..., mode: _Optional[_Union[FulfilmentMode, str]] = ..., label: _Optional[str] = ..., shipments: _Optional[_Iterable[_Union[Shipment, _Mapping]]] = ..., delivery_fee_minor: _Optional[int] = ..., transfer_cost_minor: _Optional[int] = ..., ready_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., score: _Optional[float] = ..., trace: _Optional[_Iterable[_Union[Candidate, _Mapping]]] = ..., unfillable_reasons: _Optional[_Iterable[str]] = ..., distance_measure: _Optional[_Union[DistanceMeasure, str]] = ...) -> None: ...

class FindNearestStoresRequest(_message.Message):
    __slots__ = ("latitude", "longitude", "service", "radius_km", "max_stores", "at_time")
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    RADIUS_KM_FIELD_NUMBER: _ClassVar[int]
    MAX_STORES_FIELD_NUMBER: _ClassVar[int]
    AT_TIME_FIELD_NUMBER: _ClassVar[int]
    latitude: float
    longitude: float
    service: StoreService
    radius_km: float
    max_stores: int
    at_time: _timestamp_pb2.Timestamp
    def __init__(self, latitude: _Optional[float] = ..., longitude: _Optional[float] = ..., service: _Optional[_Union[StoreService, str]] = ..., radius_km: _Optional[float] = ..., max_stores: _Optional[int] = ..., at_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class NearbyStore(_message.Message):
    __slots__ = ("location_id", "name", "city", "distance_km", "pickup", "delivers_here", "open_now", "opens_time")
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CITY_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_KM_FIELD_NUMBER: _ClassVar[int]
    PICKUP_FIELD_NUMBER: _ClassVar[int]
    DELIVERS_HERE_FIELD_NUMBER: _ClassVar[int]
    OPEN_NOW_FIELD_NUMBER: _ClassVar[int]
    OPENS_TIME_FIELD_NUMBER: _ClassVar[int]
    location_id: str
    name: str
    city: str
    distance_km: float
    pickup: bool
    delivers_here: bool
    open_now: bool
    opens_time: _timestamp_pb2.Timestamp
    def __init__(self, location_id: _Optional[str] = ..., name: _Optional[str] = ..., city: _Optional[str] = ..., distance_km: _Optional[float] = ..., pickup: _Optional[bool] = ..., delivers_here: _Optional[bool] = ..., open_now: _Optional[bool] = ..., opens_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class FindNearestStoresResponse(_message.Message):
    __slots__ = ("stores", "distance_measure")
    STORES_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_MEASURE_FIELD_NUMBER: _ClassVar[int]
    stores: _containers.RepeatedCompositeFieldContainer[NearbyStore]
    distance_measure: DistanceMeasure
    def __init__(self, stores: _Optional[_Iterable[_Union[NearbyStore, _Mapping]]] = ..., distance_measure: _Optional[_Union[DistanceMeasure, str]] = ...) -> None: ...

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
    __slots__ = ("order", "view")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    order: RouteRequest
    view: PlanView
    def __init__(self, order: _Optional[_Union[RouteRequest, _Mapping]] = ..., view: _Optional[_Union[PlanView, str]] = ...) -> None: ...

class RouteOrderResponse(_message.Message):
    __slots__ = ("plan",)
    PLAN_FIELD_NUMBER: _ClassVar[int]
    plan: Plan
    def __init__(self, plan: _Optional[_Union[Plan, _Mapping]] = ...) -> None: ...

class RunSimulationRequest(_message.Message):
    __slots__ = ("request_id", "scenario_dir", "synthetic_chain", "live_snapshot", "orders_file", "synthetic_orders", "replenishment_file", "policies", "transfer_case_units", "skip_bad_rows", "workers", "moves_file")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SCENARIO_DIR_FIELD_NUMBER: _ClassVar[int]
    SYNTHETIC_CHAIN_FIELD_NUMBER: _ClassVar[int]
    LIVE_SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    ORDERS_FILE_FIELD_NUMBER: _ClassVar[int]
    SYNTHETIC_ORDERS_FIELD_NUMBER: _ClassVar[int]
    REPLENISHMENT_FILE_FIELD_NUMBER: _ClassVar[int]
    POLICIES_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_CASE_UNITS_FIELD_NUMBER: _ClassVar[int]
    SKIP_BAD_ROWS_FIELD_NUMBER: _ClassVar[int]
    WORKERS_FIELD_NUMBER: _ClassVar[int]
    MOVES_FILE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    scenario_dir: str
    synthetic_chain: SyntheticChain
    live_snapshot: bool
    orders_file: str
    synthetic_orders: SyntheticOrders
    replenishment_file: str
    policies: _containers.RepeatedCompositeFieldContainer[SimulationPolicy]
    transfer_case_units: int
    skip_bad_rows: bool
    workers: int
    moves_file: str
    def __init__(self, request_id: _Optional[str] = ..., scenario_dir: _Optional[str] = ..., synthetic_chain: _Optional[_Union[SyntheticChain, _Mapping]] = ..., live_snapshot: _Optional[bool] = ..., orders_file: _Optional[str] = ..., synthetic_orders: _Optional[_Union[SyntheticOrders, _Mapping]] = ..., replenishment_file: _Optional[str] = ..., policies: _Optional[_Iterable[_Union[SimulationPolicy, _Mapping]]] = ..., transfer_case_units: _Optional[int] = ..., skip_bad_rows: _Optional[bool] = ..., workers: _Optional[int] = ..., moves_file: _Optional[str] = ...) -> None: ...

class SyntheticChain(_message.Message):
    __slots__ = ("locations", "skus", "seed")
    LOCATIONS_FIELD_NUMBER: _ClassVar[int]
    SKUS_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    locations: int
    skus: int
    seed: int
    def __init__(self, locations: _Optional[int] = ..., skus: _Optional[int] = ..., seed: _Optional[int] = ...) -> None: ...

class SyntheticOrders(_message.Message):
    __slots__ = ("orders", "days", "start_date", "seed")
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    DAYS_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    orders: int
    days: int
    start_date: str
    seed: int
    def __init__(self, orders: _Optional[int] = ..., days: _Optional[int] = ..., start_date: _Optional[str] = ..., seed: _Optional[int] = ...) -> None: ...

class SimulationPolicy(_message.Message):
    __slots__ = ("name", "settings")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    name: str
    settings: _struct_pb2.Struct
    def __init__(self, name: _Optional[str] = ..., settings: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class RunSimulationResponse(_message.Message):
    __slots__ = ("progress", "result")
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    progress: SimulationProgress
    result: SimulationResult
    def __init__(self, progress: _Optional[_Union[SimulationProgress, _Mapping]] = ..., result: _Optional[_Union[SimulationResult, _Mapping]] = ...) -> None: ...

class SimulationProgress(_message.Message):
    __slots__ = ("orders_replayed", "orders_total")
    ORDERS_REPLAYED_FIELD_NUMBER: _ClassVar[int]
    ORDERS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    orders_replayed: int
    orders_total: int
    def __init__(self, orders_replayed: _Optional[int] = ..., orders_total: _Optional[int] = ...) -> None: ...

class SimulationResult(_message.Message):
    __slots__ = ("policies", "report_path", "kpis_csv_path", "kpis_json_path")
    POLICIES_FIELD_NUMBER: _ClassVar[int]
    REPORT_PATH_FIELD_NUMBER: _ClassVar[int]
    KPIS_CSV_PATH_FIELD_NUMBER: _ClassVar[int]
    KPIS_JSON_PATH_FIELD_NUMBER: _ClassVar[int]
    policies: _containers.RepeatedCompositeFieldContainer[PolicyKpis]
    report_path: str
    kpis_csv_path: str
    kpis_json_path: str
    def __init__(self, policies: _Optional[_Iterable[_Union[PolicyKpis, _Mapping]]] = ..., report_path: _Optional[str] = ..., kpis_csv_path: _Optional[str] = ..., kpis_json_path: _Optional[str] = ...) -> None: ...

class Spread(_message.Message):
    __slots__ = ("count", "p50", "p95", "mean")
    COUNT_FIELD_NUMBER: _ClassVar[int]
    P50_FIELD_NUMBER: _ClassVar[int]
    P95_FIELD_NUMBER: _ClassVar[int]
    MEAN_FIELD_NUMBER: _ClassVar[int]
    count: int
    p50: float
    p95: float
    mean: float
    def __init__(self, count: _Optional[int] = ..., p50: _Optional[float] = ..., p95: _Optional[float] = ..., mean: _Optional[float] = ...) -> None: ...

class PolicyKpis(_message.Message):
    __slots__ = ("policy", "orders", "filled", "unfillable", "fill_rate", "unfillable_reasons", "mode_mix", "split_rate", "courier_km", "pickup_trip_km", "eta_minutes", "delivery_fees_minor", "transfer_costs_minor", "transfers", "transfer_units", "orders_waiting_for_opening", "stockouts", "locations_with_stockouts", "stockouts_by_location", "peak_store_hour_location_id", "peak_store_hour_time", "peak_store_hour_orders", "store_hour_orders_p95", "hourly_placed", "hourly_started", "head_office_moves")
    class UnfillableReasonsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    class ModeMixEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    class StockoutsByLocationEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    POLICY_FIELD_NUMBER: _ClassVar[int]
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    FILLED_FIELD_NUMBER: _ClassVar[int]
    UNFILLABLE_FIELD_NUMBER: _ClassVar[int]
    FILL_RATE_FIELD_NUMBER: _ClassVar[int]
    UNFILLABLE_REASONS_FIELD_NUMBER: _ClassVar[int]
    MODE_MIX_FIELD_NUMBER: _ClassVar[int]
    SPLIT_RATE_FIELD_NUMBER: _ClassVar[int]
    COURIER_KM_FIELD_NUMBER: _ClassVar[int]
    PICKUP_TRIP_KM_FIELD_NUMBER: _ClassVar[int]
    ETA_MINUTES_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_FEES_MINOR_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_COSTS_MINOR_FIELD_NUMBER: _ClassVar[int]
    TRANSFERS_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_UNITS_FIELD_NUMBER: _ClassVar[int]
    ORDERS_WAITING_FOR_OPENING_FIELD_NUMBER: _ClassVar[int]
    STOCKOUTS_FIELD_NUMBER: _ClassVar[int]
    LOCATIONS_WITH_STOCKOUTS_FIELD_NUMBER: _ClassVar[int]
    STOCKOUTS_BY_LOCATION_FIELD_NUMBER: _ClassVar[int]
    PEAK_STORE_HOUR_LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    PEAK_STORE_HOUR_TIME_FIELD_NUMBER: _ClassVar[int]
    PEAK_STORE_HOUR_ORDERS_FIELD_NUMBER: _ClassVar[int]
    STORE_HOUR_ORDERS_P95_FIELD_NUMBER: _ClassVar[int]
    HOURLY_PLACED_FIELD_NUMBER: _ClassVar[int]
    HOURLY_STARTED_FIELD_NUMBER: _ClassVar[int]
    HEAD_OFFICE_MOVES_FIELD_NUMBER: _ClassVar[int]
    policy: str
    orders: int
    filled: int
    unfillable: int
    fill_rate: float
    unfillable_reasons: _containers.ScalarMap[str, int]
    mode_mix: _containers.ScalarMap[str, int]
    split_rate: float
    courier_km: Spread
    pickup_trip_km: Spread
    eta_minutes: Spread
    delivery_fees_minor: int
    transfer_costs_minor: int
    transfers: int
    transfer_units: int
    orders_waiting_for_opening: int
    stockouts: int
    locations_with_stockouts: int
    stockouts_by_location: _containers.ScalarMap[str, int]
    peak_store_hour_location_id: str
    peak_store_hour_time: _timestamp_pb2.Timestamp
    peak_store_hour_orders: int
    store_hour_orders_p95: float
    hourly_placed: _containers.RepeatedScalarFieldContainer[int]
    hourly_started: _containers.RepeatedScalarFieldContainer[int]
    head_office_moves: HeadOfficeMoves
    def __init__(self, policy: _Optional[str] = ..., orders: _Optional[int] = ..., filled: _Optional[int] = ..., unfillable: _Optional[int] = ..., fill_rate: _Optional[float] = ..., unfillable_reasons: _Optional[_Mapping[str, int]] = ..., mode_mix: _Optional[_Mapping[str, int]] = ..., split_rate: _Optional[float] = ..., courier_km: _Optional[_Union[Spread, _Mapping]] = ..., pickup_trip_km: _Optional[_Union[Spread, _Mapping]] = ..., eta_minutes: _Optional[_Union[Spread, _Mapping]] = ..., delivery_fees_minor: _Optional[int] = ..., transfer_costs_minor: _Optional[int] = ..., transfers: _Optional[int] = ..., transfer_units: _Optional[int] = ..., orders_waiting_for_opening: _Optional[int] = ..., stockouts: _Optional[int] = ..., locations_with_stockouts: _Optional[int] = ..., stockouts_by_location: _Optional[_Mapping[str, int]] = ..., peak_store_hour_location_id: _Optional[str] = ..., peak_store_hour_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., peak_store_hour_orders: _Optional[int] = ..., store_hour_orders_p95: _Optional[float] = ..., hourly_placed: _Optional[_Iterable[int]] = ..., hourly_started: _Optional[_Iterable[int]] = ..., head_office_moves: _Optional[_Union[HeadOfficeMoves, _Mapping]] = ...) -> None: ...

class HeadOfficeMoves(_message.Message):
    __slots__ = ("moves", "units_asked", "units_shipped", "beyond_reach")
    MOVES_FIELD_NUMBER: _ClassVar[int]
    UNITS_ASKED_FIELD_NUMBER: _ClassVar[int]
    UNITS_SHIPPED_FIELD_NUMBER: _ClassVar[int]
    BEYOND_REACH_FIELD_NUMBER: _ClassVar[int]
    moves: int
    units_asked: int
    units_shipped: int
    beyond_reach: int
    def __init__(self, moves: _Optional[int] = ..., units_asked: _Optional[int] = ..., units_shipped: _Optional[int] = ..., beyond_reach: _Optional[int] = ...) -> None: ...
