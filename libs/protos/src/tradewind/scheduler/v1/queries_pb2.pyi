import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from tradewind.scheduler.v1 import scheduler_pb2 as _scheduler_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TimeRange(_message.Message):
    __slots__ = ("gte", "gt", "lte", "lt")
    GTE_FIELD_NUMBER: _ClassVar[int]
    GT_FIELD_NUMBER: _ClassVar[int]
    LTE_FIELD_NUMBER: _ClassVar[int]
    LT_FIELD_NUMBER: _ClassVar[int]
    gte: _timestamp_pb2.Timestamp
    gt: _timestamp_pb2.Timestamp
    lte: _timestamp_pb2.Timestamp
    lt: _timestamp_pb2.Timestamp
    def __init__(self, gte: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., gt: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., lte: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., lt: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class QueryDagRunsRequest(_message.Message):
    __slots__ = ("dag_ids", "states", "run_types", "logical_date", "run_after", "start_date", "end_date", "order_by", "limit", "offset", "run_id_pattern", "dag_id_pattern")
    DAG_IDS_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    RUN_TYPES_FIELD_NUMBER: _ClassVar[int]
    LOGICAL_DATE_FIELD_NUMBER: _ClassVar[int]
    RUN_AFTER_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_PATTERN_FIELD_NUMBER: _ClassVar[int]
    DAG_ID_PATTERN_FIELD_NUMBER: _ClassVar[int]
    dag_ids: _containers.RepeatedScalarFieldContainer[str]
    states: _containers.RepeatedScalarFieldContainer[str]
    run_types: _containers.RepeatedScalarFieldContainer[str]
    logical_date: TimeRange
    run_after: TimeRange
    start_date: TimeRange
    end_date: TimeRange
    order_by: str
    limit: int
    offset: int
    run_id_pattern: str
    dag_id_pattern: str
    def __init__(self, dag_ids: _Optional[_Iterable[str]] = ..., states: _Optional[_Iterable[str]] = ..., run_types: _Optional[_Iterable[str]] = ..., logical_date: _Optional[_Union[TimeRange, _Mapping]] = ..., run_after: _Optional[_Union[TimeRange, _Mapping]] = ..., start_date: _Optional[_Union[TimeRange, _Mapping]] = ..., end_date: _Optional[_Union[TimeRange, _Mapping]] = ..., order_by: _Optional[str] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ..., run_id_pattern: _Optional[str] = ..., dag_id_pattern: _Optional[str] = ...) -> None: ...

class QueryDagRunsResponse(_message.Message):
    __slots__ = ("dag_runs", "total_entries")
    DAG_RUNS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    dag_runs: _containers.RepeatedCompositeFieldContainer[_scheduler_pb2.DagRun]
    total_entries: int
    def __init__(self, dag_runs: _Optional[_Iterable[_Union[_scheduler_pb2.DagRun, _Mapping]]] = ..., total_entries: _Optional[int] = ...) -> None: ...

class QueryTaskInstancesRequest(_message.Message):
    __slots__ = ("dag_ids", "dag_run_ids", "task_ids", "states", "pools", "queues", "start_date", "end_date", "logical_date", "run_after", "order_by", "limit", "offset", "dag_id_pattern", "run_id_pattern", "task_id_pattern")
    DAG_IDS_FIELD_NUMBER: _ClassVar[int]
    DAG_RUN_IDS_FIELD_NUMBER: _ClassVar[int]
    TASK_IDS_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    POOLS_FIELD_NUMBER: _ClassVar[int]
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    LOGICAL_DATE_FIELD_NUMBER: _ClassVar[int]
    RUN_AFTER_FIELD_NUMBER: _ClassVar[int]
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    DAG_ID_PATTERN_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_PATTERN_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_PATTERN_FIELD_NUMBER: _ClassVar[int]
    dag_ids: _containers.RepeatedScalarFieldContainer[str]
    dag_run_ids: _containers.RepeatedScalarFieldContainer[str]
    task_ids: _containers.RepeatedScalarFieldContainer[str]
    states: _containers.RepeatedScalarFieldContainer[str]
    pools: _containers.RepeatedScalarFieldContainer[str]
    queues: _containers.RepeatedScalarFieldContainer[str]
    start_date: TimeRange
    end_date: TimeRange
    logical_date: TimeRange
    run_after: TimeRange
    order_by: str
    limit: int
    offset: int
    dag_id_pattern: str
    run_id_pattern: str
    task_id_pattern: str
    def __init__(self, dag_ids: _Optional[_Iterable[str]] = ..., dag_run_ids: _Optional[_Iterable[str]] = ..., task_ids: _Optional[_Iterable[str]] = ..., states: _Optional[_Iterable[str]] = ..., pools: _Optional[_Iterable[str]] = ..., queues: _Optional[_Iterable[str]] = ..., start_date: _Optional[_Union[TimeRange, _Mapping]] = ..., end_date: _Optional[_Union[TimeRange, _Mapping]] = ..., logical_date: _Optional[_Union[TimeRange, _Mapping]] = ..., run_after: _Optional[_Union[TimeRange, _Mapping]] = ..., order_by: _Optional[str] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ..., dag_id_pattern: _Optional[str] = ..., run_id_pattern: _Optional[str] = ..., task_id_pattern: _Optional[str] = ...) -> None: ...

class QueryTaskInstancesResponse(_message.Message):
    __slots__ = ("task_instances", "dag_runs", "total_entries")
    TASK_INSTANCES_FIELD_NUMBER: _ClassVar[int]
    DAG_RUNS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    task_instances: _containers.RepeatedCompositeFieldContainer[_scheduler_pb2.TaskInstance]
    dag_runs: _containers.RepeatedCompositeFieldContainer[_scheduler_pb2.DagRun]
    total_entries: int
    def __init__(self, task_instances: _Optional[_Iterable[_Union[_scheduler_pb2.TaskInstance, _Mapping]]] = ..., dag_runs: _Optional[_Iterable[_Union[_scheduler_pb2.DagRun, _Mapping]]] = ..., total_entries: _Optional[int] = ...) -> None: ...

class CountDagRunsByStateRequest(_message.Message):
    __slots__ = ("dag_ids",)
    DAG_IDS_FIELD_NUMBER: _ClassVar[int]
    dag_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, dag_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class DagRunStateCount(_message.Message):
    __slots__ = ("dag_id", "state", "count")
    DAG_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    dag_id: str
    state: str
    count: int
    def __init__(self, dag_id: _Optional[str] = ..., state: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class CountDagRunsByStateResponse(_message.Message):
    __slots__ = ("counts",)
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    counts: _containers.RepeatedCompositeFieldContainer[DagRunStateCount]
    def __init__(self, counts: _Optional[_Iterable[_Union[DagRunStateCount, _Mapping]]] = ...) -> None: ...
