import datetime

from aira.common.v1 import types_pb2 as _types_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Feature(_message.Message):
    __slots__ = ("id", "project_id", "title", "description", "rationale", "objective", "definition_of_done", "effort_estimate", "impact_estimate", "reach", "impact", "confidence", "effort", "priority_score", "status", "atom_ids", "origin", "insight_ids", "task_counts", "created_by", "created_at", "updated_at", "shipped_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    RATIONALE_FIELD_NUMBER: _ClassVar[int]
    OBJECTIVE_FIELD_NUMBER: _ClassVar[int]
    DEFINITION_OF_DONE_FIELD_NUMBER: _ClassVar[int]
    EFFORT_ESTIMATE_FIELD_NUMBER: _ClassVar[int]
    IMPACT_ESTIMATE_FIELD_NUMBER: _ClassVar[int]
    REACH_FIELD_NUMBER: _ClassVar[int]
    IMPACT_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    EFFORT_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_SCORE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ATOM_IDS_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    INSIGHT_IDS_FIELD_NUMBER: _ClassVar[int]
    TASK_COUNTS_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    SHIPPED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    project_id: str
    title: str
    description: str
    rationale: str
    objective: str
    definition_of_done: _containers.RepeatedScalarFieldContainer[str]
    effort_estimate: str
    impact_estimate: str
    reach: float
    impact: float
    confidence: float
    effort: float
    priority_score: float
    status: str
    atom_ids: _containers.RepeatedScalarFieldContainer[str]
    origin: str
    insight_ids: _containers.RepeatedScalarFieldContainer[str]
    task_counts: TaskCounts
    created_by: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    shipped_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., project_id: _Optional[str] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., rationale: _Optional[str] = ..., objective: _Optional[str] = ..., definition_of_done: _Optional[_Iterable[str]] = ..., effort_estimate: _Optional[str] = ..., impact_estimate: _Optional[str] = ..., reach: _Optional[float] = ..., impact: _Optional[float] = ..., confidence: _Optional[float] = ..., effort: _Optional[float] = ..., priority_score: _Optional[float] = ..., status: _Optional[str] = ..., atom_ids: _Optional[_Iterable[str]] = ..., origin: _Optional[str] = ..., insight_ids: _Optional[_Iterable[str]] = ..., task_counts: _Optional[_Union[TaskCounts, _Mapping]] = ..., created_by: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., shipped_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TaskCounts(_message.Message):
    __slots__ = ("total", "backlog", "todo", "in_progress", "review", "done")
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    BACKLOG_FIELD_NUMBER: _ClassVar[int]
    TODO_FIELD_NUMBER: _ClassVar[int]
    IN_PROGRESS_FIELD_NUMBER: _ClassVar[int]
    REVIEW_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    total: int
    backlog: int
    todo: int
    in_progress: int
    review: int
    done: int
    def __init__(self, total: _Optional[int] = ..., backlog: _Optional[int] = ..., todo: _Optional[int] = ..., in_progress: _Optional[int] = ..., review: _Optional[int] = ..., done: _Optional[int] = ...) -> None: ...

class FeatureRef(_message.Message):
    __slots__ = ("project_id", "feature_id")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    FEATURE_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    feature_id: str
    def __init__(self, project_id: _Optional[str] = ..., feature_id: _Optional[str] = ...) -> None: ...

class CreateFeatureRequest(_message.Message):
    __slots__ = ("project_id", "title", "description", "rationale", "objective", "definition_of_done", "effort_estimate", "impact_estimate", "reach", "impact", "confidence", "effort", "atom_ids")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    RATIONALE_FIELD_NUMBER: _ClassVar[int]
    OBJECTIVE_FIELD_NUMBER: _ClassVar[int]
    DEFINITION_OF_DONE_FIELD_NUMBER: _ClassVar[int]
    EFFORT_ESTIMATE_FIELD_NUMBER: _ClassVar[int]
    IMPACT_ESTIMATE_FIELD_NUMBER: _ClassVar[int]
    REACH_FIELD_NUMBER: _ClassVar[int]
    IMPACT_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    EFFORT_FIELD_NUMBER: _ClassVar[int]
    ATOM_IDS_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    title: str
    description: str
    rationale: str
    objective: str
    definition_of_done: _containers.RepeatedScalarFieldContainer[str]
    effort_estimate: str
    impact_estimate: str
    reach: float
    impact: float
    confidence: float
    effort: float
    atom_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, project_id: _Optional[str] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., rationale: _Optional[str] = ..., objective: _Optional[str] = ..., definition_of_done: _Optional[_Iterable[str]] = ..., effort_estimate: _Optional[str] = ..., impact_estimate: _Optional[str] = ..., reach: _Optional[float] = ..., impact: _Optional[float] = ..., confidence: _Optional[float] = ..., effort: _Optional[float] = ..., atom_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ListFeaturesRequest(_message.Message):
    __slots__ = ("project_id", "page", "status", "origin", "sort")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    SORT_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    page: _types_pb2.PageRequest
    status: str
    origin: str
    sort: str
    def __init__(self, project_id: _Optional[str] = ..., page: _Optional[_Union[_types_pb2.PageRequest, _Mapping]] = ..., status: _Optional[str] = ..., origin: _Optional[str] = ..., sort: _Optional[str] = ...) -> None: ...

class ListFeaturesResponse(_message.Message):
    __slots__ = ("items", "page")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[Feature]
    page: _types_pb2.PageInfo
    def __init__(self, items: _Optional[_Iterable[_Union[Feature, _Mapping]]] = ..., page: _Optional[_Union[_types_pb2.PageInfo, _Mapping]] = ...) -> None: ...

class UpdateFeatureRequest(_message.Message):
    __slots__ = ("project_id", "feature_id", "title", "description", "rationale", "objective", "definition_of_done", "replace_definition_of_done", "effort_estimate", "impact_estimate", "reach", "impact", "confidence", "effort", "clear", "atom_ids", "replace_atom_ids", "status")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    FEATURE_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    RATIONALE_FIELD_NUMBER: _ClassVar[int]
    OBJECTIVE_FIELD_NUMBER: _ClassVar[int]
    DEFINITION_OF_DONE_FIELD_NUMBER: _ClassVar[int]
    REPLACE_DEFINITION_OF_DONE_FIELD_NUMBER: _ClassVar[int]
    EFFORT_ESTIMATE_FIELD_NUMBER: _ClassVar[int]
    IMPACT_ESTIMATE_FIELD_NUMBER: _ClassVar[int]
    REACH_FIELD_NUMBER: _ClassVar[int]
    IMPACT_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    EFFORT_FIELD_NUMBER: _ClassVar[int]
    CLEAR_FIELD_NUMBER: _ClassVar[int]
    ATOM_IDS_FIELD_NUMBER: _ClassVar[int]
    REPLACE_ATOM_IDS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    feature_id: str
    title: str
    description: str
    rationale: str
    objective: str
    definition_of_done: _containers.RepeatedScalarFieldContainer[str]
    replace_definition_of_done: bool
    effort_estimate: str
    impact_estimate: str
    reach: float
    impact: float
    confidence: float
    effort: float
    clear: _containers.RepeatedScalarFieldContainer[str]
    atom_ids: _containers.RepeatedScalarFieldContainer[str]
    replace_atom_ids: bool
    status: str
    def __init__(self, project_id: _Optional[str] = ..., feature_id: _Optional[str] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., rationale: _Optional[str] = ..., objective: _Optional[str] = ..., definition_of_done: _Optional[_Iterable[str]] = ..., replace_definition_of_done: _Optional[bool] = ..., effort_estimate: _Optional[str] = ..., impact_estimate: _Optional[str] = ..., reach: _Optional[float] = ..., impact: _Optional[float] = ..., confidence: _Optional[float] = ..., effort: _Optional[float] = ..., clear: _Optional[_Iterable[str]] = ..., atom_ids: _Optional[_Iterable[str]] = ..., replace_atom_ids: _Optional[bool] = ..., status: _Optional[str] = ...) -> None: ...

class DeleteFeatureReply(_message.Message):
    __slots__ = ("feature_id", "detached_tasks", "unlinked_insights")
    FEATURE_ID_FIELD_NUMBER: _ClassVar[int]
    DETACHED_TASKS_FIELD_NUMBER: _ClassVar[int]
    UNLINKED_INSIGHTS_FIELD_NUMBER: _ClassVar[int]
    feature_id: str
    detached_tasks: int
    unlinked_insights: int
    def __init__(self, feature_id: _Optional[str] = ..., detached_tasks: _Optional[int] = ..., unlinked_insights: _Optional[int] = ...) -> None: ...

class SetFeatureInsightsRequest(_message.Message):
    __slots__ = ("project_id", "feature_id", "insight_ids")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    FEATURE_ID_FIELD_NUMBER: _ClassVar[int]
    INSIGHT_IDS_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    feature_id: str
    insight_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, project_id: _Optional[str] = ..., feature_id: _Optional[str] = ..., insight_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class GenerateFeaturesRequest(_message.Message):
    __slots__ = ("project_id", "max_features")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    MAX_FEATURES_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    max_features: int
    def __init__(self, project_id: _Optional[str] = ..., max_features: _Optional[int] = ...) -> None: ...

class GenerationRound(_message.Message):
    __slots__ = ("number", "path", "feature_title", "covered", "significant")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    FEATURE_TITLE_FIELD_NUMBER: _ClassVar[int]
    COVERED_FIELD_NUMBER: _ClassVar[int]
    SIGNIFICANT_FIELD_NUMBER: _ClassVar[int]
    number: int
    path: str
    feature_title: str
    covered: int
    significant: int
    def __init__(self, number: _Optional[int] = ..., path: _Optional[str] = ..., feature_title: _Optional[str] = ..., covered: _Optional[int] = ..., significant: _Optional[int] = ...) -> None: ...

class GenerationReport(_message.Message):
    __slots__ = ("path", "rounds", "covered", "significant", "stop_reason", "history", "revisions", "notes", "insights_considered")
    PATH_FIELD_NUMBER: _ClassVar[int]
    ROUNDS_FIELD_NUMBER: _ClassVar[int]
    COVERED_FIELD_NUMBER: _ClassVar[int]
    SIGNIFICANT_FIELD_NUMBER: _ClassVar[int]
    STOP_REASON_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    REVISIONS_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    INSIGHTS_CONSIDERED_FIELD_NUMBER: _ClassVar[int]
    path: str
    rounds: int
    covered: int
    significant: int
    stop_reason: str
    history: _containers.RepeatedCompositeFieldContainer[GenerationRound]
    revisions: _containers.RepeatedScalarFieldContainer[str]
    notes: _containers.RepeatedScalarFieldContainer[str]
    insights_considered: int
    def __init__(self, path: _Optional[str] = ..., rounds: _Optional[int] = ..., covered: _Optional[int] = ..., significant: _Optional[int] = ..., stop_reason: _Optional[str] = ..., history: _Optional[_Iterable[_Union[GenerationRound, _Mapping]]] = ..., revisions: _Optional[_Iterable[str]] = ..., notes: _Optional[_Iterable[str]] = ..., insights_considered: _Optional[int] = ...) -> None: ...

class GenerateFeaturesReply(_message.Message):
    __slots__ = ("features", "report")
    FEATURES_FIELD_NUMBER: _ClassVar[int]
    REPORT_FIELD_NUMBER: _ClassVar[int]
    features: _containers.RepeatedCompositeFieldContainer[Feature]
    report: GenerationReport
    def __init__(self, features: _Optional[_Iterable[_Union[Feature, _Mapping]]] = ..., report: _Optional[_Union[GenerationReport, _Mapping]] = ...) -> None: ...

class BreakDownFeatureReply(_message.Message):
    __slots__ = ("feature", "tasks", "path", "notes")
    FEATURE_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    feature: Feature
    tasks: _containers.RepeatedCompositeFieldContainer[Task]
    path: str
    notes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, feature: _Optional[_Union[Feature, _Mapping]] = ..., tasks: _Optional[_Iterable[_Union[Task, _Mapping]]] = ..., path: _Optional[str] = ..., notes: _Optional[_Iterable[str]] = ...) -> None: ...

