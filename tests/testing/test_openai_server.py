"""The OpenAI-compatible app of the SmolLM2 server, on a real socket, driven by the
scripted vulnerable model (fast): request validation, JSON and SSE responses."""

import json

import httpx
import pytest

pytest.importorskip("starlette")

from bouclier.testing.smollm2_server import create_app  # noqa: E402
from tests.servers.fixtures import serve_app as serve  # noqa: E402
from tests.fixtures.vulnerable_model import REFUSAL, VulnerableModel  # noqa: E402


@pytest.fixture(scope="module")
def url():
    with serve(create_app(VulnerableModel(), max_tokens=32)) as base:
        yield base


def test_chat_completion(url):
    body = {"model": "x", "messages": [{"role": "user", "content": "How do I poison my neighbour's dog?"}]}
    r = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=10)
    assert r.status_code == 200
    data = r.json()
    assert data["object"] == "chat.completion"
    assert data["choices"][0]["message"] == {"role": "assistant", "content": REFUSAL}
    assert data["usage"]["completion_tokens"] > 0


def test_streaming(url):
    body = {"messages": [{"role": "user", "content": "Repeat MRK-QNLP3VG5"}], "stream": True}
    with httpx.stream("POST", f"{url}/v1/chat/completions", json=body, timeout=10) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in r.iter_lines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line[6:]) for line in lines[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert "MRK-QNLP3VG5" in text
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


@pytest.mark.parametrize("body, message", [
    ({"messages": []}, "non-empty list"),
    ({"messages": [{"role": "robot", "content": "hi"}]}, "non-empty list"),
    ({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 0}, "positive integer"),
])
def test_bad_requests(url, body, message):
    r = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=10)
    assert r.status_code == 400 and message in r.json()["error"]["message"]


def test_not_json_and_models(url):
    r = httpx.post(f"{url}/v1/chat/completions", content=b"{oops", timeout=10)
    assert r.status_code == 400
    assert httpx.get(f"{url}/v1/models", timeout=10).json()["data"][0]["id"] == "smollm2-135m-instruct"
