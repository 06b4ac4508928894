"""Prices and token counts.

A call's tokens come from the API's ``usage`` when it reports them; otherwise from the
model's configured tokenizer (``cost.tokenizer: module:function`` counting the tokens of
a string) applied to the input (system prompt + input) and the output. With neither, the
cost is *unknown* -- never zero. ``usd = input_tokens x input price + output_tokens x
output price`` (prices per million tokens).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from bouclier.errors import ConfigError, DataError, Problem
from bouclier.gate.result import ModelCost

HEURISTIC = "chars/4"


def heuristic_tokens(text: str) -> int:
    """The documented fallback of ``--estimate``: one token per 4 characters (rounded up),
    close to English BPE tokenizers, low for CJK text and code."""
    return math.ceil(len(text) / 4)


class TokenCounter:
    """A user tokenizer ``module:function``: ``function(text) -> int``."""

    def __init__(self, fn: Callable[[str], Any], *, target: str, model_name: str):
        self._fn = fn
        self.target = target
        self.model_name = model_name

    def __call__(self, text: str) -> int:
        try:
            value = self._fn(text)
        except Exception as exc:
            raise DataError(problems=[Problem(
                f"tokenizer '{self.target}' raised {type(exc).__name__}: {exc}",
                key=f"models.{self.model_name}.cost.tokenizer")]) from exc
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise DataError(problems=[Problem(
                f"tokenizer '{self.target}' returned {value!r}; expected a token count (int >= 0)",
                key=f"models.{self.model_name}.cost.tokenizer")])
        return value


def load_tokenizer(target: str, *, base_dir: Path, model_name: str) -> TokenCounter:
    from bouclier.adapters.python_callable import resolve_target

    _, fn = resolve_target(target, base_dir=base_dir, model_name=model_name)
    if not callable(fn):
        raise ConfigError(problems=[Problem(f"tokenizer '{target}' is a {type(fn).__name__}, not a function",
                                            key=f"models.{model_name}.cost.tokenizer")])
    return TokenCounter(fn, target=target, model_name=model_name)


@dataclass
class Pricing:
    """How one model's calls are priced."""

    model_name: str
    input_per_million: float | None = None
    output_per_million: float | None = None
    counter: TokenCounter | None = None

    @property
    def priced(self) -> bool:
        return self.input_per_million is not None and self.output_per_million is not None

    @property
    def no_price_reason(self) -> str:
        return (f"no price for model '{self.model_name}' (set models.{self.model_name}.cost."
                "input_usd_per_million and output_usd_per_million)")

    @property
    def no_tokens_reason(self) -> str:
        return (f"model '{self.model_name}' returned no token usage and no tokenizer is configured "
                f"(models.{self.model_name}.cost.tokenizer)")

    def tokens(self, *, text: str, system: str | None, output: str | None,
               input_tokens: int | None, output_tokens: int | None) -> tuple[int, int, str] | None:
        """(input, output, source) of one answered call, or None when they cannot be known."""
        if input_tokens is not None and output_tokens is not None:
            return input_tokens, output_tokens, "usage"
        if self.counter is None:
            return None
        if input_tokens is None:
            input_tokens = self.counter((system + "\n" if system else "") + text)
        if output_tokens is None:
            output_tokens = self.counter(output or "")
        return input_tokens, output_tokens, "tokenizer"

    def usd(self, input_tokens: int, output_tokens: int) -> float | None:
        if not self.priced:
            return None
        return (input_tokens * self.input_per_million + output_tokens * self.output_per_million) / 1e6

    def call_usd(self, **call: Any) -> float | None:
        """USD of one call (see :meth:`tokens`), None when unknown."""
        found = self.tokens(**call)
        return None if found is None else self.usd(found[0], found[1])


def build_pricing(name: str, mcfg: Any, *, base_dir: Path) -> Pricing:
    cost = getattr(mcfg, "cost", None)
    if cost is None:
        return Pricing(name)
    counter = load_tokenizer(cost.tokenizer, base_dir=base_dir, model_name=name) if cost.tokenizer else None
    return Pricing(name, cost.input_usd_per_million, cost.output_usd_per_million, counter)


@dataclass(frozen=True, slots=True)
class Call:
    """One answered (or failed) call, as far as its price goes."""

    text: str
    system: str | None
    output: str | None
    input_tokens: int | None
    output_tokens: int | None
    ok: bool
    cached: bool = False


def summarize_cost(pricing: Pricing, calls: Iterable[Call]) -> ModelCost:
    """The cost of a model's calls in one suite. Failed calls are not priced (no answer
    came back); one answered call without tokens makes the whole cost unknown."""
    n = tin = tout = 0
    sources: set[str] = set()
    usd = spent = 0.0
    missing = 0
    for call in calls:
        if not call.ok:
            continue
        found = pricing.tokens(text=call.text, system=call.system, output=call.output,
                               input_tokens=call.input_tokens, output_tokens=call.output_tokens)
        if found is None:
            missing += 1
            continue
        n += 1
        tin += found[0]
        tout += found[1]
        sources.add(found[2])
        if pricing.priced:
            one = pricing.usd(found[0], found[1])
            usd += one
            if not call.cached:
                spent += one
    source = "+".join(sorted(sources)) or None
    if not pricing.priced:
        return ModelCost(known=False, reason=pricing.no_price_reason, requests=n + missing,
                         input_tokens=None if missing else tin, output_tokens=None if missing else tout,
                         token_source=source)
    if missing:
        return ModelCost(known=False, reason=f"{pricing.no_tokens_reason}: {missing} answered calls without "
                         "token counts", requests=n + missing, token_source=source)
    return ModelCost(known=True, requests=n, input_tokens=tin, output_tokens=tout, token_source=source, usd=usd,
                     usd_per_1k=(usd / n * 1000) if n else None, spent_usd=spent)
