"""The router's request path: assign, forward, stream back, hand the signal to the recorder.

A plain ASGI callable (served by uvicorn) for the proxied paths, with the operations and
admin routes in a Starlette app (:mod:`bouclier.rollout.operations`). Upstream calls use
the lean HTTP/1.1 client of :mod:`bouclier.rollout.upstream` (chosen by measurement over
aiohttp, see docs/benchmarks.md): one connection pool per upstream, raw bytes (no
decompression), redirects not followed. Answers are passed on chunk by chunk as they
arrive, so server-sent events reach the client without buffering.

Errors the client can see: 400 (bad tester header), 404 (path not proxied), 413 (body too
large), 431 (headers too large), 502 (upstream unreachable or malformed answer), 504
(upstream silent for its ``timeout_s``). A canary failure (connection error, timeout or a
status in ``failover.on_status``) is retried once on stable before anything was sent to the
client, and still recorded as a canary error.
"""

from __future__ import annotations

import json
import logging
import os
import random
import time
from dataclasses import dataclass
from time import perf_counter
from typing import Any

from bouclier.rollout.config import VARIANTS, RouterConfig, UpstreamConfig
from bouclier.rollout.inspection import Capture
from bouclier.rollout.signals import Signal
from bouclier.rollout.upstream import UpstreamError, UpstreamPool, UpstreamResponse

log = logging.getLogger("bouclier.router")

_HOP = frozenset({b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization", b"te",
                  b"trailer", b"transfer-encoding", b"upgrade", b"host", b"content-length", b"expect"})
_HOP_RESPONSE = frozenset({b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization", b"te",
                           b"trailer", b"transfer-encoding", b"upgrade"})
_SMALL = 64 * 1024  # answers with a Content-Length up to this are read whole, then sent at once


class UpstreamFailure(Exception):
    def __init__(self, outcome: str, reason: str, status: int = 0):
        super().__init__(reason)
        self.outcome, self.reason, self.status = outcome, reason, status


@dataclass
class Upstream:
    name: str
    config: UpstreamConfig
    pool: UpstreamPool
    extra_headers: list[tuple[bytes, bytes]]


