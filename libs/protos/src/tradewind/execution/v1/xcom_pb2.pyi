import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class XComEntry(_message.Message):
    __slots__ = ("dag_id", "dag_run_id", "task_id", "map_index", "key", "value_json", "timestamp")
    DAG_ID_FIELD_NUMBER: _ClassVar[int]
    DAG_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    MAP_INDEX_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_JSON_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    dag_id: str
    dag_run_id: str
    task_id: str
    map_index: int
    key: str
    value_json: str
    timestamp: _timestamp_pb2.Timestamp
    def __init__(self, dag_id: _Optional[str] = ..., dag_run_id: _Optional[str] = ..., task_id: _Optional[str] = ..., map_index: _Optional[int] = ..., key: _Optional[str] = ..., value_json: _Optional[str] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PushXComRequest(_message.Message):
    __slots__ = ("attempt_id", "fencing_token", "key", "value_json")
    ATTEMPT_ID_FIELD_NUMBER: _ClassVar[int]
    FENCING_TOKEN_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_JSON_FIELD_NUMBER: _ClassVar[int]
    attempt_id: str
    fencing_token: str
    key: str
    value_json: str
    def __init__(self, attempt_id: _Optional[str] = ..., fencing_token: _Optional[str] = ..., key: _Optional[str] = ..., value_json: _Optional[str] = ...) -> None: ...

class PushXComResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class XComRef(_message.Message):
    __slots__ = ("task_id", "key", "map_index")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    MAP_INDEX_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    key: str
    map_index: int
    def __init__(self, task_id: _Optional[str] = ..., key: _Optional[str] = ..., map_index: _Optional[int] = ...) -> None: ...

class PullXComsRequest(_message.Message):
    __slots__ = ("attempt_id", "fencing_token", "refs")
    ATTEMPT_ID_FIELD_NUMBER: _ClassVar[int]
    FENCING_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REFS_FIELD_NUMBER: _ClassVar[int]
    attempt_id: str
    fencing_token: str
    refs: _containers.RepeatedCompositeFieldContainer[XComRef]
    def __init__(self, attempt_id: _Optional[str] = ..., fencing_token: _Optional[str] = ..., refs: _Optional[_Iterable[_Union[XComRef, _Mapping]]] = ...) -> None: ...

class PullXComsResponse(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[XComEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[XComEntry, _Mapping]]] = ...) -> None: ...

class ClearXComsRequest(_message.Message):
    __slots__ = ("attempt_id", "fencing_token")
    ATTEMPT_ID_FIELD_NUMBER: _ClassVar[int]
    FENCING_TOKEN_FIELD_NUMBER: _ClassVar[int]
    attempt_id: str
    fencing_token: str
    def __init__(self, attempt_id: _Optional[str] = ..., fencing_token: _Optional[str] = ...) -> None: ...

class ClearXComsResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListXComsRequest(_message.Message):
    __slots__ = ("dag_id", "dag_run_id", "task_id", "key", "limit", "offset", "map_index")
    DAG_ID_FIELD_NUMBER: _ClassVar[int]
    DAG_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    MAP_INDEX_FIELD_NUMBER: _ClassVar[int]
    dag_id: str
    dag_run_id: str
    task_id: str
    key: str
    limit: int
    offset: int
    map_index: int
    def __init__(self, dag_id: _Optional[str] = ..., dag_run_id: _Optional[str] = ..., task_id: _Optional[str] = ..., key: _Optional[str] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ..., map_index: _Optional[int] = ...) -> None: ...

class ListXComsResponse(_message.Message):
    __slots__ = ("entries", "total_entries")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[XComEntry]
    total_entries: int
    def __init__(self, entries: _Optional[_Iterable[_Union[XComEntry, _Mapping]]] = ..., total_entries: _Optional[int] = ...) -> None: ...
