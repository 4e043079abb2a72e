from aira.identity.v1 import types_pb2 as _types_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class OidcStartRequest(_message.Message):
    __slots__ = ("provider", "next_path", "email", "redirect_uri")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    NEXT_PATH_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    REDIRECT_URI_FIELD_NUMBER: _ClassVar[int]
    provider: str
    next_path: str
    email: str
    redirect_uri: str
    def __init__(self, provider: _Optional[str] = ..., next_path: _Optional[str] = ..., email: _Optional[str] = ..., redirect_uri: _Optional[str] = ...) -> None: ...

class OidcStartResponse(_message.Message):
    __slots__ = ("authorization_url", "state", "expires_in")
    AUTHORIZATION_URL_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_IN_FIELD_NUMBER: _ClassVar[int]
    authorization_url: str
    state: str
    expires_in: int
    def __init__(self, authorization_url: _Optional[str] = ..., state: _Optional[str] = ..., expires_in: _Optional[int] = ...) -> None: ...

class OidcCallbackRequest(_message.Message):
    __slots__ = ("provider", "code", "state", "error")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    provider: str
    code: str
    state: str
    error: str
    def __init__(self, provider: _Optional[str] = ..., code: _Optional[str] = ..., state: _Optional[str] = ..., error: _Optional[str] = ...) -> None: ...

class DiscoverProviderRequest(_message.Message):
    __slots__ = ("email",)
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    email: str
    def __init__(self, email: _Optional[str] = ...) -> None: ...

class SsoProvider(_message.Message):
    __slots__ = ("provider",)
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    provider: str
    def __init__(self, provider: _Optional[str] = ...) -> None: ...
