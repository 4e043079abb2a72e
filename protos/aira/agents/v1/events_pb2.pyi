from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class BudgetUpdated(_message.Message):
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

class BudgetThresholdReached(_message.Message):
    __slots__ = ("project_id", "period", "limit_usd", "spent_usd", "alert_threshold")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    LIMIT_USD_FIELD_NUMBER: _ClassVar[int]
    SPENT_USD_FIELD_NUMBER: _ClassVar[int]
    ALERT_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    period: str
    limit_usd: str
    spent_usd: str
    alert_threshold: str
    def __init__(self, project_id: _Optional[str] = ..., period: _Optional[str] = ..., limit_usd: _Optional[str] = ..., spent_usd: _Optional[str] = ..., alert_threshold: _Optional[str] = ...) -> None: ...

class JobChanged(_message.Message):
    __slots__ = ("project_id", "job_id", "job_type", "status", "last_error")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    JOB_TYPE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    job_id: str
    job_type: str
    status: str
    last_error: str
    def __init__(self, project_id: _Optional[str] = ..., job_id: _Optional[str] = ..., job_type: _Optional[str] = ..., status: _Optional[str] = ..., last_error: _Optional[str] = ...) -> None: ...

class JobRequested(_message.Message):
    __slots__ = ("job_type", "payload_json", "idempotency_key", "priority", "run_id")
    JOB_TYPE_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_JSON_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    job_type: str
    payload_json: str
    idempotency_key: str
    priority: int
    run_id: str
    def __init__(self, job_type: _Optional[str] = ..., payload_json: _Optional[str] = ..., idempotency_key: _Optional[str] = ..., priority: _Optional[int] = ..., run_id: _Optional[str] = ...) -> None: ...
