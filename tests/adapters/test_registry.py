"""Adapter registry: built-ins, decorator registration, entry points, unknown names."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

from bouclier.adapters import adapter_names, build_model, register_adapter
from bouclier.adapters.registry import _factories
from bouclier.errors import ConfigError


def test_builtins_are_listed_and_aiohttp_is_imported_lazily():
    assert {"python", "openai", "http"} <= set(adapter_names())
    code = (
        "import sys; from bouclier.adapters import build_model, adapter_names; adapter_names();"
        "print('aiohttp' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": "src"}, cwd=Path(__file__).parents[2], check=True)
    assert out.stdout.strip() == "False"


def test_register_adapter_decorator():
    seen = {}

    @register_adapter("test-echo")
    def factory(name, config, *, base_dir, concurrency, timeout_s):
        seen.update(name=name, base_dir=base_dir, concurrency=concurrency, timeout_s=timeout_s)
        return SimpleNamespace(name=name)

    try:
        model = build_model("e", SimpleNamespace(adapter="test-echo"), base_dir="/tmp", concurrency=3, timeout_s=9.0)
        assert model.name == "e"
        assert seen == {"name": "e", "base_dir": Path("/tmp"), "concurrency": 3, "timeout_s": 9.0}
        assert "test-echo" in adapter_names()
    finally:
        _factories.pop("test-echo")


def test_unknown_adapter_is_a_config_error():
    with pytest.raises(ConfigError) as info:
        build_model("cand", SimpleNamespace(adapter="nope"), base_dir=Path("."))
    text = str(info.value)
    assert "models.cand.adapter" in text and "unknown adapter 'nope'" in text and "openai" in text


def _install_plugin(tmp_path: Path, monkeypatch, target: str) -> None:
    """A real installed distribution (a .dist-info on sys.path) declaring an entry point."""
    (tmp_path / "bouclier_plugin_demo.py").write_text(textwrap.dedent("""
        from types import SimpleNamespace
        def factory(name, config, *, base_dir, concurrency, timeout_s):
            return SimpleNamespace(name=name, kind="plugin", greeting=config.greeting)
    """))
    info = tmp_path / "bouclier_plugin_demo-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: bouclier-plugin-demo\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[bouclier.adapters]\ndemo = {target}\n")
    monkeypatch.syspath_prepend(str(tmp_path))


def test_third_party_adapter_from_an_entry_point(tmp_path, monkeypatch):
    _install_plugin(tmp_path, monkeypatch, "bouclier_plugin_demo:factory")
    try:
        assert "demo" in adapter_names()
        assert "bouclier_plugin_demo" not in sys.modules  # listed without being loaded
        model = build_model("p", SimpleNamespace(adapter="demo", greeting="hi"), base_dir=Path("."))
        assert (model.name, model.kind, model.greeting) == ("p", "plugin", "hi")
    finally:
        _factories.pop("demo", None)
        sys.modules.pop("bouclier_plugin_demo", None)


def test_broken_entry_point_is_a_config_error(tmp_path, monkeypatch):
    _install_plugin(tmp_path, monkeypatch, "bouclier_plugin_demo:no_such_factory")
    try:
        with pytest.raises(ConfigError, match="cannot load adapter 'demo' from entry point 'bouclier_plugin_demo:no_such_factory'"):
            build_model("p", SimpleNamespace(adapter="demo"), base_dir=Path("."))
    finally:
        _factories.pop("demo", None)
        sys.modules.pop("bouclier_plugin_demo", None)
