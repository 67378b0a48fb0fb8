import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetGridRequest(_message.Message):
    __slots__ = ("dag_id", "limit", "offset")
    DAG_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    dag_id: str
    limit: int
    offset: int
    def __init__(self, dag_id: _Optional[str] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ...) -> None: ...

class GridRun(_message.Message):
    __slots__ = ("dag_run_id", "state", "run_type", "run_after", "start_date", "end_date", "task_states")
    DAG_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    RUN_TYPE_FIELD_NUMBER: _ClassVar[int]
    RUN_AFTER_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    TASK_STATES_FIELD_NUMBER: _ClassVar[int]
    dag_run_id: str
    state: str
    run_type: str
    run_after: _timestamp_pb2.Timestamp
    start_date: _timestamp_pb2.Timestamp
    end_date: _timestamp_pb2.Timestamp
    task_states: bytes
    def __init__(self, dag_run_id: _Optional[str] = ..., state: _Optional[str] = ..., run_type: _Optional[str] = ..., run_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., start_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., task_states: _Optional[bytes] = ...) -> None: ...

class GetGridResponse(_message.Message):
    __slots__ = ("total_runs", "task_ids", "state_names", "runs")
    TOTAL_RUNS_FIELD_NUMBER: _ClassVar[int]
    TASK_IDS_FIELD_NUMBER: _ClassVar[int]
    STATE_NAMES_FIELD_NUMBER: _ClassVar[int]
    RUNS_FIELD_NUMBER: _ClassVar[int]
    total_runs: int
    task_ids: _containers.RepeatedScalarFieldContainer[str]
    state_names: _containers.RepeatedScalarFieldContainer[str]
    runs: _containers.RepeatedCompositeFieldContainer[GridRun]
    def __init__(self, total_runs: _Optional[int] = ..., task_ids: _Optional[_Iterable[str]] = ..., state_names: _Optional[_Iterable[str]] = ..., runs: _Optional[_Iterable[_Union[GridRun, _Mapping]]] = ...) -> None: ...
