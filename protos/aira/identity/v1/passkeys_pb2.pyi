import datetime

from aira.identity.v1 import types_pb2 as _types_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Passkey(_message.Message):
    __slots__ = ("id", "name", "transports", "aaguid", "backed_up", "created_at", "last_used_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TRANSPORTS_FIELD_NUMBER: _ClassVar[int]
    AAGUID_FIELD_NUMBER: _ClassVar[int]
    BACKED_UP_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_USED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    transports: _containers.RepeatedScalarFieldContainer[str]
    aaguid: str
    backed_up: bool
    created_at: _timestamp_pb2.Timestamp
    last_used_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., transports: _Optional[_Iterable[str]] = ..., aaguid: _Optional[str] = ..., backed_up: _Optional[bool] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_used_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class WebauthnOptions(_message.Message):
    __slots__ = ("options_json",)
    OPTIONS_JSON_FIELD_NUMBER: _ClassVar[int]
    options_json: str
    def __init__(self, options_json: _Optional[str] = ...) -> None: ...

class RegistrationOptionsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class VerifyRegistrationRequest(_message.Message):
    __slots__ = ("credential_json", "name")
    CREDENTIAL_JSON_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    credential_json: str
    name: str
    def __init__(self, credential_json: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class ListPasskeysRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListPasskeysResponse(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[Passkey]
    def __init__(self, items: _Optional[_Iterable[_Union[Passkey, _Mapping]]] = ...) -> None: ...

class DeletePasskeyRequest(_message.Message):
    __slots__ = ("passkey_id",)
    PASSKEY_ID_FIELD_NUMBER: _ClassVar[int]
    passkey_id: str
    def __init__(self, passkey_id: _Optional[str] = ...) -> None: ...

class AuthenticationOptionsRequest(_message.Message):
    __slots__ = ("email",)
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    email: str
    def __init__(self, email: _Optional[str] = ...) -> None: ...

class VerifyAuthenticationRequest(_message.Message):
    __slots__ = ("credential_json",)
    CREDENTIAL_JSON_FIELD_NUMBER: _ClassVar[int]
    credential_json: str
    def __init__(self, credential_json: _Optional[str] = ...) -> None: ...
