"""What AI calls cost: a dated price table per model, the model behind each tier, and estimates.

Prices are USD per million tokens, as published on Anthropic's model pages on :data:`PRICES_AS_OF`;
when they change, change the table and the date together. Costs round up to the micro-dollar, so
the books never show less than the provider will bill.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal

PRICES_AS_OF = date(2026, 11, 26)
MICRO_USD = Decimal("0.000001")
_MILLION = Decimal(1_000_000)

TIERS = ("fast", "standard", "advanced")
DEFAULT_TIER = "standard"
DEFAULT_TIER_MODELS = {"fast": "claude-haiku-5-5", "standard": "claude-sonnet-5-5", "advanced": "claude-opus-5-5"}

# The provider wraps a request in its own framing (the tool-use system prompt, message markup):
# a few hundred tokens, bounded here generously so estimates stay upper bounds.
FRAMING_TOKENS = 1024
# Prompt caching is never requested; should the API still report cache tokens, they are billed at
# the published multipliers of the input price (5-minute writes 1.25x, reads 0.1x).
CACHE_WRITE_FACTOR = Decimal("1.25")
CACHE_READ_FACTOR = Decimal("0.1")


@dataclass(frozen=True)
class ModelPrice:
    """A model's rates, and whether it accepts a forced ``tool_choice``."""

    input_usd: Decimal  # per million input tokens
    output_usd: Decimal  # per million output tokens
    # The 5-generation models answer a forced tool_choice with HTTP 400 (their migration guides);
    # they get tool_choice "auto", an instruction to call the tool, and the repair step.
    forced_tool_choice: bool = False
    # Above this prompt size the long-prompt rates apply to the whole request (Haiku 5.5).
    long_prompt_tokens: int | None = None
    long_input_usd: Decimal | None = None
    long_output_usd: Decimal | None = None

    def rates(self, prompt_tokens: int) -> tuple[Decimal, Decimal]:
        """USD per million (input, output) tokens for a request with ``prompt_tokens`` of prompt."""
        if self.long_prompt_tokens is not None and prompt_tokens > self.long_prompt_tokens:
            return self.long_input_usd or self.input_usd, self.long_output_usd or self.output_usd
        return self.input_usd, self.output_usd


def _usd(value: str) -> Decimal:
    return Decimal(value)


PRICES: dict[str, ModelPrice] = {
    "claude-haiku-5-5": ModelPrice(
        _usd("0.10"),
        _usd("0.50"),
        long_prompt_tokens=100_000,
        long_input_usd=_usd("0.50"),
        long_output_usd=_usd("2.50"),
    ),
    "claude-sonnet-5-5": ModelPrice(_usd("2"), _usd("10")),
    "claude-opus-5-5": ModelPrice(_usd("4"), _usd("20")),
    "claude-fable-5-2": ModelPrice(_usd("8"), _usd("40")),
    "claude-fable-5-1": ModelPrice(_usd("10"), _usd("50")),
    "claude-sonnet-5": ModelPrice(_usd("2"), _usd("10")),
    "claude-opus-5": ModelPrice(_usd("5"), _usd("25")),
    "claude-opus-4-8": ModelPrice(_usd("5"), _usd("25")),
    "claude-opus-4-7": ModelPrice(_usd("5"), _usd("25")),
    "claude-opus-4-6": ModelPrice(_usd("5"), _usd("25"), forced_tool_choice=True),
    "claude-sonnet-4-6": ModelPrice(_usd("3"), _usd("15"), forced_tool_choice=True),
    "claude-haiku-4-5": ModelPrice(_usd("1"), _usd("5"), forced_tool_choice=True),
    "claude-haiku-4-5-20251001": ModelPrice(_usd("1"), _usd("5"), forced_tool_choice=True),
}

# A model missing from the table (a project may pin any name) is charged at the highest rates we
# know, so a budget is never overrun by a price we do not have.
UNLISTED = ModelPrice(
    max(p.long_input_usd or p.input_usd for p in PRICES.values()),
    max(p.long_output_usd or p.output_usd for p in PRICES.values()),
)


def price_of(model: str) -> ModelPrice:
    """The rates of ``model`` (the highest known rates when it is not in the table)."""
    return PRICES.get(model, UNLISTED)


def _round_up(value: Decimal) -> Decimal:
    return value.quantize(MICRO_USD, rounding=ROUND_CEILING)


def cost(
    model: str, *, input_tokens: int, output_tokens: int, cache_write_tokens: int = 0, cache_read_tokens: int = 0
) -> Decimal:
    """What one request to ``model`` with this usage costs, in USD."""
    prompt_tokens = input_tokens + cache_write_tokens + cache_read_tokens
    input_rate, output_rate = price_of(model).rates(prompt_tokens)
    billed_input = input_tokens + cache_write_tokens * CACHE_WRITE_FACTOR + cache_read_tokens * CACHE_READ_FACTOR
    return _round_up((billed_input * input_rate + output_tokens * output_rate) / _MILLION)


def prompt_tokens_at_most(prompt_bytes: int) -> int:
    """An upper bound of the tokens in a prompt of ``prompt_bytes`` UTF-8 bytes.

    Every token of Claude's byte-level tokenizer stands for at least one byte of text.
    """
    return prompt_bytes + FRAMING_TOKENS


def estimate(model: str, *, prompt_bytes: int, max_output_tokens: int) -> Decimal:
    """The most one request can cost: the whole prompt as tokens, and every output token allowed."""
    tokens = prompt_tokens_at_most(prompt_bytes)
    input_rate, output_rate = price_of(model).rates(tokens)
    return _round_up((tokens * input_rate + max_output_tokens * output_rate) / _MILLION)


def usd(amount: Decimal) -> str:
    """An amount as plain decimal text without trailing zeros: ``"0.0054"``, ``"25"``."""
    return format(amount.quantize(MICRO_USD).normalize(), "f")