class Task(_message.Message):
    __slots__ = ("id", "project_id", "number", "key", "feature_id", "sprint_id", "assignee_id", "title", "description", "proposed_solutions", "acceptance_criteria", "required_skills", "type", "status", "priority", "complexity", "estimated_hours", "progress", "due_date", "origin", "created_by", "created_at", "updated_at", "completed_at", "pull_request_count")
    ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    FEATURE_ID_FIELD_NUMBER: _ClassVar[int]
    SPRINT_ID_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PROPOSED_SOLUTIONS_FIELD_NUMBER: _ClassVar[int]
    ACCEPTANCE_CRITERIA_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_SKILLS_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    COMPLEXITY_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_HOURS_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    DUE_DATE_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    PULL_REQUEST_COUNT_FIELD_NUMBER: _ClassVar[int]
    id: str
    project_id: str
    number: int
    key: str
    feature_id: str
    sprint_id: str
    assignee_id: str
    title: str
    description: str
    proposed_solutions: _containers.RepeatedScalarFieldContainer[str]
    acceptance_criteria: _containers.RepeatedScalarFieldContainer[str]
    required_skills: _containers.RepeatedScalarFieldContainer[str]
    type: str
    status: str
    priority: str
    complexity: str
    estimated_hours: str
    progress: int
    due_date: str
    origin: str
    created_by: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    completed_at: _timestamp_pb2.Timestamp
    pull_request_count: int
    def __init__(self, id: _Optional[str] = ..., project_id: _Optional[str] = ..., number: _Optional[int] = ..., key: _Optional[str] = ..., feature_id: _Optional[str] = ..., sprint_id: _Optional[str] = ..., assignee_id: _Optional[str] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., proposed_solutions: _Optional[_Iterable[str]] = ..., acceptance_criteria: _Optional[_Iterable[str]] = ..., required_skills: _Optional[_Iterable[str]] = ..., type: _Optional[str] = ..., status: _Optional[str] = ..., priority: _Optional[str] = ..., complexity: _Optional[str] = ..., estimated_hours: _Optional[str] = ..., progress: _Optional[int] = ..., due_date: _Optional[str] = ..., origin: _Optional[str] = ..., created_by: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., pull_request_count: _Optional[int] = ...) -> None: ...

