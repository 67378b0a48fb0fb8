import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TaskDispatch(_message.Message):
    __slots__ = ("task_instance_id", "try_number", "dag_id", "dag_run_id", "task_id", "map_index", "queue", "priority_weight", "task_json", "context_json")
    TASK_INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    TRY_NUMBER_FIELD_NUMBER: _ClassVar[int]
    DAG_ID_FIELD_NUMBER: _ClassVar[int]
    DAG_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    MAP_INDEX_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    TASK_JSON_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_JSON_FIELD_NUMBER: _ClassVar[int]
    task_instance_id: str
    try_number: int
    dag_id: str
    dag_run_id: str
    task_id: str
    map_index: int
    queue: str
    priority_weight: int
    task_json: str
    context_json: str
    def __init__(self, task_instance_id: _Optional[str] = ..., try_number: _Optional[int] = ..., dag_id: _Optional[str] = ..., dag_run_id: _Optional[str] = ..., task_id: _Optional[str] = ..., map_index: _Optional[int] = ..., queue: _Optional[str] = ..., priority_weight: _Optional[int] = ..., task_json: _Optional[str] = ..., context_json: _Optional[str] = ...) -> None: ...

class DispatchTasksRequest(_message.Message):
    __slots__ = ("tasks",)
    TASKS_FIELD_NUMBER: _ClassVar[int]
    tasks: _containers.RepeatedCompositeFieldContainer[TaskDispatch]
    def __init__(self, tasks: _Optional[_Iterable[_Union[TaskDispatch, _Mapping]]] = ...) -> None: ...

class DispatchTasksResponse(_message.Message):
    __slots__ = ("dispatched",)
    DISPATCHED_FIELD_NUMBER: _ClassVar[int]
    dispatched: int
    def __init__(self, dispatched: _Optional[int] = ...) -> None: ...

class GetDispatcherStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetDispatcherStatusResponse(_message.Message):
    __slots__ = ("live_workers", "latest_worker_heartbeat", "queued_attempts", "running_attempts", "worker_slots", "worker_slots_in_use")
    LIVE_WORKERS_FIELD_NUMBER: _ClassVar[int]
    LATEST_WORKER_HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    QUEUED_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    RUNNING_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    WORKER_SLOTS_FIELD_NUMBER: _ClassVar[int]
    WORKER_SLOTS_IN_USE_FIELD_NUMBER: _ClassVar[int]
    live_workers: int
    latest_worker_heartbeat: _timestamp_pb2.Timestamp
    queued_attempts: int
    running_attempts: int
    worker_slots: int
    worker_slots_in_use: int
    def __init__(self, live_workers: _Optional[int] = ..., latest_worker_heartbeat: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., queued_attempts: _Optional[int] = ..., running_attempts: _Optional[int] = ..., worker_slots: _Optional[int] = ..., worker_slots_in_use: _Optional[int] = ...) -> None: ...

class GetTaskLogRequest(_message.Message):
    __slots__ = ("task_instance_id", "try_number")
    TASK_INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    TRY_NUMBER_FIELD_NUMBER: _ClassVar[int]
    task_instance_id: str
    try_number: int
    def __init__(self, task_instance_id: _Optional[str] = ..., try_number: _Optional[int] = ...) -> None: ...

class GetTaskLogResponse(_message.Message):
    __slots__ = ("found", "content")
    FOUND_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    found: bool
    content: str
    def __init__(self, found: _Optional[bool] = ..., content: _Optional[str] = ...) -> None: ...
