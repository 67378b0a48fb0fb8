from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class GetDagVersionRequest(_message.Message):
    __slots__ = ("dag_version_id",)
    DAG_VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    dag_version_id: str
    def __init__(self, dag_version_id: _Optional[str] = ...) -> None: ...

class GetDagVersionResponse(_message.Message):
    __slots__ = ("dag_version_id", "dag_id", "version_number", "spec_json")
    DAG_VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    DAG_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_NUMBER_FIELD_NUMBER: _ClassVar[int]
    SPEC_JSON_FIELD_NUMBER: _ClassVar[int]
    dag_version_id: str
    dag_id: str
    version_number: int
    spec_json: str
    def __init__(self, dag_version_id: _Optional[str] = ..., dag_id: _Optional[str] = ..., version_number: _Optional[int] = ..., spec_json: _Optional[str] = ...) -> None: ...
