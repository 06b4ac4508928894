"""`bouclier serve-analysis` as a user runs it: the real command in its own process."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Iterator

from tests.servers.fixtures import free_port, wait_until_answering

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def serve_analysis(config: Path, db_url: str) -> Iterator[str]:
    """Run ``bouclier serve-analysis`` on a free port until /healthz answers; SIGKILL it after
    (a crash, not a clean shutdown)."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}", "BOUCLIER_ACTOR": "serve-analysis"}
    proc = subprocess.Popen([sys.executable, "-m", "bouclier", "serve-analysis", "--config", str(config),
                             "--port", str(port), "--db", db_url], cwd=config.parent, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(url + "/healthz", proc, "serve-analysis")
        yield url
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        proc.stderr.close()
