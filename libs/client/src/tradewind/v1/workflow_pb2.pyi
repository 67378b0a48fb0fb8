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

class DagRunState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DAG_RUN_STATE_UNSPECIFIED: _ClassVar[DagRunState]
    DAG_RUN_STATE_QUEUED: _ClassVar[DagRunState]
    DAG_RUN_STATE_RUNNING: _ClassVar[DagRunState]
    DAG_RUN_STATE_SUCCESS: _ClassVar[DagRunState]
    DAG_RUN_STATE_FAILED: _ClassVar[DagRunState]

class TaskInstanceState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TASK_INSTANCE_STATE_UNSPECIFIED: _ClassVar[TaskInstanceState]
    TASK_INSTANCE_STATE_SCHEDULED: _ClassVar[TaskInstanceState]
    TASK_INSTANCE_STATE_QUEUED: _ClassVar[TaskInstanceState]
    TASK_INSTANCE_STATE_RUNNING: _ClassVar[TaskInstanceState]
    TASK_INSTANCE_STATE_SUCCESS: _ClassVar[TaskInstanceState]
    TASK_INSTANCE_STATE_FAILED: _ClassVar[TaskInstanceState]
    TASK_INSTANCE_STATE_UP_FOR_RETRY: _ClassVar[TaskInstanceState]
    TASK_INSTANCE_STATE_UPSTREAM_FAILED: _ClassVar[TaskInstanceState]
    TASK_INSTANCE_STATE_SKIPPED: _ClassVar[TaskInstanceState]

class SpecFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SPEC_FORMAT_UNSPECIFIED: _ClassVar[SpecFormat]
    SPEC_FORMAT_JSON: _ClassVar[SpecFormat]
    SPEC_FORMAT_YAML: _ClassVar[SpecFormat]
DAG_RUN_STATE_UNSPECIFIED: DagRunState
DAG_RUN_STATE_QUEUED: DagRunState
DAG_RUN_STATE_RUNNING: DagRunState
DAG_RUN_STATE_SUCCESS: DagRunState
DAG_RUN_STATE_FAILED: DagRunState
TASK_INSTANCE_STATE_UNSPECIFIED: TaskInstanceState
TASK_INSTANCE_STATE_SCHEDULED: TaskInstanceState
TASK_INSTANCE_STATE_QUEUED: TaskInstanceState
TASK_INSTANCE_STATE_RUNNING: TaskInstanceState
TASK_INSTANCE_STATE_SUCCESS: TaskInstanceState
TASK_INSTANCE_STATE_FAILED: TaskInstanceState
TASK_INSTANCE_STATE_UP_FOR_RETRY: TaskInstanceState
TASK_INSTANCE_STATE_UPSTREAM_FAILED: TaskInstanceState
TASK_INSTANCE_STATE_SKIPPED: TaskInstanceState
SPEC_FORMAT_UNSPECIFIED: SpecFormat
SPEC_FORMAT_JSON: SpecFormat
SPEC_FORMAT_YAML: SpecFormat

