from aira.identity.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class McpClient(_message.Message):
    __slots__ = ("client_id", "client_secret", "client_secret_expires_at", "client_id_issued_at", "redirect_uris", "client_name", "scope", "grant_types", "token_endpoint_auth_method", "metadata_json")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_SECRET_FIELD_NUMBER: _ClassVar[int]
    CLIENT_SECRET_EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_ISSUED_AT_FIELD_NUMBER: _ClassVar[int]
    REDIRECT_URIS_FIELD_NUMBER: _ClassVar[int]
    CLIENT_NAME_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    GRANT_TYPES_FIELD_NUMBER: _ClassVar[int]
    TOKEN_ENDPOINT_AUTH_METHOD_FIELD_NUMBER: _ClassVar[int]
    METADATA_JSON_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    client_secret: str
    client_secret_expires_at: int
    client_id_issued_at: int
    redirect_uris: _containers.RepeatedScalarFieldContainer[str]
    client_name: str
    scope: str
    grant_types: _containers.RepeatedScalarFieldContainer[str]
    token_endpoint_auth_method: str
    metadata_json: str
    def __init__(self, client_id: _Optional[str] = ..., client_secret: _Optional[str] = ..., client_secret_expires_at: _Optional[int] = ..., client_id_issued_at: _Optional[int] = ..., redirect_uris: _Optional[_Iterable[str]] = ..., client_name: _Optional[str] = ..., scope: _Optional[str] = ..., grant_types: _Optional[_Iterable[str]] = ..., token_endpoint_auth_method: _Optional[str] = ..., metadata_json: _Optional[str] = ...) -> None: ...

class RegisterMcpClientRequest(_message.Message):
    __slots__ = ("client_id", "redirect_uris", "client_name", "scope", "grant_types", "token_endpoint_auth_method", "metadata_json")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    REDIRECT_URIS_FIELD_NUMBER: _ClassVar[int]
    CLIENT_NAME_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    GRANT_TYPES_FIELD_NUMBER: _ClassVar[int]
    TOKEN_ENDPOINT_AUTH_METHOD_FIELD_NUMBER: _ClassVar[int]
    METADATA_JSON_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    redirect_uris: _containers.RepeatedScalarFieldContainer[str]
    client_name: str
    scope: str
    grant_types: _containers.RepeatedScalarFieldContainer[str]
    token_endpoint_auth_method: str
    metadata_json: str
    def __init__(self, client_id: _Optional[str] = ..., redirect_uris: _Optional[_Iterable[str]] = ..., client_name: _Optional[str] = ..., scope: _Optional[str] = ..., grant_types: _Optional[_Iterable[str]] = ..., token_endpoint_auth_method: _Optional[str] = ..., metadata_json: _Optional[str] = ...) -> None: ...

class GetMcpClientRequest(_message.Message):
    __slots__ = ("client_id",)
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    def __init__(self, client_id: _Optional[str] = ...) -> None: ...

class CreateMcpAuthorizationCodeRequest(_message.Message):
    __slots__ = ("client_id", "project_id", "redirect_uri", "redirect_uri_provided_explicitly", "code_challenge", "scopes", "resource")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    REDIRECT_URI_FIELD_NUMBER: _ClassVar[int]
    REDIRECT_URI_PROVIDED_EXPLICITLY_FIELD_NUMBER: _ClassVar[int]
    CODE_CHALLENGE_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    project_id: str
    redirect_uri: str
    redirect_uri_provided_explicitly: bool
    code_challenge: str
    scopes: _containers.RepeatedScalarFieldContainer[str]
    resource: str
    def __init__(self, client_id: _Optional[str] = ..., project_id: _Optional[str] = ..., redirect_uri: _Optional[str] = ..., redirect_uri_provided_explicitly: _Optional[bool] = ..., code_challenge: _Optional[str] = ..., scopes: _Optional[_Iterable[str]] = ..., resource: _Optional[str] = ...) -> None: ...

class CreatedMcpAuthorizationCode(_message.Message):
    __slots__ = ("code", "expires_at")
    CODE_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    code: str
    expires_at: int
    def __init__(self, code: _Optional[str] = ..., expires_at: _Optional[int] = ...) -> None: ...

class McpAuthorizationCode(_message.Message):
    __slots__ = ("client_id", "user_id", "project_id", "redirect_uri", "redirect_uri_provided_explicitly", "code_challenge", "scopes", "resource", "expires_at", "consumed")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    REDIRECT_URI_FIELD_NUMBER: _ClassVar[int]
    REDIRECT_URI_PROVIDED_EXPLICITLY_FIELD_NUMBER: _ClassVar[int]
    CODE_CHALLENGE_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    CONSUMED_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    user_id: str
    project_id: str
    redirect_uri: str
    redirect_uri_provided_explicitly: bool
    code_challenge: str
    scopes: _containers.RepeatedScalarFieldContainer[str]
    resource: str
    expires_at: int
    consumed: bool
    def __init__(self, client_id: _Optional[str] = ..., user_id: _Optional[str] = ..., project_id: _Optional[str] = ..., redirect_uri: _Optional[str] = ..., redirect_uri_provided_explicitly: _Optional[bool] = ..., code_challenge: _Optional[str] = ..., scopes: _Optional[_Iterable[str]] = ..., resource: _Optional[str] = ..., expires_at: _Optional[int] = ..., consumed: _Optional[bool] = ...) -> None: ...

