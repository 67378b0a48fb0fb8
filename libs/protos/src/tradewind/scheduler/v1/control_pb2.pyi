import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from tradewind.scheduler.v1 import scheduler_pb2 as _scheduler_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ClearTaskInstancesRequest(_message.Message):
    __slots__ = ("dag_id", "dry_run", "task_ids", "dag_run_id", "start_date", "end_date", "only_failed", "only_running", "include_upstream", "include_downstream", "include_future", "include_past", "reset_dag_runs")
    DAG_ID_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    TASK_IDS_FIELD_NUMBER: _ClassVar[int]
    DAG_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    ONLY_FAILED_FIELD_NUMBER: _ClassVar[int]
    ONLY_RUNNING_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_UPSTREAM_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_DOWNSTREAM_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_FUTURE_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_PAST_FIELD_NUMBER: _ClassVar[int]
    RESET_DAG_RUNS_FIELD_NUMBER: _ClassVar[int]
    dag_id: str
    dry_run: bool
    task_ids: _containers.RepeatedScalarFieldContainer[str]
    dag_run_id: str
    start_date: _timestamp_pb2.Timestamp
    end_date: _timestamp_pb2.Timestamp
    only_failed: bool
    only_running: bool
    include_upstream: bool
    include_downstream: bool
    include_future: bool
    include_past: bool
    reset_dag_runs: bool
    def __init__(self, dag_id: _Optional[str] = ..., dry_run: _Optional[bool] = ..., task_ids: _Optional[_Iterable[str]] = ..., dag_run_id: _Optional[str] = ..., start_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., only_failed: _Optional[bool] = ..., only_running: _Optional[bool] = ..., include_upstream: _Optional[bool] = ..., include_downstream: _Optional[bool] = ..., include_future: _Optional[bool] = ..., include_past: _Optional[bool] = ..., reset_dag_runs: _Optional[bool] = ...) -> None: ...

class ClearTaskInstancesResponse(_message.Message):
    __slots__ = ("task_instances", "dag_runs")
    TASK_INSTANCES_FIELD_NUMBER: _ClassVar[int]
    DAG_RUNS_FIELD_NUMBER: _ClassVar[int]
    task_instances: _containers.RepeatedCompositeFieldContainer[_scheduler_pb2.TaskInstance]
    dag_runs: _containers.RepeatedCompositeFieldContainer[_scheduler_pb2.DagRun]
    def __init__(self, task_instances: _Optional[_Iterable[_Union[_scheduler_pb2.TaskInstance, _Mapping]]] = ..., dag_runs: _Optional[_Iterable[_Union[_scheduler_pb2.DagRun, _Mapping]]] = ...) -> None: ...

class SetTaskInstanceStateRequest(_message.Message):
    __slots__ = ("dag_id", "dag_run_id", "task_id", "new_state", "note", "include_upstream", "include_downstream", "include_future", "include_past", "dry_run")
    DAG_ID_FIELD_NUMBER: _ClassVar[int]
    DAG_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    NEW_STATE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_UPSTREAM_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_DOWNSTREAM_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_FUTURE_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_PAST_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    dag_id: str
    dag_run_id: str
    task_id: str
    new_state: str
    note: str
    include_upstream: bool
    include_downstream: bool
    include_future: bool
    include_past: bool
    dry_run: bool
    def __init__(self, dag_id: _Optional[str] = ..., dag_run_id: _Optional[str] = ..., task_id: _Optional[str] = ..., new_state: _Optional[str] = ..., note: _Optional[str] = ..., include_upstream: _Optional[bool] = ..., include_downstream: _Optional[bool] = ..., include_future: _Optional[bool] = ..., include_past: _Optional[bool] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class SetTaskInstanceStateResponse(_message.Message):
    __slots__ = ("task_instances", "dag_runs")
    TASK_INSTANCES_FIELD_NUMBER: _ClassVar[int]
    DAG_RUNS_FIELD_NUMBER: _ClassVar[int]
    task_instances: _containers.RepeatedCompositeFieldContainer[_scheduler_pb2.TaskInstance]
    dag_runs: _containers.RepeatedCompositeFieldContainer[_scheduler_pb2.DagRun]
    def __init__(self, task_instances: _Optional[_Iterable[_Union[_scheduler_pb2.TaskInstance, _Mapping]]] = ..., dag_runs: _Optional[_Iterable[_Union[_scheduler_pb2.DagRun, _Mapping]]] = ...) -> None: ...

class PatchDagRunRequest(_message.Message):
    __slots__ = ("dag_id", "dag_run_id", "state", "note")
    DAG_ID_FIELD_NUMBER: _ClassVar[int]
    DAG_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    dag_id: str
    dag_run_id: str
    state: str
    note: str
    def __init__(self, dag_id: _Optional[str] = ..., dag_run_id: _Optional[str] = ..., state: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class PatchDagRunResponse(_message.Message):
    __slots__ = ("dag_run",)
    DAG_RUN_FIELD_NUMBER: _ClassVar[int]
    dag_run: _scheduler_pb2.DagRun
    def __init__(self, dag_run: _Optional[_Union[_scheduler_pb2.DagRun, _Mapping]] = ...) -> None: ...

class DeleteDagRunRequest(_message.Message):
    __slots__ = ("dag_id", "dag_run_id")
    DAG_ID_FIELD_NUMBER: _ClassVar[int]
    DAG_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    dag_id: str
    dag_run_id: str
    def __init__(self, dag_id: _Optional[str] = ..., dag_run_id: _Optional[str] = ...) -> None: ...

class DeleteDagRunResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DeleteDagRequest(_message.Message):
    __slots__ = ("dag_id",)
    DAG_ID_FIELD_NUMBER: _ClassVar[int]
    dag_id: str
    def __init__(self, dag_id: _Optional[str] = ...) -> None: ...

class DeleteDagResponse(_message.Message):
    __slots__ = ("deleted_runs",)
    DELETED_RUNS_FIELD_NUMBER: _ClassVar[int]
    deleted_runs: int
    def __init__(self, deleted_runs: _Optional[int] = ...) -> None: ...

class ListTaskInstanceTriesRequest(_message.Message):
    __slots__ = ("dag_id", "dag_run_id", "task_id")
    DAG_ID_FIELD_NUMBER: _ClassVar[int]
    DAG_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    dag_id: str
    dag_run_id: str
    task_id: str
    def __init__(self, dag_id: _Optional[str] = ..., dag_run_id: _Optional[str] = ..., task_id: _Optional[str] = ...) -> None: ...

class ListTaskInstanceTriesResponse(_message.Message):
    __slots__ = ("tries", "dag_version_id")
    TRIES_FIELD_NUMBER: _ClassVar[int]
    DAG_VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    tries: _containers.RepeatedCompositeFieldContainer[_scheduler_pb2.TaskInstance]
    dag_version_id: str
    def __init__(self, tries: _Optional[_Iterable[_Union[_scheduler_pb2.TaskInstance, _Mapping]]] = ..., dag_version_id: _Optional[str] = ...) -> None: ...
