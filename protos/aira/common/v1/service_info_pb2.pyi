from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class DescribeRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ServiceDescription(_message.Message):
    __slots__ = ("service", "version", "schema", "schema_revision", "database_role", "nats_connected")
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_REVISION_FIELD_NUMBER: _ClassVar[int]
    DATABASE_ROLE_FIELD_NUMBER: _ClassVar[int]
    NATS_CONNECTED_FIELD_NUMBER: _ClassVar[int]
    service: str
    version: str
    schema: str
    schema_revision: str
    database_role: str
    nats_connected: bool
    def __init__(self, service: _Optional[str] = ..., version: _Optional[str] = ..., schema: _Optional[str] = ..., schema_revision: _Optional[str] = ..., database_role: _Optional[str] = ..., nats_connected: _Optional[bool] = ...) -> None: ...