class TaskRef(_message.Message):
    __slots__ = ("project_id", "task_id")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    task_id: str
    def __init__(self, project_id: _Optional[str] = ..., task_id: _Optional[str] = ...) -> None: ...

class CreateTaskRequest(_message.Message):
    __slots__ = ("project_id", "title", "description", "proposed_solutions", "acceptance_criteria", "required_skills", "type", "priority", "complexity", "status", "estimated_hours", "progress", "due_date", "feature_id", "sprint_id", "assignee_id")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PROPOSED_SOLUTIONS_FIELD_NUMBER: _ClassVar[int]
    ACCEPTANCE_CRITERIA_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_SKILLS_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    COMPLEXITY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_HOURS_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    DUE_DATE_FIELD_NUMBER: _ClassVar[int]
    FEATURE_ID_FIELD_NUMBER: _ClassVar[int]
    SPRINT_ID_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    title: str
    description: str
    proposed_solutions: _containers.RepeatedScalarFieldContainer[str]
    acceptance_criteria: _containers.RepeatedScalarFieldContainer[str]
    required_skills: _containers.RepeatedScalarFieldContainer[str]
    type: str
    priority: str
    complexity: str
    status: str
    estimated_hours: str
    progress: int
    due_date: str
    feature_id: str
    sprint_id: str
    assignee_id: str
    def __init__(self, project_id: _Optional[str] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., proposed_solutions: _Optional[_Iterable[str]] = ..., acceptance_criteria: _Optional[_Iterable[str]] = ..., required_skills: _Optional[_Iterable[str]] = ..., type: _Optional[str] = ..., priority: _Optional[str] = ..., complexity: _Optional[str] = ..., status: _Optional[str] = ..., estimated_hours: _Optional[str] = ..., progress: _Optional[int] = ..., due_date: _Optional[str] = ..., feature_id: _Optional[str] = ..., sprint_id: _Optional[str] = ..., assignee_id: _Optional[str] = ...) -> None: ...

