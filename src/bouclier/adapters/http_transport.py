"""JSON over HTTP with aiohttp, shared by the ``openai`` and ``http`` adapters.

One :class:`JSONTransport` per model: one ``aiohttp.ClientSession`` created lazily in the
running event loop, its connector limited to the model's concurrency, closed by
:meth:`JSONTransport.aclose`. Every failure becomes a :class:`ModelCallError` whose
message names the model, the method and the URL:

=====================================  ============  =========
what happened                          kind          retryable
=====================================  ============  =========
429, 503 (``retry_after`` parsed)      http          yes
408, other 5xx                         http          yes
other 4xx, 3xx                         http          no (message has the server's error text)
refused, reset, DNS, broken body       connection    yes
``timeout_s`` exceeded                 timeout       yes
2xx body that is not JSON              invalid_response  no
=====================================  ============  =========

aiohttp was chosen over httpx by measurement of the client's CPU time per request
(``benchmarks/http_client_cpu.py``; figures in ``docs/benchmarks.md``).
"""

from __future__ import annotations

import asyncio
import json
import os
from time import perf_counter
from typing import Any, Mapping

import aiohttp

from bouclier.adapters.base import ModelCallError
from bouclier.adapters.retry import parse_retry_after
from bouclier.errors import ConfigError, Problem

__all__ = ["JSONTransport", "env_value", "error_text", "truncate"]

_ERROR_TEXT_LIMIT = 300


def truncate(text: str, limit: int = _ERROR_TEXT_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


def error_text(raw: bytes) -> str:
    """The server's own error message when the body is an OpenAI-style error, else the
    body itself (truncated)."""
    text = raw.decode("utf-8", "replace")
    try:
        doc = json.loads(text)
    except ValueError:
        return truncate(text)
    if isinstance(doc, dict):
        err = doc.get("error", doc.get("detail", doc.get("message")))
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return truncate(err["message"])
        if isinstance(err, str):
            return truncate(err)
    return truncate(text)


def env_value(variable: str, *, model_name: str, key: str) -> str:
    """The value of an environment variable that a model needs, or a ConfigError naming
    the variable and the model (the value itself is never shown)."""
    value = os.environ.get(variable)
    if value is None or value == "":
        raise ConfigError(
            problems=[
                Problem(
                    f"environment variable {variable} is not set (model '{model_name}' needs it)",
                    key=f"models.{model_name}.{key}",
                    hint=f"export {variable}=... before running bouclier",
                )
            ]
        )
    return value


class JSONTransport:
    """POST/PUT a JSON body and get JSON (or a stream of lines) back."""

    def __init__(
        self,
        *,
        model_name: str,
        headers: Mapping[str, str] | None = None,
        concurrency: int = 16,
        timeout_s: float | None = None,
    ):
        self.model_name = model_name
        self._headers = {"Content-Type": "application/json", **(headers or {})}
        self._concurrency = max(1, int(concurrency))
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _get_session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            connector = aiohttp.TCPConnector(limit=self._concurrency, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector, headers=self._headers, timeout=self._timeout
            )
            self._loop = loop
        return self._session

    # ------------------------------------------------------------------ errors
    def _prefix(self, method: str, url: str) -> str:
        return f"model '{self.model_name}': {method} {url}"

    def failure(self, exc: BaseException, method: str, url: str, latency: float) -> ModelCallError:
        """Map an exception raised while talking to the server."""
        if isinstance(exc, asyncio.TimeoutError):
            return ModelCallError(
                f"{self._prefix(method, url)}: timed out after {latency:.1f}s",
                kind="timeout", retryable=True, url=url, latency_s=latency,
            )
        detail = str(exc) or type(exc).__name__
        return ModelCallError(
            f"{self._prefix(method, url)}: connection failed: {type(exc).__name__}: {detail}",
            kind="connection", retryable=True, url=url, latency_s=latency,
        )

    def http_error(
        self, status: int, headers: Mapping[str, str], raw: bytes, method: str, url: str, latency: float
    ) -> ModelCallError:
        retry_after = None
        if status in (429, 503):
            retry_after = parse_retry_after(headers.get("Retry-After"))
        retryable = status in (408, 429) or status >= 500
        return ModelCallError(
            f"{self._prefix(method, url)} -> HTTP {status}: {error_text(raw) or '(empty body)'}",
            kind="http", retryable=retryable, retry_after=retry_after, status=status,
            url=url, latency_s=latency,
        )

    def invalid(self, what: str, raw: bytes | str, method: str, url: str, latency: float, status: int | None = None) -> ModelCallError:
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        return ModelCallError(
            f"{self._prefix(method, url)}: {what}; body: {truncate(text, 200) or '(empty)'}",
            kind="invalid_response", retryable=False, status=status, url=url, latency_s=latency,
        )

    # ------------------------------------------------------------------ calls
    async def open(self, method: str, url: str, body: Any, t0: float) -> aiohttp.ClientResponse:
        """Send the request; return the response (2xx, body unread) or raise the mapped
        error. The caller releases the response."""
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        try:
            resp = await self._get_session().request(method, url, data=data, allow_redirects=False)
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise self.failure(exc, method, url, perf_counter() - t0) from exc
        if 200 <= resp.status < 300:
            return resp
        try:
            raw = await resp.read()
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
            raw = b""
        finally:
            resp.release()
        raise self.http_error(resp.status, resp.headers, raw, method, url, perf_counter() - t0)

    async def request_json(self, method: str, url: str, body: Any) -> tuple[Any, bytes, float]:
        """(parsed JSON, raw body, latency in seconds) of one call."""
        t0 = perf_counter()
        resp = await self.open(method, url, body, t0)
        try:
            raw = await resp.read()
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise self.failure(exc, method, url, perf_counter() - t0) from exc
        finally:
            resp.release()
        latency = perf_counter() - t0
        try:
            doc = json.loads(raw)
        except ValueError:
            raise self.invalid("the response is not JSON", raw, method, url, latency, resp.status) from None
        return doc, raw, latency

    async def aclose(self) -> None:
        session, self._session = self._session, None
        # A session created in another (finished) event loop cannot be closed from this one;
        # its sockets went with that loop.
        if session is not None and not session.closed and self._loop is asyncio.get_running_loop():
            await session.close()
        self._loop = None
