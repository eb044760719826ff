import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Channel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANNEL_UNSPECIFIED: _ClassVar[Channel]
    CHANNEL_MINI_PROGRAM: _ClassVar[Channel]
    CHANNEL_POS: _ClassVar[Channel]

class FulfilmentMethod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FULFILMENT_METHOD_UNSPECIFIED: _ClassVar[FulfilmentMethod]
    FULFILMENT_METHOD_PICKUP: _ClassVar[FulfilmentMethod]
    FULFILMENT_METHOD_SAME_CITY_DELIVERY: _ClassVar[FulfilmentMethod]
    FULFILMENT_METHOD_AUTO: _ClassVar[FulfilmentMethod]
    FULFILMENT_METHOD_IN_STORE: _ClassVar[FulfilmentMethod]

class OrderState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_STATE_UNSPECIFIED: _ClassVar[OrderState]
    ORDER_STATE_PENDING_PAYMENT: _ClassVar[OrderState]
    ORDER_STATE_PAID: _ClassVar[OrderState]
    ORDER_STATE_COMPLETED: _ClassVar[OrderState]
    ORDER_STATE_CANCELLED: _ClassVar[OrderState]

class GroupState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GROUP_STATE_UNSPECIFIED: _ClassVar[GroupState]
    GROUP_STATE_AWAITING_TRANSFER: _ClassVar[GroupState]
    GROUP_STATE_IN_TRANSIT: _ClassVar[GroupState]
    GROUP_STATE_PREPARING: _ClassVar[GroupState]
    GROUP_STATE_READY_FOR_PICKUP: _ClassVar[GroupState]
    GROUP_STATE_OUT_FOR_DELIVERY: _ClassVar[GroupState]
    GROUP_STATE_HANDED_OVER: _ClassVar[GroupState]
    GROUP_STATE_CANCELLED: _ClassVar[GroupState]

class GroupKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GROUP_KIND_UNSPECIFIED: _ClassVar[GroupKind]
    GROUP_KIND_PICKUP: _ClassVar[GroupKind]
    GROUP_KIND_DELIVERY: _ClassVar[GroupKind]
    GROUP_KIND_IN_STORE: _ClassVar[GroupKind]
CHANNEL_UNSPECIFIED: Channel
CHANNEL_MINI_PROGRAM: Channel
CHANNEL_POS: Channel
FULFILMENT_METHOD_UNSPECIFIED: FulfilmentMethod
FULFILMENT_METHOD_PICKUP: FulfilmentMethod
FULFILMENT_METHOD_SAME_CITY_DELIVERY: FulfilmentMethod
FULFILMENT_METHOD_AUTO: FulfilmentMethod
FULFILMENT_METHOD_IN_STORE: FulfilmentMethod
ORDER_STATE_UNSPECIFIED: OrderState
ORDER_STATE_PENDING_PAYMENT: OrderState
ORDER_STATE_PAID: OrderState
ORDER_STATE_COMPLETED: OrderState
ORDER_STATE_CANCELLED: OrderState
GROUP_STATE_UNSPECIFIED: GroupState
GROUP_STATE_AWAITING_TRANSFER: GroupState
GROUP_STATE_IN_TRANSIT: GroupState
GROUP_STATE_PREPARING: GroupState
GROUP_STATE_READY_FOR_PICKUP: GroupState
GROUP_STATE_OUT_FOR_DELIVERY: GroupState
GROUP_STATE_HANDED_OVER: GroupState
GROUP_STATE_CANCELLED: GroupState
GROUP_KIND_UNSPECIFIED: GroupKind
GROUP_KIND_PICKUP: GroupKind
GROUP_KIND_DELIVERY: GroupKind
GROUP_KIND_IN_STORE: GroupKind

class OrderLineInput(_message.Message):
    __slots__ = ("sku_id", "quantity", "unit_price_minor")
    SKU_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    UNIT_PRICE_MINOR_FIELD_NUMBER: _ClassVar[int]
    sku_id: str
    quantity: int
    unit_price_minor: int
    def __init__(self, sku_id: _Optional[str] = ..., quantity: _Optional[int] = ..., unit_price_minor: _Optional[int] = ...) -> None: ...

