"""The scorer contract and its registry.

A scorer turns one model output into one number for one case. Binary scorers return 1.0
(right) or 0.0 (wrong); the gate then uses tests made for paired pass/fail data. A call
that failed is scored by the runner's rule (a failed call is a wrong answer), never here.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable, Protocol, runtime_checkable

from bouclier.data import Case
from bouclier.errors import ConfigError, Problem


@runtime_checkable
class Scorer(Protocol):
    """Optional attributes: ``higher_is_better`` (default True), ``needs_reference``
    (default True: the suite must name an expected field) and
    ``explain(output, case, reference) -> str | None``, a short redacted description of
    what the score found (shown in reports for leak scorers).

    A model-graded scorer (``judge``, ``similarity``) also has ``check`` and an async
    ``score_batch``: see :mod:`bouclier.scoring.graded`."""

    name: str
    binary: bool

    def score(self, output: str, case: Case, reference: Any) -> float:
        """Score one output. ``reference`` is the case's expected value (or the field
        the scorer was configured with)."""


ScorerFactory = Callable[..., Scorer]
_REGISTRY: dict[str, ScorerFactory] = {}


def register_scorer(name: str) -> Callable[[ScorerFactory], ScorerFactory]:
    """Register a scorer factory under ``name``; it is called with the scorer's options."""

    def decorate(factory: ScorerFactory) -> ScorerFactory:
        _REGISTRY[name] = factory
        return factory

    return decorate


def scorer_names() -> list[str]:
    _load_builtins()
    return sorted(_REGISTRY)


def _load_builtins() -> None:
    import bouclier.scoring.builtin  # noqa: F401  (registers on import)
    import bouclier.scoring.language  # noqa: F401
    import bouclier.scoring.judge  # noqa: F401
    import bouclier.scoring.leaks  # noqa: F401
    import bouclier.scoring.similarity  # noqa: F401


class FunctionScorer:
    """A user scorer ``module:function``: ``function(output, reference, case) -> float | bool``."""

    def __init__(self, name: str, fn: Callable[..., Any], binary: bool):
        self.name = name
        self.fn = fn
        self.binary = binary

    def score(self, output: str, case: Case, reference: Any) -> float:
        value = self.fn(output, reference, case)
        return float(value)


def build_scorer(name: str, options: dict[str, Any], *, where: str) -> Scorer:
    """Build a registered scorer, or import a user one; errors name the config key."""
    _load_builtins()
    if name in _REGISTRY:
        try:
            return _REGISTRY[name](**options)
        except TypeError as exc:
            raise ConfigError(problems=[Problem(f"bad options for scorer '{name}': {exc}", key=where)]) from exc
        except ValueError as exc:
            raise ConfigError(problems=[Problem(f"scorer '{name}': {exc}", key=where)]) from exc
    module_name, sep, attr = name.partition(":")
    if not sep:
        raise ConfigError(problems=[Problem(
            f"unknown scorer '{name}'", key=where,
            hint=f"built-in scorers: {', '.join(sorted(_REGISTRY))}; or 'module:function'")])
    try:
        fn = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(problems=[Problem(f"cannot import scorer '{name}': {exc}", key=where)]) from exc
    options = dict(options)
    binary = bool(options.pop("binary", False))
    if options:
        raise ConfigError(problems=[Problem(
            f"user scorer '{name}' takes only the option 'binary', found {', '.join(options)}", key=where)])
    return FunctionScorer(name, fn, binary)
