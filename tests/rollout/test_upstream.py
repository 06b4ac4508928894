"""The router's upstream client against real TCP servers on 127.0.0.1 that answer with
hand-written HTTP/1.1 bytes (so that framing, interim answers, broken and silent
upstreams can be produced exactly)."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from pathlib import Path
from typing import Awaitable, Callable

import pytest

from bouclier.rollout.upstream import UpstreamError, UpstreamPool

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[None]]
OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n{\"ok\": true}"


async def read_request(reader: asyncio.StreamReader) -> bytes | None:
    """One request (headers and a Content-Length body); None at end of stream."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return head + (await reader.readexactly(length) if length else b"")


class Server:
    """A TCP server whose ``handler(reader, writer, connection_number)`` speaks for it."""

    def __init__(self, handler: Handler, ssl_context: ssl.SSLContext | None = None):
        self.handler = handler
        self.ssl = ssl_context
        self.connections = 0
        self.open = 0
        self.most_open = 0
        self.requests: list[bytes] = []

    async def __aenter__(self) -> str:
        async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.connections += 1
            self.open += 1
            self.most_open = max(self.most_open, self.open)
            try:
                await self.handler(reader, writer, self.connections)
            except (ConnectionError, asyncio.IncompleteReadError):
                pass
            finally:
                self.open -= 1
                writer.close()

        self.server = await asyncio.start_server(on_connect, "127.0.0.1", 0, ssl=self.ssl)
        port = self.server.sockets[0].getsockname()[1]
        return f"{'https' if self.ssl else 'http'}://127.0.0.1:{port}"

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()


def serve_forever(answer: bytes, server_ref: list[Server] | None = None) -> Handler:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        while (request := await read_request(reader)) is not None:
            if server_ref:
                server_ref[0].requests.append(request)
            writer.write(answer)
            await writer.drain()

    return handler


def run(coro: Awaitable[None]) -> None:
    asyncio.run(asyncio.wait_for(coro, 20))


def test_keep_alive_reuses_one_connection_and_sends_exact_bytes():
    async def main() -> None:
        ref: list[Server] = []
        srv = Server(serve_forever(OK, ref))
        ref.append(srv)
        async with srv as url:
            pool = UpstreamPool(url)
            for _ in range(3):
                r = await pool.request("POST", b"/v1/chat/completions?x=1", [(b"x-user-id", b"u1")], b'{"a": 1}')
                assert (r.status, r.content_length, await r.read()) == (200, 12, b'{"ok": true}')
                assert r.header(b"content-type") == b"application/json"
                r.release()
            await pool.close()
        assert srv.connections == 1
        host = url.split("//")[1].encode()
        assert srv.requests[0] == (b"POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: " + host +
                                   b"\r\nx-user-id: u1\r\nContent-Length: 8\r\n\r\n{\"a\": 1}")

    run(main())


def test_a_base_path_prefixes_every_target():
    async def main() -> None:
        ref: list[Server] = []
        srv = Server(serve_forever(OK, ref))
        ref.append(srv)
        async with srv as url:
            pool = UpstreamPool(url + "/openai/deployments/d1/")
            r = await pool.request("POST", b"/v1/chat/completions?api-version=2", [], b"{}")
            assert await r.read() == b'{"ok": true}'
            r.release()
            await pool.close()
        assert srv.requests[0].startswith(b"POST /openai/deployments/d1/v1/chat/completions?api-version=2 HTTP/1.1\r\n")

    run(main())


def test_chunked_answer_arrives_chunk_by_chunk():
    """The first event reaches the caller while the upstream still holds the second."""
    async def main() -> None:
        release = asyncio.Event()

        async def handler(reader, writer, n):
            await read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
                         b"f\r\ndata: first\r\n\r\n\r\n")
            await writer.drain()
            await release.wait()
            writer.write(b"10\r\ndata: second\r\n\r\n\r\n0\r\n\r\n")
            await writer.drain()
            await read_request(reader)

        async with Server(handler) as url:
            pool = UpstreamPool(url)
            r = await pool.request("POST", b"/s", [], b"{}")
            chunks = r.chunks()
            assert await chunks.__anext__() == b"data: first\r\n\r\n"
            release.set()
            assert [c async for c in chunks] == [b"data: second\r\n\r\n"]
            r.release()
            await pool.close()

    run(main())


def test_close_delimited_body_is_read_to_the_end_and_not_reused():
    async def main() -> None:
        async def handler(reader, writer, n):
            await read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it, until the end")
            await writer.drain()
            writer.close()

        srv = Server(handler)
        async with srv as url:
            pool = UpstreamPool(url)
            for _ in range(2):
                r = await pool.request("GET", b"/", [], b"")
                assert await r.read() == b"all of it, until the end"
                r.release()
            await pool.close()
        assert srv.connections == 2

    run(main())


@pytest.mark.parametrize("answer, outcome", [
    (b"this is not HTTP\r\n\r\n", "invalid_response"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n", "invalid_response"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part", "error"),
    (b"", "error"),
])
def test_broken_answers_raise_with_the_outcome(answer, outcome):
    async def main() -> None:
        async def handler(reader, writer, n):
            await read_request(reader)
            writer.write(answer)
            await writer.drain()
            writer.close()

        async with Server(handler) as url:
            pool = UpstreamPool(url)
            with pytest.raises(UpstreamError) as info:
                r = await pool.request("POST", b"/", [], b"{}")
                await r.read()
            assert info.value.outcome == outcome
            await pool.close()

    run(main())


