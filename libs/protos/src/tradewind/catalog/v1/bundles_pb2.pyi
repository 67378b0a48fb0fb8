from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class GetCodeBundleRequest(_message.Message):
    __slots__ = ("code_hash",)
    CODE_HASH_FIELD_NUMBER: _ClassVar[int]
    code_hash: str
    def __init__(self, code_hash: _Optional[str] = ...) -> None: ...

class GetCodeBundleResponse(_message.Message):
    __slots__ = ("code_hash", "files")
    class FilesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CODE_HASH_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    code_hash: str
    files: _containers.ScalarMap[str, str]
    def __init__(self, code_hash: _Optional[str] = ..., files: _Optional[_Mapping[str, str]] = ...) -> None: ...
