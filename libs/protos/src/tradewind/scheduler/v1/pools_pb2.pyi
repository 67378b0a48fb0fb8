from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Pool(_message.Message):
    __slots__ = ("name", "slots", "description", "include_deferred", "occupied_slots", "running_slots", "queued_slots", "scheduled_slots", "deferred_slots", "open_slots", "has_description")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SLOTS_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_DEFERRED_FIELD_NUMBER: _ClassVar[int]
    OCCUPIED_SLOTS_FIELD_NUMBER: _ClassVar[int]
    RUNNING_SLOTS_FIELD_NUMBER: _ClassVar[int]
    QUEUED_SLOTS_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_SLOTS_FIELD_NUMBER: _ClassVar[int]
    DEFERRED_SLOTS_FIELD_NUMBER: _ClassVar[int]
    OPEN_SLOTS_FIELD_NUMBER: _ClassVar[int]
    HAS_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    name: str
    slots: int
    description: str
    include_deferred: bool
    occupied_slots: int
    running_slots: int
    queued_slots: int
    scheduled_slots: int
    deferred_slots: int
    open_slots: int
    has_description: bool
    def __init__(self, name: _Optional[str] = ..., slots: _Optional[int] = ..., description: _Optional[str] = ..., include_deferred: _Optional[bool] = ..., occupied_slots: _Optional[int] = ..., running_slots: _Optional[int] = ..., queued_slots: _Optional[int] = ..., scheduled_slots: _Optional[int] = ..., deferred_slots: _Optional[int] = ..., open_slots: _Optional[int] = ..., has_description: _Optional[bool] = ...) -> None: ...

class ListPoolsRequest(_message.Message):
    __slots__ = ("limit", "offset", "order_by", "pool_name_pattern")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    POOL_NAME_PATTERN_FIELD_NUMBER: _ClassVar[int]
    limit: int
    offset: int
    order_by: str
    pool_name_pattern: str
    def __init__(self, limit: _Optional[int] = ..., offset: _Optional[int] = ..., order_by: _Optional[str] = ..., pool_name_pattern: _Optional[str] = ...) -> None: ...

class ListPoolsResponse(_message.Message):
    __slots__ = ("pools", "total_entries")
    POOLS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    pools: _containers.RepeatedCompositeFieldContainer[Pool]
    total_entries: int
    def __init__(self, pools: _Optional[_Iterable[_Union[Pool, _Mapping]]] = ..., total_entries: _Optional[int] = ...) -> None: ...

class GetPoolRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetPoolResponse(_message.Message):
    __slots__ = ("pool",)
    POOL_FIELD_NUMBER: _ClassVar[int]
    pool: Pool
    def __init__(self, pool: _Optional[_Union[Pool, _Mapping]] = ...) -> None: ...

class CreatePoolRequest(_message.Message):
    __slots__ = ("pool",)
    POOL_FIELD_NUMBER: _ClassVar[int]
    pool: Pool
    def __init__(self, pool: _Optional[_Union[Pool, _Mapping]] = ...) -> None: ...

class CreatePoolResponse(_message.Message):
    __slots__ = ("pool",)
    POOL_FIELD_NUMBER: _ClassVar[int]
    pool: Pool
    def __init__(self, pool: _Optional[_Union[Pool, _Mapping]] = ...) -> None: ...

class UpdatePoolRequest(_message.Message):
    __slots__ = ("name", "pool", "update_mask")
    NAME_FIELD_NUMBER: _ClassVar[int]
    POOL_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    name: str
    pool: Pool
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, name: _Optional[str] = ..., pool: _Optional[_Union[Pool, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdatePoolResponse(_message.Message):
    __slots__ = ("pool",)
    POOL_FIELD_NUMBER: _ClassVar[int]
    pool: Pool
    def __init__(self, pool: _Optional[_Union[Pool, _Mapping]] = ...) -> None: ...

class DeletePoolRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeletePoolResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
