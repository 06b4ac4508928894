"""The router's upstream client: HTTP/1.1 over an asyncio protocol, parsed by httptools.

Why not aiohttp's client, which the router used first: measured under the same load
(docs/benchmarks.md, "Canary router"), its request path was the largest share of the
router's CPU. A reverse proxy to configured upstreams needs much less than a general
client: no redirects, cookies, proxies, decompression or header normalisation, bytes in
and bytes out. This module does only that, with httptools (the parser uvicorn already
uses) doing the HTTP parsing:

- one :class:`UpstreamPool` per upstream: keep-alive connections reused last-in first-out,
  at most ``max_connections`` open (callers queue beyond), idle ones closed after
  ``keepalive_s``; TLS when the URL is ``https``;
- ``connect_timeout_s`` bounds opening a connection; ``read_timeout_s`` bounds any silence
  of the upstream once the request is sent (before the headers and between body chunks);
- a request on a reused connection that the upstream had closed in the meantime (no byte
  of answer received) is sent again once on a new connection;
- answers are delivered as they arrive (:meth:`UpstreamResponse.chunks`), with the socket
  paused while more than ``_HIGH_WATER`` bytes wait for a slow client.

Failures raise :class:`UpstreamError` with the outcome the signals record: ``error``
(connection refused, reset, closed mid-answer), ``timeout`` or ``invalid_response`` (not
valid HTTP/1.1).
"""

from __future__ import annotations

import asyncio
import collections
import ssl
from typing import AsyncIterator
from urllib.parse import urlsplit

import httptools

_HIGH_WATER = 1 << 20  # bytes buffered for a slow client before the socket is paused
_LOW_WATER = 1 << 18
_NO_BODY_METHODS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS", "TRACE"})


class UpstreamError(Exception):
    """The upstream failed; ``outcome`` is ``error``, ``timeout`` or ``invalid_response``."""

    def __init__(self, outcome: str, reason: str):
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason


class UpstreamResponse:
    """One answer: status and raw headers once they have arrived, then the body."""

    def __init__(self, conn: _Connection, head_only: bool):
        self._conn = conn
        self._loop = conn.loop
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.content_length: int | None = None
        self._head_only = head_only
        self._close_delimited = False
        self._head: asyncio.Future = self._loop.create_future()
        self._chunks: collections.deque[bytes] = collections.deque()
        self._buffered = 0
        self._waiter: asyncio.Future | None = None
        self._complete = False
        self._error: UpstreamError | None = None
        self._received = False  # any byte of the answer
        self._keep_alive = False
        self._released = False
        self._paused = False
        self._last = self._loop.time()
        self._timeout = 0.0
        self._timer: asyncio.TimerHandle | None = None

    def header(self, name: bytes) -> bytes | None:
        """The first value of a header (``name`` in lower case), or None."""
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    # ------------------------------------------------------------ reading

    async def read(self) -> bytes:
        """The whole body."""
        parts = [chunk async for chunk in self.chunks()]
        return parts[0] if len(parts) == 1 else b"".join(parts)

    async def chunks(self) -> AsyncIterator[bytes]:
        """Body bytes as they arrive; raises :class:`UpstreamError` if the answer breaks."""
        while True:
            if self._chunks:
                chunk = self._chunks.popleft()
                self._buffered -= len(chunk)
                if self._paused and self._buffered <= _LOW_WATER:
                    self._paused = False
                    self._conn.resume()
                yield chunk
                continue
            if self._error is not None:
                raise self._error
            if self._complete:
                return
            self._waiter = self._loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    def release(self) -> None:
        """Give the connection back (kept alive only if the answer was read to its end)."""
        if self._released:
            return
        self._released = True
        self._stop_timer()
        self._conn.pool._release(self._conn, self._complete and self._keep_alive and self._error is None)

    # ------------------------------------------------------------ protocol side

    def _wake(self) -> None:
        w = self._waiter
        if w is not None and not w.done():
            w.set_result(None)

    def _on_data(self) -> None:
        self._received = True
        self._last = self._loop.time()

    def _headers_done(self, status: int, keep_alive: bool) -> None:
        self.status = status
        te = self.header(b"transfer-encoding")
        cl = self.header(b"content-length")
        if cl is not None and cl.isdigit():
            self.content_length = int(cl)
        no_body = self._head_only or status in (204, 304)
        self._close_delimited = not no_body and cl is None and (te is None or b"chunked" not in te.lower())
        self._keep_alive = keep_alive and not self._head_only
        if not self._head.done():
            self._head.set_result(None)
        if self._head_only:
            self._done()

    def _feed(self, body: bytes) -> None:
        self._chunks.append(body)
        self._buffered += len(body)
        if self._buffered > _HIGH_WATER and not self._paused:
            self._paused = True
            self._conn.pause()
        self._wake()

    def _done(self) -> None:
        if self._complete:
            return
        self._complete = True
        self._stop_timer()
        self._wake()

    def _fail(self, error: UpstreamError) -> None:
        if self._complete or self._error is not None:
            return
        self._error = error
        self._stop_timer()
        if not self._head.done():
            self._head.set_exception(error)
            self._head.exception()  # retrieved: the caller may have gone (client disconnected)
        self._wake()

    def _eof(self) -> None:
        if self._head.done() and self._close_delimited and self._error is None:
            self._keep_alive = False
            self._done()
        else:
            self._fail(UpstreamError("error", "the upstream closed the connection mid-answer"
                                     if self._received else "the upstream closed the connection"))

    def _start_timer(self, timeout: float) -> None:
        self._timeout = timeout
        self._timer = self._loop.call_later(timeout, self._check_silence)

    def _check_silence(self) -> None:
        silent = self._loop.time() - self._last
        if silent >= self._timeout:
            self._timer = None
            self._fail(UpstreamError("timeout", f"no answer within {self._timeout:g} s"))
            self._conn.abort()
        else:
            self._timer = self._loop.call_later(self._timeout - silent, self._check_silence)

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class _Connection(asyncio.Protocol):
    def __init__(self, pool: UpstreamPool):
        self.pool = pool
        self.loop = pool.loop
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.response: UpstreamResponse | None = None
        self.closed = False
        self.idle_since = 0.0

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        r = self.response
        if r is None:  # bytes nobody asked for: this connection cannot be trusted any more
            self.abort()
            return
        r._on_data()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            reason = " ".join(str(exc).split())[:160]
            r._fail(UpstreamError("invalid_response", f"malformed HTTP answer ({reason})"))
            self.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.response is not None:
            self.response._eof()
        self.pool._lost(self)

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self.response.headers.append((name, value))  # type: ignore[union-attr]

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        r = self.response
        if 100 <= status < 200:  # an interim answer (100 Continue, 103 Early Hints): wait for the real one
            r.headers.clear()  # type: ignore[union-attr]
            return
        r._headers_done(status, self.parser.should_keep_alive())  # type: ignore[union-attr]

    def on_body(self, body: bytes) -> None:
        self.response._feed(body)  # type: ignore[union-attr]

    def on_message_complete(self) -> None:
        r = self.response
        if r is not None and r._head.done():
            r._done()

    # control
    def pause(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.pause_reading()

    def resume(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.resume_reading()

    def abort(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.abort()


class UpstreamPool:
    """Keep-alive connections to one upstream (``http://host:port`` or ``https://...``, with
    an optional base path that every request target is appended to)."""

    def __init__(self, url: str, *, max_connections: int = 100, connect_timeout_s: float = 5.0,
                 read_timeout_s: float = 60.0, keepalive_s: float = 30.0, ssl_context: ssl.SSLContext | None = None):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"upstream URL must be http(s)://host[:port], found {url!r}")
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.authority = parts.netloc.rsplit("@", 1)[-1].encode("idna")  # Host: as configured
        self.prefix = parts.path.rstrip("/").encode("latin-1")  # a base path: request targets are appended to it
        self.ssl = (ssl_context or ssl.create_default_context()) if parts.scheme == "https" else None
        self.max_connections = max_connections
        self.connect_timeout_s = connect_timeout_s
        self.read_timeout_s = read_timeout_s
        self.keepalive_s = keepalive_s
        self.loop = asyncio.get_running_loop()
        self._idle: list[_Connection] = []
        self._open = 0
        self._waiters: collections.deque[asyncio.Future] = collections.deque()
        self._closed = False

    async def request(self, method: str, target: bytes, headers: list[tuple[bytes, bytes]], body: bytes) -> UpstreamResponse:
        """Send one request; return once the answer's status and headers have arrived."""
        lines = [method.encode("latin-1"), b" ", self.prefix, target, b" HTTP/1.1\r\nHost: ", self.authority, b"\r\n"]
        for k, v in headers:
            lines += (k, b": ", v, b"\r\n")
        if body or method not in _NO_BODY_METHODS:
            lines.append(b"Content-Length: %d\r\n" % len(body))
        lines.append(b"\r\n")
        if body:
            lines.append(body)
        payload = b"".join(lines)
        for attempt in (1, 2):
            conn, reused = await self._acquire(fresh=attempt == 2)
            r = UpstreamResponse(conn, head_only=method == "HEAD")
            conn.response = r
            if conn.closed:  # lost between connecting and now (the upstream died): fails below
                r._eof()
            else:
                conn.transport.write(payload)  # type: ignore[union-attr]
                r._start_timer(self.read_timeout_s)
            try:
                await r._head
            except UpstreamError:
                r.release()
                if attempt == 1 and reused and not r._received and r._error is not None and r._error.outcome == "error":
                    continue  # the upstream had closed this idle connection: once more, on a new one
                raise
            except BaseException:  # cancelled (the client went away): this connection is spent
                r.release()
                raise
            return r
        raise AssertionError("unreachable")

    async def close(self) -> None:
        self._closed = True
        for conn in self._idle:
            conn.abort()
        self._idle.clear()
        for w in self._waiters:
            if not w.done():
                w.set_exception(UpstreamError("error", "the router is shutting down"))

    # ------------------------------------------------------------ connections

    async def _acquire(self, fresh: bool = False) -> tuple[_Connection, bool]:
        now = self.loop.time()
        idle = self._idle
        while idle and not fresh:
            conn = idle.pop()
            if not conn.closed and now - conn.idle_since < self.keepalive_s:
                return conn, True
            conn.abort()
        while self._open >= self.max_connections:
            if fresh and idle:  # a new connection is wanted and idle ones hold every slot: free one
                idle.pop().abort()
            waiter = self.loop.create_future()
            self._waiters.append(waiter)
            await waiter
            if idle and not fresh:
                conn = idle.pop()
                if not conn.closed:
                    return conn, True
        if self._closed:
            raise UpstreamError("error", "the router is shutting down")
        self._open += 1
        try:
            _, conn = await asyncio.wait_for(self.loop.create_connection(
                lambda: _Connection(self), self.host, self.port, ssl=self.ssl,
                server_hostname=self.host if self.ssl else None), self.connect_timeout_s)
        except asyncio.TimeoutError:
            self._open -= 1
            self._wake_one()
            raise UpstreamError("timeout", f"could not connect within {self.connect_timeout_s:g} s") from None
        except OSError as exc:
            self._open -= 1
            self._wake_one()
            raise UpstreamError("error", f"{type(exc).__name__}: {exc}"[:200]) from None
        except BaseException:
            self._open -= 1
            self._wake_one()
            raise
        return conn, False

    def _release(self, conn: _Connection, reusable: bool) -> None:
        conn.response = None
        if reusable and not conn.closed and not self._closed:
            conn.idle_since = self.loop.time()
            self._idle.append(conn)
            self._wake_one()
        else:
            conn.abort()  # _lost() follows, which frees the slot

    def _lost(self, conn: _Connection) -> None:
        if conn in self._idle:
            self._idle.remove(conn)
        if conn.transport is not None:
            self._open -= 1
            conn.transport = None
            self._wake_one()

    def _wake_one(self) -> None:
        while self._waiters:
            w = self._waiters.popleft()
            if not w.done():
                w.set_result(None)
                return