class DagVersion(_message.Message):
    __slots__ = ("id", "version_number", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    version_number: int
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., version_number: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Dag(_message.Message):
    __slots__ = ("dag_id", "dag_display_name", "is_paused", "description", "timetable_summary", "timetable_description", "tags", "max_active_tasks", "max_active_runs", "owners", "last_parsed_time", "latest_dag_version", "next_dagrun_logical_date", "next_dagrun_run_after")
    DAG_ID_FIELD_NUMBER: _ClassVar[int]
    DAG_DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    IS_PAUSED_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TIMETABLE_SUMMARY_FIELD_NUMBER: _ClassVar[int]
    TIMETABLE_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    MAX_ACTIVE_TASKS_FIELD_NUMBER: _ClassVar[int]
    MAX_ACTIVE_RUNS_FIELD_NUMBER: _ClassVar[int]
    OWNERS_FIELD_NUMBER: _ClassVar[int]
    LAST_PARSED_TIME_FIELD_NUMBER: _ClassVar[int]
    LATEST_DAG_VERSION_FIELD_NUMBER: _ClassVar[int]
    NEXT_DAGRUN_LOGICAL_DATE_FIELD_NUMBER: _ClassVar[int]
    NEXT_DAGRUN_RUN_AFTER_FIELD_NUMBER: _ClassVar[int]
    dag_id: str
    dag_display_name: str
    is_paused: bool
    description: str
    timetable_summary: str
    timetable_description: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    max_active_tasks: int
    max_active_runs: int
    owners: _containers.RepeatedScalarFieldContainer[str]
    last_parsed_time: _timestamp_pb2.Timestamp
    latest_dag_version: DagVersion
    next_dagrun_logical_date: _timestamp_pb2.Timestamp
    next_dagrun_run_after: _timestamp_pb2.Timestamp
    def __init__(self, dag_id: _Optional[str] = ..., dag_display_name: _Optional[str] = ..., is_paused: _Optional[bool] = ..., description: _Optional[str] = ..., timetable_summary: _Optional[str] = ..., timetable_description: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ..., max_active_tasks: _Optional[int] = ..., max_active_runs: _Optional[int] = ..., owners: _Optional[_Iterable[str]] = ..., last_parsed_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., latest_dag_version: _Optional[_Union[DagVersion, _Mapping]] = ..., next_dagrun_logical_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_dagrun_run_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class DagRun(_message.Message):
    __slots__ = ("dag_id", "dag_run_id", "state", "run_type", "logical_date", "queued_at", "start_date", "end_date", "run_after", "data_interval_start", "data_interval_end", "duration", "triggered_by", "conf", "note", "dag_version")
    DAG_ID_FIELD_NUMBER: _ClassVar[int]
    DAG_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    RUN_TYPE_FIELD_NUMBER: _ClassVar[int]
    LOGICAL_DATE_FIELD_NUMBER: _ClassVar[int]
    QUEUED_AT_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    RUN_AFTER_FIELD_NUMBER: _ClassVar[int]
    DATA_INTERVAL_START_FIELD_NUMBER: _ClassVar[int]
    DATA_INTERVAL_END_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    TRIGGERED_BY_FIELD_NUMBER: _ClassVar[int]
    CONF_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    DAG_VERSION_FIELD_NUMBER: _ClassVar[int]
    dag_id: str
    dag_run_id: str
    state: DagRunState
    run_type: str
    logical_date: _timestamp_pb2.Timestamp
    queued_at: _timestamp_pb2.Timestamp
    start_date: _timestamp_pb2.Timestamp
    end_date: _timestamp_pb2.Timestamp
    run_after: _timestamp_pb2.Timestamp
    data_interval_start: _timestamp_pb2.Timestamp
    data_interval_end: _timestamp_pb2.Timestamp
    duration: float
    triggered_by: str
    conf: _struct_pb2.Struct
    note: str
    dag_version: DagVersion
    def __init__(self, dag_id: _Optional[str] = ..., dag_run_id: _Optional[str] = ..., state: _Optional[_Union[DagRunState, str]] = ..., run_type: _Optional[str] = ..., logical_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., queued_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., start_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., run_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., data_interval_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., data_interval_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., duration: _Optional[float] = ..., triggered_by: _Optional[str] = ..., conf: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., note: _Optional[str] = ..., dag_version: _Optional[_Union[DagVersion, _Mapping]] = ...) -> None: ...

class TaskInstance(_message.Message):
    __slots__ = ("id", "dag_id", "dag_run_id", "task_id", "map_index", "state", "try_number", "max_tries", "start_date", "end_date", "duration", "queued_when", "scheduled_when", "hostname", "pid", "pool", "pool_slots", "queue", "priority_weight", "operator", "operator_name", "note")
    ID_FIELD_NUMBER: _ClassVar[int]
    DAG_ID_FIELD_NUMBER: _ClassVar[int]
    DAG_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    MAP_INDEX_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TRY_NUMBER_FIELD_NUMBER: _ClassVar[int]
    MAX_TRIES_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    QUEUED_WHEN_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_WHEN_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    PID_FIELD_NUMBER: _ClassVar[int]
    POOL_FIELD_NUMBER: _ClassVar[int]
    POOL_SLOTS_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_NAME_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    id: str
    dag_id: str
    dag_run_id: str
    task_id: str
    map_index: int
    state: TaskInstanceState
    try_number: int
    max_tries: int
    start_date: _timestamp_pb2.Timestamp
    end_date: _timestamp_pb2.Timestamp
    duration: float
    queued_when: _timestamp_pb2.Timestamp
    scheduled_when: _timestamp_pb2.Timestamp
    hostname: str
    pid: int
    pool: str
    pool_slots: int
    queue: str
    priority_weight: int
    operator: str
    operator_name: str
    note: str
    def __init__(self, id: _Optional[str] = ..., dag_id: _Optional[str] = ..., dag_run_id: _Optional[str] = ..., task_id: _Optional[str] = ..., map_index: _Optional[int] = ..., state: _Optional[_Union[TaskInstanceState, str]] = ..., try_number: _Optional[int] = ..., max_tries: _Optional[int] = ..., start_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., duration: _Optional[float] = ..., queued_when: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., scheduled_when: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., hostname: _Optional[str] = ..., pid: _Optional[int] = ..., pool: _Optional[str] = ..., pool_slots: _Optional[int] = ..., queue: _Optional[str] = ..., priority_weight: _Optional[int] = ..., operator: _Optional[str] = ..., operator_name: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class LogLine(_message.Message):
    __slots__ = ("timestamp", "level", "event")
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    timestamp: _timestamp_pb2.Timestamp
    level: str
    event: str
    def __init__(self, timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., level: _Optional[str] = ..., event: _Optional[str] = ...) -> None: ...

class CreateDagRequest(_message.Message):
    __slots__ = ("spec", "format")
    SPEC_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    spec: str
    format: SpecFormat
    def __init__(self, spec: _Optional[str] = ..., format: _Optional[_Union[SpecFormat, str]] = ...) -> None: ...

class CreateDagResponse(_message.Message):
    __slots__ = ("dag", "created")
    DAG_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    dag: Dag
    created: bool
    def __init__(self, dag: _Optional[_Union[Dag, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class GetDagRequest(_message.Message):
    __slots__ = ("dag_id",)
    DAG_ID_FIELD_NUMBER: _ClassVar[int]
    dag_id: str
    def __init__(self, dag_id: _Optional[str] = ...) -> None: ...

class GetDagResponse(_message.Message):
    __slots__ = ("dag",)
    DAG_FIELD_NUMBER: _ClassVar[int]
    dag: Dag
    def __init__(self, dag: _Optional[_Union[Dag, _Mapping]] = ...) -> None: ...

class TriggerDagRunRequest(_message.Message):
    __slots__ = ("dag_id", "dag_run_id", "idempotency_key", "logical_date", "data_interval_start", "data_interval_end", "run_after", "conf", "note")
    DAG_ID_FIELD_NUMBER: _ClassVar[int]
    DAG_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    LOGICAL_DATE_FIELD_NUMBER: _ClassVar[int]
    DATA_INTERVAL_START_FIELD_NUMBER: _ClassVar[int]
    DATA_INTERVAL_END_FIELD_NUMBER: _ClassVar[int]
    RUN_AFTER_FIELD_NUMBER: _ClassVar[int]
    CONF_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    dag_id: str
    dag_run_id: str
    idempotency_key: str
    logical_date: _timestamp_pb2.Timestamp
    data_interval_start: _timestamp_pb2.Timestamp
    data_interval_end: _timestamp_pb2.Timestamp
    run_after: _timestamp_pb2.Timestamp
    conf: _struct_pb2.Struct
    note: str
    def __init__(self, dag_id: _Optional[str] = ..., dag_run_id: _Optional[str] = ..., idempotency_key: _Optional[str] = ..., logical_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., data_interval_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., data_interval_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., run_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., conf: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., note: _Optional[str] = ...) -> None: ...

class TriggerDagRunResponse(_message.Message):
    __slots__ = ("dag_run", "created")
    DAG_RUN_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    dag_run: DagRun
    created: bool
    def __init__(self, dag_run: _Optional[_Union[DagRun, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class GetDagRunRequest(_message.Message):
    __slots__ = ("dag_id", "dag_run_id")
    DAG_ID_FIELD_NUMBER: _ClassVar[int]
    DAG_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    dag_id: str
    dag_run_id: str
    def __init__(self, dag_id: _Optional[str] = ..., dag_run_id: _Optional[str] = ...) -> None: ...

class GetDagRunResponse(_message.Message):
    __slots__ = ("dag_run",)
    DAG_RUN_FIELD_NUMBER: _ClassVar[int]
    dag_run: DagRun
    def __init__(self, dag_run: _Optional[_Union[DagRun, _Mapping]] = ...) -> None: ...

class ListDagRunsRequest(_message.Message):
    __slots__ = ("dag_id", "limit", "offset")
    DAG_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    dag_id: str
    limit: int
    offset: int
    def __init__(self, dag_id: _Optional[str] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ...) -> None: ...

class ListDagRunsResponse(_message.Message):
    __slots__ = ("dag_runs", "total_entries")
    DAG_RUNS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    dag_runs: _containers.RepeatedCompositeFieldContainer[DagRun]
    total_entries: int
    def __init__(self, dag_runs: _Optional[_Iterable[_Union[DagRun, _Mapping]]] = ..., total_entries: _Optional[int] = ...) -> None: ...

class ListTaskInstancesRequest(_message.Message):
    __slots__ = ("dag_id", "dag_run_id")
    DAG_ID_FIELD_NUMBER: _ClassVar[int]
    DAG_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    dag_id: str
    dag_run_id: str
    def __init__(self, dag_id: _Optional[str] = ..., dag_run_id: _Optional[str] = ...) -> None: ...

class ListTaskInstancesResponse(_message.Message):
    __slots__ = ("task_instances", "total_entries")
    TASK_INSTANCES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    task_instances: _containers.RepeatedCompositeFieldContainer[TaskInstance]
    total_entries: int
    def __init__(self, task_instances: _Optional[_Iterable[_Union[TaskInstance, _Mapping]]] = ..., total_entries: _Optional[int] = ...) -> None: ...

class WatchDagRunRequest(_message.Message):
    __slots__ = ("dag_id", "dag_run_id")
    DAG_ID_FIELD_NUMBER: _ClassVar[int]
    DAG_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    dag_id: str
    dag_run_id: str
    def __init__(self, dag_id: _Optional[str] = ..., dag_run_id: _Optional[str] = ...) -> None: ...

class WatchDagRunResponse(_message.Message):
    __slots__ = ("sequence", "dag_run", "task_instance")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    DAG_RUN_FIELD_NUMBER: _ClassVar[int]
    TASK_INSTANCE_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    dag_run: DagRun
    task_instance: TaskInstance
    def __init__(self, sequence: _Optional[int] = ..., dag_run: _Optional[_Union[DagRun, _Mapping]] = ..., task_instance: _Optional[_Union[TaskInstance, _Mapping]] = ...) -> None: ...

class StreamTaskLogsRequest(_message.Message):
    __slots__ = ("dag_id", "dag_run_id", "task_id", "try_number", "continuation_token")
    DAG_ID_FIELD_NUMBER: _ClassVar[int]
    DAG_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    TRY_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CONTINUATION_TOKEN_FIELD_NUMBER: _ClassVar[int]
    dag_id: str
    dag_run_id: str
    task_id: str
    try_number: int
    continuation_token: str
    def __init__(self, dag_id: _Optional[str] = ..., dag_run_id: _Optional[str] = ..., task_id: _Optional[str] = ..., try_number: _Optional[int] = ..., continuation_token: _Optional[str] = ...) -> None: ...

class StreamTaskLogsResponse(_message.Message):
    __slots__ = ("lines", "continuation_token", "try_number")
    LINES_FIELD_NUMBER: _ClassVar[int]
    CONTINUATION_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TRY_NUMBER_FIELD_NUMBER: _ClassVar[int]
    lines: _containers.RepeatedCompositeFieldContainer[LogLine]
    continuation_token: str
    try_number: int
    def __init__(self, lines: _Optional[_Iterable[_Union[LogLine, _Mapping]]] = ..., continuation_token: _Optional[str] = ..., try_number: _Optional[int] = ...) -> None: ...
