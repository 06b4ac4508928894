"""The python adapter against real in-process callables (tests/adapters/sample_models.py)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from bouclier.adapters import BatchModel, Model, ModelCallError, Request, build_model
from bouclier.config.schema import PythonModelConfig
from bouclier.errors import ConfigError

HERE = Path(__file__).parent


def build(target: str, base_dir: Path = HERE, **kw):
    config = PythonModelConfig(adapter="python", target=f"sample_models:{target}", **kw)
    return build_model("m", config, base_dir=base_dir)


def run(coro):
    return asyncio.run(coro)


def test_sync_function_is_the_model():
    model = build("upper")
    assert isinstance(model, Model) and not isinstance(model, BatchModel)
    c = run(model.complete(Request("hello")))
    assert c.output == "HELLO"
    assert 0 <= c.latency_s < 1
    assert c.input_tokens is None and c.ttft_s is None


def test_async_function():
    c = run(build("aupper").complete(Request("abc")))
    assert c.output == "ABC"


def test_sync_callable_returning_an_awaitable_is_awaited():
    assert run(build("returns_awaitable").complete(Request("abc"))).output == "ABC"


def test_dict_return_gives_tokens():
    c = run(build("with_tokens").complete(Request("abcd")))
    assert (c.output, c.input_tokens, c.output_tokens) == ("dcba", 4, 3)


def test_function_with_args_is_a_factory():
    c = run(build("make_prefixer", args={"prefix": "Q: "}).complete(Request("x")))
    assert c.output == "Q: x"


def test_class_is_instantiated_with_args_or_without():
    assert run(build("Prefixer", args={"prefix": "# "}).complete(Request("x"))).output == "# x"
    assert run(build("Prefixer").complete(Request("x"))).output == "> x"


def test_async_callable_instance():
    assert run(build("AsyncModel", args={"suffix": "?"}).complete(Request("x"))).output == "x?"


def test_exception_in_callable_is_a_non_retryable_call_error():
    with pytest.raises(ModelCallError) as info:
        run(build("boom").complete(Request("abc")))
    err = info.value
    assert err.kind == "exception" and err.retryable is False
    assert "ValueError" in str(err) and "cannot handle 'abc'" in str(err) and "'m'" in str(err)
    assert isinstance(err.__cause__, ValueError)


def test_exception_in_async_callable():
    with pytest.raises(ModelCallError) as info:
        run(build("aboom").complete(Request("abc")))
    assert info.value.kind == "exception" and "KeyError" in str(info.value)


def test_wrong_return_type_is_invalid_response():
    with pytest.raises(ModelCallError) as info:
        run(build("returns_int").complete(Request("abc")))
    assert info.value.kind == "invalid_response" and "int 5" in str(info.value)


def test_batch_model_answers_a_list_and_shares_latency():
    model = build("batch_upper", batch_size=4)
    assert isinstance(model, BatchModel) and model.batch_size == 4
    out = run(model.complete_batch([Request("a"), Request("b"), Request("c")]))
    assert [c.output for c in out] == ["A", "B", "C"]
    assert len({c.latency_s for c in out}) == 1  # each item gets the same share
    assert run(model.complete(Request("z"))).output == "Z"
    assert run(model.complete_batch([])) == []


def test_async_batch_with_dicts():
    out = run(build("abatch_upper", batch_size=2).complete_batch([Request("a"), Request("b")]))
    assert [(c.output, c.input_tokens, c.output_tokens) for c in out] == [("A", 1, 2), ("B", 1, 2)]


def test_batch_item_errors_are_returned_in_place():
    out = run(build("batch_mixed", batch_size=3).complete_batch([Request("x")] * 3))
    assert out[0].output == "ok"
    assert isinstance(out[1], ModelCallError) and out[1].kind == "invalid_response"
    assert out[2].output == "dict"


def test_batch_of_wrong_length_fails_every_item():
    out = run(build("batch_short", batch_size=3).complete_batch([Request("x"), Request("y")]))
    assert all(isinstance(e, ModelCallError) and e.kind == "invalid_response" for e in out)
    assert "a list of 2 items" in str(out[0])


def test_batch_exception_fails_every_item_and_complete_raises():
    model = build("batch_boom", batch_size=2)
    out = run(model.complete_batch([Request("x"), Request("y")]))
    assert all(isinstance(e, ModelCallError) and e.kind == "exception" for e in out)
    assert "RuntimeError: GPU on fire" in str(out[0])
    with pytest.raises(ModelCallError):
        run(model.complete(Request("x")))


def test_sync_runs_inline_by_default_and_in_threads_when_asked():
    from sample_models import CALLS  # imported by the adapter from HERE

    CALLS.clear()
    run(build("where").complete(Request("x")))
    assert CALLS == [threading.main_thread().name]

    CALLS.clear()
    model = build("where", threads=2)

    async def go():
        try:
            return await asyncio.gather(*(model.complete(Request(str(i))) for i in range(4)))
        finally:
            await model.aclose()

    out = run(go())
    assert [c.output for c in out] == ["0", "1", "2", "3"]
    assert CALLS and all(name.startswith("bouclier-m") for name in CALLS)


@pytest.mark.parametrize(
    "target, expected",
    [
        ("no_such_module_xyz:f", "cannot import 'no_such_module_xyz' of target 'no_such_module_xyz:f': ModuleNotFoundError"),
        ("sample_models:nope", "module 'sample_models' has no attribute 'nope'"),
    ],
)
def test_unimportable_target_is_a_config_error(target, expected):
    config = PythonModelConfig(adapter="python", target=target)
    with pytest.raises(ConfigError) as info:
        build_model("cand", config, base_dir=HERE)
    text = str(info.value)
    assert expected in text and "models.cand.target" in text


def test_import_error_inside_the_module_is_reported(tmp_path):
    (tmp_path / "broken_model_mod.py").write_text("import json\ndef broken(:\n")
    config = PythonModelConfig(adapter="python", target="broken_model_mod:f")
    with pytest.raises(ConfigError) as info:
        build_model("cand", config, base_dir=tmp_path)
    assert "SyntaxError" in str(info.value) and "broken_model_mod:f" in str(info.value)


def test_base_dir_is_put_on_sys_path(tmp_path):
    (tmp_path / "local_model_mod.py").write_text("def answer(text):\n    return 'local:' + text\n")
    config = PythonModelConfig(adapter="python", target="local_model_mod:answer")
    assert run(build_model("m", config, base_dir=tmp_path).complete(Request("q"))).output == "local:q"


def test_failing_factory_and_non_callable_are_config_errors():
    with pytest.raises(ConfigError, match="calling the factory 'sample_models:make_fails' failed: ValueError: weights file missing"):
        build("make_fails", args={})
    with pytest.raises(ConfigError, match="not callable"):
        build("NOT_CALLABLE")


def test_fingerprint_is_stable_and_depends_on_config():
    a, b = build("upper"), build("upper")
    assert a.fingerprint() == b.fingerprint() and len(a.fingerprint()) == 64
    assert build("upper", system="be nice").fingerprint() != a.fingerprint()
    assert build("Prefixer", args={"prefix": "1"}).fingerprint() != build("Prefixer", args={"prefix": "2"}).fingerprint()


def test_fingerprint_follows_the_source_of_the_module(tmp_path):
    src = tmp_path / "edited_model_mod.py"
    src.write_text("def f(t):\n    return t\n")
    config = PythonModelConfig(adapter="python", target="edited_model_mod:f")
    before = build_model("m", config, base_dir=tmp_path).fingerprint()
    src.write_text("def f(t):\n    return t + '!'\n")
    assert build_model("m", config, base_dir=tmp_path).fingerprint() != before