"""Run a real router (uvicorn in a thread, lifespan on) in front of real upstreams."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import uvicorn

from bouclier.rollout import RouterConfig
from bouclier.rollout.router import Router
from bouclier.rollout.server import uvicorn_config
from tests.servers.fixtures import free_port, wait_until_answering

TOKEN = "test-admin-token-0123456789"


def router_config(stable: str, canary: str, tmp_path: Path, **overrides: Any) -> RouterConfig:
    data: dict[str, Any] = {
        "rollout_id": "test",
        "upstreams": {"stable": {"url": stable, "timeout_s": 5}, "canary": {"url": canary, "timeout_s": 5}},
        "weights": {"stable": 90, "canary": 10},
        "signals": {"store": str(tmp_path / "signals.sqlite")},
        "access_log": False,
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return RouterConfig.model_validate(data)


@contextlib.contextmanager
def serve_router(config: RouterConfig, *, token: str | None = TOKEN) -> Iterator[tuple[str, Router]]:
    old = os.environ.get(config.admin.token_env)
    if token is None:
        os.environ.pop(config.admin.token_env, None)
    else:
        os.environ[config.admin.token_env] = token
    try:
        router = Router(config)
    finally:
        if old is None:
            os.environ.pop(config.admin.token_env, None)
        else:
            os.environ[config.admin.token_env] = old
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn_config(router, host="127.0.0.1", port=port))
    server.config.timeout_graceful_shutdown = 2
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the router did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}", router
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()
        if thread.is_alive():
            raise RuntimeError("the router did not shut down")


@contextlib.contextmanager
def upstream_process(**app_kwargs: Any) -> Iterator[tuple[str, subprocess.Popen]]:
    """The test OpenAI-compatible app in its own process (so that a test can kill it)."""
    port = free_port()
    root = Path(__file__).resolve().parents[2]
    code = ("import sys, uvicorn; from tests.servers.openai_app import make_app; "
            f"uvicorn.run(make_app(**{app_kwargs!r}), host='127.0.0.1', port={port}, log_level='critical', "
            "access_log=False)")
    env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{root / 'src'}"}
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=root, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(url + "/", proc, "the upstream process", timeout=20, any_status=True)  # 404: answering
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        proc.stderr.close()


def chat(text: str, **extra: Any) -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "user", "content": text}], **extra}
