import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LogLine(_message.Message):
    __slots__ = ("timestamp", "level", "event", "stream")
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    timestamp: _timestamp_pb2.Timestamp
    level: str
    event: str
    stream: str
    def __init__(self, timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., level: _Optional[str] = ..., event: _Optional[str] = ..., stream: _Optional[str] = ...) -> None: ...

class AppendLogLinesRequest(_message.Message):
    __slots__ = ("attempt_id", "fencing_token", "batch", "lines")
    ATTEMPT_ID_FIELD_NUMBER: _ClassVar[int]
    FENCING_TOKEN_FIELD_NUMBER: _ClassVar[int]
    BATCH_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    attempt_id: str
    fencing_token: str
    batch: int
    lines: _containers.RepeatedCompositeFieldContainer[LogLine]
    def __init__(self, attempt_id: _Optional[str] = ..., fencing_token: _Optional[str] = ..., batch: _Optional[int] = ..., lines: _Optional[_Iterable[_Union[LogLine, _Mapping]]] = ...) -> None: ...

class AppendLogLinesResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ReadTaskLogRequest(_message.Message):
    __slots__ = ("task_instance_id", "try_number", "continuation_token")
    TASK_INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    TRY_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CONTINUATION_TOKEN_FIELD_NUMBER: _ClassVar[int]
    task_instance_id: str
    try_number: int
    continuation_token: str
    def __init__(self, task_instance_id: _Optional[str] = ..., try_number: _Optional[int] = ..., continuation_token: _Optional[str] = ...) -> None: ...

class ReadTaskLogResponse(_message.Message):
    __slots__ = ("found", "lines", "continuation_token", "complete")
    FOUND_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    CONTINUATION_TOKEN_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_FIELD_NUMBER: _ClassVar[int]
    found: bool
    lines: _containers.RepeatedCompositeFieldContainer[LogLine]
    continuation_token: str
    complete: bool
    def __init__(self, found: _Optional[bool] = ..., lines: _Optional[_Iterable[_Union[LogLine, _Mapping]]] = ..., continuation_token: _Optional[str] = ..., complete: _Optional[bool] = ...) -> None: ...
