import datetime

from aira.common.v1 import types_pb2 as _types_pb2
from aira.identity.v1 import types_pb2 as _types_pb2_1
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ProjectRef(_message.Message):
    __slots__ = ("project_id",)
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    def __init__(self, project_id: _Optional[str] = ...) -> None: ...

class CreateProjectRequest(_message.Message):
    __slots__ = ("name", "description", "vision")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    VISION_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    vision: str
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., vision: _Optional[str] = ...) -> None: ...

class ListProjectsRequest(_message.Message):
    __slots__ = ("page",)
    PAGE_FIELD_NUMBER: _ClassVar[int]
    page: _types_pb2.PageRequest
    def __init__(self, page: _Optional[_Union[_types_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListProjectsResponse(_message.Message):
    __slots__ = ("items", "page")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[_types_pb2_1.Project]
    page: _types_pb2.PageInfo
    def __init__(self, items: _Optional[_Iterable[_Union[_types_pb2_1.Project, _Mapping]]] = ..., page: _Optional[_Union[_types_pb2.PageInfo, _Mapping]] = ...) -> None: ...

class UpdateProjectRequest(_message.Message):
    __slots__ = ("project_id", "name", "description", "vision", "onboarding_mode")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    VISION_FIELD_NUMBER: _ClassVar[int]
    ONBOARDING_MODE_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    name: str
    description: str
    vision: str
    onboarding_mode: str
    def __init__(self, project_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., vision: _Optional[str] = ..., onboarding_mode: _Optional[str] = ...) -> None: ...

class Access(_message.Message):
    __slots__ = ("project_id", "user_id", "role")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    user_id: str
    role: str
    def __init__(self, project_id: _Optional[str] = ..., user_id: _Optional[str] = ..., role: _Optional[str] = ...) -> None: ...

class Member(_message.Message):
    __slots__ = ("user_id", "name", "email", "role", "joined_at")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    JOINED_AT_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    name: str
    email: str
    role: str
    joined_at: _timestamp_pb2.Timestamp
    def __init__(self, user_id: _Optional[str] = ..., name: _Optional[str] = ..., email: _Optional[str] = ..., role: _Optional[str] = ..., joined_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListMembersResponse(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[Member]
    def __init__(self, items: _Optional[_Iterable[_Union[Member, _Mapping]]] = ...) -> None: ...

class MemberRef(_message.Message):
    __slots__ = ("project_id", "user_id")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    user_id: str
    def __init__(self, project_id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class ChangeMemberRoleRequest(_message.Message):
    __slots__ = ("project_id", "user_id", "role")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    user_id: str
    role: str
    def __init__(self, project_id: _Optional[str] = ..., user_id: _Optional[str] = ..., role: _Optional[str] = ...) -> None: ...

class Invitation(_message.Message):
    __slots__ = ("id", "project_id", "project_name", "email", "role", "status", "invited_by", "invited_by_name", "expires_at", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_NAME_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    INVITED_BY_FIELD_NUMBER: _ClassVar[int]
    INVITED_BY_NAME_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    project_id: str
    project_name: str
    email: str
    role: str
    status: str
    invited_by: str
    invited_by_name: str
    expires_at: _timestamp_pb2.Timestamp
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., project_id: _Optional[str] = ..., project_name: _Optional[str] = ..., email: _Optional[str] = ..., role: _Optional[str] = ..., status: _Optional[str] = ..., invited_by: _Optional[str] = ..., invited_by_name: _Optional[str] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateInvitationRequest(_message.Message):
    __slots__ = ("project_id", "email", "role")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    email: str
    role: str
    def __init__(self, project_id: _Optional[str] = ..., email: _Optional[str] = ..., role: _Optional[str] = ...) -> None: ...

class ListInvitationsResponse(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[Invitation]
    def __init__(self, items: _Optional[_Iterable[_Union[Invitation, _Mapping]]] = ...) -> None: ...

class InvitationRef(_message.Message):
    __slots__ = ("project_id", "invitation_id")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    INVITATION_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    invitation_id: str
    def __init__(self, project_id: _Optional[str] = ..., invitation_id: _Optional[str] = ...) -> None: ...

class InvitationToken(_message.Message):
    __slots__ = ("token",)
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    token: str
    def __init__(self, token: _Optional[str] = ...) -> None: ...

class Settings(_message.Message):
    __slots__ = ("project_id", "timezone", "llm_provider", "llm_model", "heartbeat_enabled", "auto_rebalance_mode", "pr_automation_enabled", "allow_parallel_sprints", "updated_at")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    LLM_PROVIDER_FIELD_NUMBER: _ClassVar[int]
    LLM_MODEL_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_ENABLED_FIELD_NUMBER: _ClassVar[int]
    AUTO_REBALANCE_MODE_FIELD_NUMBER: _ClassVar[int]
    PR_AUTOMATION_ENABLED_FIELD_NUMBER: _ClassVar[int]
    ALLOW_PARALLEL_SPRINTS_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    timezone: str
    llm_provider: str
    llm_model: str
    heartbeat_enabled: bool
    auto_rebalance_mode: str
    pr_automation_enabled: bool
    allow_parallel_sprints: bool
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, project_id: _Optional[str] = ..., timezone: _Optional[str] = ..., llm_provider: _Optional[str] = ..., llm_model: _Optional[str] = ..., heartbeat_enabled: _Optional[bool] = ..., auto_rebalance_mode: _Optional[str] = ..., pr_automation_enabled: _Optional[bool] = ..., allow_parallel_sprints: _Optional[bool] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UpdateSettingsRequest(_message.Message):
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

class Billing(_message.Message):
    __slots__ = ("project_id", "plan", "trial_started_at", "trial_ends_at", "is_trial_active", "trial_days_left", "plan_changed_at")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    TRIAL_STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    TRIAL_ENDS_AT_FIELD_NUMBER: _ClassVar[int]
    IS_TRIAL_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    TRIAL_DAYS_LEFT_FIELD_NUMBER: _ClassVar[int]
    PLAN_CHANGED_AT_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    plan: str
    trial_started_at: _timestamp_pb2.Timestamp
    trial_ends_at: _timestamp_pb2.Timestamp
    is_trial_active: bool
    trial_days_left: int
    plan_changed_at: _timestamp_pb2.Timestamp
    def __init__(self, project_id: _Optional[str] = ..., plan: _Optional[str] = ..., trial_started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., trial_ends_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., is_trial_active: _Optional[bool] = ..., trial_days_left: _Optional[int] = ..., plan_changed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UpdateBillingRequest(_message.Message):
    __slots__ = ("project_id", "plan")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    plan: str
    def __init__(self, project_id: _Optional[str] = ..., plan: _Optional[str] = ...) -> None: ...

class Integration(_message.Message):
    __slots__ = ("provider", "config", "secret_hints", "status", "updated_at")
    class SecretHintsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    SECRET_HINTS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    provider: str
    config: _struct_pb2.Struct
    secret_hints: _containers.ScalarMap[str, str]
    status: str
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, provider: _Optional[str] = ..., config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., secret_hints: _Optional[_Mapping[str, str]] = ..., status: _Optional[str] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class IntegrationRef(_message.Message):
    __slots__ = ("project_id", "provider")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    provider: str
    def __init__(self, project_id: _Optional[str] = ..., provider: _Optional[str] = ...) -> None: ...

class PutIntegrationRequest(_message.Message):
    __slots__ = ("project_id", "provider", "config", "secrets", "keep_secrets")
    class SecretsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    SECRETS_FIELD_NUMBER: _ClassVar[int]
    KEEP_SECRETS_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    provider: str
    config: _struct_pb2.Struct
    secrets: _containers.ScalarMap[str, str]
    keep_secrets: bool
    def __init__(self, project_id: _Optional[str] = ..., provider: _Optional[str] = ..., config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., secrets: _Optional[_Mapping[str, str]] = ..., keep_secrets: _Optional[bool] = ...) -> None: ...

class ListIntegrationsResponse(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[Integration]
    def __init__(self, items: _Optional[_Iterable[_Union[Integration, _Mapping]]] = ...) -> None: ...

class Issue(_message.Message):
    __slots__ = ("id", "project_id", "title", "description", "status", "priority", "reporter_id", "created_at", "updated_at", "resolved_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    REPORTER_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    project_id: str
    title: str
    description: str
    status: str
    priority: str
    reporter_id: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    resolved_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., project_id: _Optional[str] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., status: _Optional[str] = ..., priority: _Optional[str] = ..., reporter_id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resolved_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateIssueRequest(_message.Message):
    __slots__ = ("project_id", "title", "description", "priority")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    title: str
    description: str
    priority: str
    def __init__(self, project_id: _Optional[str] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., priority: _Optional[str] = ...) -> None: ...

class ListIssuesRequest(_message.Message):
    __slots__ = ("project_id", "page", "status", "priority")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    page: _types_pb2.PageRequest
    status: str
    priority: str
    def __init__(self, project_id: _Optional[str] = ..., page: _Optional[_Union[_types_pb2.PageRequest, _Mapping]] = ..., status: _Optional[str] = ..., priority: _Optional[str] = ...) -> None: ...

class ListIssuesResponse(_message.Message):
    __slots__ = ("items", "page")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[Issue]
    page: _types_pb2.PageInfo
    def __init__(self, items: _Optional[_Iterable[_Union[Issue, _Mapping]]] = ..., page: _Optional[_Union[_types_pb2.PageInfo, _Mapping]] = ...) -> None: ...

class IssueRef(_message.Message):
    __slots__ = ("project_id", "issue_id")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    ISSUE_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    issue_id: str
    def __init__(self, project_id: _Optional[str] = ..., issue_id: _Optional[str] = ...) -> None: ...

class UpdateIssueRequest(_message.Message):
    __slots__ = ("project_id", "issue_id", "title", "description", "status", "priority")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    ISSUE_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    issue_id: str
    title: str
    description: str
    status: str
    priority: str
    def __init__(self, project_id: _Optional[str] = ..., issue_id: _Optional[str] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., status: _Optional[str] = ..., priority: _Optional[str] = ...) -> None: ...