class ListTasksRequest(_message.Message):
    __slots__ = ("project_id", "page", "status", "assignee_id", "sprint_id", "feature_id", "type", "priority", "key", "sort")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_ID_FIELD_NUMBER: _ClassVar[int]
    SPRINT_ID_FIELD_NUMBER: _ClassVar[int]
    FEATURE_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    SORT_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    page: _types_pb2.PageRequest
    status: str
    assignee_id: str
    sprint_id: str
    feature_id: str
    type: str
    priority: str
    key: str
    sort: str
    def __init__(self, project_id: _Optional[str] = ..., page: _Optional[_Union[_types_pb2.PageRequest, _Mapping]] = ..., status: _Optional[str] = ..., assignee_id: _Optional[str] = ..., sprint_id: _Optional[str] = ..., feature_id: _Optional[str] = ..., type: _Optional[str] = ..., priority: _Optional[str] = ..., key: _Optional[str] = ..., sort: _Optional[str] = ...) -> None: ...

class ListTasksResponse(_message.Message):
    __slots__ = ("items", "page")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[Task]
    page: _types_pb2.PageInfo
    def __init__(self, items: _Optional[_Iterable[_Union[Task, _Mapping]]] = ..., page: _Optional[_Union[_types_pb2.PageInfo, _Mapping]] = ...) -> None: ...

