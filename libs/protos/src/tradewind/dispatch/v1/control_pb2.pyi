from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AttemptToStop(_message.Message):
    __slots__ = ("task_instance_id", "try_number", "reason")
    TASK_INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    TRY_NUMBER_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    task_instance_id: str
    try_number: int
    reason: str
    def __init__(self, task_instance_id: _Optional[str] = ..., try_number: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class StopAttemptsRequest(_message.Message):
    __slots__ = ("attempts",)
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    attempts: _containers.RepeatedCompositeFieldContainer[AttemptToStop]
    def __init__(self, attempts: _Optional[_Iterable[_Union[AttemptToStop, _Mapping]]] = ...) -> None: ...

class StopAttemptsResponse(_message.Message):
    __slots__ = ("stopped",)
    STOPPED_FIELD_NUMBER: _ClassVar[int]
    stopped: int
    def __init__(self, stopped: _Optional[int] = ...) -> None: ...
