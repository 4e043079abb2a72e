import datetime

from aira.common.v1 import types_pb2 as _types_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Sprint(_message.Message):
    __slots__ = ("id", "project_id", "number", "name", "goal", "status", "committed_hours", "completed_hours", "velocity", "story_ids", "start_date", "end_date", "started_at", "completed_at", "created_by", "created_at", "updated_at", "tasks")
    ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    GOAL_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    COMMITTED_HOURS_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_HOURS_FIELD_NUMBER: _ClassVar[int]
    VELOCITY_FIELD_NUMBER: _ClassVar[int]
    STORY_IDS_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    id: str
    project_id: str
    number: int
    name: str
    goal: str
    status: str
    committed_hours: str
    completed_hours: str
    velocity: str
    story_ids: _containers.RepeatedScalarFieldContainer[str]
    start_date: _timestamp_pb2.Timestamp
    end_date: _timestamp_pb2.Timestamp
    started_at: _timestamp_pb2.Timestamp
    completed_at: _timestamp_pb2.Timestamp
    created_by: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    tasks: SprintTasks
    def __init__(self, id: _Optional[str] = ..., project_id: _Optional[str] = ..., number: _Optional[int] = ..., name: _Optional[str] = ..., goal: _Optional[str] = ..., status: _Optional[str] = ..., committed_hours: _Optional[str] = ..., completed_hours: _Optional[str] = ..., velocity: _Optional[str] = ..., story_ids: _Optional[_Iterable[str]] = ..., start_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_by: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., tasks: _Optional[_Union[SprintTasks, _Mapping]] = ...) -> None: ...

class SprintTasks(_message.Message):
    __slots__ = ("total", "by_status", "committed_hours", "completed_hours", "unestimated")
    class ByStatusEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    BY_STATUS_FIELD_NUMBER: _ClassVar[int]
    COMMITTED_HOURS_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_HOURS_FIELD_NUMBER: _ClassVar[int]
    UNESTIMATED_FIELD_NUMBER: _ClassVar[int]
    total: int
    by_status: _containers.ScalarMap[str, int]
    committed_hours: str
    completed_hours: str
    unestimated: int
    def __init__(self, total: _Optional[int] = ..., by_status: _Optional[_Mapping[str, int]] = ..., committed_hours: _Optional[str] = ..., completed_hours: _Optional[str] = ..., unestimated: _Optional[int] = ...) -> None: ...

class SprintRef(_message.Message):
    __slots__ = ("project_id", "sprint_id")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    SPRINT_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    sprint_id: str
    def __init__(self, project_id: _Optional[str] = ..., sprint_id: _Optional[str] = ...) -> None: ...

