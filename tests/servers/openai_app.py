"""A small, deterministic OpenAI-compatible server for tests (Starlette).

Routes:
  POST /v1/chat/completions   answer = the last user message upper-cased (or, with a
                              system message "echo", the message unchanged); ``usage``
                              counts whitespace-separated words; ``stream: true`` sends
                              one SSE chunk per word, ``chunk_delay_s`` apart, then a
                              usage chunk when ``stream_options.include_usage`` is set.
  POST /v1/embeddings         a deterministic 8-dim vector per input (from a hash).
  POST|PUT /generic           the generic JSON endpoint of the ``http`` adapter:
                              {"data": [{"text": INPUT.upper()}], "received": BODY}.

Behaviours, triggered by the input (chat: the user message; generic: body["input"]):
  "!delay:50 ..."     answer after 50 ms
  "!status:429:2"     HTTP 429 with Retry-After: 2 (any status; the last part, if any, is
                      the Retry-After value; an HTTP date is allowed with '_' for ' ')
  "!nonjson"          200 with a text body
  "!nocontent"        200 JSON without choices
  "!hang"             never answer (until the server shuts down)
or by server settings (:func:`make_app` arguments): ``delay_s`` for every request.
Every request received (path, headers, JSON body) is appended to ``app.state.requests``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route


def _directive(text: str) -> tuple[str, list[str], str]:
    """("delay"|"status"|..., args, rest of the text) of an input starting with '!'."""
    if not text.startswith("!"):
        return "", [], text
    head, _, rest = text.partition(" ")
    name, *args = head[1:].split(":", 2)
    return name, args, rest


async def _behaviour(text: str) -> tuple[Response | None, str]:
    name, args, rest = _directive(text)
    if name == "delay":
        await asyncio.sleep(float(args[0]) / 1000)
    elif name == "status":
        status = int(args[0])
        headers = {"Retry-After": args[1].replace("_", " ")} if len(args) > 1 else {}
        return JSONResponse(
            {"error": {"message": f"simulated error {status} for testing", "type": "test"}},
            status_code=status,
            headers=headers,
        ), rest
    elif name == "nonjson":
        return PlainTextResponse("<html>this is not json</html>"), rest
    elif name == "hang":
        await asyncio.sleep(3600)
    return None, rest


def _answer(messages: list[dict[str, Any]]) -> tuple[str, int]:
    system = next((m["content"] for m in messages if m.get("role") == "system"), None)
    user = next((m["content"] for m in reversed(messages) if m.get("role") == "user"), "")
    _, _, text = _directive(user)
    prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in messages)
    return (text if system == "echo" else text.upper()), prompt_tokens


def make_app(*, delay_s: float = 0.0, chunk_delay_s: float = 0.02) -> Starlette:
    async def record(request: Request) -> Any:
        body = await request.json()
        request.app.state.requests.append(
            {"path": request.url.path, "method": request.method, "headers": dict(request.headers), "body": body}
        )
        if delay_s:
            await asyncio.sleep(delay_s)
        return body

    async def chat(request: Request) -> Response:
        body = await record(request)
        messages = body["messages"]
        user = next((m["content"] for m in reversed(messages) if m.get("role") == "user"), "")
        early, _ = await _behaviour(user)
        if early is not None:
            return early
        if _directive(user)[0] == "nocontent":
            return JSONResponse({"id": "x", "object": "chat.completion", "choices": []})
        answer, prompt_tokens = _answer(messages)
        words = answer.split(" ")
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))

            async def events():
                for i, word in enumerate(words):
                    await asyncio.sleep(chunk_delay_s)
                    piece = word if i == 0 else " " + word
                    chunk = {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": piece}}]}
                    yield f"data: {json.dumps(chunk)}\n\n"
                if include_usage:
                    usage = {"prompt_tokens": prompt_tokens, "completion_tokens": len(words)}
                    yield f"data: {json.dumps({'choices': [], 'usage': usage})}\n\n"
                yield "data: [DONE]\n\n"

            return StreamingResponse(events(), media_type="text/event-stream")
        return JSONResponse(
            {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "model": body.get("model"),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": len(words),
                          "total_tokens": prompt_tokens + len(words)},
            }
        )

    async def embeddings(request: Request) -> Response:
        body = await record(request)
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        early, _ = await _behaviour(texts[0] if texts else "")
        if early is not None:
            return early
        data = []
        for i, text in enumerate(texts):
            digest = hashlib.sha256(text.encode()).digest()
            data.append({"object": "embedding", "index": i, "embedding": [b / 255 for b in digest[:8]]})
        data.reverse()  # clients must order by index
        n = sum(len(t.split()) for t in texts)
        return JSONResponse({"object": "list", "data": data, "usage": {"prompt_tokens": n, "total_tokens": n}})

    async def generic(request: Request) -> Response:
        body = await record(request)
        text = str(body.get("input", "")) if isinstance(body, dict) else ""
        early, rest = await _behaviour(text)
        if early is not None:
            return early
        if _directive(text)[0] == "nocontent":
            return JSONResponse({"data": []})
        return JSONResponse({"data": [{"text": rest.upper()}], "received": body})

    app = Starlette(
        routes=[
            Route("/v1/chat/completions", chat, methods=["POST"]),
            Route("/v1/embeddings", embeddings, methods=["POST"]),
            Route("/generic", generic, methods=["POST", "PUT"]),
        ]
    )
    app.state.requests = []
    return app
