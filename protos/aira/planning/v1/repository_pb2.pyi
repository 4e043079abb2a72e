import datetime

from aira.common.v1 import types_pb2 as _types_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StartAnalysisRequest(_message.Message):
    __slots__ = ("project_id", "repositories", "depth")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    REPOSITORIES_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    repositories: _containers.RepeatedScalarFieldContainer[str]
    depth: str
    def __init__(self, project_id: _Optional[str] = ..., repositories: _Optional[_Iterable[str]] = ..., depth: _Optional[str] = ...) -> None: ...

class RepositoryAnalysisItem(_message.Message):
    __slots__ = ("id", "position", "location", "status", "summary", "result_json", "source_id", "error", "error_slug", "file_count", "source_count", "started_at", "finished_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    RESULT_JSON_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ERROR_SLUG_FIELD_NUMBER: _ClassVar[int]
    FILE_COUNT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_COUNT_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    position: int
    location: str
    status: str
    summary: str
    result_json: str
    source_id: str
    error: str
    error_slug: str
    file_count: int
    source_count: int
    started_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., position: _Optional[int] = ..., location: _Optional[str] = ..., status: _Optional[str] = ..., summary: _Optional[str] = ..., result_json: _Optional[str] = ..., source_id: _Optional[str] = ..., error: _Optional[str] = ..., error_slug: _Optional[str] = ..., file_count: _Optional[int] = ..., source_count: _Optional[int] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RepositoryAnalysis(_message.Message):
    __slots__ = ("id", "project_id", "depth", "provider", "status", "total_count", "completed_count", "failed_count", "error", "created_by", "created_at", "started_at", "finished_at", "items")
    ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_COUNT_FIELD_NUMBER: _ClassVar[int]
    FAILED_COUNT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    id: str
    project_id: str
    depth: str
    provider: str
    status: str
    total_count: int
    completed_count: int
    failed_count: int
    error: str
    created_by: str
    created_at: _timestamp_pb2.Timestamp
    started_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    items: _containers.RepeatedCompositeFieldContainer[RepositoryAnalysisItem]
    def __init__(self, id: _Optional[str] = ..., project_id: _Optional[str] = ..., depth: _Optional[str] = ..., provider: _Optional[str] = ..., status: _Optional[str] = ..., total_count: _Optional[int] = ..., completed_count: _Optional[int] = ..., failed_count: _Optional[int] = ..., error: _Optional[str] = ..., created_by: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., items: _Optional[_Iterable[_Union[RepositoryAnalysisItem, _Mapping]]] = ...) -> None: ...

class AnalysisRef(_message.Message):
    __slots__ = ("project_id", "analysis_id")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    ANALYSIS_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    analysis_id: str
    def __init__(self, project_id: _Optional[str] = ..., analysis_id: _Optional[str] = ...) -> None: ...

class ListAnalysesRequest(_message.Message):
    __slots__ = ("project_id", "page", "status", "depth")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    page: _types_pb2.PageRequest
    status: str
    depth: str
    def __init__(self, project_id: _Optional[str] = ..., page: _Optional[_Union[_types_pb2.PageRequest, _Mapping]] = ..., status: _Optional[str] = ..., depth: _Optional[str] = ...) -> None: ...

class ListAnalysesResponse(_message.Message):
    __slots__ = ("items", "page")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[RepositoryAnalysis]
    page: _types_pb2.PageInfo
    def __init__(self, items: _Optional[_Iterable[_Union[RepositoryAnalysis, _Mapping]]] = ..., page: _Optional[_Union[_types_pb2.PageInfo, _Mapping]] = ...) -> None: ...
