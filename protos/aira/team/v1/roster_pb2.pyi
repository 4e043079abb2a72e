import datetime

from aira.common.v1 import types_pb2 as _types_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TeamMember(_message.Message):
    __slots__ = ("id", "project_id", "name", "role", "member_type", "seniority", "skills", "capacity_hours_per_sprint", "current_load_hours", "user_id", "timezone", "created_at", "updated_at", "removed_at", "agent_instance_id")
    class SkillsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    MEMBER_TYPE_FIELD_NUMBER: _ClassVar[int]
    SENIORITY_FIELD_NUMBER: _ClassVar[int]
    SKILLS_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_HOURS_PER_SPRINT_FIELD_NUMBER: _ClassVar[int]
    CURRENT_LOAD_HOURS_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    REMOVED_AT_FIELD_NUMBER: _ClassVar[int]
    AGENT_INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    project_id: str
    name: str
    role: str
    member_type: str
    seniority: str
    skills: _containers.ScalarMap[str, int]
    capacity_hours_per_sprint: float
    current_load_hours: float
    user_id: str
    timezone: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    removed_at: _timestamp_pb2.Timestamp
    agent_instance_id: str
    def __init__(self, id: _Optional[str] = ..., project_id: _Optional[str] = ..., name: _Optional[str] = ..., role: _Optional[str] = ..., member_type: _Optional[str] = ..., seniority: _Optional[str] = ..., skills: _Optional[_Mapping[str, int]] = ..., capacity_hours_per_sprint: _Optional[float] = ..., current_load_hours: _Optional[float] = ..., user_id: _Optional[str] = ..., timezone: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., removed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., agent_instance_id: _Optional[str] = ...) -> None: ...

class ListMembersRequest(_message.Message):
    __slots__ = ("project_id", "member_ids", "page", "include_removed", "member_type", "skill")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_IDS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_REMOVED_FIELD_NUMBER: _ClassVar[int]
    MEMBER_TYPE_FIELD_NUMBER: _ClassVar[int]
    SKILL_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    member_ids: _containers.RepeatedScalarFieldContainer[str]
    page: _types_pb2.PageRequest
    include_removed: bool
    member_type: str
    skill: str
    def __init__(self, project_id: _Optional[str] = ..., member_ids: _Optional[_Iterable[str]] = ..., page: _Optional[_Union[_types_pb2.PageRequest, _Mapping]] = ..., include_removed: _Optional[bool] = ..., member_type: _Optional[str] = ..., skill: _Optional[str] = ...) -> None: ...

class ListMembersResponse(_message.Message):
    __slots__ = ("items", "page")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[TeamMember]
    page: _types_pb2.PageInfo
    def __init__(self, items: _Optional[_Iterable[_Union[TeamMember, _Mapping]]] = ..., page: _Optional[_Union[_types_pb2.PageInfo, _Mapping]] = ...) -> None: ...

class MemberRef(_message.Message):
    __slots__ = ("project_id", "member_id")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    member_id: str
    def __init__(self, project_id: _Optional[str] = ..., member_id: _Optional[str] = ...) -> None: ...

class AddMemberRequest(_message.Message):
    __slots__ = ("project_id", "name", "role", "member_type", "seniority", "skills", "capacity_hours_per_sprint", "current_load_hours", "user_id", "timezone", "agent_instance_id")
    class SkillsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    MEMBER_TYPE_FIELD_NUMBER: _ClassVar[int]
    SENIORITY_FIELD_NUMBER: _ClassVar[int]
    SKILLS_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_HOURS_PER_SPRINT_FIELD_NUMBER: _ClassVar[int]
    CURRENT_LOAD_HOURS_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    AGENT_INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    name: str
    role: str
    member_type: str
    seniority: str
    skills: _containers.ScalarMap[str, int]
    capacity_hours_per_sprint: float
    current_load_hours: float
    user_id: str
    timezone: str
    agent_instance_id: str
    def __init__(self, project_id: _Optional[str] = ..., name: _Optional[str] = ..., role: _Optional[str] = ..., member_type: _Optional[str] = ..., seniority: _Optional[str] = ..., skills: _Optional[_Mapping[str, int]] = ..., capacity_hours_per_sprint: _Optional[float] = ..., current_load_hours: _Optional[float] = ..., user_id: _Optional[str] = ..., timezone: _Optional[str] = ..., agent_instance_id: _Optional[str] = ...) -> None: ...

class UpdateMemberRequest(_message.Message):
    __slots__ = ("project_id", "member_id", "name", "role", "seniority", "skills", "set_skills", "capacity_hours_per_sprint", "current_load_hours", "timezone")
    class SkillsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    SENIORITY_FIELD_NUMBER: _ClassVar[int]
    SKILLS_FIELD_NUMBER: _ClassVar[int]
    SET_SKILLS_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_HOURS_PER_SPRINT_FIELD_NUMBER: _ClassVar[int]
    CURRENT_LOAD_HOURS_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    member_id: str
    name: str
    role: str
    seniority: str
    skills: _containers.ScalarMap[str, int]
    set_skills: bool
    capacity_hours_per_sprint: float
    current_load_hours: float
    timezone: str
    def __init__(self, project_id: _Optional[str] = ..., member_id: _Optional[str] = ..., name: _Optional[str] = ..., role: _Optional[str] = ..., seniority: _Optional[str] = ..., skills: _Optional[_Mapping[str, int]] = ..., set_skills: _Optional[bool] = ..., capacity_hours_per_sprint: _Optional[float] = ..., current_load_hours: _Optional[float] = ..., timezone: _Optional[str] = ...) -> None: ...

class RemovedMember(_message.Message):
    __slots__ = ("member_id",)
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    def __init__(self, member_id: _Optional[str] = ...) -> None: ...