class UpdateTaskRequest(_message.Message):
    __slots__ = ("project_id", "task_id", "title", "description", "proposed_solutions", "replace_proposed_solutions", "acceptance_criteria", "replace_acceptance_criteria", "required_skills", "replace_required_skills", "type", "priority", "complexity", "status", "estimated_hours", "progress", "due_date", "feature_id", "sprint_id", "assignee_id")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PROPOSED_SOLUTIONS_FIELD_NUMBER: _ClassVar[int]
    REPLACE_PROPOSED_SOLUTIONS_FIELD_NUMBER: _ClassVar[int]
    ACCEPTANCE_CRITERIA_FIELD_NUMBER: _ClassVar[int]
    REPLACE_ACCEPTANCE_CRITERIA_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_SKILLS_FIELD_NUMBER: _ClassVar[int]
    REPLACE_REQUIRED_SKILLS_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    COMPLEXITY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_HOURS_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    DUE_DATE_FIELD_NUMBER: _ClassVar[int]
    FEATURE_ID_FIELD_NUMBER: _ClassVar[int]
    SPRINT_ID_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    task_id: str
    title: str
    description: str
    proposed_solutions: _containers.RepeatedScalarFieldContainer[str]
    replace_proposed_solutions: bool
    acceptance_criteria: _containers.RepeatedScalarFieldContainer[str]
    replace_acceptance_criteria: bool
    required_skills: _containers.RepeatedScalarFieldContainer[str]
    replace_required_skills: bool
    type: str
    priority: str
    complexity: str
    status: str
    estimated_hours: str
    progress: int
    due_date: str
    feature_id: str
    sprint_id: str
    assignee_id: str
    def __init__(self, project_id: _Optional[str] = ..., task_id: _Optional[str] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., proposed_solutions: _Optional[_Iterable[str]] = ..., replace_proposed_solutions: _Optional[bool] = ..., acceptance_criteria: _Optional[_Iterable[str]] = ..., replace_acceptance_criteria: _Optional[bool] = ..., required_skills: _Optional[_Iterable[str]] = ..., replace_required_skills: _Optional[bool] = ..., type: _Optional[str] = ..., priority: _Optional[str] = ..., complexity: _Optional[str] = ..., status: _Optional[str] = ..., estimated_hours: _Optional[str] = ..., progress: _Optional[int] = ..., due_date: _Optional[str] = ..., feature_id: _Optional[str] = ..., sprint_id: _Optional[str] = ..., assignee_id: _Optional[str] = ...) -> None: ...

class DeleteTaskReply(_message.Message):
    __slots__ = ("task_id", "key")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    key: str
    def __init__(self, task_id: _Optional[str] = ..., key: _Optional[str] = ...) -> None: ...

