import datetime

from aira.common.v1 import types_pb2 as _types_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Source(_message.Message):
    __slots__ = ("id", "project_id", "type", "format", "title", "content_type", "content_hash", "filename", "size_bytes", "version", "stats", "analyzed", "created_by", "created_at", "updated_at", "last_analyzed_at", "content", "content_included")
    ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_HASH_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATS_FIELD_NUMBER: _ClassVar[int]
    ANALYZED_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_ANALYZED_AT_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    CONTENT_INCLUDED_FIELD_NUMBER: _ClassVar[int]
    id: str
    project_id: str
    type: str
    format: str
    title: str
    content_type: str
    content_hash: str
    filename: str
    size_bytes: int
    version: int
    stats: _struct_pb2.Struct
    analyzed: bool
    created_by: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    last_analyzed_at: _timestamp_pb2.Timestamp
    content: str
    content_included: bool
    def __init__(self, id: _Optional[str] = ..., project_id: _Optional[str] = ..., type: _Optional[str] = ..., format: _Optional[str] = ..., title: _Optional[str] = ..., content_type: _Optional[str] = ..., content_hash: _Optional[str] = ..., filename: _Optional[str] = ..., size_bytes: _Optional[int] = ..., version: _Optional[int] = ..., stats: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., analyzed: _Optional[bool] = ..., created_by: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_analyzed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., content: _Optional[str] = ..., content_included: _Optional[bool] = ...) -> None: ...

class SourceRef(_message.Message):
    __slots__ = ("project_id", "source_id")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    source_id: str
    def __init__(self, project_id: _Optional[str] = ..., source_id: _Optional[str] = ...) -> None: ...

class SourceContent(_message.Message):
    __slots__ = ("text", "file", "filename", "declared_content_type")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    DECLARED_CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    text: str
    file: bytes
    filename: str
    declared_content_type: str
    def __init__(self, text: _Optional[str] = ..., file: _Optional[bytes] = ..., filename: _Optional[str] = ..., declared_content_type: _Optional[str] = ...) -> None: ...

class CreateSourceRequest(_message.Message):
    __slots__ = ("project_id", "title", "content")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    title: str
    content: SourceContent
    def __init__(self, project_id: _Optional[str] = ..., title: _Optional[str] = ..., content: _Optional[_Union[SourceContent, _Mapping]] = ...) -> None: ...

