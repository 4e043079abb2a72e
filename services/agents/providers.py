"""AI providers behind the gateway: Anthropic through its official SDK, with our own retries.

An *exchange* is one model turn: a request, retried on rate limits (429), overload (529), other
server errors and lost connections, waiting what ``retry-after`` asks or backing off
exponentially, within a bounded number of attempts and a bounded total time. A timed-out request
is not retried: the model may still be generating, and a second request could bill twice. The
SDK's own retries are off, so every attempt is visible here and recorded as a span.

Without an API key there is no provider at all: the gateway answers "no provider" (offline) and
the calling domain runs its deterministic path.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import anthropic
import httpx2

from services.agents.settings import AgentsSettings

INITIAL_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 8.0
CONNECT_TIMEOUT_SECONDS = 5.0
RETRYABLE_STATUSES = frozenset({408, 409, 429})  # and every 5xx, 529 "overloaded" among them


@dataclass(frozen=True)
class ExchangeRequest:
    """One model turn: the conversation so far and the tool that carries the answer."""

    model: str
    system: str
    messages: list[dict[str, Any]]
    tool: dict[str, Any]
    force_tool: bool
    max_output_tokens: int


@dataclass(frozen=True)
class Attempt:
    """One HTTP request of an exchange."""

    started_at: datetime
    latency_ms: int
    outcome: str  # "ok", "http_429", "http_529", "timeout", "connection_error", …
    waited_ms: int = 0  # the pause after it, before the next attempt


@dataclass
class Answer:
    """The model's turn: its content blocks (as JSON, ready to send back) and the usage billed."""

    content: list[dict[str, Any]]
    stop_reason: str | None
    input_tokens: int
    output_tokens: int
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0
    attempts: list[Attempt] = field(default_factory=list)

    def tool_uses(self) -> list[dict[str, Any]]:
        return [block for block in self.content if block.get("type") == "tool_use"]


class ExchangeFailed(Exception):
    """No answer: ``kind`` is rate_limited, overloaded, unavailable, timeout or rejected."""

    def __init__(self, kind: str, message: str, attempts: list[Attempt]) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.attempts = attempts


class Provider(Protocol):
    name: str

    async def exchange(self, request: ExchangeRequest) -> Answer: ...

    async def aclose(self) -> None: ...


class AnthropicProvider:
    """Claude through ``anthropic.AsyncAnthropic``; the answer comes as the input of a tool call."""

    name = "anthropic"

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None = None,
        http_client: httpx2.AsyncClient | None = None,
        request_timeout: float = 60.0,
        max_attempts: int = 4,
        retry_budget: float = 120.0,
    ) -> None:
        self._owns_http_client = http_client is None
        self._http = http_client or httpx2.AsyncClient(
            timeout=httpx2.Timeout(request_timeout, connect=CONNECT_TIMEOUT_SECONDS)
        )
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key, base_url=base_url, http_client=self._http, max_retries=0
        )
        self._request_timeout = request_timeout
        self._max_attempts = max_attempts
        self._retry_budget = retry_budget

    async def exchange(self, request: ExchangeRequest) -> Answer:
        """The model's answer to ``request``; ExchangeFailed when none came within the bounds."""
        attempts: list[Attempt] = []
        deadline = time.monotonic() + self._retry_budget
        for number in range(1, self._max_attempts + 1):
            started, clock = datetime.now(UTC), time.monotonic()
            limit = min(self._request_timeout, deadline - clock)
            try:
                async with asyncio.timeout(limit):  # also bounds a response that trickles in
                    message = await self._send(request, timeout=limit)
            except (TimeoutError, anthropic.APITimeoutError) as exc:
                attempts.append(_attempt(started, clock, "timeout"))
                raise ExchangeFailed("timeout", f"the provider did not answer within {limit:.1f} s", attempts) from exc
            except anthropic.APIError as exc:
                failure = _failure(exc)
            else:
                attempts.append(_attempt(started, clock, "ok"))
                return _answer(message, attempts)
            pause = failure.retry_after if failure.retry_after is not None else _backoff(number)
            if not failure.retryable or number == self._max_attempts or time.monotonic() + pause >= deadline:
                attempts.append(_attempt(started, clock, failure.outcome))
                gave_up = f" (gave up after {number} attempts)" if failure.retryable else ""
                raise ExchangeFailed(failure.kind, failure.message + gave_up, attempts)
            attempts.append(_attempt(started, clock, failure.outcome, waited=pause))
            await asyncio.sleep(pause)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _send(self, request: ExchangeRequest, *, timeout: float) -> anthropic.types.Message:
        if request.force_tool:
            tool_choice = {"type": "tool", "name": request.tool["name"], "disable_parallel_tool_use": True}
        else:
            tool_choice = {"type": "auto", "disable_parallel_tool_use": True}
        return await self._client.messages.create(
            model=request.model,
            max_tokens=request.max_output_tokens,
            system=request.system,
            messages=request.messages,
            tools=[request.tool],
            tool_choice=tool_choice,
            timeout=httpx2.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT_SECONDS)),
        )

    async def aclose(self) -> None:
        """Release the connections this provider opened (not a client it was given)."""
        if self._owns_http_client:
            await self._http.aclose()