class CreateSprintRequest(_message.Message):
    __slots__ = ("project_id", "name", "goal", "start_date", "end_date")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    GOAL_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    name: str
    goal: str
    start_date: _timestamp_pb2.Timestamp
    end_date: _timestamp_pb2.Timestamp
    def __init__(self, project_id: _Optional[str] = ..., name: _Optional[str] = ..., goal: _Optional[str] = ..., start_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListSprintsRequest(_message.Message):
    __slots__ = ("project_id", "page", "status")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    page: _types_pb2.PageRequest
    status: str
    def __init__(self, project_id: _Optional[str] = ..., page: _Optional[_Union[_types_pb2.PageRequest, _Mapping]] = ..., status: _Optional[str] = ...) -> None: ...

class ListSprintsResponse(_message.Message):
    __slots__ = ("items", "page")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[Sprint]
    page: _types_pb2.PageInfo
    def __init__(self, items: _Optional[_Iterable[_Union[Sprint, _Mapping]]] = ..., page: _Optional[_Union[_types_pb2.PageInfo, _Mapping]] = ...) -> None: ...

class UpdateSprintRequest(_message.Message):
    __slots__ = ("project_id", "sprint_id", "name", "goal", "start_date", "end_date", "clear_start_date", "clear_end_date")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    SPRINT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    GOAL_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    CLEAR_START_DATE_FIELD_NUMBER: _ClassVar[int]
    CLEAR_END_DATE_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    sprint_id: str
    name: str
    goal: str
    start_date: _timestamp_pb2.Timestamp
    end_date: _timestamp_pb2.Timestamp
    clear_start_date: bool
    clear_end_date: bool
    def __init__(self, project_id: _Optional[str] = ..., sprint_id: _Optional[str] = ..., name: _Optional[str] = ..., goal: _Optional[str] = ..., start_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., clear_start_date: _Optional[bool] = ..., clear_end_date: _Optional[bool] = ...) -> None: ...

class CompleteSprintRequest(_message.Message):
    __slots__ = ("project_id", "sprint_id", "carry_over_to")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    SPRINT_ID_FIELD_NUMBER: _ClassVar[int]
    CARRY_OVER_TO_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    sprint_id: str
    carry_over_to: str
    def __init__(self, project_id: _Optional[str] = ..., sprint_id: _Optional[str] = ..., carry_over_to: _Optional[str] = ...) -> None: ...

class CompleteSprintReply(_message.Message):
    __slots__ = ("sprint", "carried_over_task_ids", "carried_over_to", "created_next_sprint")
    SPRINT_FIELD_NUMBER: _ClassVar[int]
    CARRIED_OVER_TASK_IDS_FIELD_NUMBER: _ClassVar[int]
    CARRIED_OVER_TO_FIELD_NUMBER: _ClassVar[int]
    CREATED_NEXT_SPRINT_FIELD_NUMBER: _ClassVar[int]
    sprint: Sprint
    carried_over_task_ids: _containers.RepeatedScalarFieldContainer[str]
    carried_over_to: Sprint
    created_next_sprint: bool
    def __init__(self, sprint: _Optional[_Union[Sprint, _Mapping]] = ..., carried_over_task_ids: _Optional[_Iterable[str]] = ..., carried_over_to: _Optional[_Union[Sprint, _Mapping]] = ..., created_next_sprint: _Optional[bool] = ...) -> None: ...

class PlanMember(_message.Message):
    __slots__ = ("id", "name", "skills", "capacity_hours_per_sprint", "current_load_hours", "skill_names")
    class SkillsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SKILLS_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_HOURS_PER_SPRINT_FIELD_NUMBER: _ClassVar[int]
    CURRENT_LOAD_HOURS_FIELD_NUMBER: _ClassVar[int]
    SKILL_NAMES_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    skills: _containers.ScalarMap[str, int]
    capacity_hours_per_sprint: float
    current_load_hours: float
    skill_names: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., skills: _Optional[_Mapping[str, int]] = ..., capacity_hours_per_sprint: _Optional[float] = ..., current_load_hours: _Optional[float] = ..., skill_names: _Optional[_Iterable[str]] = ...) -> None: ...

class RequestSprintPlanRequest(_message.Message):
    __slots__ = ("project_id", "request_type", "sprint_id", "feature_ids", "members", "strict_skills", "time_limit_seconds")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_TYPE_FIELD_NUMBER: _ClassVar[int]
    SPRINT_ID_FIELD_NUMBER: _ClassVar[int]
    FEATURE_IDS_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    STRICT_SKILLS_FIELD_NUMBER: _ClassVar[int]
    TIME_LIMIT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    request_type: str
    sprint_id: str
    feature_ids: _containers.RepeatedScalarFieldContainer[str]
    members: _containers.RepeatedCompositeFieldContainer[PlanMember]
    strict_skills: bool
    time_limit_seconds: float
    def __init__(self, project_id: _Optional[str] = ..., request_type: _Optional[str] = ..., sprint_id: _Optional[str] = ..., feature_ids: _Optional[_Iterable[str]] = ..., members: _Optional[_Iterable[_Union[PlanMember, _Mapping]]] = ..., strict_skills: _Optional[bool] = ..., time_limit_seconds: _Optional[float] = ...) -> None: ...

