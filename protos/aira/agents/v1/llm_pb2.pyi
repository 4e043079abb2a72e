import datetime

from aira.common.v1 import types_pb2 as _types_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Prompt(_message.Message):
    __slots__ = ("name", "template", "note")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    name: str
    template: str
    note: str
    def __init__(self, name: _Optional[str] = ..., template: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class CompleteRequest(_message.Message):
    __slots__ = ("project_id", "task", "prompt", "variables", "json_schema", "model_tier", "max_output_tokens")
    class VariablesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    VARIABLES_FIELD_NUMBER: _ClassVar[int]
    JSON_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    MODEL_TIER_FIELD_NUMBER: _ClassVar[int]
    MAX_OUTPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    task: str
    prompt: Prompt
    variables: _containers.ScalarMap[str, str]
    json_schema: str
    model_tier: str
    max_output_tokens: int
    def __init__(self, project_id: _Optional[str] = ..., task: _Optional[str] = ..., prompt: _Optional[_Union[Prompt, _Mapping]] = ..., variables: _Optional[_Mapping[str, str]] = ..., json_schema: _Optional[str] = ..., model_tier: _Optional[str] = ..., max_output_tokens: _Optional[int] = ...) -> None: ...

class CompleteReply(_message.Message):
    __slots__ = ("outcome", "json", "call_id", "provider", "model", "prompt_version", "input_tokens", "output_tokens", "cost_usd", "latency_ms", "repaired")
    class Outcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        OUTCOME_UNSPECIFIED: _ClassVar[CompleteReply.Outcome]
        COMPLETED: _ClassVar[CompleteReply.Outcome]
        NO_PROVIDER: _ClassVar[CompleteReply.Outcome]
    OUTCOME_UNSPECIFIED: CompleteReply.Outcome
    COMPLETED: CompleteReply.Outcome
    NO_PROVIDER: CompleteReply.Outcome
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    JSON_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    PROMPT_VERSION_FIELD_NUMBER: _ClassVar[int]
    INPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COST_USD_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    REPAIRED_FIELD_NUMBER: _ClassVar[int]
    outcome: CompleteReply.Outcome
    json: str
    call_id: str
    provider: str
    model: str
    prompt_version: int
    input_tokens: int
    output_tokens: int
    cost_usd: str
    latency_ms: int
    repaired: bool
    def __init__(self, outcome: _Optional[_Union[CompleteReply.Outcome, str]] = ..., json: _Optional[str] = ..., call_id: _Optional[str] = ..., provider: _Optional[str] = ..., model: _Optional[str] = ..., prompt_version: _Optional[int] = ..., input_tokens: _Optional[int] = ..., output_tokens: _Optional[int] = ..., cost_usd: _Optional[str] = ..., latency_ms: _Optional[int] = ..., repaired: _Optional[bool] = ...) -> None: ...

class ProjectScope(_message.Message):
    __slots__ = ("project_id",)
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    def __init__(self, project_id: _Optional[str] = ...) -> None: ...

class LlmCall(_message.Message):
    __slots__ = ("id", "agent", "task", "provider", "model", "model_tier", "status", "prompt_version", "input_tokens", "output_tokens", "cost_usd", "latency_ms", "attempts", "repaired", "error", "trace_id", "created_at", "completed_at", "prompt_name")
    ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    MODEL_TIER_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PROMPT_VERSION_FIELD_NUMBER: _ClassVar[int]
    INPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COST_USD_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    REPAIRED_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    PROMPT_NAME_FIELD_NUMBER: _ClassVar[int]
    id: str
    agent: str
    task: str
    provider: str
    model: str
    model_tier: str
    status: str
    prompt_version: int
    input_tokens: int
    output_tokens: int
    cost_usd: str
    latency_ms: int
    attempts: int
    repaired: bool
    error: str
    trace_id: str
    created_at: _timestamp_pb2.Timestamp
    completed_at: _timestamp_pb2.Timestamp
    prompt_name: str
    def __init__(self, id: _Optional[str] = ..., agent: _Optional[str] = ..., task: _Optional[str] = ..., provider: _Optional[str] = ..., model: _Optional[str] = ..., model_tier: _Optional[str] = ..., status: _Optional[str] = ..., prompt_version: _Optional[int] = ..., input_tokens: _Optional[int] = ..., output_tokens: _Optional[int] = ..., cost_usd: _Optional[str] = ..., latency_ms: _Optional[int] = ..., attempts: _Optional[int] = ..., repaired: _Optional[bool] = ..., error: _Optional[str] = ..., trace_id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., prompt_name: _Optional[str] = ...) -> None: ...

class ListCallsRequest(_message.Message):
    __slots__ = ("project_id", "page", "task", "status")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    page: _types_pb2.PageRequest
    task: str
    status: str
    def __init__(self, project_id: _Optional[str] = ..., page: _Optional[_Union[_types_pb2.PageRequest, _Mapping]] = ..., task: _Optional[str] = ..., status: _Optional[str] = ...) -> None: ...

class ListCallsResponse(_message.Message):
    __slots__ = ("items", "page")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[LlmCall]
    page: _types_pb2.PageInfo
    def __init__(self, items: _Optional[_Iterable[_Union[LlmCall, _Mapping]]] = ..., page: _Optional[_Union[_types_pb2.PageInfo, _Mapping]] = ...) -> None: ...

class BudgetStatus(_message.Message):
    __slots__ = ("project_id", "monthly_limit_usd", "daily_limit_usd", "alert_threshold", "hard_limit", "spent_month_usd", "spent_today_usd", "reserved_usd")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    MONTHLY_LIMIT_USD_FIELD_NUMBER: _ClassVar[int]
    DAILY_LIMIT_USD_FIELD_NUMBER: _ClassVar[int]
    ALERT_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    HARD_LIMIT_FIELD_NUMBER: _ClassVar[int]
    SPENT_MONTH_USD_FIELD_NUMBER: _ClassVar[int]
    SPENT_TODAY_USD_FIELD_NUMBER: _ClassVar[int]
    RESERVED_USD_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    monthly_limit_usd: str
    daily_limit_usd: str
    alert_threshold: str
    hard_limit: bool
    spent_month_usd: str
    spent_today_usd: str
    reserved_usd: str
    def __init__(self, project_id: _Optional[str] = ..., monthly_limit_usd: _Optional[str] = ..., daily_limit_usd: _Optional[str] = ..., alert_threshold: _Optional[str] = ..., hard_limit: _Optional[bool] = ..., spent_month_usd: _Optional[str] = ..., spent_today_usd: _Optional[str] = ..., reserved_usd: _Optional[str] = ...) -> None: ...

class PutBudgetRequest(_message.Message):
    __slots__ = ("project_id", "monthly_limit_usd", "daily_limit_usd", "alert_threshold", "hard_limit")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    MONTHLY_LIMIT_USD_FIELD_NUMBER: _ClassVar[int]
    DAILY_LIMIT_USD_FIELD_NUMBER: _ClassVar[int]
    ALERT_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    HARD_LIMIT_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    monthly_limit_usd: str
    daily_limit_usd: str
    alert_threshold: str
    hard_limit: bool
    def __init__(self, project_id: _Optional[str] = ..., monthly_limit_usd: _Optional[str] = ..., daily_limit_usd: _Optional[str] = ..., alert_threshold: _Optional[str] = ..., hard_limit: _Optional[bool] = ...) -> None: ...

class GetUsageRequest(_message.Message):
    __slots__ = ("project_id", "months")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    MONTHS_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    months: int
    def __init__(self, project_id: _Optional[str] = ..., months: _Optional[int] = ...) -> None: ...

class MonthlyUsage(_message.Message):
    __slots__ = ("month", "calls", "input_tokens", "output_tokens", "cost_usd")
    MONTH_FIELD_NUMBER: _ClassVar[int]
    CALLS_FIELD_NUMBER: _ClassVar[int]
    INPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COST_USD_FIELD_NUMBER: _ClassVar[int]
    month: str
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: str
    def __init__(self, month: _Optional[str] = ..., calls: _Optional[int] = ..., input_tokens: _Optional[int] = ..., output_tokens: _Optional[int] = ..., cost_usd: _Optional[str] = ...) -> None: ...

class Usage(_message.Message):
    __slots__ = ("project_id", "months")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    MONTHS_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    months: _containers.RepeatedCompositeFieldContainer[MonthlyUsage]
    def __init__(self, project_id: _Optional[str] = ..., months: _Optional[_Iterable[_Union[MonthlyUsage, _Mapping]]] = ...) -> None: ...

class GetTraceRequest(_message.Message):
    __slots__ = ("project_id", "trace_id")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    trace_id: str
    def __init__(self, project_id: _Optional[str] = ..., trace_id: _Optional[str] = ...) -> None: ...

class Span(_message.Message):
    __slots__ = ("span_id", "parent_span_id", "agent", "graph", "name", "status", "latency_ms", "cost_usd", "metadata_json", "started_at", "ended_at")
    SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    GRAPH_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    COST_USD_FIELD_NUMBER: _ClassVar[int]
    METADATA_JSON_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    ENDED_AT_FIELD_NUMBER: _ClassVar[int]
    span_id: str
    parent_span_id: str
    agent: str
    graph: str
    name: str
    status: str
    latency_ms: int
    cost_usd: str
    metadata_json: str
    started_at: _timestamp_pb2.Timestamp
    ended_at: _timestamp_pb2.Timestamp
    def __init__(self, span_id: _Optional[str] = ..., parent_span_id: _Optional[str] = ..., agent: _Optional[str] = ..., graph: _Optional[str] = ..., name: _Optional[str] = ..., status: _Optional[str] = ..., latency_ms: _Optional[int] = ..., cost_usd: _Optional[str] = ..., metadata_json: _Optional[str] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ended_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Trace(_message.Message):
    __slots__ = ("trace_id", "spans")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    SPANS_FIELD_NUMBER: _ClassVar[int]
    trace_id: str
    spans: _containers.RepeatedCompositeFieldContainer[Span]
    def __init__(self, trace_id: _Optional[str] = ..., spans: _Optional[_Iterable[_Union[Span, _Mapping]]] = ...) -> None: ...
