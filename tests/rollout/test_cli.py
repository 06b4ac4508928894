"""``bouclier router`` as a user runs it: start, serve, SIGTERM, signals flushed, exit 0."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.rollout.apps import marked_app
from tests.servers.fixtures import free_port, serve_app

ROOT = Path(__file__).resolve().parents[2]


def test_router_command_serves_and_stops_cleanly(tmp_path):
    with serve_app(marked_app("STABLE")) as s, serve_app(marked_app("CANARY")) as c:
        port = free_port()
        (tmp_path / "router.yaml").write_text(
            f"router:\n  rollout_id: cli\n  upstreams:\n    stable: {{url: '{s}'}}\n    canary: {{url: '{c}'}}\n"
            f"  weights: {{stable: 50, canary: 50}}\n  signals: {{store: sig.sqlite}}\n")
        proc = subprocess.Popen([sys.executable, "-m", "bouclier", "router", "-c", str(tmp_path / "router.yaml"),
                                 "--port", str(port)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env={**os.environ, "PYTHONPATH": str(ROOT / "src"),
                                     "BOUCLIER_ROUTER_TOKEN": "cli-token-0123456789abcdef"})
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(url + "/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read().decode()
                time.sleep(0.1)
            ids = set()
            for i in range(20):
                r = httpx.post(url + "/v1/chat/completions", headers={"X-User-Id": f"u{i}"},
                               json={"messages": [{"role": "user", "content": "hi"}]})
                assert r.status_code == 200
                ids.add(r.headers["x-request-id"])
        finally:
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=30)
        # uvicorn shuts down gracefully, then re-raises SIGTERM: the conventional exit status
        assert proc.returncode in (0, -signal.SIGTERM), err.decode()
        text = err.decode()
        assert "router cli: http://127.0.0.1:" in text and "Traceback" not in text
        assert '"variant"' in text and '"request_id"' in text  # access log lines, no bodies
        assert "hi" not in text.replace("http", "")
        rows = sqlite3.connect(tmp_path / "sig.sqlite").execute("SELECT request_id FROM signals").fetchall()
        assert {r[0] for r in rows} == ids


def test_router_command_on_a_busy_port_exits_4(tmp_path):
    import socket

    (tmp_path / "router.yaml").write_text(
        "router:\n  rollout_id: busy\n  upstreams:\n    stable: {url: 'http://127.0.0.1:9'}\n"
        "    canary: {url: 'http://127.0.0.1:9'}\n  weights: {stable: 95, canary: 5}\n")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        r = subprocess.run([sys.executable, "-m", "bouclier", "router", "-c", str(tmp_path / "router.yaml"),
                            "--port", str(busy.getsockname()[1])], cwd=ROOT, capture_output=True, text=True,
                           timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert r.returncode == 4 and "could not start" in r.stderr and "Traceback" not in r.stderr, r.stderr