def json_response_messages(status: int, payload: dict[str, Any], headers: list[tuple[bytes, bytes]] = ()) -> tuple[dict, dict]:
    body = json.dumps(payload).encode()
    return ({"type": "http.response.start", "status": status,
             "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                         *headers]},
            {"type": "http.response.body", "body": body})


async def send_error(send: Any, status: int, message: str, *, headers: list[tuple[bytes, bytes]] = ()) -> None:
    start, body = json_response_messages(status, {"error": {"message": message, "type": "bouclier_router",
                                                            "code": status}}, list(headers))
    await send(start)
    await send(body)


class ProxyPath:
    """Everything the request path needs, bound to one :class:`~bouclier.rollout.router.Router`."""

    def __init__(self, router: Any):
        self.router = router
        c: RouterConfig = router.config
        self.config = c
        self.paths = tuple(c.paths)
        self.openai_paths = tuple(c.openai_paths)
        self.max_body = c.limits.max_body_bytes
        self.max_header_bytes = c.limits.max_header_bytes
        self.max_headers = c.limits.max_headers
        self.max_inspect = c.signals.max_inspect_bytes
        self.inspect_share = c.signals.inspect_share / 100
        self.failover = c.failover.enabled
        self.failover_status = frozenset(c.failover.on_status)
        self.bucket_header = c.assignment.bucket_header.encode("latin-1") if c.assignment.bucket_header else None
        self.force = router.assigner.force_header
        self.upstreams: dict[str, Upstream] = {}
        self._rng = random.Random()
        self._ids: list[str] = []

    def new_request_id(self) -> str:
        """32 hex characters from the OS's random source, drawn 256 at a time (one system
        call, which would release the interpreter lock, per 256 requests)."""
        if not self._ids:
            raw = os.urandom(16 * 256).hex()
            self._ids = [raw[i:i + 32] for i in range(0, len(raw), 32)]
        return self._ids.pop()

    async def open(self) -> None:
        for name in VARIANTS:
            uc = self.config.upstreams[name]
            pool = UpstreamPool(uc.url, max_connections=uc.max_connections, connect_timeout_s=uc.connect_timeout_s,
                                read_timeout_s=uc.timeout_s)
            extra = list(uc.headers.items()) + [(k, os.environ.get(v, "")) for k, v in uc.headers_env.items()]
            self.upstreams[name] = Upstream(name, uc, pool, [(k.encode("latin-1"), v.encode("latin-1")) for k, v in extra])

    async def close(self) -> None:
        for up in self.upstreams.values():
            await up.pool.close()

    # ------------------------------------------------------------------ request

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        t0 = perf_counter()
        ts = time.time()
        path: str = scope["path"]
        if not path.startswith(self.paths):
            await send_error(send, 404, f"path {path!r} is not routed by this router")
            return
        method: str = scope["method"]
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        if len(headers) > self.max_headers or sum(len(k) + len(v) for k, v in headers) > self.max_header_bytes:
            await send_error(send, 431, f"request headers exceed the router's limit ({self.max_header_bytes} bytes, "
                                        f"{self.max_headers} headers)", headers=[(b"connection", b"close")])
            return
        forced = None
        out_headers: list[tuple[bytes, bytes]] = []
        force = self.force
        for k, v in headers:
            if k in _HOP:
                if k == b"content-length" and v.isdigit() and int(v) > self.max_body:
                    await send_error(send, 413, f"request body larger than {self.max_body} bytes",
                                     headers=[(b"connection", b"close")])
                    return
                continue
            if k == force:
                forced = v.decode("latin-1").strip().lower()
                continue
            out_headers.append((k, v))
        if forced is not None and forced not in VARIANTS:
            await send_error(send, 400, f"{self.config.assignment.force_header} must be stable or canary, found {forced[:40]!r}")
            return
        body = await self._read_body(receive, send)
        if body is None:
            return
        router = self.router
        assignment = router.assigner.assign(headers, router.weights["canary"])
        variant = forced or assignment.variant
        request_id = self.new_request_id()
        if self.bucket_header:
            out_headers.append((self.bucket_header, b"%d" % assignment.bucket))
        out_headers.append((b"x-request-id", request_id.encode()))
        qs = scope.get("query_string") or b""
        target = scope.get("raw_path") or path.encode()
        if qs:
            target = target + b"?" + qs
        openai = path.startswith(self.openai_paths)
        signal = Signal(request_id=request_id, rollout_id=self.config.rollout_id, ts=ts, variant=variant,
                        method=method, path=path, bucket=assignment.bucket, key_source=assignment.key_source,
                        forced=forced is not None, weights_epoch=router.epoch)
        inspect = openai and self._rng.random() < self.inspect_share
        shadow = router.shadow
        if variant == "stable" and forced is None and shadow.eligible(method, path) and shadow.admit() is None:
            router.spawn(self._mirror(method, target, out_headers, body, request_id, ts, assignment, openai))
        await self._serve(send, signal, variant, method, target, out_headers, body, t0, openai, inspect)

    async def _read_body(self, receive: Any, send: Any) -> bytes | None:
        chunks = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            if chunk:
                size += len(chunk)
                if size > self.max_body:
                    await send_error(send, 413, f"request body larger than {self.max_body} bytes",
                                     headers=[(b"connection", b"close")])
                    return None
                chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    async def _serve(self, send: Any, signal: Signal, variant: str, method: str, target: bytes,
                     headers: list[tuple[bytes, bytes]], body: bytes, t0: float, openai: bool, inspect: bool) -> None:
        router = self.router
        try:
            resp = await self._open(variant, method, target, headers, body)
            if variant == "canary" and self.failover and resp.status in self.failover_status:
                resp.release()
                raise UpstreamFailure("http_error", f"canary answered {resp.status}", resp.status)
        except UpstreamFailure as exc:
            signal.status, signal.outcome, signal.error = exc.status, exc.outcome, exc.reason
            signal.latency_ms = (perf_counter() - t0) * 1000
            if variant == "canary" and self.failover:
                signal.failed_over = True
                router.record(Capture(signal=signal))
                retry = Signal(request_id=signal.request_id, rollout_id=signal.rollout_id, ts=signal.ts,
                               variant="stable", kind="failover", method=signal.method, path=signal.path,
                               bucket=signal.bucket, key_source=signal.key_source, forced=signal.forced,
                               weights_epoch=signal.weights_epoch)
                await self._serve(send, retry, "stable", method, target, headers, body, t0, openai, inspect)
                return
            status = 504 if exc.outcome == "timeout" else 502
            signal.status = status
            await send_error(send, status, f"{variant} upstream: {exc.reason}",
                             headers=[(b"x-request-id", signal.request_id.encode()),
                                      (b"x-bouclier-variant", variant.encode())])
            router.record(Capture(signal=signal))
            return
        await self._relay(send, resp, signal, variant, t0, openai, inspect, body)

    async def _open(self, variant: str, method: str, target: bytes, headers: list[tuple[bytes, bytes]],
                    body: bytes) -> UpstreamResponse:
        up = self.upstreams[variant]
        if up.extra_headers:
            headers = headers + up.extra_headers
        try:
            return await up.pool.request(method, target, headers, body)
        except UpstreamError as exc:
            raise UpstreamFailure(exc.outcome, exc.reason) from None

    async def _relay(self, send: Any, resp: UpstreamResponse, signal: Signal, variant: str, t0: float,
                     openai: bool, inspect: bool, request_body: bytes) -> None:
        status = resp.status
        signal.status = status
        if status >= 500:
            signal.outcome, signal.error = "http_error", f"{variant} answered {status}"
        content_type = (resp.header(b"content-type") or b"").decode("latin-1")
        streamed = content_type.startswith("text/event-stream")
        signal.streamed = streamed
        out = [(k, v) for k, v in resp.headers if k.lower() not in _HOP_RESPONSE]
        out.append((b"x-request-id", signal.request_id.encode()))
        out.append((b"x-bouclier-variant", variant.encode()))
        keep = openai
        kept: list[bytes] = []
        kept_size = 0
        truncated = False
        length = resp.content_length
        started = False
        try:
            if not streamed and length is not None and length <= _SMALL:
                data = await resp.read()
                started = True
                await send({"type": "http.response.start", "status": status, "headers": out})
                await send({"type": "http.response.body", "body": data})
                if keep:
                    kept.append(data)
            else:
                started = True
                await send({"type": "http.response.start", "status": status, "headers": out})
                async for chunk in resp.chunks():
                    if signal.ttft_ms is None and streamed:
                        signal.ttft_ms = (perf_counter() - t0) * 1000
                    if keep:
                        if kept_size + len(chunk) <= self.max_inspect:
                            kept.append(chunk)
                            kept_size += len(chunk)
                        else:
                            truncated = True
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b""})
        except UpstreamError as exc:
            timeout = exc.outcome == "timeout"
            signal.outcome = "timeout" if timeout else exc.outcome
            signal.error = f"{variant} {'went silent' if timeout else 'broke the answer'} mid-answer"
            if not started:
                signal.status = 504 if timeout else 502
                await send_error(send, signal.status, signal.error,
                                 headers=[(b"x-request-id", signal.request_id.encode()),
                                          (b"x-bouclier-variant", variant.encode())])
            # Once the answer has started, the only honest signal to the client is an
            # unfinished response: returning without the final body makes uvicorn close it.
            self._finish(signal, t0, resp, kept, truncated, content_type, inspect, request_body, variant)
            return
        self._finish(signal, t0, resp, kept, truncated, content_type, inspect, request_body, variant)

    def _finish(self, signal: Signal, t0: float, resp: UpstreamResponse, kept: list[bytes], truncated: bool,
                content_type: str, inspect: bool, request_body: bytes, variant: str) -> None:
        signal.latency_ms = (perf_counter() - t0) * 1000
        resp.release()
        uc = self.upstreams[variant].config
        self.router.record(Capture(
            signal=signal, openai=bool(kept), inspect=inspect, request_body=request_body if inspect else b"",
            body=kept[0] if len(kept) == 1 else b"".join(kept), truncated=truncated, content_type=content_type,
            content_encoding=(resp.header(b"content-encoding") or b"").decode("latin-1"),
            price_prompt_per_1k=uc.price_prompt_per_1k, price_completion_per_1k=uc.price_completion_per_1k))

    # ------------------------------------------------------------------ shadow

    async def _mirror(self, method: str, target: bytes, headers: list[tuple[bytes, bytes]], body: bytes, pair_of: str,
                      ts: float, assignment: Any, openai: bool) -> None:
        router = self.router
        t0 = perf_counter()
        request_id = self.new_request_id()
        headers = [(k, request_id.encode() if k == b"x-request-id" else v) for k, v in headers]
        signal = Signal(request_id=request_id, rollout_id=self.config.rollout_id, ts=ts, variant="canary",
                        kind="shadow", method=method, path=target.split(b"?", 1)[0].decode("latin-1"), bucket=assignment.bucket,
                        key_source=assignment.key_source, pair_of=pair_of, weights_epoch=router.epoch)
        kept: list[bytes] = []
        size, truncated = 0, False
        content_type = encoding = ""
        try:
            resp = await self._open("canary", method, target, headers, body)
            signal.status = resp.status
            content_type = (resp.header(b"content-type") or b"").decode("latin-1")
            encoding = (resp.header(b"content-encoding") or b"").decode("latin-1")
            signal.streamed = content_type.startswith("text/event-stream")
            if resp.status >= 500:
                signal.outcome, signal.error = "http_error", f"canary answered {resp.status}"
            try:
                async for chunk in resp.chunks():
                    if signal.ttft_ms is None and signal.streamed:
                        signal.ttft_ms = (perf_counter() - t0) * 1000
                    if size + len(chunk) <= self.max_inspect:
                        kept.append(chunk)
                        size += len(chunk)
                    else:
                        truncated = True
            finally:
                resp.release()
        except UpstreamFailure as exc:
            signal.outcome, signal.error, signal.status = exc.outcome, exc.reason, exc.status
        except UpstreamError as exc:
            signal.outcome = exc.outcome
            signal.error = "canary went silent mid-answer" if exc.outcome == "timeout" else f"canary broke the answer: {exc.reason}"
        finally:
            router.shadow.done()
        signal.latency_ms = (perf_counter() - t0) * 1000
        uc = self.upstreams["canary"].config
        router.record(Capture(
            signal=signal, openai=openai, inspect=openai, request_body=body if openai else b"",
            body=b"".join(kept), truncated=truncated, content_type=content_type, content_encoding=encoding,
            price_prompt_per_1k=uc.price_prompt_per_1k, price_completion_per_1k=uc.price_completion_per_1k))

