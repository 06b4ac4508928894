"""A real gate run to render: the `bouclier init` sample project, with the tutorial's
regression (the candidate loses its German vocabulary) or without it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = str(ROOT / "src")
REGRESSION = ("args: {languages: [en, fr, es, de]}   # the", "args: {languages: [en, fr, es]}   # the")


def env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": SRC, **extra}


def bouclier(*args: str, cwd: Path, timeout: float = 180, **extra_env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bouclier", *args], cwd=cwd, env=env(**extra_env),
                          capture_output=True, text=True, timeout=timeout)


def sample_project(directory: Path, *, regression: bool) -> Path:
    r = bouclier("init", "--type", "python", "--dir", str(directory), cwd=ROOT)
    assert r.returncode == 0, r.stderr
    config = directory / "bouclier.yaml"
    if regression:
        text = config.read_text(encoding="utf-8")
        assert REGRESSION[0] in text
        config.write_text(text.replace(*REGRESSION), encoding="utf-8")
    return directory


def bouclier_shim(bin_dir: Path) -> Path:
    """A `bouclier` executable on PATH that runs this checkout (what `pip install` gives CI)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    shim = bin_dir / "bouclier"
    shim.write_text(f"#!/bin/sh\nPYTHONPATH={SRC} exec {sys.executable} -m bouclier \"$@\"\n")
    shim.chmod(0o755)
    return shim
