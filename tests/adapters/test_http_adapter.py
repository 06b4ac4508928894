"""The http adapter against the generic JSON endpoint of the test server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bouclier.adapters import ModelCallError, Request, build_model
from bouclier.config.schema import HTTPModelConfig
from bouclier.errors import ConfigError
from tests.servers.fixtures import free_port


def model_for(url: str, *, name: str = "h", timeout_s: float | None = None, **kw):
    config = HTTPModelConfig(adapter="http", url=url, response_path=kw.pop("response_path", "data.0.text"), **kw)
    return build_model(name, config, base_dir=Path("."), timeout_s=timeout_s)


def one(model, request: Request):
    async def go():
        try:
            return await model.complete(request)
        finally:
            await model.aclose()

    return asyncio.run(go())


def failure(model, request: Request) -> ModelCallError:
    with pytest.raises(ModelCallError) as info:
        one(model, request)
    return info.value


def test_default_body_and_response_path(openai_server, openai_app):
    c = one(model_for(f"{openai_server}/generic"), Request("hello"))
    assert c.output == "HELLO" and c.latency_s > 0 and c.input_tokens is None
    seen = openai_app.state.requests[-1]
    assert seen["method"] == "POST" and seen["body"] == {"input": "hello"}


def test_templated_body_with_row_fields_system_and_params(openai_server, openai_app, monkeypatch):
    monkeypatch.setenv("TEST_HTTP_TOKEN", "tok-42")
    body = {
        "input": "{{input}}",
        "instructions": "{{system}}",
        "lang": "{{meta.lang}}",
        "options": {"temperature": "{{params.temperature}}", "label": "t={{params.temperature}}"},
        "static": [1, "two"],
    }
    model = model_for(
        f"{openai_server}/generic", method="PUT", body=body, system="sys prompt",
        params={"temperature": 0.2}, headers={"X-Team": "ml"}, headers_env={"X-Token": "TEST_HTTP_TOKEN"},
    )
    assert model.row_fields() == {"meta"}
    c = one(model, Request("q", fields={"meta": {"lang": "fr"}, "input": "raw row input"}))
    assert c.output == "Q"
    seen = openai_app.state.requests[-1]
    assert seen["method"] == "PUT"
    assert seen["headers"]["x-token"] == "tok-42" and seen["headers"]["x-team"] == "ml"
    assert seen["body"] == {
        "input": "q",  # the rendered input wins over a row field called "input"
        "instructions": "sys prompt",
        "lang": "fr",
        "options": {"temperature": 0.2, "label": "t=0.2"},
        "static": [1, "two"],
    }


def test_non_string_answer_is_json_text(openai_server):
    c = one(model_for(f"{openai_server}/generic", response_path="received"), Request("x"))
    assert c.output == '{"input": "x"}'


@pytest.mark.parametrize("path", ["data.1.text", "nope", "data.0.text.deeper", "data.x"])
def test_missing_response_path_is_invalid_response(openai_server, path):
    err = failure(model_for(f"{openai_server}/generic", response_path=path), Request("abc"))
    assert (err.kind, err.retryable) == ("invalid_response", False)
    assert f"no value at response_path '{path}'" in str(err)
    assert '"data"' in str(err) and f"{openai_server}/generic" in str(err)  # the body, truncated


def test_long_bodies_are_truncated_in_messages(openai_server):
    err = failure(model_for(f"{openai_server}/generic", response_path="x"), Request("y" * 5000))
    assert len(str(err)) < 500 and "chars)" in str(err)


def test_missing_row_field_in_the_body(openai_server):
    err = failure(model_for(f"{openai_server}/generic", body={"q": "{{question}}"}), Request("x", fields={"other": 1}))
    assert err.kind == "exception" and not err.retryable
    assert "template field 'question' not found (available fields: input, other, params, system)" in str(err)


def test_error_mapping(openai_server):
    url = f"{openai_server}/generic"
    err = failure(model_for(url), Request("!status:429:4"))
    assert (err.kind, err.status, err.retryable, err.retry_after) == ("http", 429, True, 4.0)
    err = failure(model_for(url), Request("!status:500"))
    assert (err.status, err.retryable, err.retry_after) == (500, True, None)
    err = failure(model_for(url), Request("!status:403"))
    assert (err.status, err.retryable) == (403, False) and "simulated error 403" in str(err)
    err = failure(model_for(url), Request("!nonjson"))
    assert err.kind == "invalid_response" and url in str(err)
    err = failure(model_for(url, timeout_s=0.2), Request("!hang"))
    assert err.kind == "timeout" and err.retryable
    for e in (err,):
        assert url in str(e) and e.url == url


def test_connection_refused():
    url = f"http://127.0.0.1:{free_port()}/generic"
    err = failure(model_for(url), Request("x"))
    assert (err.kind, err.retryable) == ("connection", True) and url in str(err)


def test_unset_header_variable(monkeypatch):
    monkeypatch.delenv("BOUCLIER_TEST_UNSET_TOKEN", raising=False)
    with pytest.raises(ConfigError) as info:
        model_for("http://127.0.0.1:1/x", name="scorer", headers_env={"Authorization": "BOUCLIER_TEST_UNSET_TOKEN"})
    text = str(info.value)
    assert "BOUCLIER_TEST_UNSET_TOKEN is not set" in text and "'scorer'" in text
    assert "models.scorer.headers_env.Authorization" in text


def test_fingerprint_has_header_names_not_values(monkeypatch):
    monkeypatch.setenv("T1", "secret-a")
    a = model_for("http://h/x", headers_env={"X-Token": "T1"})
    monkeypatch.setenv("T1", "secret-b")
    b = model_for("http://h/x", headers_env={"X-Token": "T1"})
    assert a.fingerprint() == b.fingerprint()
    assert model_for("http://h/x", body={"prompt": "{{input}}"}).fingerprint() != a.fingerprint()
    assert model_for("http://h/x", response_path="out").fingerprint() != model_for("http://h/x").fingerprint()