class PlannedTask(_message.Message):
    __slots__ = ("task_id", "task_key", "title", "priority", "hours", "assignee_id", "assignee_name", "value", "why_in", "who_and_why", "feature_id")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_KEY_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    HOURS_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_ID_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    WHY_IN_FIELD_NUMBER: _ClassVar[int]
    WHO_AND_WHY_FIELD_NUMBER: _ClassVar[int]
    FEATURE_ID_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    task_key: str
    title: str
    priority: str
    hours: float
    assignee_id: str
    assignee_name: str
    value: float
    why_in: str
    who_and_why: str
    feature_id: str
    def __init__(self, task_id: _Optional[str] = ..., task_key: _Optional[str] = ..., title: _Optional[str] = ..., priority: _Optional[str] = ..., hours: _Optional[float] = ..., assignee_id: _Optional[str] = ..., assignee_name: _Optional[str] = ..., value: _Optional[float] = ..., why_in: _Optional[str] = ..., who_and_why: _Optional[str] = ..., feature_id: _Optional[str] = ...) -> None: ...

class LeftOutTask(_message.Message):
    __slots__ = ("task_id", "task_key", "title", "priority", "hours", "reason", "why_out")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_KEY_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    HOURS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    WHY_OUT_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    task_key: str
    title: str
    priority: str
    hours: float
    reason: str
    why_out: str
    def __init__(self, task_id: _Optional[str] = ..., task_key: _Optional[str] = ..., title: _Optional[str] = ..., priority: _Optional[str] = ..., hours: _Optional[float] = ..., reason: _Optional[str] = ..., why_out: _Optional[str] = ...) -> None: ...

class MemberLoad(_message.Message):
    __slots__ = ("member_id", "name", "capacity_hours", "current_load_hours", "planned_hours", "remaining_hours", "utilisation")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_HOURS_FIELD_NUMBER: _ClassVar[int]
    CURRENT_LOAD_HOURS_FIELD_NUMBER: _ClassVar[int]
    PLANNED_HOURS_FIELD_NUMBER: _ClassVar[int]
    REMAINING_HOURS_FIELD_NUMBER: _ClassVar[int]
    UTILISATION_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    name: str
    capacity_hours: float
    current_load_hours: float
    planned_hours: float
    remaining_hours: float
    utilisation: float
    def __init__(self, member_id: _Optional[str] = ..., name: _Optional[str] = ..., capacity_hours: _Optional[float] = ..., current_load_hours: _Optional[float] = ..., planned_hours: _Optional[float] = ..., remaining_hours: _Optional[float] = ..., utilisation: _Optional[float] = ...) -> None: ...

class SprintPlan(_message.Message):
    __slots__ = ("planned", "left_out", "members", "total_value", "planned_hours", "available_hours", "solver", "status", "bound", "gap", "solve_seconds", "note")
    PLANNED_FIELD_NUMBER: _ClassVar[int]
    LEFT_OUT_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_VALUE_FIELD_NUMBER: _ClassVar[int]
    PLANNED_HOURS_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_HOURS_FIELD_NUMBER: _ClassVar[int]
    SOLVER_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    BOUND_FIELD_NUMBER: _ClassVar[int]
    GAP_FIELD_NUMBER: _ClassVar[int]
    SOLVE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    planned: _containers.RepeatedCompositeFieldContainer[PlannedTask]
    left_out: _containers.RepeatedCompositeFieldContainer[LeftOutTask]
    members: _containers.RepeatedCompositeFieldContainer[MemberLoad]
    total_value: float
    planned_hours: float
    available_hours: float
    solver: str
    status: str
    bound: float
    gap: float
    solve_seconds: float
    note: str
    def __init__(self, planned: _Optional[_Iterable[_Union[PlannedTask, _Mapping]]] = ..., left_out: _Optional[_Iterable[_Union[LeftOutTask, _Mapping]]] = ..., members: _Optional[_Iterable[_Union[MemberLoad, _Mapping]]] = ..., total_value: _Optional[float] = ..., planned_hours: _Optional[float] = ..., available_hours: _Optional[float] = ..., solver: _Optional[str] = ..., status: _Optional[str] = ..., bound: _Optional[float] = ..., gap: _Optional[float] = ..., solve_seconds: _Optional[float] = ..., note: _Optional[str] = ...) -> None: ...

