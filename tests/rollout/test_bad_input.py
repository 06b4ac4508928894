"""The bad inputs of the router issue: each gets a clear error with the right status (or a
clear start-up error, exit 2), and the router keeps serving."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.rollout.apps import garbage_server, marked_app
from tests.rollout.harness import chat, router_config, serve_router
from tests.servers.fixtures import serve_app
from tests.servers.openai_app import make_app

ROOT = Path(__file__).resolve().parents[2]
CHAT = "/v1/chat/completions"


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bouclier", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=timeout, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})


GOOD = """\
router:
  rollout_id: r1
  upstreams:
    stable: {url: "http://127.0.0.1:9"}
    canary: {url: "http://127.0.0.1:9"}
  weights: {stable: 95, canary: 5}
"""


@pytest.mark.parametrize("text, line, fragment", [
    (GOOD.replace("canary: 5", "canary: 10"), 6, "weights must sum to 100, found 105"),
    (GOOD.replace("weights: {stable: 95, canary: 5}", "weights: {stable: 95, beta: 5}"), 6, "unknown variant 'beta'"),
    (GOOD.replace("    canary: {url", "    beta: {url"), 3, "unknown variant 'beta'"),
    (GOOD.replace("canary: 5}", "canary: -5}"), 6, "from 0 to 100"),
    (GOOD.replace('"http://127.0.0.1:9"}\n  weights', '"ftp://x"}\n  weights'), 5, "http:// or https:// URL"),
    (GOOD + "  bogus: 1\n", 7, "unknown key"),
    (GOOD + "  signals: {worker: fork}\n", 7, "'process' or 'thread'"),
    (GOOD + "  signals:\n    detector_process: true\n", 7, "detector_process was replaced by worker"),
    ("models: {}\n", 1, "expected a 'router:' mapping"),
])
def test_bad_configuration_is_a_clear_startup_error(tmp_path, text, line, fragment):
    path = tmp_path / "router.yaml"
    path.write_text(text)
    r = run_cli("router", "--config", str(path))
    assert r.returncode == 2, r.stderr
    assert fragment in r.stderr and f"router.yaml:{line}" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


def test_missing_config_file_and_short_token(tmp_path):
    r = run_cli("router", "--config", str(tmp_path / "nope.yaml"))
    assert r.returncode == 2 and "configuration file not found" in r.stderr
    path = tmp_path / "router.yaml"
    path.write_text(GOOD)
    r = subprocess.run([sys.executable, "-m", "bouclier", "router", "-c", str(path)], capture_output=True, text=True,
                       cwd=ROOT, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT / "src"),
                                                  "BOUCLIER_ROUTER_TOKEN": "short"})
    assert r.returncode == 2 and "at least 16" in r.stderr and "short" not in r.stderr.replace("short\n", "")


def test_malformed_upstream_answers(tmp_path):
    with garbage_server() as bad, serve_app(make_app()) as good:
        config = router_config(bad, good, tmp_path, weights={"stable": 100, "canary": 0})
        with serve_router(config) as (url, router), httpx.Client(base_url=url) as client:
            r = client.post(CHAT, json=chat("x"))
            assert r.status_code == 502 and "stable upstream" in r.json()["error"]["message"]
            # a 2xx answer that is not the JSON it claims: passed on, recorded as invalid
            r = client.post(CHAT, json=chat("x"), headers={"X-Bouclier-Variant": "canary"})
            r2 = client.post(CHAT, json=chat("!nonjson"), headers={"X-Bouclier-Variant": "canary"})
            assert r.status_code == 200 and r2.status_code == 200 and "not json" in r2.text
            router.recorder.flush()
            rows = router.store.window(rollout_id="test", include_forced=True)
            assert [x.outcome for x in rows] == ["invalid_response", "ok", "invalid_response"]
            assert client.get("/healthz").status_code == 200


def test_hanging_upstream_gives_504_within_the_timeout(tmp_path):
    with serve_app(make_app()) as s, serve_app(make_app()) as c:
        config = router_config(s, c, tmp_path, weights={"stable": 100, "canary": 0},
                               upstreams={"stable": {"url": s, "timeout_s": 0.5}, "canary": {"url": c}})
        with serve_router(config) as (url, router), httpx.Client(base_url=url, timeout=10) as client:
            t0 = time.perf_counter()
            r = client.post(CHAT, json=chat("!hang"))
            elapsed = time.perf_counter() - t0
            assert r.status_code == 504 and "no answer within 0.5 s" in r.json()["error"]["message"]
            assert 0.5 <= elapsed < 3.0, elapsed
            assert client.post(CHAT, json=chat("still alive")).status_code == 200
            router.recorder.flush()
            assert [x.outcome for x in router.store.window(rollout_id="test")] == ["timeout", "ok"]


def test_oversized_requests_and_headers(tmp_path):
    with serve_app(marked_app("S")) as s:
        config = router_config(s, s, tmp_path, limits={"max_body_bytes": 2000, "max_header_bytes": 1024})
        with serve_router(config) as (url, router), httpx.Client(base_url=url) as client:
            r = client.post(CHAT, json=chat("x" * 5000))
            assert r.status_code == 413 and "2000 bytes" in r.json()["error"]["message"]

            def chunks():  # no Content-Length: the limit holds while reading
                for _ in range(10):
                    yield b"x" * 500

            r = client.post(CHAT, content=chunks())
            assert r.status_code == 413
            r = client.post(CHAT, json=chat("x"), headers={"X-Big": "y" * 2000})
            assert r.status_code == 431
            assert client.post(CHAT, json=chat("fine")).status_code == 200


def test_feedback_ids_and_bodies(tmp_path):
    with serve_app(marked_app("S")) as s:
        with serve_router(router_config(s, s, tmp_path)) as (url, router), httpx.Client(base_url=url) as client:
            rid = client.post(CHAT, json=chat("x")).headers["x-request-id"]
            assert client.post(f"/feedback/{rid}", json={"rating": "down", "label": "wrong"}).status_code == 202
            assert client.post("/feedback/not-an-id", json={"value": 1}).status_code == 400
            assert client.post("/feedback/" + "0" * 32, json={"value": 1}).status_code == 404
            for body in ({"value": 3}, {"rating": "meh"}, {"value": "1"}, [1], {"value": 1, "label": "x" * 200}):
                assert client.post(f"/feedback/{rid}", json=body).status_code == 400, body
            assert client.post(f"/feedback/{rid}", content=b"{not json").status_code == 400
            assert client.get(f"/feedback/{rid}").status_code == 405
            router.recorder.flush()
            (fb,) = router.store.feedback(rollout_id="test")
            assert fb.request_id == rid and fb.value == -1 and fb.label == "wrong" and fb.variant in ("stable", "canary")
        # after a restart the id is found in the store
        with serve_router(router_config(s, s, tmp_path)) as (url, router), httpx.Client(base_url=url) as client:
            assert client.post(f"/feedback/{rid}", json={"value": 0.5}).status_code == 202


def test_only_configured_paths_are_proxied(tmp_path):
    with serve_app(marked_app("S")) as s:
        config = router_config(s, s, tmp_path, paths=["/v1/"])
        with serve_router(config) as (url, router), httpx.Client(base_url=url) as client:
            assert client.get("/etc/passwd").status_code == 404
            r = client.post(CHAT, json=chat("x"), headers={"Host": "evil.example"})
            assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"] == "S x"
            # an absolute URI in the request line cannot send the router elsewhere
            body = b'{"messages": [{"role": "user", "content": "x"}]}'
            host, port = url.removeprefix("http://").split(":")
            with socket.create_connection((host, int(port)), timeout=5) as sock:
                sock.sendall(b"POST http://evil.example/v1/chat/completions HTTP/1.1\r\nHost: evil.example\r\n"
                             b"Content-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                             % (len(body), body))
                answer = b""
                while chunk := sock.recv(65536):
                    answer += chunk
            assert answer.startswith(b"HTTP/1.1 200") and b"S x" in answer
