import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from tradewind.dispatch.v1 import dispatch_pb2 as _dispatch_pb2
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

class TaskEventKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TASK_EVENT_KIND_UNSPECIFIED: _ClassVar[TaskEventKind]
    TASK_EVENT_KIND_STARTED: _ClassVar[TaskEventKind]
    TASK_EVENT_KIND_FINISHED: _ClassVar[TaskEventKind]
DAG_RUN_STATE_UNSPECIFIED: DagRunState
DAG_RUN_STATE_QUEUED: DagRunState
DAG_RUN_STATE_RUNNING: DagRunState
DAG_RUN_STATE_SUCCESS: DagRunState
DAG_RUN_STATE_FAILED: DagRunState
TASK_EVENT_KIND_UNSPECIFIED: TaskEventKind
TASK_EVENT_KIND_STARTED: TaskEventKind
TASK_EVENT_KIND_FINISHED: TaskEventKind

class RegisterDagRequest(_message.Message):
    __slots__ = ("dag_id", "dag_version_id", "is_paused")
    DAG_ID_FIELD_NUMBER: _ClassVar[int]
    DAG_VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    IS_PAUSED_FIELD_NUMBER: _ClassVar[int]
    dag_id: str
    dag_version_id: str
    is_paused: bool
    def __init__(self, dag_id: _Optional[str] = ..., dag_version_id: _Optional[str] = ..., is_paused: _Optional[bool] = ...) -> None: ...

class RegisterDagResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class TriggerDagRunRequest(_message.Message):
    __slots__ = ("dag_id", "dag_version_id", "dag_run_id", "logical_date", "conf_json", "note", "triggered_by", "data_interval_start", "data_interval_end", "run_after")
    DAG_ID_FIELD_NUMBER: _ClassVar[int]
    DAG_VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    DAG_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    LOGICAL_DATE_FIELD_NUMBER: _ClassVar[int]
    CONF_JSON_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    TRIGGERED_BY_FIELD_NUMBER: _ClassVar[int]
    DATA_INTERVAL_START_FIELD_NUMBER: _ClassVar[int]
    DATA_INTERVAL_END_FIELD_NUMBER: _ClassVar[int]
    RUN_AFTER_FIELD_NUMBER: _ClassVar[int]
    dag_id: str
    dag_version_id: str
    dag_run_id: str
    logical_date: _timestamp_pb2.Timestamp
    conf_json: str
    note: str
    triggered_by: str
    data_interval_start: _timestamp_pb2.Timestamp
    data_interval_end: _timestamp_pb2.Timestamp
    run_after: _timestamp_pb2.Timestamp
    def __init__(self, dag_id: _Optional[str] = ..., dag_version_id: _Optional[str] = ..., dag_run_id: _Optional[str] = ..., logical_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., conf_json: _Optional[str] = ..., note: _Optional[str] = ..., triggered_by: _Optional[str] = ..., data_interval_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., data_interval_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., run_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TriggerDagRunResponse(_message.Message):
    __slots__ = ("dag_run",)
    DAG_RUN_FIELD_NUMBER: _ClassVar[int]
    dag_run: DagRun
    def __init__(self, dag_run: _Optional[_Union[DagRun, _Mapping]] = ...) -> None: ...

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

class DagRun(_message.Message):
    __slots__ = ("dag_id", "dag_run_id", "dag_version_id", "state", "run_type", "logical_date", "queued_at", "start_date", "end_date", "run_after", "conf_json", "note", "triggered_by", "data_interval_start", "data_interval_end")
    DAG_ID_FIELD_NUMBER: _ClassVar[int]
    DAG_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    DAG_VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    RUN_TYPE_FIELD_NUMBER: _ClassVar[int]
    LOGICAL_DATE_FIELD_NUMBER: _ClassVar[int]
    QUEUED_AT_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    RUN_AFTER_FIELD_NUMBER: _ClassVar[int]
    CONF_JSON_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    TRIGGERED_BY_FIELD_NUMBER: _ClassVar[int]
    DATA_INTERVAL_START_FIELD_NUMBER: _ClassVar[int]
    DATA_INTERVAL_END_FIELD_NUMBER: _ClassVar[int]
    dag_id: str
    dag_run_id: str
    dag_version_id: str
    state: str
    run_type: str
    logical_date: _timestamp_pb2.Timestamp
    queued_at: _timestamp_pb2.Timestamp
    start_date: _timestamp_pb2.Timestamp
    end_date: _timestamp_pb2.Timestamp
    run_after: _timestamp_pb2.Timestamp
    conf_json: str
    note: str
    triggered_by: str
    data_interval_start: _timestamp_pb2.Timestamp
    data_interval_end: _timestamp_pb2.Timestamp
    def __init__(self, dag_id: _Optional[str] = ..., dag_run_id: _Optional[str] = ..., dag_version_id: _Optional[str] = ..., state: _Optional[str] = ..., run_type: _Optional[str] = ..., logical_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., queued_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., start_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., run_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., conf_json: _Optional[str] = ..., note: _Optional[str] = ..., triggered_by: _Optional[str] = ..., data_interval_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., data_interval_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListTaskInstancesRequest(_message.Message):
    __slots__ = ("dag_id", "dag_run_id")
    DAG_ID_FIELD_NUMBER: _ClassVar[int]
    DAG_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    dag_id: str
    dag_run_id: str
    def __init__(self, dag_id: _Optional[str] = ..., dag_run_id: _Optional[str] = ...) -> None: ...

class ListTaskInstancesResponse(_message.Message):
    __slots__ = ("task_instances",)
    TASK_INSTANCES_FIELD_NUMBER: _ClassVar[int]
    task_instances: _containers.RepeatedCompositeFieldContainer[TaskInstance]
    def __init__(self, task_instances: _Optional[_Iterable[_Union[TaskInstance, _Mapping]]] = ...) -> None: ...

class TaskInstance(_message.Message):
    __slots__ = ("id", "dag_id", "dag_run_id", "task_id", "map_index", "state", "try_number", "max_tries", "start_date", "end_date", "queued_when", "scheduled_when", "hostname", "pid", "queue", "pool", "pool_slots", "priority_weight", "operator", "dag_version_id", "note", "failure_reason")
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
    QUEUED_WHEN_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_WHEN_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    PID_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    POOL_FIELD_NUMBER: _ClassVar[int]
    POOL_SLOTS_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    DAG_VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    FAILURE_REASON_FIELD_NUMBER: _ClassVar[int]
    id: str
    dag_id: str
    dag_run_id: str
    task_id: str
    map_index: int
    state: str
    try_number: int
    max_tries: int
    start_date: _timestamp_pb2.Timestamp
    end_date: _timestamp_pb2.Timestamp
    queued_when: _timestamp_pb2.Timestamp
    scheduled_when: _timestamp_pb2.Timestamp
    hostname: str
    pid: int
    queue: str
    pool: str
    pool_slots: int
    priority_weight: int
    operator: str
    dag_version_id: str
    note: str
    failure_reason: str
    def __init__(self, id: _Optional[str] = ..., dag_id: _Optional[str] = ..., dag_run_id: _Optional[str] = ..., task_id: _Optional[str] = ..., map_index: _Optional[int] = ..., state: _Optional[str] = ..., try_number: _Optional[int] = ..., max_tries: _Optional[int] = ..., start_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., queued_when: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., scheduled_when: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., hostname: _Optional[str] = ..., pid: _Optional[int] = ..., queue: _Optional[str] = ..., pool: _Optional[str] = ..., pool_slots: _Optional[int] = ..., priority_weight: _Optional[int] = ..., operator: _Optional[str] = ..., dag_version_id: _Optional[str] = ..., note: _Optional[str] = ..., failure_reason: _Optional[str] = ...) -> None: ...

class TaskEvent(_message.Message):
    __slots__ = ("task_instance_id", "try_number", "kind", "state", "start_date", "end_date", "hostname", "pid", "reason")
    TASK_INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    TRY_NUMBER_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    PID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    task_instance_id: str
    try_number: int
    kind: TaskEventKind
    state: str
    start_date: _timestamp_pb2.Timestamp
    end_date: _timestamp_pb2.Timestamp
    hostname: str
    pid: int
    reason: str
    def __init__(self, task_instance_id: _Optional[str] = ..., try_number: _Optional[int] = ..., kind: _Optional[_Union[TaskEventKind, str]] = ..., state: _Optional[str] = ..., start_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., hostname: _Optional[str] = ..., pid: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class ReportTaskEventsRequest(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[TaskEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[TaskEvent, _Mapping]]] = ...) -> None: ...

class ReportTaskEventsResponse(_message.Message):
    __slots__ = ("ready_tasks",)
    READY_TASKS_FIELD_NUMBER: _ClassVar[int]
    ready_tasks: _containers.RepeatedCompositeFieldContainer[_dispatch_pb2.TaskDispatch]
    def __init__(self, ready_tasks: _Optional[_Iterable[_Union[_dispatch_pb2.TaskDispatch, _Mapping]]] = ...) -> None: ...

class GetSchedulerStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetSchedulerStatusResponse(_message.Message):
    __slots__ = ("latest_scheduler_heartbeat", "set_aside_runs", "set_aside_total", "stats", "refused_events")
    LATEST_SCHEDULER_HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    SET_ASIDE_RUNS_FIELD_NUMBER: _ClassVar[int]
    SET_ASIDE_TOTAL_FIELD_NUMBER: _ClassVar[int]
    STATS_FIELD_NUMBER: _ClassVar[int]
    REFUSED_EVENTS_FIELD_NUMBER: _ClassVar[int]
    latest_scheduler_heartbeat: _timestamp_pb2.Timestamp
    set_aside_runs: _containers.RepeatedCompositeFieldContainer[SetAsideRun]
    set_aside_total: int
    stats: SchedulingStats
    refused_events: _containers.RepeatedCompositeFieldContainer[RefusedTaskEvent]
    def __init__(self, latest_scheduler_heartbeat: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., set_aside_runs: _Optional[_Iterable[_Union[SetAsideRun, _Mapping]]] = ..., set_aside_total: _Optional[int] = ..., stats: _Optional[_Union[SchedulingStats, _Mapping]] = ..., refused_events: _Optional[_Iterable[_Union[RefusedTaskEvent, _Mapping]]] = ...) -> None: ...

class SetAsideRun(_message.Message):
    __slots__ = ("dag_id", "dag_run_id", "reason", "failures", "set_aside_at", "next_attempt_at")
    DAG_ID_FIELD_NUMBER: _ClassVar[int]
    DAG_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    SET_ASIDE_AT_FIELD_NUMBER: _ClassVar[int]
    NEXT_ATTEMPT_AT_FIELD_NUMBER: _ClassVar[int]
    dag_id: str
    dag_run_id: str
    reason: str
    failures: int
    set_aside_at: _timestamp_pb2.Timestamp
    next_attempt_at: _timestamp_pb2.Timestamp
    def __init__(self, dag_id: _Optional[str] = ..., dag_run_id: _Optional[str] = ..., reason: _Optional[str] = ..., failures: _Optional[int] = ..., set_aside_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_attempt_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SchedulingStats(_message.Message):
    __slots__ = ("steps", "step_seconds", "decided_task_instances", "queued_task_instances")
    STEPS_FIELD_NUMBER: _ClassVar[int]
    STEP_SECONDS_FIELD_NUMBER: _ClassVar[int]
    DECIDED_TASK_INSTANCES_FIELD_NUMBER: _ClassVar[int]
    QUEUED_TASK_INSTANCES_FIELD_NUMBER: _ClassVar[int]
    steps: int
    step_seconds: float
    decided_task_instances: int
    queued_task_instances: int
    def __init__(self, steps: _Optional[int] = ..., step_seconds: _Optional[float] = ..., decided_task_instances: _Optional[int] = ..., queued_task_instances: _Optional[int] = ...) -> None: ...

class RefusedTaskEvent(_message.Message):
    __slots__ = ("task_instance_id", "reason")
    TASK_INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    task_instance_id: str
    reason: str
    def __init__(self, task_instance_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...
