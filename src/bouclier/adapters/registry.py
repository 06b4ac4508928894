"""Adapters by name: the built-in ones and third-party ones from entry points.

An adapter factory has the signature::

    factory(name: str, config, *, base_dir: Path, concurrency: int,
            timeout_s: float | None) -> Model

``name`` is the model's key in ``bouclier.yaml`` (for error messages), ``config`` its
configuration (any object with an ``adapter`` attribute), ``base_dir`` the directory of
the configuration file, ``concurrency`` the most calls the runner will have in flight on
this model, and ``timeout_s`` the per-call timeout (adapters that can enforce it on the
wire do; the runner enforces it anyway).

Built-in adapters are imported only when a model uses them (aiohttp is not imported for
a run of in-process models). A package adds an adapter by declaring an entry point in
the ``bouclier.adapters`` group whose name is the adapter name and whose object is the
factory; it is loaded only when a configuration asks for that name.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Callable, TypeVar

from bouclier.adapters.base import Model
from bouclier.errors import ConfigError, Problem

__all__ = ["ENTRY_POINT_GROUP", "adapter_names", "build_model", "register_adapter"]

ENTRY_POINT_GROUP = "bouclier.adapters"
DEFAULT_CONCURRENCY = 16

AdapterFactory = Callable[..., Model]
F = TypeVar("F", bound=AdapterFactory)

_BUILTIN_MODULES = {
    "python": "bouclier.adapters.python_callable",
    "openai": "bouclier.adapters.openai_compat",
    "http": "bouclier.adapters.http_json",
}
_factories: dict[str, AdapterFactory] = {}


def register_adapter(name: str) -> Callable[[F], F]:
    """Register ``factory`` under ``name`` (decorator). A later registration of the same
    name replaces the earlier one (so a test or a plugin can override a built-in)."""

    def decorator(factory: F) -> F:
        _factories[name] = factory
        return factory

    return decorator


def adapter_names() -> list[str]:
    """Every adapter name a configuration may use (without loading any of them)."""
    names = set(_BUILTIN_MODULES) | set(_factories)
    names |= {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return sorted(names)


def _factory(adapter: str, model_name: str) -> AdapterFactory:
    factory = _factories.get(adapter)
    if factory is not None:
        return factory
    module = _BUILTIN_MODULES.get(adapter)
    if module is not None:
        importlib.import_module(module)  # registers itself
        return _factories[adapter]
    for ep in entry_points(group=ENTRY_POINT_GROUP, name=adapter):
        try:
            factory = ep.load()
        except Exception as exc:  # a broken plugin is the user's environment, not a bug
            raise ConfigError(
                problems=[
                    Problem(
                        f"cannot load adapter '{adapter}' from entry point '{ep.value}': "
                        f"{type(exc).__name__}: {exc}",
                        key=f"models.{model_name}.adapter",
                        hint="reinstall the package that provides it",
                    )
                ]
            ) from exc
        _factories[adapter] = factory
        return factory
    raise ConfigError(
        problems=[
            Problem(
                f"unknown adapter '{adapter}' (known: {', '.join(adapter_names())})",
                key=f"models.{model_name}.adapter",
                hint=f"install the package that provides it (entry point group '{ENTRY_POINT_GROUP}')",
            )
        ]
    )


def build_model(
    name: str,
    config: Any,
    *,
    base_dir: Path,
    concurrency: int = DEFAULT_CONCURRENCY,
    timeout_s: float | None = None,
) -> Model:
    """Build the model called ``name`` from its configuration.

    Raises :class:`~bouclier.errors.ConfigError` when the model cannot be built (unknown
    adapter, unimportable target, unset environment variable, ...). Nothing is sent over
    the network here.
    """
    adapter = getattr(config, "adapter", None)
    if not isinstance(adapter, str):
        raise ConfigError(
            problems=[Problem("missing 'adapter'", key=f"models.{name}", hint="e.g. adapter: openai")]
        )
    factory = _factory(adapter, name)
    return factory(
        name, config, base_dir=Path(base_dir), concurrency=concurrency, timeout_s=timeout_s
    )
