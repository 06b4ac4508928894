"""Small bouclier projects on disk for the performance tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[2] / "src")

MODELS = '''
import time

BASE_S = 0.003

def fast(text):
    time.sleep(BASE_S)
    return text.upper()

def fast_too(text):
    time.sleep(BASE_S)
    return text.upper()

def slow(text):
    time.sleep(BASE_S * 1.3)  # an injected 30% delay
    return text.upper()

def with_usage(text):
    return {"output": text.upper(), "input_tokens": len(text.split()), "output_tokens": len(text.split())}

def hungry(text):
    buf = bytearray(4_000_000)  # 4 MB of working memory per request
    return text.upper() + str(len(buf))

def words(text):
    return len(text.split())
'''


def write_project(tmp: Path, config: str, *, rows: int = 40) -> Path:
    (tmp / "pmodels.py").write_text(MODELS)
    (tmp / "bouclier.yaml").write_text(textwrap.dedent(config))
    with (tmp / "cases.jsonl").open("w") as fh:
        for i in range(rows):
            fh.write(json.dumps({"id": f"c{i}", "text": f"request number {i} " + "word " * (i % 9)}) + "\n")
    return tmp / "bouclier.yaml"


def bouclier(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run([sys.executable, "-m", "bouclier", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)