class FulfilmentRequest(_message.Message):
    __slots__ = ("method", "location_id", "latitude", "longitude", "city", "reservation_id")
    METHOD_FIELD_NUMBER: _ClassVar[int]
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    CITY_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    method: FulfilmentMethod
    location_id: str
    latitude: float
    longitude: float
    city: str
    reservation_id: str
    def __init__(self, method: _Optional[_Union[FulfilmentMethod, str]] = ..., location_id: _Optional[str] = ..., latitude: _Optional[float] = ..., longitude: _Optional[float] = ..., city: _Optional[str] = ..., reservation_id: _Optional[str] = ...) -> None: ...

class OrderLine(_message.Message):
    __slots__ = ("sku_id", "quantity", "unit_price_minor", "returned_quantity")
    SKU_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    UNIT_PRICE_MINOR_FIELD_NUMBER: _ClassVar[int]
    RETURNED_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    sku_id: str
    quantity: int
    unit_price_minor: int
    returned_quantity: int
    def __init__(self, sku_id: _Optional[str] = ..., quantity: _Optional[int] = ..., unit_price_minor: _Optional[int] = ..., returned_quantity: _Optional[int] = ...) -> None: ...

class OrderReturn(_message.Message):
    __slots__ = ("return_id", "location_id", "lines", "refund_minor", "points_reversed", "create_time", "points_restored", "debits")
    RETURN_ID_FIELD_NUMBER: _ClassVar[int]
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    REFUND_MINOR_FIELD_NUMBER: _ClassVar[int]
    POINTS_REVERSED_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    POINTS_RESTORED_FIELD_NUMBER: _ClassVar[int]
    DEBITS_FIELD_NUMBER: _ClassVar[int]
    return_id: str
    location_id: str
    lines: _containers.RepeatedCompositeFieldContainer[OrderLine]
    refund_minor: int
    points_reversed: int
    create_time: _timestamp_pb2.Timestamp
    points_restored: int
    debits: _containers.RepeatedCompositeFieldContainer[ReturnDebit]
    def __init__(self, return_id: _Optional[str] = ..., location_id: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[OrderLine, _Mapping]]] = ..., refund_minor: _Optional[int] = ..., points_reversed: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., points_restored: _Optional[int] = ..., debits: _Optional[_Iterable[_Union[ReturnDebit, _Mapping]]] = ...) -> None: ...

class ReturnDebit(_message.Message):
    __slots__ = ("location_id", "dealer_id", "sku_id", "quantity", "unit_price_minor")
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    DEALER_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    UNIT_PRICE_MINOR_FIELD_NUMBER: _ClassVar[int]
    location_id: str
    dealer_id: str
    sku_id: str
    quantity: int
    unit_price_minor: int
    def __init__(self, location_id: _Optional[str] = ..., dealer_id: _Optional[str] = ..., sku_id: _Optional[str] = ..., quantity: _Optional[int] = ..., unit_price_minor: _Optional[int] = ...) -> None: ...

class GroupTransfer(_message.Message):
    __slots__ = ("source_location_id", "lines", "shipped", "received")
    SOURCE_LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    SHIPPED_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_FIELD_NUMBER: _ClassVar[int]
    source_location_id: str
    lines: _containers.RepeatedCompositeFieldContainer[OrderLine]
    shipped: bool
    received: bool
    def __init__(self, source_location_id: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[OrderLine, _Mapping]]] = ..., shipped: _Optional[bool] = ..., received: _Optional[bool] = ...) -> None: ...