def _attempt(started: datetime, clock: float, outcome: str, *, waited: float = 0.0) -> Attempt:
    return Attempt(
        started_at=started,
        latency_ms=round((time.monotonic() - clock) * 1000),
        outcome=outcome,
        waited_ms=round(waited * 1000),
    )


@dataclass(frozen=True)
class _Failure:
    kind: str
    outcome: str
    message: str
    retryable: bool
    retry_after: float | None = None


def _failure(exc: anthropic.APIError) -> _Failure:
    """What a failed request means, and whether to try again (the server's ``x-should-retry`` wins)."""
    if isinstance(exc, anthropic.APIConnectionError):
        return _Failure("unavailable", "connection_error", f"cannot reach the provider: {exc.message}", True)
    if not isinstance(exc, anthropic.APIStatusError):  # e.g. a response that is not a message
        return _Failure("rejected", "bad_response", f"unexpected answer from the provider: {exc.message}", False)
    status = exc.status_code
    kind = {429: "rate_limited", 529: "overloaded"}.get(status, "unavailable" if status >= 500 else "rejected")
    retryable = status in RETRYABLE_STATUSES or status >= 500
    should_retry = exc.response.headers.get("x-should-retry")
    if should_retry in ("true", "false"):
        retryable = should_retry == "true"
    message = f"HTTP {status}: {exc.api_message or exc.message}"
    return _Failure(kind, f"http_{status}", message, retryable, _retry_after(exc.response.headers))


def _retry_after(headers: httpx2.Headers) -> float | None:
    """Seconds the server asks us to wait: ``retry-after-ms``, or ``retry-after`` in seconds or as a date."""
    try:
        return max(float(headers["retry-after-ms"]) / 1000, 0.0)
    except (KeyError, ValueError):
        pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def _backoff(number: int) -> float:
    """Exponential backoff after the ``number``-th attempt, with jitter."""
    return min(INITIAL_BACKOFF_SECONDS * 2 ** (number - 1), MAX_BACKOFF_SECONDS) * random.uniform(0.75, 1.0)


def _answer(message: anthropic.types.Message, attempts: list[Attempt]) -> Answer:
    usage = message.usage
    return Answer(
        content=[block.model_dump(mode="json", exclude_none=True) for block in message.content],
        stop_reason=message.stop_reason,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_write_tokens=usage.cache_creation_input_tokens or 0,
        cache_read_tokens=usage.cache_read_input_tokens or 0,
        attempts=attempts,
    )


def configured_provider(settings: AgentsSettings, http_client: httpx2.AsyncClient | None = None) -> Provider | None:
    """The provider the settings configure, or None (offline) when no API key is set.

    ``http_client`` replaces the provider's own connection pool (tests pass one with a fake API).
    """
    if settings.anthropic_api_key is None or not settings.anthropic_api_key.get_secret_value():
        return None
    return AnthropicProvider(
        api_key=settings.anthropic_api_key.get_secret_value(),
        base_url=settings.anthropic_base_url,
        http_client=http_client,
        request_timeout=settings.llm_request_timeout_seconds,
        max_attempts=settings.llm_max_attempts,
        retry_budget=settings.llm_retry_budget_seconds,
    )