class CreateSourceReply(_message.Message):
    __slots__ = ("source", "created")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    source: Source
    created: bool
    def __init__(self, source: _Optional[_Union[Source, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class ReplaceSourceContentRequest(_message.Message):
    __slots__ = ("project_id", "source_id", "content")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    source_id: str
    content: SourceContent
    def __init__(self, project_id: _Optional[str] = ..., source_id: _Optional[str] = ..., content: _Optional[_Union[SourceContent, _Mapping]] = ...) -> None: ...

class ReplaceSourceContentReply(_message.Message):
    __slots__ = ("source", "changed")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    source: Source
    changed: bool
    def __init__(self, source: _Optional[_Union[Source, _Mapping]] = ..., changed: _Optional[bool] = ...) -> None: ...

class ListSourcesRequest(_message.Message):
    __slots__ = ("project_id", "page", "type", "query")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    page: _types_pb2.PageRequest
    type: str
    query: str
    def __init__(self, project_id: _Optional[str] = ..., page: _Optional[_Union[_types_pb2.PageRequest, _Mapping]] = ..., type: _Optional[str] = ..., query: _Optional[str] = ...) -> None: ...

class ListSourcesResponse(_message.Message):
    __slots__ = ("items", "page")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[Source]
    page: _types_pb2.PageInfo
    def __init__(self, items: _Optional[_Iterable[_Union[Source, _Mapping]]] = ..., page: _Optional[_Union[_types_pb2.PageInfo, _Mapping]] = ...) -> None: ...

class GetSourceRequest(_message.Message):
    __slots__ = ("project_id", "source_id", "include_content")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_CONTENT_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    source_id: str
    include_content: bool
    def __init__(self, project_id: _Optional[str] = ..., source_id: _Optional[str] = ..., include_content: _Optional[bool] = ...) -> None: ...

class DeleteSourceReply(_message.Message):
    __slots__ = ("source_id", "detached_insights")
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    DETACHED_INSIGHTS_FIELD_NUMBER: _ClassVar[int]
    source_id: str
    detached_insights: int
    def __init__(self, source_id: _Optional[str] = ..., detached_insights: _Optional[int] = ...) -> None: ...

class Insight(_message.Message):
    __slots__ = ("id", "project_id", "source_id", "atom_id", "type", "title", "body", "domain", "impact", "confidence", "status", "linked_feature_id", "feature_ids", "tags", "origin", "created_by", "created_at", "updated_at", "rank")
    ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    ATOM_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    IMPACT_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LINKED_FEATURE_ID_FIELD_NUMBER: _ClassVar[int]
    FEATURE_IDS_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    RANK_FIELD_NUMBER: _ClassVar[int]
    id: str
    project_id: str
    source_id: str
    atom_id: str
    type: str
    title: str
    body: str
    domain: str
    impact: str
    confidence: float
    status: str
    linked_feature_id: str
    feature_ids: _containers.RepeatedScalarFieldContainer[str]
    tags: _containers.RepeatedScalarFieldContainer[str]
    origin: str
    created_by: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    rank: float
    def __init__(self, id: _Optional[str] = ..., project_id: _Optional[str] = ..., source_id: _Optional[str] = ..., atom_id: _Optional[str] = ..., type: _Optional[str] = ..., title: _Optional[str] = ..., body: _Optional[str] = ..., domain: _Optional[str] = ..., impact: _Optional[str] = ..., confidence: _Optional[float] = ..., status: _Optional[str] = ..., linked_feature_id: _Optional[str] = ..., feature_ids: _Optional[_Iterable[str]] = ..., tags: _Optional[_Iterable[str]] = ..., origin: _Optional[str] = ..., created_by: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., rank: _Optional[float] = ...) -> None: ...

class InsightRef(_message.Message):
    __slots__ = ("project_id", "insight_id")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    INSIGHT_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    insight_id: str
    def __init__(self, project_id: _Optional[str] = ..., insight_id: _Optional[str] = ...) -> None: ...

class CreateInsightRequest(_message.Message):
    __slots__ = ("project_id", "type", "title", "body", "impact", "confidence", "tags", "domain", "source_id")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    IMPACT_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    type: str
    title: str
    body: str
    impact: str
    confidence: float
    tags: _containers.RepeatedScalarFieldContainer[str]
    domain: str
    source_id: str
    def __init__(self, project_id: _Optional[str] = ..., type: _Optional[str] = ..., title: _Optional[str] = ..., body: _Optional[str] = ..., impact: _Optional[str] = ..., confidence: _Optional[float] = ..., tags: _Optional[_Iterable[str]] = ..., domain: _Optional[str] = ..., source_id: _Optional[str] = ...) -> None: ...

class ListInsightsRequest(_message.Message):
    __slots__ = ("project_id", "page", "query", "type", "domain", "tags", "status", "impact", "source_id", "include_dismissed")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    IMPACT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_DISMISSED_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    page: _types_pb2.PageRequest
    query: str
    type: str
    domain: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    status: str
    impact: str
    source_id: str
    include_dismissed: bool
    def __init__(self, project_id: _Optional[str] = ..., page: _Optional[_Union[_types_pb2.PageRequest, _Mapping]] = ..., query: _Optional[str] = ..., type: _Optional[str] = ..., domain: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ..., status: _Optional[str] = ..., impact: _Optional[str] = ..., source_id: _Optional[str] = ..., include_dismissed: _Optional[bool] = ...) -> None: ...

class ListInsightsResponse(_message.Message):
    __slots__ = ("items", "page")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[Insight]
    page: _types_pb2.PageInfo
    def __init__(self, items: _Optional[_Iterable[_Union[Insight, _Mapping]]] = ..., page: _Optional[_Union[_types_pb2.PageInfo, _Mapping]] = ...) -> None: ...

class UpdateInsightRequest(_message.Message):
    __slots__ = ("project_id", "insight_id", "title", "body", "impact", "confidence", "domain", "tags", "replace_tags")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    INSIGHT_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    IMPACT_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    REPLACE_TAGS_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    insight_id: str
    title: str
    body: str
    impact: str
    confidence: float
    domain: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    replace_tags: bool
    def __init__(self, project_id: _Optional[str] = ..., insight_id: _Optional[str] = ..., title: _Optional[str] = ..., body: _Optional[str] = ..., impact: _Optional[str] = ..., confidence: _Optional[float] = ..., domain: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ..., replace_tags: _Optional[bool] = ...) -> None: ...

class LinkInsightRequest(_message.Message):
    __slots__ = ("project_id", "insight_id", "feature_id")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    INSIGHT_ID_FIELD_NUMBER: _ClassVar[int]
    FEATURE_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    insight_id: str
    feature_id: str
    def __init__(self, project_id: _Optional[str] = ..., insight_id: _Optional[str] = ..., feature_id: _Optional[str] = ...) -> None: ...
