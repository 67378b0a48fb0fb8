import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetDagSchedulesRequest(_message.Message):
    __slots__ = ("dag_ids",)
    DAG_IDS_FIELD_NUMBER: _ClassVar[int]
    dag_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, dag_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class DagSchedule(_message.Message):
    __slots__ = ("dag_id", "next_dagrun_logical_date", "next_dagrun_data_interval_start", "next_dagrun_data_interval_end", "next_dagrun_run_after")
    DAG_ID_FIELD_NUMBER: _ClassVar[int]
    NEXT_DAGRUN_LOGICAL_DATE_FIELD_NUMBER: _ClassVar[int]
    NEXT_DAGRUN_DATA_INTERVAL_START_FIELD_NUMBER: _ClassVar[int]
    NEXT_DAGRUN_DATA_INTERVAL_END_FIELD_NUMBER: _ClassVar[int]
    NEXT_DAGRUN_RUN_AFTER_FIELD_NUMBER: _ClassVar[int]
    dag_id: str
    next_dagrun_logical_date: _timestamp_pb2.Timestamp
    next_dagrun_data_interval_start: _timestamp_pb2.Timestamp
    next_dagrun_data_interval_end: _timestamp_pb2.Timestamp
    next_dagrun_run_after: _timestamp_pb2.Timestamp
    def __init__(self, dag_id: _Optional[str] = ..., next_dagrun_logical_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_dagrun_data_interval_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_dagrun_data_interval_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_dagrun_run_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetDagSchedulesResponse(_message.Message):
    __slots__ = ("schedules",)
    SCHEDULES_FIELD_NUMBER: _ClassVar[int]
    schedules: _containers.RepeatedCompositeFieldContainer[DagSchedule]
    def __init__(self, schedules: _Optional[_Iterable[_Union[DagSchedule, _Mapping]]] = ...) -> None: ...