@pytest.mark.parametrize("before_headers", [True, False])
def test_a_silent_upstream_times_out(before_headers):
    async def main() -> None:
        async def handler(reader, writer, n):
            await read_request(reader)
            if not before_headers:
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nstarted")
                await writer.drain()
            await asyncio.sleep(10)

        async with Server(handler) as url:
            pool = UpstreamPool(url, read_timeout_s=0.3)
            with pytest.raises(UpstreamError) as info:
                r = await pool.request("POST", b"/", [], b"{}")
                await r.read()
            assert info.value.outcome == "timeout"
            await pool.close()

    run(main())


def test_a_slow_but_steady_stream_does_not_time_out():
    """The read timeout bounds silence, not the whole answer."""
    async def main() -> None:
        async def handler(reader, writer, n):
            await read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            for _ in range(6):
                await asyncio.sleep(0.1)
                writer.write(b"1\r\nx\r\n")
                await writer.drain()
            writer.write(b"0\r\n\r\n")
            await writer.drain()

        async with Server(handler) as url:
            pool = UpstreamPool(url, read_timeout_s=0.25)
            r = await pool.request("POST", b"/", [], b"{}")
            assert await r.read() == b"xxxxxx"
            r.release()
            await pool.close()

    run(main())


def test_a_connection_the_upstream_dropped_while_idle_is_replaced_once():
    """The upstream closes a kept-alive connection when the second request arrives on it
    (the race of an idle timeout): the request is sent again on a new connection."""
    async def main() -> None:
        async def handler(reader, writer, n):
            await read_request(reader)
            writer.write(OK)
            await writer.drain()
            await read_request(reader)  # the second request on this connection: hang up

        srv = Server(handler)
        async with srv as url:
            pool = UpstreamPool(url, max_connections=3)

            async def one() -> bytes:
                r = await pool.request("POST", b"/", [], b"{}")
                try:
                    return await r.read()
                finally:
                    r.release()

            # three kept-alive connections, all of which the upstream will hang up on
            assert await asyncio.gather(one(), one(), one()) == [b'{"ok": true}'] * 3
            assert srv.connections == 3
            # the request meets a stale one; its retry opens a new connection, not another stale one
            assert await one() == b'{"ok": true}'
            await pool.close()
        assert srv.connections == 4

    run(main())


def test_refused_connection_is_an_error_and_the_slot_is_freed():
    async def main() -> None:
        srv = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = srv.sockets[0].getsockname()[1]
        srv.close()
        await srv.wait_closed()
        pool = UpstreamPool(f"http://127.0.0.1:{port}", max_connections=1)
        for _ in range(3):  # would wait forever if a failed connect kept its slot
            with pytest.raises(UpstreamError) as info:
                await pool.request("POST", b"/", [], b"{}")
            assert info.value.outcome == "error"
        await pool.close()

    run(main())


def test_at_most_max_connections_are_open():
    async def main() -> None:
        async def handler(reader, writer, n):
            while await read_request(reader) is not None:
                await asyncio.sleep(0.05)
                writer.write(OK)
                await writer.drain()

        srv = Server(handler)
        async with srv as url:
            pool = UpstreamPool(url, max_connections=2)

            async def one() -> bytes:
                r = await pool.request("POST", b"/", [], b"{}")
                try:
                    return await r.read()
                finally:
                    r.release()

            assert await asyncio.gather(*(one() for _ in range(8))) == [b'{"ok": true}'] * 8
            await pool.close()
        assert srv.most_open == 2

    run(main())


def test_interim_answers_are_skipped_and_head_has_no_body():
    async def main() -> None:
        async def handler(reader, writer, n):
            request = await read_request(reader)
            if request.startswith(b"HEAD"):
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n")
            else:
                writer.write(b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + OK)
            await writer.drain()
            await read_request(reader)

        async with Server(handler) as url:
            pool = UpstreamPool(url, read_timeout_s=2)
            r = await pool.request("POST", b"/", [], b"{}")
            assert (r.status, await r.read(), r.header(b"link")) == (200, b'{"ok": true}', None)
            r.release()
            r = await pool.request("HEAD", b"/", [], b"")
            assert (r.status, r.content_length, await r.read()) == (200, 1234, b"")
            r.release()
            await pool.close()

    run(main())


def test_bad_upstream_urls_are_refused():
    async def main() -> None:
        for url in ("ftp://127.0.0.1", "127.0.0.1:8000", "http://"):
            with pytest.raises(ValueError, match="http"):
                UpstreamPool(url)

    run(main())


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl command not found (needed to make a test certificate)")
def test_https_upstream(tmp_path: Path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)

    async def main() -> None:
        async with Server(serve_forever(OK), ssl_context=server_ctx) as url:
            trusted = UpstreamPool(url, ssl_context=ssl.create_default_context(cafile=str(cert)))
            r = await trusted.request("POST", b"/", [], b"{}")
            assert await r.read() == b'{"ok": true}'
            r.release()
            await trusted.close()
            untrusted = UpstreamPool(url)  # the system's CAs do not know this certificate
            with pytest.raises(UpstreamError, match="CERTIFICATE_VERIFY_FAILED"):
                await untrusted.request("POST", b"/", [], b"{}")
            await untrusted.close()

    run(main())


def test_an_upstream_that_hangs_up_at_once_is_an_error_every_time():
    """Whether the hang-up arrives before or after the request is written (a race on a
    dying upstream), the caller gets an UpstreamError, never another exception."""
    async def main() -> None:
        async def handler(reader, writer, n):
            writer.transport.abort()

        async with Server(handler) as url:
            pool = UpstreamPool(url)
            for _ in range(30):
                with pytest.raises(UpstreamError) as info:
                    await pool.request("POST", b"/", [], b"{}")
                assert info.value.outcome == "error"
            await pool.close()

    run(main())
