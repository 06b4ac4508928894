"""`bouclier serve-analysis` as a user runs it: the real command in its own process."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import httpx

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def serve_analysis(config: Path, db_url: str) -> Iterator[str]:
    """Run ``bouclier serve-analysis`` on a free port until /healthz answers; SIGKILL it after
    (a crash, not a clean shutdown)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}", "BOUCLIER_ACTOR": "serve-analysis"}
    proc = subprocess.Popen([sys.executable, "-m", "bouclier", "serve-analysis", "--config", str(config),
                             "--port", str(port), "--db", db_url], cwd=config.parent, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("serve-analysis did not start: " + proc.stderr.read().decode()[-2000:])
            time.sleep(0.05)
        yield url
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        proc.stderr.close()
