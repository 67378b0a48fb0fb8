from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AttemptOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ATTEMPT_OUTCOME_UNSPECIFIED: _ClassVar[AttemptOutcome]
    ATTEMPT_OUTCOME_SUCCESS: _ClassVar[AttemptOutcome]
    ATTEMPT_OUTCOME_FAILED: _ClassVar[AttemptOutcome]
    ATTEMPT_OUTCOME_SKIPPED: _ClassVar[AttemptOutcome]
ATTEMPT_OUTCOME_UNSPECIFIED: AttemptOutcome
ATTEMPT_OUTCOME_SUCCESS: AttemptOutcome
ATTEMPT_OUTCOME_FAILED: AttemptOutcome
ATTEMPT_OUTCOME_SKIPPED: AttemptOutcome

class WorkerHeartbeatRequest(_message.Message):
    __slots__ = ("worker_id", "hostname", "queues", "concurrency", "running", "incarnation")
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    CONCURRENCY_FIELD_NUMBER: _ClassVar[int]
    RUNNING_FIELD_NUMBER: _ClassVar[int]
    INCARNATION_FIELD_NUMBER: _ClassVar[int]
    worker_id: str
    hostname: str
    queues: _containers.RepeatedScalarFieldContainer[str]
    concurrency: int
    running: int
    incarnation: str
    def __init__(self, worker_id: _Optional[str] = ..., hostname: _Optional[str] = ..., queues: _Optional[_Iterable[str]] = ..., concurrency: _Optional[int] = ..., running: _Optional[int] = ..., incarnation: _Optional[str] = ...) -> None: ...

class WorkerHeartbeatResponse(_message.Message):
    __slots__ = ("released_attempts",)
    RELEASED_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    released_attempts: int
    def __init__(self, released_attempts: _Optional[int] = ...) -> None: ...

class ClaimAttemptRequest(_message.Message):
    __slots__ = ("attempt_id", "worker_id", "hostname")
    ATTEMPT_ID_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    attempt_id: str
    worker_id: str
    hostname: str
    def __init__(self, attempt_id: _Optional[str] = ..., worker_id: _Optional[str] = ..., hostname: _Optional[str] = ...) -> None: ...

class ClaimAttemptResponse(_message.Message):
    __slots__ = ("fencing_token", "dag_id", "dag_run_id", "task_id", "try_number", "task_json", "context_json")
    FENCING_TOKEN_FIELD_NUMBER: _ClassVar[int]
    DAG_ID_FIELD_NUMBER: _ClassVar[int]
    DAG_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    TRY_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TASK_JSON_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_JSON_FIELD_NUMBER: _ClassVar[int]
    fencing_token: str
    dag_id: str
    dag_run_id: str
    task_id: str
    try_number: int
    task_json: str
    context_json: str
    def __init__(self, fencing_token: _Optional[str] = ..., dag_id: _Optional[str] = ..., dag_run_id: _Optional[str] = ..., task_id: _Optional[str] = ..., try_number: _Optional[int] = ..., task_json: _Optional[str] = ..., context_json: _Optional[str] = ...) -> None: ...

class HeartbeatAttemptRequest(_message.Message):
    __slots__ = ("attempt_id", "fencing_token", "pid")
    ATTEMPT_ID_FIELD_NUMBER: _ClassVar[int]
    FENCING_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PID_FIELD_NUMBER: _ClassVar[int]
    attempt_id: str
    fencing_token: str
    pid: int
    def __init__(self, attempt_id: _Optional[str] = ..., fencing_token: _Optional[str] = ..., pid: _Optional[int] = ...) -> None: ...

class HeartbeatAttemptResponse(_message.Message):
    __slots__ = ("keep_running",)
    KEEP_RUNNING_FIELD_NUMBER: _ClassVar[int]
    keep_running: bool
    def __init__(self, keep_running: _Optional[bool] = ...) -> None: ...

class AppendLogRequest(_message.Message):
    __slots__ = ("attempt_id", "fencing_token", "text")
    ATTEMPT_ID_FIELD_NUMBER: _ClassVar[int]
    FENCING_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    attempt_id: str
    fencing_token: str
    text: str
    def __init__(self, attempt_id: _Optional[str] = ..., fencing_token: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...

class AppendLogResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ReportResultRequest(_message.Message):
    __slots__ = ("attempt_id", "fencing_token", "outcome", "exit_code", "reason", "pid")
    ATTEMPT_ID_FIELD_NUMBER: _ClassVar[int]
    FENCING_TOKEN_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PID_FIELD_NUMBER: _ClassVar[int]
    attempt_id: str
    fencing_token: str
    outcome: AttemptOutcome
    exit_code: int
    reason: str
    pid: int
    def __init__(self, attempt_id: _Optional[str] = ..., fencing_token: _Optional[str] = ..., outcome: _Optional[_Union[AttemptOutcome, str]] = ..., exit_code: _Optional[int] = ..., reason: _Optional[str] = ..., pid: _Optional[int] = ...) -> None: ...

class ReportResultResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
