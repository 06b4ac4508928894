"""The ``openai`` adapter: any OpenAI-compatible server (OpenAI, vLLM, llama.cpp, TGI, ...).

``endpoint: chat`` posts ``{"model", "messages": [system?, user], **params}`` to
``{base_url}/chat/completions`` and reads ``choices[0].message.content`` and ``usage``.
With ``stream: true`` the answer comes as server-sent events: the deltas are
accumulated, ``ttft_s`` is the time to the first non-empty delta, and usage is read from
the final chunk when the server sends it (``stream_options.include_usage`` is asked for;
set ``params.stream_options: null`` for servers that reject it).

``endpoint: embeddings`` posts ``{"model", "input", **params}`` to ``{base_url}/embeddings``;
:meth:`OpenAIModel.embed` returns the vectors, and :meth:`OpenAIModel.complete` returns
the vector of the input as JSON text (so an embedding model can be gated too).
``embed`` also works on a chat model's server (for the similarity scorer).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from time import perf_counter
from typing import Any

import aiohttp

from bouclier.adapters.base import Completion, Request
from bouclier.adapters.http_transport import JSONTransport, env_value
from bouclier.adapters.registry import register_adapter

__all__ = ["OpenAIModel", "build_openai_model"]


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class OpenAIModel:
    """A model behind an OpenAI-compatible HTTP API."""

    def __init__(
        self,
        name: str,
        config: Any,
        *,
        api_key: str | None,
        concurrency: int = 16,
        timeout_s: float | None = None,
    ):
        self.name = name
        self.config = config
        base = config.base_url.rstrip("/")
        self.chat_url = f"{base}/chat/completions"
        self.embeddings_url = f"{base}/embeddings"
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._transport = JSONTransport(
            model_name=name, headers=headers, concurrency=concurrency, timeout_s=timeout_s
        )
        self.handles_timeout = timeout_s is not None  # enforced on the wire
        self._params = dict(config.params)
        doc = {
            "adapter": "openai",
            "base_url": base,
            "model": config.model,
            "endpoint": config.endpoint,
            "params": config.params,
            "system": config.system,
        }
        self._fingerprint = hashlib.sha256(
            json.dumps(doc, sort_keys=True, default=str).encode()
        ).hexdigest()

    def fingerprint(self) -> str:
        return self._fingerprint

    # ------------------------------------------------------------------ chat
    def _chat_body(self, request: Request) -> dict[str, Any]:
        system = request.system if request.system is not None else self.config.system
        messages = [{"role": "user", "content": request.input}]
        if system:
            messages.insert(0, {"role": "system", "content": system})
        body: dict[str, Any] = {"model": self.config.model, "messages": messages}
        body.update(self._params)
        if request.params:
            body.update(request.params)
        if self.config.stream:
            body["stream"] = True
            if "stream_options" not in body:
                body["stream_options"] = {"include_usage": True}
            elif body["stream_options"] is None:
                del body["stream_options"]
        return body

    async def complete(self, request: Request) -> Completion:
        if self.config.endpoint == "embeddings":
            return await self._complete_embedding(request)
        if self.config.stream:
            return await self._complete_stream(request)
        doc, raw, latency = await self._transport.request_json("POST", self.chat_url, self._chat_body(request))
        try:
            content = doc["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            content = None
        if not isinstance(content, str):
            raise self._transport.invalid(
                "the response has no choices[0].message.content (str)", raw, "POST", self.chat_url, latency
            )
        usage = doc.get("usage") if isinstance(doc, dict) else None
        usage = usage if isinstance(usage, dict) else {}
        return Completion(
            content,
            latency,
            _int_or_none(usage.get("prompt_tokens")),
            _int_or_none(usage.get("completion_tokens")),
        )

    async def _complete_stream(self, request: Request) -> Completion:
        url, transport = self.chat_url, self._transport
        t0 = perf_counter()
        resp = await transport.open("POST", url, self._chat_body(request), t0)
        parts: list[str] = []
        ttft: float | None = None
        usage: dict[str, Any] = {}
        done = False
        try:
            async for line in resp.content:
                if not line.startswith(b"data:"):
                    continue  # blank separators, comments (':'), event:/id: lines
                data = line[5:].strip()
                if data == b"[DONE]":
                    done = True
                    break
                try:
                    chunk = json.loads(data)
                except ValueError:
                    raise transport.invalid(
                        "a server-sent event is not JSON", data, "POST", url, perf_counter() - t0
                    ) from None
                if not isinstance(chunk, dict):
                    continue
                if isinstance(chunk.get("error"), (dict, str)):
                    raise transport.invalid(
                        "the stream carried an error", data, "POST", url, perf_counter() - t0
                    )
                choices = chunk.get("choices")
                if choices and isinstance(choices, list) and isinstance(choices[0], dict):
                    delta = choices[0].get("delta") or {}
                    piece = delta.get("content") if isinstance(delta, dict) else None
                    if isinstance(piece, str) and piece:
                        if ttft is None:
                            ttft = perf_counter() - t0
                        parts.append(piece)
                if isinstance(chunk.get("usage"), dict):
                    usage = chunk["usage"]
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise transport.failure(exc, "POST", url, perf_counter() - t0) from exc
        finally:
            resp.release()
        latency = perf_counter() - t0
        if not done and not parts:
            raise transport.invalid(
                "the stream ended without any content nor [DONE]", b"", "POST", url, latency
            )
        return Completion(
            "".join(parts),
            latency,
            _int_or_none(usage.get("prompt_tokens")),
            _int_or_none(usage.get("completion_tokens")),
            ttft if ttft is not None else latency,
        )

    # ------------------------------------------------------------------ embeddings
    async def _embeddings(self, texts: list[str]) -> tuple[list[list[float]], dict[str, Any], float]:
        body: dict[str, Any] = {"model": self.config.model, "input": texts}
        if self.config.endpoint == "embeddings":
            body.update(self._params)
        doc, raw, latency = await self._transport.request_json("POST", self.embeddings_url, body)
        try:
            items = sorted(doc["data"], key=lambda d: d["index"])
            vectors = [[float(x) for x in item["embedding"]] for item in items]
        except (KeyError, TypeError, ValueError):
            vectors = []
        if len(vectors) != len(texts):
            raise self._transport.invalid(
                f"expected data[*].embedding for {len(texts)} inputs (lists of numbers)",
                raw, "POST", self.embeddings_url, latency,
            )
        usage = doc.get("usage")  # doc is a dict: vectors were read from doc["data"]
        return vectors, usage if isinstance(usage, dict) else {}, latency

    async def embed(self, texts: list[str]) -> list[list[float]]:
        """The embedding of each text (one request), or raise
        :class:`~bouclier.adapters.base.ModelCallError`."""
        if not texts:
            return []
        vectors, _, _ = await self._embeddings(list(texts))
        return vectors

    async def _complete_embedding(self, request: Request) -> Completion:
        vectors, usage, latency = await self._embeddings([request.input])
        return Completion(json.dumps(vectors[0]), latency, _int_or_none(usage.get("prompt_tokens")), 0)

    async def aclose(self) -> None:
        await self._transport.aclose()


@register_adapter("openai")
def build_openai_model(
    name: str, config: Any, *, base_dir: Path, concurrency: int = 16, timeout_s: float | None = None
) -> OpenAIModel:
    """The adapter factory of ``openai``: checks the API key variable now, before any call."""
    api_key = None
    if config.api_key_env:
        api_key = env_value(config.api_key_env, model_name=name, key="api_key_env")
    return OpenAIModel(name, config, api_key=api_key, concurrency=concurrency, timeout_s=timeout_s)

