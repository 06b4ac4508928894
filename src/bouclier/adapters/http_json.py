"""The ``http`` adapter: any JSON-over-HTTP model.

The configured ``body`` is a JSON template: every string in it may use ``{{input}}``
(the rendered model input), ``{{system}}`` (the system prompt, "" if none),
``{{params.NAME}}`` (the model's params merged with the request's) and any field of the
dataset row (``{{lang}}``, ``{{meta.id}}``). A string that is exactly one placeholder
keeps the value's JSON type. The answer is read at ``response_path`` (dotted, list
indexes allowed: ``data.0.text``); a string is taken as is, any other value as JSON text.
Header values can come from environment variables (``headers_env``), checked when the
model is built and never shown. Errors map as in
:mod:`bouclier.adapters.http_transport`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from bouclier.adapters.base import Completion, ModelCallError, Request
from bouclier.adapters.http_transport import JSONTransport, env_value
from bouclier.adapters.registry import register_adapter
from bouclier.data.template import TemplateFieldError, compile_json, template_fields

__all__ = ["HTTPModel", "build_http_model", "read_path"]

_MISSING = object()


def read_path(doc: Any, path: tuple[str, ...]) -> Any:
    """The value at a dotted path (already split) in a JSON document, or ``_MISSING``."""
    value = doc
    for step in path:
        if isinstance(value, dict):
            value = value.get(step, _MISSING)
        elif isinstance(value, list) and step.lstrip("-").isdigit():
            index = int(step)
            value = value[index] if -len(value) <= index < len(value) else _MISSING
        else:
            return _MISSING
        if value is _MISSING:
            return _MISSING
    return value


class HTTPModel:
    """A model behind a JSON HTTP endpoint."""

    def __init__(
        self,
        name: str,
        config: Any,
        *,
        secret_headers: dict[str, str],
        concurrency: int = 16,
        timeout_s: float | None = None,
    ):
        self.name = name
        self.config = config
        self.url = config.url
        self.method = config.method
        self._body = compile_json(config.body)
        self._path = tuple(config.response_path.split("."))
        self._params = dict(config.params)
        self._transport = JSONTransport(
            model_name=name,
            headers={**config.headers, **secret_headers},
            concurrency=concurrency,
            timeout_s=timeout_s,
        )
        self.handles_timeout = timeout_s is not None  # enforced on the wire
        doc = {
            "adapter": "http",
            "url": config.url,
            "method": config.method,
            "body": config.body,
            "response_path": config.response_path,
            "headers": config.headers,
            "headers_env": sorted(config.headers_env),  # names only, never values
            "params": config.params,
            "system": config.system,
        }
        self._fingerprint = hashlib.sha256(
            json.dumps(doc, sort_keys=True, default=str).encode()
        ).hexdigest()

    def fingerprint(self) -> str:
        return self._fingerprint

    def row_fields(self) -> set[str]:
        """Top-level row fields the body template uses (to check a dataset up front)."""
        found: set[str] = set()

        def walk(node: Any) -> None:
            if isinstance(node, str):
                found.update(f.split(".")[0] for f in template_fields(node))
            elif isinstance(node, dict):
                for k, v in node.items():
                    walk(str(k))
                    walk(v)
            elif isinstance(node, list):
                for v in node:
                    walk(v)

        walk(self.config.body)
        return found - {"input", "system", "params"}

    def body(self, request: Request) -> Any:
        """The JSON body sent for ``request``."""
        system = request.system if request.system is not None else self.config.system
        fields = dict(request.fields)
        fields["input"] = request.input
        fields["system"] = system or ""
        fields["params"] = {**self._params, **request.params} if request.params else self._params
        return self._body(fields)

    async def complete(self, request: Request) -> Completion:
        try:
            body = self.body(request)
        except TemplateFieldError as exc:
            raise ModelCallError(
                f"model '{self.name}': body of {self.method} {self.url}: {exc}",
                kind="exception",
                retryable=False,
                url=self.url,
            ) from exc
        doc, raw, latency = await self._transport.request_json(self.method, self.url, body)
        value = read_path(doc, self._path)
        if value is _MISSING or value is None:
            raise self._transport.invalid(
                f"no value at response_path '{self.config.response_path}'",
                raw, self.method, self.url, latency,
            )
        output = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        return Completion(output, latency)

    async def aclose(self) -> None:
        await self._transport.aclose()


@register_adapter("http")
def build_http_model(
    name: str, config: Any, *, base_dir: Path, concurrency: int = 16, timeout_s: float | None = None
) -> HTTPModel:
    """The adapter factory of ``http``: reads ``headers_env`` variables now."""
    secret_headers = {
        header: env_value(variable, model_name=name, key=f"headers_env.{header}")
        for header, variable in config.headers_env.items()
    }
    return HTTPModel(
        name, config, secret_headers=secret_headers, concurrency=concurrency, timeout_s=timeout_s
    )
