"""The ``python`` adapter: an in-process model named ``package.module:attr``.

Resolution of ``attr``:

* a class is instantiated with ``args`` (none if unset) and the instance is called;
* a function with ``args`` set is a factory: ``attr(**args)`` returns the model callable;
* a function (or any callable) without ``args`` is the model itself.

The model callable takes the rendered input (a ``str``; a ``list[str]`` when
``batch_size`` > 1) and returns a ``str`` or a dict ``{"output": str, "input_tokens":
int, "output_tokens": int}`` (a list of those for a batch). It may be ``async``.

A synchronous callable runs inline in the event loop (in-process models are usually
CPU-bound and threads only add overhead) unless ``threads: N`` asks for a thread pool.
Latency is measured with ``time.perf_counter`` around the call itself; for a batch each
item's latency is its share of the batch call (total / items). The system prompt and
params are not passed to the callable (bake them into ``args``); they still enter the
fingerprint.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import inspect
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from time import perf_counter
from typing import Any, Callable

from bouclier.adapters.base import Completion, ModelCallError, Request
from bouclier.adapters.registry import register_adapter
from bouclier.errors import ConfigError, Problem

__all__ = ["PythonBatchModel", "PythonModel", "build_python_model", "resolve_target"]


def _config_error(name: str, key: str, message: str, hint: str | None = None) -> ConfigError:
    return ConfigError(problems=[Problem(message, key=f"models.{name}.{key}", hint=hint)])


def resolve_target(target: str, *, base_dir: Path, model_name: str) -> tuple[Any, Any]:
    """Import ``package.module:attr`` (``base_dir`` first on ``sys.path``); return
    ``(module, attr)`` or raise :class:`ConfigError` naming the model, the target and the
    import error."""
    module_name, _, attr_path = target.partition(":")
    root = str(Path(base_dir).resolve())
    if root not in sys.path:
        sys.path.insert(0, root)
    try:
        module = importlib.import_module(module_name)
    except BaseException as exc:  # SyntaxError, SystemExit in user code, ...
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise _config_error(
            model_name,
            "target",
            f"cannot import '{module_name}' of target '{target}': {type(exc).__name__}: {exc}",
            hint=f"the module must be importable from {root} or the installed packages",
        ) from exc
    obj: Any = module
    for part in attr_path.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError as exc:
            raise _config_error(
                model_name,
                "target",
                f"target '{target}': module '{module_name}' has no attribute '{attr_path}'",
                hint=f"defined in {getattr(module, '__file__', module_name)}?",
            ) from exc
    return module, obj


def _is_async(fn: Any) -> bool:
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)
    )


def _source_digest(module: Any) -> str | None:
    """Digest of the target module's source, so that editing the model's code changes the
    fingerprint (and so the cache key)."""
    path = getattr(module, "__file__", None)
    if not path:
        return None
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def _exception_error(name: str, exc: BaseException, latency: float) -> ModelCallError:
    err = ModelCallError(
        f"model '{name}': the callable raised {type(exc).__name__}: {exc}",
        kind="exception",
        retryable=False,
        latency_s=latency,
    )
    err.__cause__ = exc
    return err


_EXPECTED_ITEM = "a str or a dict with 'output' (str), 'input_tokens', 'output_tokens' (int)"


def _invalid(name: str, value: Any, latency: float, expected: str = _EXPECTED_ITEM) -> ModelCallError:
    shown = repr(value)
    if len(shown) > 200:
        shown = shown[:200] + "..."
    return ModelCallError(
        f"model '{name}': the callable returned {type(value).__name__} {shown}; expected {expected}",
        kind="invalid_response",
        retryable=False,
        latency_s=latency,
    )


def _completion(name: str, value: Any, latency: float) -> Completion:
    if type(value) is str:
        return Completion(value, latency)
    if isinstance(value, dict):
        output = value.get("output")
        if isinstance(output, str):
            inp, out = value.get("input_tokens"), value.get("output_tokens")
            if (inp is None or isinstance(inp, int)) and (out is None or isinstance(out, int)):
                return Completion(output, latency, inp, out)
    elif isinstance(value, str):
        return Completion(str(value), latency)
    raise _invalid(name, value, latency)


class PythonModel:
    """An in-process callable behind the :class:`~bouclier.adapters.base.Model` protocol."""

    def __init__(
        self,
        name: str,
        fn: Callable[[Any], Any],
        *,
        fingerprint: str,
        threads: int = 0,
    ):
        self.name = name
        self._fn = fn
        self._fingerprint = fingerprint
        self._async = _is_async(fn)
        self._threads = 0 if self._async else threads
        self._pool: ThreadPoolExecutor | None = None
        # Inline sync code cannot be interrupted by an asyncio timer: the runner skips it.
        self.handles_timeout = not self._async and not self._threads

    def fingerprint(self) -> str:
        return self._fingerprint

    def _timed(self, arg: Any) -> tuple[Any, float]:
        t0 = perf_counter()
        try:
            value = self._fn(arg)
        except Exception as exc:
            raise _exception_error(self.name, exc, perf_counter() - t0) from exc
        return value, perf_counter() - t0

    async def _call(self, arg: Any) -> tuple[Any, float]:
        if self._async:
            t0 = perf_counter()
            try:
                value = await self._fn(arg)
            except Exception as exc:
                raise _exception_error(self.name, exc, perf_counter() - t0) from exc
            return value, perf_counter() - t0
        if self._threads:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix=f"bouclier-{self.name}")
            return await asyncio.get_running_loop().run_in_executor(self._pool, self._timed, arg)
        return self._timed(arg)

    async def complete(self, request: Request) -> Completion:
        if not self._async and not self._threads:  # the hot path: no await, no allocation
            t0 = perf_counter()
            try:
                value = self._fn(request.input)
            except Exception as exc:
                raise _exception_error(self.name, exc, perf_counter() - t0) from exc
            latency = perf_counter() - t0
        else:
            value, latency = await self._call(request.input)
        if type(value) is not str and inspect.isawaitable(value):
            value, latency = await self._await(value, latency)
        return _completion(self.name, value, latency)

    async def _await(self, awaitable: Any, latency: float) -> tuple[Any, float]:
        """A sync callable that returned an awaitable (a lambda around an async function,
        a decorated coroutine): wait for it and count its time too."""
        t0 = perf_counter()
        try:
            value = await awaitable
        except Exception as exc:
            raise _exception_error(self.name, exc, latency + perf_counter() - t0) from exc
        return value, latency + perf_counter() - t0

    async def aclose(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


class PythonBatchModel(PythonModel):
    """A callable that takes a list of inputs (``batch_size`` > 1)."""

    def __init__(self, name: str, fn: Callable[[Any], Any], *, fingerprint: str, threads: int = 0, batch_size: int):
        super().__init__(name, fn, fingerprint=fingerprint, threads=threads)
        self.batch_size = batch_size

    async def complete(self, request: Request) -> Completion:
        result = (await self.complete_batch([request]))[0]
        if isinstance(result, ModelCallError):
            raise result
        return result

    async def complete_batch(self, requests: list[Request]) -> list[Completion | ModelCallError]:
        """One call with every input; each item's latency is the batch time / items."""
        n = len(requests)
        if n == 0:
            return []
        try:
            values, total = await self._call([r.input for r in requests])
            if not isinstance(values, list) and inspect.isawaitable(values):
                values, total = await self._await(values, total)
        except ModelCallError as err:
            return [err] * n
        share = total / n
        if not isinstance(values, (list, tuple)) or len(values) != n:
            err = _invalid(self.name, values, share, f"a list of {n} items (one per input), each {_EXPECTED_ITEM}")
            return [err] * n
        out: list[Completion | ModelCallError] = []
        for value in values:
            try:
                out.append(_completion(self.name, value, share))
            except ModelCallError as err:
                out.append(err)
        return out