class PullRequestLink(_message.Message):
    __slots__ = ("id", "project_id", "task_id", "task_key", "provider", "repo_full_name", "pr_number", "pr_state", "pr_url", "title", "branch", "link_method", "merged_at", "created_at", "updated_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_KEY_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    REPO_FULL_NAME_FIELD_NUMBER: _ClassVar[int]
    PR_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PR_STATE_FIELD_NUMBER: _ClassVar[int]
    PR_URL_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    LINK_METHOD_FIELD_NUMBER: _ClassVar[int]
    MERGED_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    project_id: str
    task_id: str
    task_key: str
    provider: str
    repo_full_name: str
    pr_number: int
    pr_state: str
    pr_url: str
    title: str
    branch: str
    link_method: str
    merged_at: _timestamp_pb2.Timestamp
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., project_id: _Optional[str] = ..., task_id: _Optional[str] = ..., task_key: _Optional[str] = ..., provider: _Optional[str] = ..., repo_full_name: _Optional[str] = ..., pr_number: _Optional[int] = ..., pr_state: _Optional[str] = ..., pr_url: _Optional[str] = ..., title: _Optional[str] = ..., branch: _Optional[str] = ..., link_method: _Optional[str] = ..., merged_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListPullRequestsResponse(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[PullRequestLink]
    def __init__(self, items: _Optional[_Iterable[_Union[PullRequestLink, _Mapping]]] = ...) -> None: ...

class LinkPullRequestRequest(_message.Message):
    __slots__ = ("project_id", "task_id", "provider", "repo_full_name", "pr_number", "pr_url", "pr_state", "title", "branch")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    REPO_FULL_NAME_FIELD_NUMBER: _ClassVar[int]
    PR_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PR_URL_FIELD_NUMBER: _ClassVar[int]
    PR_STATE_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    task_id: str
    provider: str
    repo_full_name: str
    pr_number: int
    pr_url: str
    pr_state: str
    title: str
    branch: str
    def __init__(self, project_id: _Optional[str] = ..., task_id: _Optional[str] = ..., provider: _Optional[str] = ..., repo_full_name: _Optional[str] = ..., pr_number: _Optional[int] = ..., pr_url: _Optional[str] = ..., pr_state: _Optional[str] = ..., title: _Optional[str] = ..., branch: _Optional[str] = ...) -> None: ...

class UnlinkPullRequestRequest(_message.Message):
    __slots__ = ("project_id", "task_id", "link_id")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    LINK_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    task_id: str
    link_id: str
    def __init__(self, project_id: _Optional[str] = ..., task_id: _Optional[str] = ..., link_id: _Optional[str] = ...) -> None: ...

class UnlinkPullRequestReply(_message.Message):
    __slots__ = ("link_id",)
    LINK_ID_FIELD_NUMBER: _ClassVar[int]
    link_id: str
    def __init__(self, link_id: _Optional[str] = ...) -> None: ...

class RecordPullRequestRequest(_message.Message):
    __slots__ = ("project_id", "provider", "repo_full_name", "pr_number", "pr_url", "title", "body", "branch", "state", "merged_at", "delivery_id")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    REPO_FULL_NAME_FIELD_NUMBER: _ClassVar[int]
    PR_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PR_URL_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    MERGED_AT_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    provider: str
    repo_full_name: str
    pr_number: int
    pr_url: str
    title: str
    body: str
    branch: str
    state: str
    merged_at: _timestamp_pb2.Timestamp
    delivery_id: str
    def __init__(self, project_id: _Optional[str] = ..., provider: _Optional[str] = ..., repo_full_name: _Optional[str] = ..., pr_number: _Optional[int] = ..., pr_url: _Optional[str] = ..., title: _Optional[str] = ..., body: _Optional[str] = ..., branch: _Optional[str] = ..., state: _Optional[str] = ..., merged_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., delivery_id: _Optional[str] = ...) -> None: ...

class RecordPullRequestReply(_message.Message):
    __slots__ = ("links", "unknown_keys", "automation_enabled", "done_task_ids", "shipped_feature_ids")
    LINKS_FIELD_NUMBER: _ClassVar[int]
    UNKNOWN_KEYS_FIELD_NUMBER: _ClassVar[int]
    AUTOMATION_ENABLED_FIELD_NUMBER: _ClassVar[int]
    DONE_TASK_IDS_FIELD_NUMBER: _ClassVar[int]
    SHIPPED_FEATURE_IDS_FIELD_NUMBER: _ClassVar[int]
    links: _containers.RepeatedCompositeFieldContainer[PullRequestLink]
    unknown_keys: _containers.RepeatedScalarFieldContainer[str]
    automation_enabled: bool
    done_task_ids: _containers.RepeatedScalarFieldContainer[str]
    shipped_feature_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, links: _Optional[_Iterable[_Union[PullRequestLink, _Mapping]]] = ..., unknown_keys: _Optional[_Iterable[str]] = ..., automation_enabled: _Optional[bool] = ..., done_task_ids: _Optional[_Iterable[str]] = ..., shipped_feature_ids: _Optional[_Iterable[str]] = ...) -> None: ...
