"""The documentation site builds with `mkdocs build --strict` (no warning), and its CLI
reference is generated from the Typer app."""

import shutil
import subprocess
import sys

import pytest

from bouclier.cli.reference import cli_reference_markdown
from tests.test_docs import ROOT, commands


def test_cli_reference_lists_every_command_and_option():
    text = cli_reference_markdown()
    for path, cmd in commands():
        if not path:
            continue
        assert f"## `bouclier {' '.join(path)}`" in text
        for p in cmd.params:
            if p.param_type_name == "option" and p.name != "help":
                assert p.opts[0] in text, (path, p.opts)


def test_mkdocs_build_strict(tmp_path):
    try:
        import mkdocs  # noqa: F401
    except ImportError:
        pytest.skip("mkdocs is not installed: pip install -e '.[docs]' to build the documentation")
    site = tmp_path / "site"
    r = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "WARNING" not in r.stderr, r.stderr
    cli = (site / "cli" / "index.html").read_text(encoding="utf-8")
    assert "bouclier report" in cli and "--format" in cli
    for page in ("tutorial", "criteria/non_inferiority", "criteria/zero_tolerance", "scale", "statistics"):
        assert (site / page / "index.html").is_file(), page
    shutil.rmtree(site)