class FulfilmentGroup(_message.Message):
    __slots__ = ("group_id", "kind", "state", "location_id", "dealer_id", "lines", "transfers", "delivery_fee_minor", "planned_ready_time", "pickup_code", "courier_reference", "cancel_reason", "refund_minor", "points_restored", "handover_time")
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    DEALER_ID_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    TRANSFERS_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_FEE_MINOR_FIELD_NUMBER: _ClassVar[int]
    PLANNED_READY_TIME_FIELD_NUMBER: _ClassVar[int]
    PICKUP_CODE_FIELD_NUMBER: _ClassVar[int]
    COURIER_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    CANCEL_REASON_FIELD_NUMBER: _ClassVar[int]
    REFUND_MINOR_FIELD_NUMBER: _ClassVar[int]
    POINTS_RESTORED_FIELD_NUMBER: _ClassVar[int]
    HANDOVER_TIME_FIELD_NUMBER: _ClassVar[int]
    group_id: str
    kind: GroupKind
    state: GroupState
    location_id: str
    dealer_id: str
    lines: _containers.RepeatedCompositeFieldContainer[OrderLine]
    transfers: _containers.RepeatedCompositeFieldContainer[GroupTransfer]
    delivery_fee_minor: int
    planned_ready_time: _timestamp_pb2.Timestamp
    pickup_code: str
    courier_reference: str
    cancel_reason: str
    refund_minor: int
    points_restored: int
    handover_time: _timestamp_pb2.Timestamp
    def __init__(self, group_id: _Optional[str] = ..., kind: _Optional[_Union[GroupKind, str]] = ..., state: _Optional[_Union[GroupState, str]] = ..., location_id: _Optional[str] = ..., dealer_id: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[OrderLine, _Mapping]]] = ..., transfers: _Optional[_Iterable[_Union[GroupTransfer, _Mapping]]] = ..., delivery_fee_minor: _Optional[int] = ..., planned_ready_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., pickup_code: _Optional[str] = ..., courier_reference: _Optional[str] = ..., cancel_reason: _Optional[str] = ..., refund_minor: _Optional[int] = ..., points_restored: _Optional[int] = ..., handover_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Order(_message.Message):
    __slots__ = ("order_id", "channel", "member_id", "state", "lines", "total_minor", "currency", "groups", "create_time", "expire_time", "pay_time", "complete_time", "cancel_time", "cancel_reason", "points_awarded", "returns", "points_redeemed", "points_discount_minor", "payable_minor", "fulfil_by_time")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_MINOR_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    PAY_TIME_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_TIME_FIELD_NUMBER: _ClassVar[int]
    CANCEL_TIME_FIELD_NUMBER: _ClassVar[int]
    CANCEL_REASON_FIELD_NUMBER: _ClassVar[int]
    POINTS_AWARDED_FIELD_NUMBER: _ClassVar[int]
    RETURNS_FIELD_NUMBER: _ClassVar[int]
    POINTS_REDEEMED_FIELD_NUMBER: _ClassVar[int]
    POINTS_DISCOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    PAYABLE_MINOR_FIELD_NUMBER: _ClassVar[int]
    FULFIL_BY_TIME_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    channel: Channel
    member_id: str
    state: OrderState
    lines: _containers.RepeatedCompositeFieldContainer[OrderLine]
    total_minor: int
    currency: str
    groups: _containers.RepeatedCompositeFieldContainer[FulfilmentGroup]
    create_time: _timestamp_pb2.Timestamp
    expire_time: _timestamp_pb2.Timestamp
    pay_time: _timestamp_pb2.Timestamp
    complete_time: _timestamp_pb2.Timestamp
    cancel_time: _timestamp_pb2.Timestamp
    cancel_reason: str
    points_awarded: int
    returns: _containers.RepeatedCompositeFieldContainer[OrderReturn]
    points_redeemed: int
    points_discount_minor: int
    payable_minor: int
    fulfil_by_time: _timestamp_pb2.Timestamp
    def __init__(self, order_id: _Optional[str] = ..., channel: _Optional[_Union[Channel, str]] = ..., member_id: _Optional[str] = ..., state: _Optional[_Union[OrderState, str]] = ..., lines: _Optional[_Iterable[_Union[OrderLine, _Mapping]]] = ..., total_minor: _Optional[int] = ..., currency: _Optional[str] = ..., groups: _Optional[_Iterable[_Union[FulfilmentGroup, _Mapping]]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., pay_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., complete_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cancel_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cancel_reason: _Optional[str] = ..., points_awarded: _Optional[int] = ..., returns: _Optional[_Iterable[_Union[OrderReturn, _Mapping]]] = ..., points_redeemed: _Optional[int] = ..., points_discount_minor: _Optional[int] = ..., payable_minor: _Optional[int] = ..., fulfil_by_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateOrderRequest(_message.Message):
    __slots__ = ("request_id", "channel", "member_id", "lines", "fulfilment", "points_to_redeem", "member_code")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    FULFILMENT_FIELD_NUMBER: _ClassVar[int]
    POINTS_TO_REDEEM_FIELD_NUMBER: _ClassVar[int]
    MEMBER_CODE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    channel: Channel
    member_id: str
    lines: _containers.RepeatedCompositeFieldContainer[OrderLineInput]
    fulfilment: FulfilmentRequest
    points_to_redeem: int
    member_code: str
    def __init__(self, request_id: _Optional[str] = ..., channel: _Optional[_Union[Channel, str]] = ..., member_id: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[OrderLineInput, _Mapping]]] = ..., fulfilment: _Optional[_Union[FulfilmentRequest, _Mapping]] = ..., points_to_redeem: _Optional[int] = ..., member_code: _Optional[str] = ...) -> None: ...

class CreateOrderResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: Order
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ...) -> None: ...

class ConfirmPaymentRequest(_message.Message):
    __slots__ = ("request_id", "order_id", "amount_minor")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    order_id: str
    amount_minor: int
    def __init__(self, request_id: _Optional[str] = ..., order_id: _Optional[str] = ..., amount_minor: _Optional[int] = ...) -> None: ...

class ConfirmPaymentResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: Order
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ...) -> None: ...

class CancelOrderRequest(_message.Message):
    __slots__ = ("request_id", "order_id", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    order_id: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., order_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CancelOrderResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: Order
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ...) -> None: ...

class GetOrderRequest(_message.Message):
    __slots__ = ("order_id",)
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    def __init__(self, order_id: _Optional[str] = ...) -> None: ...

class GetOrderResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: Order
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ...) -> None: ...

class ShipTransferRequest(_message.Message):
    __slots__ = ("request_id", "group_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    group_id: str
    def __init__(self, request_id: _Optional[str] = ..., group_id: _Optional[str] = ...) -> None: ...

class ShipTransferResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: Order
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ...) -> None: ...

class ReceiveTransferRequest(_message.Message):
    __slots__ = ("request_id", "group_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    group_id: str
    def __init__(self, request_id: _Optional[str] = ..., group_id: _Optional[str] = ...) -> None: ...

class ReceiveTransferResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: Order
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ...) -> None: ...

class MarkReadyForPickupRequest(_message.Message):
    __slots__ = ("request_id", "group_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    group_id: str
    def __init__(self, request_id: _Optional[str] = ..., group_id: _Optional[str] = ...) -> None: ...

class MarkReadyForPickupResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: Order
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ...) -> None: ...

class ConfirmPickupRequest(_message.Message):
    __slots__ = ("request_id", "group_id", "pickup_code")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    PICKUP_CODE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    group_id: str
    pickup_code: str
    def __init__(self, request_id: _Optional[str] = ..., group_id: _Optional[str] = ..., pickup_code: _Optional[str] = ...) -> None: ...

class ConfirmPickupResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: Order
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ...) -> None: ...

class DispatchDeliveryRequest(_message.Message):
    __slots__ = ("request_id", "group_id", "courier_reference")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    COURIER_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    group_id: str
    courier_reference: str
    def __init__(self, request_id: _Optional[str] = ..., group_id: _Optional[str] = ..., courier_reference: _Optional[str] = ...) -> None: ...

class DispatchDeliveryResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: Order
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ...) -> None: ...

class ConfirmDeliveryRequest(_message.Message):
    __slots__ = ("request_id", "group_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    group_id: str
    def __init__(self, request_id: _Optional[str] = ..., group_id: _Optional[str] = ...) -> None: ...

class ConfirmDeliveryResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: Order
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ...) -> None: ...

class CancelFulfilmentGroupRequest(_message.Message):
    __slots__ = ("request_id", "group_id", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    group_id: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., group_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CancelFulfilmentGroupResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: Order
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ...) -> None: ...

class ReturnLineInput(_message.Message):
    __slots__ = ("sku_id", "quantity")
    SKU_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    sku_id: str
    quantity: int
    def __init__(self, sku_id: _Optional[str] = ..., quantity: _Optional[int] = ...) -> None: ...

