import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Tier(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TIER_UNSPECIFIED: _ClassVar[Tier]
    TIER_STANDARD: _ClassVar[Tier]
    TIER_SILVER: _ClassVar[Tier]
    TIER_GOLD: _ClassVar[Tier]
    TIER_DIAMOND: _ClassVar[Tier]

class LedgerEntryKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LEDGER_ENTRY_KIND_UNSPECIFIED: _ClassVar[LedgerEntryKind]
    LEDGER_ENTRY_KIND_AWARD: _ClassVar[LedgerEntryKind]
    LEDGER_ENTRY_KIND_REVERSAL: _ClassVar[LedgerEntryKind]
    LEDGER_ENTRY_KIND_TIER_CHANGE: _ClassVar[LedgerEntryKind]
    LEDGER_ENTRY_KIND_REDEMPTION: _ClassVar[LedgerEntryKind]
    LEDGER_ENTRY_KIND_RESTORE: _ClassVar[LedgerEntryKind]
TIER_UNSPECIFIED: Tier
TIER_STANDARD: Tier
TIER_SILVER: Tier
TIER_GOLD: Tier
TIER_DIAMOND: Tier
LEDGER_ENTRY_KIND_UNSPECIFIED: LedgerEntryKind
LEDGER_ENTRY_KIND_AWARD: LedgerEntryKind
LEDGER_ENTRY_KIND_REVERSAL: LedgerEntryKind
LEDGER_ENTRY_KIND_TIER_CHANGE: LedgerEntryKind
LEDGER_ENTRY_KIND_REDEMPTION: LedgerEntryKind
LEDGER_ENTRY_KIND_RESTORE: LedgerEntryKind

class Member(_message.Message):
    __slots__ = ("member_id", "points", "growth", "tier", "create_time")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    GROWTH_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    points: int
    growth: int
    tier: Tier
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, member_id: _Optional[str] = ..., points: _Optional[int] = ..., growth: _Optional[int] = ..., tier: _Optional[_Union[Tier, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UpsertMemberRequest(_message.Message):
    __slots__ = ("request_id", "member_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    member_id: str
    def __init__(self, request_id: _Optional[str] = ..., member_id: _Optional[str] = ...) -> None: ...

class UpsertMemberResponse(_message.Message):
    __slots__ = ("member",)
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    member: Member
    def __init__(self, member: _Optional[_Union[Member, _Mapping]] = ...) -> None: ...

class GetMemberRequest(_message.Message):
    __slots__ = ("member_id",)
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    def __init__(self, member_id: _Optional[str] = ...) -> None: ...

class GetMemberResponse(_message.Message):
    __slots__ = ("member",)
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    member: Member
    def __init__(self, member: _Optional[_Union[Member, _Mapping]] = ...) -> None: ...

class IssueMemberCodeRequest(_message.Message):
    __slots__ = ("member_id",)
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    def __init__(self, member_id: _Optional[str] = ...) -> None: ...

class MemberCode(_message.Message):
    __slots__ = ("code", "member_id", "expire_time")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    code: str
    member_id: str
    expire_time: _timestamp_pb2.Timestamp
    def __init__(self, code: _Optional[str] = ..., member_id: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class IssueMemberCodeResponse(_message.Message):
    __slots__ = ("member_code",)
    MEMBER_CODE_FIELD_NUMBER: _ClassVar[int]
    member_code: MemberCode
    def __init__(self, member_code: _Optional[_Union[MemberCode, _Mapping]] = ...) -> None: ...

class LedgerEntry(_message.Message):
    __slots__ = ("entry_id", "kind", "order_id", "return_line", "points_delta", "growth_delta", "points_after", "growth_after", "tier_before", "tier_after", "amount_minor", "actor", "create_time")
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    RETURN_LINE_FIELD_NUMBER: _ClassVar[int]
    POINTS_DELTA_FIELD_NUMBER: _ClassVar[int]
    GROWTH_DELTA_FIELD_NUMBER: _ClassVar[int]
    POINTS_AFTER_FIELD_NUMBER: _ClassVar[int]
    GROWTH_AFTER_FIELD_NUMBER: _ClassVar[int]
    TIER_BEFORE_FIELD_NUMBER: _ClassVar[int]
    TIER_AFTER_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    entry_id: int
    kind: LedgerEntryKind
    order_id: str
    return_line: str
    points_delta: int
    growth_delta: int
    points_after: int
    growth_after: int
    tier_before: Tier
    tier_after: Tier
    amount_minor: int
    actor: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, entry_id: _Optional[int] = ..., kind: _Optional[_Union[LedgerEntryKind, str]] = ..., order_id: _Optional[str] = ..., return_line: _Optional[str] = ..., points_delta: _Optional[int] = ..., growth_delta: _Optional[int] = ..., points_after: _Optional[int] = ..., growth_after: _Optional[int] = ..., tier_before: _Optional[_Union[Tier, str]] = ..., tier_after: _Optional[_Union[Tier, str]] = ..., amount_minor: _Optional[int] = ..., actor: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListPointsLedgerRequest(_message.Message):
    __slots__ = ("member_id", "page_size", "page_token")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    page_size: int
    page_token: str
    def __init__(self, member_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListPointsLedgerResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[LedgerEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[LedgerEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetSyncBacklogRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetSyncBacklogResponse(_message.Message):
    __slots__ = ("pending_events", "pending_members", "oldest_pending_age_seconds", "retrying_events", "last_error", "oldest_pending_event_id", "oldest_pending_member_id", "oldest_pending_attempts", "oldest_pending_error")
    PENDING_EVENTS_FIELD_NUMBER: _ClassVar[int]
    PENDING_MEMBERS_FIELD_NUMBER: _ClassVar[int]
    OLDEST_PENDING_AGE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    RETRYING_EVENTS_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    OLDEST_PENDING_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OLDEST_PENDING_MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    OLDEST_PENDING_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    OLDEST_PENDING_ERROR_FIELD_NUMBER: _ClassVar[int]
    pending_events: int
    pending_members: int
    oldest_pending_age_seconds: float
    retrying_events: int
    last_error: str
    oldest_pending_event_id: str
    oldest_pending_member_id: str
    oldest_pending_attempts: int
    oldest_pending_error: str
    def __init__(self, pending_events: _Optional[int] = ..., pending_members: _Optional[int] = ..., oldest_pending_age_seconds: _Optional[float] = ..., retrying_events: _Optional[int] = ..., last_error: _Optional[str] = ..., oldest_pending_event_id: _Optional[str] = ..., oldest_pending_member_id: _Optional[str] = ..., oldest_pending_attempts: _Optional[int] = ..., oldest_pending_error: _Optional[str] = ...) -> None: ...

class MemberEvent(_message.Message):
    __slots__ = ("event_id", "member_id", "kind", "order_id", "points_delta", "growth_delta", "points_after", "growth_after", "tier", "occur_time", "member_sequence")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    POINTS_DELTA_FIELD_NUMBER: _ClassVar[int]
    GROWTH_DELTA_FIELD_NUMBER: _ClassVar[int]
    POINTS_AFTER_FIELD_NUMBER: _ClassVar[int]
    GROWTH_AFTER_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    OCCUR_TIME_FIELD_NUMBER: _ClassVar[int]
    MEMBER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    member_id: str
    kind: str
    order_id: str
    points_delta: int
    growth_delta: int
    points_after: int
    growth_after: int
    tier: Tier
    occur_time: _timestamp_pb2.Timestamp
    member_sequence: int
    def __init__(self, event_id: _Optional[str] = ..., member_id: _Optional[str] = ..., kind: _Optional[str] = ..., order_id: _Optional[str] = ..., points_delta: _Optional[int] = ..., growth_delta: _Optional[int] = ..., points_after: _Optional[int] = ..., growth_after: _Optional[int] = ..., tier: _Optional[_Union[Tier, str]] = ..., occur_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., member_sequence: _Optional[int] = ...) -> None: ...

class DeliverMemberEventRequest(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: MemberEvent
    def __init__(self, event: _Optional[_Union[MemberEvent, _Mapping]] = ...) -> None: ...

class DeliverMemberEventResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
