import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateBackfillRequest(_message.Message):
    __slots__ = ("dag_id", "dag_version_id", "from_date", "to_date", "run_backwards", "dag_run_conf_json", "reprocess_behavior", "max_active_runs")
    DAG_ID_FIELD_NUMBER: _ClassVar[int]
    DAG_VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_DATE_FIELD_NUMBER: _ClassVar[int]
    TO_DATE_FIELD_NUMBER: _ClassVar[int]
    RUN_BACKWARDS_FIELD_NUMBER: _ClassVar[int]
    DAG_RUN_CONF_JSON_FIELD_NUMBER: _ClassVar[int]
    REPROCESS_BEHAVIOR_FIELD_NUMBER: _ClassVar[int]
    MAX_ACTIVE_RUNS_FIELD_NUMBER: _ClassVar[int]
    dag_id: str
    dag_version_id: str
    from_date: _timestamp_pb2.Timestamp
    to_date: _timestamp_pb2.Timestamp
    run_backwards: bool
    dag_run_conf_json: str
    reprocess_behavior: str
    max_active_runs: int
    def __init__(self, dag_id: _Optional[str] = ..., dag_version_id: _Optional[str] = ..., from_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., to_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., run_backwards: _Optional[bool] = ..., dag_run_conf_json: _Optional[str] = ..., reprocess_behavior: _Optional[str] = ..., max_active_runs: _Optional[int] = ...) -> None: ...

class Backfill(_message.Message):
    __slots__ = ("id", "dag_id", "from_date", "to_date", "dag_run_conf_json", "is_paused", "reprocess_behavior", "max_active_runs", "created_at", "completed_at", "updated_at", "run_backwards")
    ID_FIELD_NUMBER: _ClassVar[int]
    DAG_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_DATE_FIELD_NUMBER: _ClassVar[int]
    TO_DATE_FIELD_NUMBER: _ClassVar[int]
    DAG_RUN_CONF_JSON_FIELD_NUMBER: _ClassVar[int]
    IS_PAUSED_FIELD_NUMBER: _ClassVar[int]
    REPROCESS_BEHAVIOR_FIELD_NUMBER: _ClassVar[int]
    MAX_ACTIVE_RUNS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    RUN_BACKWARDS_FIELD_NUMBER: _ClassVar[int]
    id: int
    dag_id: str
    from_date: _timestamp_pb2.Timestamp
    to_date: _timestamp_pb2.Timestamp
    dag_run_conf_json: str
    is_paused: bool
    reprocess_behavior: str
    max_active_runs: int
    created_at: _timestamp_pb2.Timestamp
    completed_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    run_backwards: bool
    def __init__(self, id: _Optional[int] = ..., dag_id: _Optional[str] = ..., from_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., to_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., dag_run_conf_json: _Optional[str] = ..., is_paused: _Optional[bool] = ..., reprocess_behavior: _Optional[str] = ..., max_active_runs: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., run_backwards: _Optional[bool] = ...) -> None: ...

class CreateBackfillResponse(_message.Message):
    __slots__ = ("backfill",)
    BACKFILL_FIELD_NUMBER: _ClassVar[int]
    backfill: Backfill
    def __init__(self, backfill: _Optional[_Union[Backfill, _Mapping]] = ...) -> None: ...

class DryRunBackfillResponse(_message.Message):
    __slots__ = ("logical_dates",)
    LOGICAL_DATES_FIELD_NUMBER: _ClassVar[int]
    logical_dates: _containers.RepeatedCompositeFieldContainer[_timestamp_pb2.Timestamp]
    def __init__(self, logical_dates: _Optional[_Iterable[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]]] = ...) -> None: ...

class GetBackfillRequest(_message.Message):
    __slots__ = ("backfill_id",)
    BACKFILL_ID_FIELD_NUMBER: _ClassVar[int]
    backfill_id: int
    def __init__(self, backfill_id: _Optional[int] = ...) -> None: ...

class GetBackfillResponse(_message.Message):
    __slots__ = ("backfill",)
    BACKFILL_FIELD_NUMBER: _ClassVar[int]
    backfill: Backfill
    def __init__(self, backfill: _Optional[_Union[Backfill, _Mapping]] = ...) -> None: ...

class ListBackfillsRequest(_message.Message):
    __slots__ = ("dag_id", "limit", "offset", "descending")
    DAG_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    DESCENDING_FIELD_NUMBER: _ClassVar[int]
    dag_id: str
    limit: int
    offset: int
    descending: bool
    def __init__(self, dag_id: _Optional[str] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ..., descending: _Optional[bool] = ...) -> None: ...

class ListBackfillsResponse(_message.Message):
    __slots__ = ("backfills", "total_entries")
    BACKFILLS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    backfills: _containers.RepeatedCompositeFieldContainer[Backfill]
    total_entries: int
    def __init__(self, backfills: _Optional[_Iterable[_Union[Backfill, _Mapping]]] = ..., total_entries: _Optional[int] = ...) -> None: ...
