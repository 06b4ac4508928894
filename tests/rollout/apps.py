"""Small upstreams for the router tests: a variant that marks its answers (optionally with
a planted secret), and a TCP server that answers with bytes that are not HTTP."""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Iterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


def marked_app(marker: str, *, append: str = "") -> Starlette:
    """Chat completions answering "<marker> <user text><append>"; records the requests."""

    async def chat(request: Request) -> JSONResponse:
        body = await request.json()
        request.app.state.requests.append({"headers": dict(request.headers), "body": body})
        text = body["messages"][-1]["content"]
        answer = f"{marker} {text}{append}"
        return JSONResponse({"id": "x", "object": "chat.completion",
                             "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}}],
                             "usage": {"prompt_tokens": 3, "completion_tokens": 4}})

    app = Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])
    app.state.requests = []
    return app


@contextlib.contextmanager
def garbage_server(payload: bytes = b"this is not HTTP at all\r\n\r\n") -> Iterator[str]:
    """Accepts connections, reads the request, answers ``payload`` and closes."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    srv.settimeout(0.2)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    conn.recv(65536)
                    conn.sendall(payload)
                except OSError:
                    pass

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        srv.close()


def dead_url() -> str:
    """A loopback URL nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"
