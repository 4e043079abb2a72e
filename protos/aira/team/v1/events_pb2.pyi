from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class TeamMemberChanged(_message.Message):
    __slots__ = ("project_id", "member_id", "name", "member_type", "role", "seniority", "skills", "capacity_hours_per_sprint", "current_load_hours", "user_id", "fields")
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
    MEMBER_TYPE_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    SENIORITY_FIELD_NUMBER: _ClassVar[int]
    SKILLS_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_HOURS_PER_SPRINT_FIELD_NUMBER: _ClassVar[int]
    CURRENT_LOAD_HOURS_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    member_id: str
    name: str
    member_type: str
    role: str
    seniority: str
    skills: _containers.ScalarMap[str, int]
    capacity_hours_per_sprint: str
    current_load_hours: str
    user_id: str
    fields: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, project_id: _Optional[str] = ..., member_id: _Optional[str] = ..., name: _Optional[str] = ..., member_type: _Optional[str] = ..., role: _Optional[str] = ..., seniority: _Optional[str] = ..., skills: _Optional[_Mapping[str, int]] = ..., capacity_hours_per_sprint: _Optional[str] = ..., current_load_hours: _Optional[str] = ..., user_id: _Optional[str] = ..., fields: _Optional[_Iterable[str]] = ...) -> None: ...
