from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class UserSignedUp(_message.Message):
    __slots__ = ("user_id", "email", "name")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    email: str
    name: str
    def __init__(self, user_id: _Optional[str] = ..., email: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class UserRenamed(_message.Message):
    __slots__ = ("user_id", "name", "previous_name")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_NAME_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    name: str
    previous_name: str
    def __init__(self, user_id: _Optional[str] = ..., name: _Optional[str] = ..., previous_name: _Optional[str] = ...) -> None: ...

class ProjectCreated(_message.Message):
    __slots__ = ("project_id", "name", "created_by")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    name: str
    created_by: str
    def __init__(self, project_id: _Optional[str] = ..., name: _Optional[str] = ..., created_by: _Optional[str] = ...) -> None: ...

class MemberAdded(_message.Message):
    __slots__ = ("project_id", "user_id", "role")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    user_id: str
    role: str
    def __init__(self, project_id: _Optional[str] = ..., user_id: _Optional[str] = ..., role: _Optional[str] = ...) -> None: ...

class EmailVerified(_message.Message):
    __slots__ = ("user_id", "email")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    email: str
    def __init__(self, user_id: _Optional[str] = ..., email: _Optional[str] = ...) -> None: ...

class ProjectChanged(_message.Message):
    __slots__ = ("project_id", "fields")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    fields: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, project_id: _Optional[str] = ..., fields: _Optional[_Iterable[str]] = ...) -> None: ...

class MemberChanged(_message.Message):
    __slots__ = ("project_id", "user_id", "role", "previous_role")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_ROLE_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    user_id: str
    role: str
    previous_role: str
    def __init__(self, project_id: _Optional[str] = ..., user_id: _Optional[str] = ..., role: _Optional[str] = ..., previous_role: _Optional[str] = ...) -> None: ...

class InvitationChanged(_message.Message):
    __slots__ = ("project_id", "invitation_id", "email", "role", "status")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    INVITATION_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    invitation_id: str
    email: str
    role: str
    status: str
    def __init__(self, project_id: _Optional[str] = ..., invitation_id: _Optional[str] = ..., email: _Optional[str] = ..., role: _Optional[str] = ..., status: _Optional[str] = ...) -> None: ...

class ProjectSettingsUpdated(_message.Message):
    __slots__ = ("project_id", "timezone", "llm_provider", "llm_model", "heartbeat_enabled", "auto_rebalance_mode", "pr_automation_enabled", "allow_parallel_sprints")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    LLM_PROVIDER_FIELD_NUMBER: _ClassVar[int]
    LLM_MODEL_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_ENABLED_FIELD_NUMBER: _ClassVar[int]
    AUTO_REBALANCE_MODE_FIELD_NUMBER: _ClassVar[int]
    PR_AUTOMATION_ENABLED_FIELD_NUMBER: _ClassVar[int]
    ALLOW_PARALLEL_SPRINTS_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    timezone: str
    llm_provider: str
    llm_model: str
    heartbeat_enabled: bool
    auto_rebalance_mode: str
    pr_automation_enabled: bool
    allow_parallel_sprints: bool
    def __init__(self, project_id: _Optional[str] = ..., timezone: _Optional[str] = ..., llm_provider: _Optional[str] = ..., llm_model: _Optional[str] = ..., heartbeat_enabled: _Optional[bool] = ..., auto_rebalance_mode: _Optional[str] = ..., pr_automation_enabled: _Optional[bool] = ..., allow_parallel_sprints: _Optional[bool] = ...) -> None: ...

class BillingUpdated(_message.Message):
    __slots__ = ("project_id", "plan")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    plan: str
    def __init__(self, project_id: _Optional[str] = ..., plan: _Optional[str] = ...) -> None: ...

class IntegrationChanged(_message.Message):
    __slots__ = ("project_id", "provider")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    provider: str
    def __init__(self, project_id: _Optional[str] = ..., provider: _Optional[str] = ...) -> None: ...

class IssueChanged(_message.Message):
    __slots__ = ("project_id", "issue_id", "status", "priority")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    ISSUE_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    issue_id: str
    status: str
    priority: str
    def __init__(self, project_id: _Optional[str] = ..., issue_id: _Optional[str] = ..., status: _Optional[str] = ..., priority: _Optional[str] = ...) -> None: ...

class ApiKeyChanged(_message.Message):
    __slots__ = ("project_id", "key_id", "user_id", "scopes")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    key_id: str
    user_id: str
    scopes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, project_id: _Optional[str] = ..., key_id: _Optional[str] = ..., user_id: _Optional[str] = ..., scopes: _Optional[_Iterable[str]] = ...) -> None: ...