class SprintPlanRequest(_message.Message):
    __slots__ = ("id", "project_id", "request_type", "status", "sprint_id", "feature_ids", "strict_skills", "time_limit_seconds", "candidate_count", "members", "plan", "has_plan", "error", "created_by", "created_at", "started_at", "finished_at", "applied_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_TYPE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SPRINT_ID_FIELD_NUMBER: _ClassVar[int]
    FEATURE_IDS_FIELD_NUMBER: _ClassVar[int]
    STRICT_SKILLS_FIELD_NUMBER: _ClassVar[int]
    TIME_LIMIT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_COUNT_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    HAS_PLAN_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    APPLIED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    project_id: str
    request_type: str
    status: str
    sprint_id: str
    feature_ids: _containers.RepeatedScalarFieldContainer[str]
    strict_skills: bool
    time_limit_seconds: float
    candidate_count: int
    members: _containers.RepeatedCompositeFieldContainer[PlanMember]
    plan: SprintPlan
    has_plan: bool
    error: str
    created_by: str
    created_at: _timestamp_pb2.Timestamp
    started_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    applied_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., project_id: _Optional[str] = ..., request_type: _Optional[str] = ..., status: _Optional[str] = ..., sprint_id: _Optional[str] = ..., feature_ids: _Optional[_Iterable[str]] = ..., strict_skills: _Optional[bool] = ..., time_limit_seconds: _Optional[float] = ..., candidate_count: _Optional[int] = ..., members: _Optional[_Iterable[_Union[PlanMember, _Mapping]]] = ..., plan: _Optional[_Union[SprintPlan, _Mapping]] = ..., has_plan: _Optional[bool] = ..., error: _Optional[str] = ..., created_by: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., applied_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SprintPlanRef(_message.Message):
    __slots__ = ("project_id", "plan_id")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    plan_id: str
    def __init__(self, project_id: _Optional[str] = ..., plan_id: _Optional[str] = ...) -> None: ...

class ListSprintPlansRequest(_message.Message):
    __slots__ = ("project_id", "page", "status")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    page: _types_pb2.PageRequest
    status: str
    def __init__(self, project_id: _Optional[str] = ..., page: _Optional[_Union[_types_pb2.PageRequest, _Mapping]] = ..., status: _Optional[str] = ...) -> None: ...

class ListSprintPlansResponse(_message.Message):
    __slots__ = ("items", "page")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[SprintPlanRequest]
    page: _types_pb2.PageInfo
    def __init__(self, items: _Optional[_Iterable[_Union[SprintPlanRequest, _Mapping]]] = ..., page: _Optional[_Union[_types_pb2.PageInfo, _Mapping]] = ...) -> None: ...

class ApplySprintPlanRequest(_message.Message):
    __slots__ = ("project_id", "plan_id", "sprint_id")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    SPRINT_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    plan_id: str
    sprint_id: str
    def __init__(self, project_id: _Optional[str] = ..., plan_id: _Optional[str] = ..., sprint_id: _Optional[str] = ...) -> None: ...

class SkippedTask(_message.Message):
    __slots__ = ("task_id", "reason")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    reason: str
    def __init__(self, task_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ApplySprintPlanReply(_message.Message):
    __slots__ = ("plan", "sprint", "applied_task_ids", "skipped", "created_sprint")
    PLAN_FIELD_NUMBER: _ClassVar[int]
    SPRINT_FIELD_NUMBER: _ClassVar[int]
    APPLIED_TASK_IDS_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    CREATED_SPRINT_FIELD_NUMBER: _ClassVar[int]
    plan: SprintPlanRequest
    sprint: Sprint
    applied_task_ids: _containers.RepeatedScalarFieldContainer[str]
    skipped: _containers.RepeatedCompositeFieldContainer[SkippedTask]
    created_sprint: bool
    def __init__(self, plan: _Optional[_Union[SprintPlanRequest, _Mapping]] = ..., sprint: _Optional[_Union[Sprint, _Mapping]] = ..., applied_task_ids: _Optional[_Iterable[str]] = ..., skipped: _Optional[_Iterable[_Union[SkippedTask, _Mapping]]] = ..., created_sprint: _Optional[bool] = ...) -> None: ...