class ReturnOrderLinesRequest(_message.Message):
    __slots__ = ("request_id", "order_id", "location_id", "lines")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    order_id: str
    location_id: str
    lines: _containers.RepeatedCompositeFieldContainer[ReturnLineInput]
    def __init__(self, request_id: _Optional[str] = ..., order_id: _Optional[str] = ..., location_id: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[ReturnLineInput, _Mapping]]] = ...) -> None: ...

class ReturnOrderLinesResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: Order
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ...) -> None: ...

class ListOrdersRequest(_message.Message):
    __slots__ = ("member_id", "location_id", "state", "page_size", "page_token")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    location_id: str
    state: OrderState
    page_size: int
    page_token: str
    def __init__(self, member_id: _Optional[str] = ..., location_id: _Optional[str] = ..., state: _Optional[_Union[OrderState, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListOrdersResponse(_message.Message):
    __slots__ = ("orders", "next_page_token")
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    orders: _containers.RepeatedCompositeFieldContainer[Order]
    next_page_token: str
    def __init__(self, orders: _Optional[_Iterable[_Union[Order, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class WatchOrderRequest(_message.Message):
    __slots__ = ("order_id",)
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    def __init__(self, order_id: _Optional[str] = ...) -> None: ...

class WatchOrderResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: Order
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ...) -> None: ...

class OrderEvent(_message.Message):
    __slots__ = ("event_id", "action", "actor", "state", "group_states", "create_time")
    class GroupStatesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: GroupState
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[GroupState, str]] = ...) -> None: ...
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    GROUP_STATES_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    event_id: int
    action: str
    actor: str
    state: OrderState
    group_states: _containers.ScalarMap[str, GroupState]
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, event_id: _Optional[int] = ..., action: _Optional[str] = ..., actor: _Optional[str] = ..., state: _Optional[_Union[OrderState, str]] = ..., group_states: _Optional[_Mapping[str, GroupState]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListOrderEventsRequest(_message.Message):
    __slots__ = ("order_id", "page_size", "page_token")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    page_size: int
    page_token: str
    def __init__(self, order_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListOrderEventsResponse(_message.Message):
    __slots__ = ("events", "next_page_token")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[OrderEvent]
    next_page_token: str
    def __init__(self, events: _Optional[_Iterable[_Union[OrderEvent, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class SummarizeSalesRequest(_message.Message):
    __slots__ = ("start_time", "end_time", "location_id", "dealer_id", "page_size", "page_token")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    DEALER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    location_id: str
    dealer_id: str
    page_size: int
    page_token: str
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., location_id: _Optional[str] = ..., dealer_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class StoreSales(_message.Message):
    __slots__ = ("location_id", "dealer_id", "currency", "groups_handed_over", "units_sold", "goods_sold_minor", "units_returned", "goods_returned_minor", "net_goods_minor")
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    DEALER_ID_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    GROUPS_HANDED_OVER_FIELD_NUMBER: _ClassVar[int]
    UNITS_SOLD_FIELD_NUMBER: _ClassVar[int]
    GOODS_SOLD_MINOR_FIELD_NUMBER: _ClassVar[int]
    UNITS_RETURNED_FIELD_NUMBER: _ClassVar[int]
    GOODS_RETURNED_MINOR_FIELD_NUMBER: _ClassVar[int]
    NET_GOODS_MINOR_FIELD_NUMBER: _ClassVar[int]
    location_id: str
    dealer_id: str
    currency: str
    groups_handed_over: int
    units_sold: int
    goods_sold_minor: int
    units_returned: int
    goods_returned_minor: int
    net_goods_minor: int
    def __init__(self, location_id: _Optional[str] = ..., dealer_id: _Optional[str] = ..., currency: _Optional[str] = ..., groups_handed_over: _Optional[int] = ..., units_sold: _Optional[int] = ..., goods_sold_minor: _Optional[int] = ..., units_returned: _Optional[int] = ..., goods_returned_minor: _Optional[int] = ..., net_goods_minor: _Optional[int] = ...) -> None: ...

class SummarizeSalesResponse(_message.Message):
    __slots__ = ("store_sales", "next_page_token")
    STORE_SALES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    store_sales: _containers.RepeatedCompositeFieldContainer[StoreSales]
    next_page_token: str
    def __init__(self, store_sales: _Optional[_Iterable[_Union[StoreSales, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