def _fingerprint(config: Any, module: Any) -> str:
    doc = {
        "adapter": "python",
        "target": config.target,
        "args": config.args,
        "batch_size": config.batch_size,
        "system": config.system,
        "params": config.params,
        "source_sha256": _source_digest(module),
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


@register_adapter("python")
def build_python_model(
    name: str, config: Any, *, base_dir: Path, concurrency: int = 16, timeout_s: float | None = None
) -> PythonModel:
    """Import the target and build the model (the adapter factory of ``python``)."""
    module, obj = resolve_target(config.target, base_dir=base_dir, model_name=name)
    args = config.args
    if inspect.isclass(obj):
        what = "instantiating"
    elif args is not None:
        what = "calling the factory"
    else:
        what = None
    if what is not None:
        try:
            fn = obj(**(args or {}))
        except Exception as exc:
            raise _config_error(
                name,
                "args" if args else "target",
                f"{what} '{config.target}' failed: {type(exc).__name__}: {exc}",
            ) from exc
    else:
        fn = obj
    if not callable(fn):
        raise _config_error(
            name,
            "target",
            f"'{config.target}' gives a {type(fn).__name__}, which is not callable",
            hint="point the target at a function, a class with __call__, or a factory (with args)",
        )
    fingerprint = _fingerprint(config, module)
    threads = getattr(config, "threads", 0)
    if config.batch_size > 1:
        return PythonBatchModel(name, fn, fingerprint=fingerprint, threads=threads, batch_size=config.batch_size)
    return PythonModel(name, fn, fingerprint=fingerprint, threads=threads)
