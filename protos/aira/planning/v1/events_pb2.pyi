from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class SourceChanged(_message.Message):
    __slots__ = ("project_id", "source_id", "type", "format", "title", "content_type", "content_hash", "version", "text", "text_complete", "size_bytes")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_HASH_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    TEXT_COMPLETE_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    source_id: str
    type: str
    format: str
    title: str
    content_type: str
    content_hash: str
    version: int
    text: str
    text_complete: bool
    size_bytes: int
    def __init__(self, project_id: _Optional[str] = ..., source_id: _Optional[str] = ..., type: _Optional[str] = ..., format: _Optional[str] = ..., title: _Optional[str] = ..., content_type: _Optional[str] = ..., content_hash: _Optional[str] = ..., version: _Optional[int] = ..., text: _Optional[str] = ..., text_complete: _Optional[bool] = ..., size_bytes: _Optional[int] = ...) -> None: ...

class InsightChanged(_message.Message):
    __slots__ = ("project_id", "insight_id", "status", "linked_feature_id", "atom_id")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    INSIGHT_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LINKED_FEATURE_ID_FIELD_NUMBER: _ClassVar[int]
    ATOM_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    insight_id: str
    status: str
    linked_feature_id: str
    atom_id: str
    def __init__(self, project_id: _Optional[str] = ..., insight_id: _Optional[str] = ..., status: _Optional[str] = ..., linked_feature_id: _Optional[str] = ..., atom_id: _Optional[str] = ...) -> None: ...

class FeatureChanged(_message.Message):
    __slots__ = ("project_id", "feature_id", "title", "status", "priority_score", "has_priority_score", "insight_ids")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    FEATURE_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_SCORE_FIELD_NUMBER: _ClassVar[int]
    HAS_PRIORITY_SCORE_FIELD_NUMBER: _ClassVar[int]
    INSIGHT_IDS_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    feature_id: str
    title: str
    status: str
    priority_score: float
    has_priority_score: bool
    insight_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, project_id: _Optional[str] = ..., feature_id: _Optional[str] = ..., title: _Optional[str] = ..., status: _Optional[str] = ..., priority_score: _Optional[float] = ..., has_priority_score: _Optional[bool] = ..., insight_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class TaskChanged(_message.Message):
    __slots__ = ("project_id", "task_id", "key", "status", "previous_status", "assignee_id", "sprint_id", "feature_id", "estimated_hours", "type")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STATUS_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_ID_FIELD_NUMBER: _ClassVar[int]
    SPRINT_ID_FIELD_NUMBER: _ClassVar[int]
    FEATURE_ID_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_HOURS_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    task_id: str
    key: str
    status: str
    previous_status: str
    assignee_id: str
    sprint_id: str
    feature_id: str
    estimated_hours: str
    type: str
    def __init__(self, project_id: _Optional[str] = ..., task_id: _Optional[str] = ..., key: _Optional[str] = ..., status: _Optional[str] = ..., previous_status: _Optional[str] = ..., assignee_id: _Optional[str] = ..., sprint_id: _Optional[str] = ..., feature_id: _Optional[str] = ..., estimated_hours: _Optional[str] = ..., type: _Optional[str] = ...) -> None: ...

class SprintChanged(_message.Message):
    __slots__ = ("project_id", "sprint_id", "number", "status", "committed_hours", "completed_hours", "velocity", "carried_over_task_ids", "carried_over_to_sprint_id")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    SPRINT_ID_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    COMMITTED_HOURS_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_HOURS_FIELD_NUMBER: _ClassVar[int]
    VELOCITY_FIELD_NUMBER: _ClassVar[int]
    CARRIED_OVER_TASK_IDS_FIELD_NUMBER: _ClassVar[int]
    CARRIED_OVER_TO_SPRINT_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    sprint_id: str
    number: int
    status: str
    committed_hours: str
    completed_hours: str
    velocity: str
    carried_over_task_ids: _containers.RepeatedScalarFieldContainer[str]
    carried_over_to_sprint_id: str
    def __init__(self, project_id: _Optional[str] = ..., sprint_id: _Optional[str] = ..., number: _Optional[int] = ..., status: _Optional[str] = ..., committed_hours: _Optional[str] = ..., completed_hours: _Optional[str] = ..., velocity: _Optional[str] = ..., carried_over_task_ids: _Optional[_Iterable[str]] = ..., carried_over_to_sprint_id: _Optional[str] = ...) -> None: ...

class PullRequestChanged(_message.Message):
    __slots__ = ("project_id", "task_id", "task_key", "provider", "repo_full_name", "pr_number", "pr_state", "link_method")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_KEY_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    REPO_FULL_NAME_FIELD_NUMBER: _ClassVar[int]
    PR_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PR_STATE_FIELD_NUMBER: _ClassVar[int]
    LINK_METHOD_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    task_id: str
    task_key: str
    provider: str
    repo_full_name: str
    pr_number: int
    pr_state: str
    link_method: str
    def __init__(self, project_id: _Optional[str] = ..., task_id: _Optional[str] = ..., task_key: _Optional[str] = ..., provider: _Optional[str] = ..., repo_full_name: _Optional[str] = ..., pr_number: _Optional[int] = ..., pr_state: _Optional[str] = ..., link_method: _Optional[str] = ...) -> None: ...

class SprintPlanChanged(_message.Message):
    __slots__ = ("project_id", "request_id", "status", "sprint_id")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SPRINT_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    request_id: str
    status: str
    sprint_id: str
    def __init__(self, project_id: _Optional[str] = ..., request_id: _Optional[str] = ..., status: _Optional[str] = ..., sprint_id: _Optional[str] = ...) -> None: ...

class RepositoryAnalysisChanged(_message.Message):
    __slots__ = ("project_id", "run_id", "depth", "status", "total_count", "completed_count", "failed_count", "source_ids")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_COUNT_FIELD_NUMBER: _ClassVar[int]
    FAILED_COUNT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_IDS_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    run_id: str
    depth: str
    status: str
    total_count: int
    completed_count: int
    failed_count: int
    source_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, project_id: _Optional[str] = ..., run_id: _Optional[str] = ..., depth: _Optional[str] = ..., status: _Optional[str] = ..., total_count: _Optional[int] = ..., completed_count: _Optional[int] = ..., failed_count: _Optional[int] = ..., source_ids: _Optional[_Iterable[str]] = ...) -> None: ...