class LoadMcpAuthorizationCodeRequest(_message.Message):
    __slots__ = ("client_id", "code")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    code: str
    def __init__(self, client_id: _Optional[str] = ..., code: _Optional[str] = ...) -> None: ...

class ExchangeMcpAuthorizationCodeRequest(_message.Message):
    __slots__ = ("client_id", "code")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    code: str
    def __init__(self, client_id: _Optional[str] = ..., code: _Optional[str] = ...) -> None: ...

class McpTokens(_message.Message):
    __slots__ = ("access_token", "refresh_token", "expires_in", "scopes")
    ACCESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REFRESH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_IN_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    access_token: str
    refresh_token: str
    expires_in: int
    scopes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, access_token: _Optional[str] = ..., refresh_token: _Optional[str] = ..., expires_in: _Optional[int] = ..., scopes: _Optional[_Iterable[str]] = ...) -> None: ...

class LoadMcpRefreshTokenRequest(_message.Message):
    __slots__ = ("client_id", "refresh_token")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    REFRESH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    refresh_token: str
    def __init__(self, client_id: _Optional[str] = ..., refresh_token: _Optional[str] = ...) -> None: ...

class McpRefreshToken(_message.Message):
    __slots__ = ("client_id", "user_id", "project_id", "scopes", "resource", "expires_at", "family_id")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    FAMILY_ID_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    user_id: str
    project_id: str
    scopes: _containers.RepeatedScalarFieldContainer[str]
    resource: str
    expires_at: int
    family_id: str
    def __init__(self, client_id: _Optional[str] = ..., user_id: _Optional[str] = ..., project_id: _Optional[str] = ..., scopes: _Optional[_Iterable[str]] = ..., resource: _Optional[str] = ..., expires_at: _Optional[int] = ..., family_id: _Optional[str] = ...) -> None: ...

class ExchangeMcpRefreshTokenRequest(_message.Message):
    __slots__ = ("client_id", "refresh_token", "scopes")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    REFRESH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    refresh_token: str
    scopes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, client_id: _Optional[str] = ..., refresh_token: _Optional[str] = ..., scopes: _Optional[_Iterable[str]] = ...) -> None: ...

class LoadMcpAccessTokenRequest(_message.Message):
    __slots__ = ("access_token",)
    ACCESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    access_token: str
    def __init__(self, access_token: _Optional[str] = ...) -> None: ...

class McpGrant(_message.Message):
    __slots__ = ("client_id", "user_id", "project_id", "role", "scopes", "resource", "expires_at", "family_id")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    FAMILY_ID_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    user_id: str
    project_id: str
    role: str
    scopes: _containers.RepeatedScalarFieldContainer[str]
    resource: str
    expires_at: int
    family_id: str
    def __init__(self, client_id: _Optional[str] = ..., user_id: _Optional[str] = ..., project_id: _Optional[str] = ..., role: _Optional[str] = ..., scopes: _Optional[_Iterable[str]] = ..., resource: _Optional[str] = ..., expires_at: _Optional[int] = ..., family_id: _Optional[str] = ...) -> None: ...

class RevokeMcpTokenRequest(_message.Message):
    __slots__ = ("client_id", "token")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    token: str
    def __init__(self, client_id: _Optional[str] = ..., token: _Optional[str] = ...) -> None: ...

class McpRejection(_message.Message):
    __slots__ = ("endpoint", "error", "reason", "client_id", "credential", "redirect_uri")
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    REDIRECT_URI_FIELD_NUMBER: _ClassVar[int]
    endpoint: str
    error: str
    reason: str
    client_id: str
    credential: str
    redirect_uri: str
    def __init__(self, endpoint: _Optional[str] = ..., error: _Optional[str] = ..., reason: _Optional[str] = ..., client_id: _Optional[str] = ..., credential: _Optional[str] = ..., redirect_uri: _Optional[str] = ...) -> None: ...

class ListMcpGrantsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class McpGrantSummary(_message.Message):
    __slots__ = ("grant_id", "client_id", "client_name", "project_id", "project_name", "scopes", "connected_at", "refreshed_at", "expires_at")
    GRANT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_NAME_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_NAME_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    CONNECTED_AT_FIELD_NUMBER: _ClassVar[int]
    REFRESHED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    grant_id: str
    client_id: str
    client_name: str
    project_id: str
    project_name: str
    scopes: _containers.RepeatedScalarFieldContainer[str]
    connected_at: int
    refreshed_at: int
    expires_at: int
    def __init__(self, grant_id: _Optional[str] = ..., client_id: _Optional[str] = ..., client_name: _Optional[str] = ..., project_id: _Optional[str] = ..., project_name: _Optional[str] = ..., scopes: _Optional[_Iterable[str]] = ..., connected_at: _Optional[int] = ..., refreshed_at: _Optional[int] = ..., expires_at: _Optional[int] = ...) -> None: ...

class ListMcpGrantsResponse(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[McpGrantSummary]
    def __init__(self, items: _Optional[_Iterable[_Union[McpGrantSummary, _Mapping]]] = ...) -> None: ...

class RevokeMcpGrantRequest(_message.Message):
    __slots__ = ("grant_id",)
    GRANT_ID_FIELD_NUMBER: _ClassVar[int]
    grant_id: str
    def __init__(self, grant_id: _Optional[str] = ...) -> None: ...
