"""The detectors in a process of their own: ``python -m bouclier.rollout.detector_worker``.

Reads one JSON line per batch on stdin (``{"items": [[answer, prompt], ...], "detectors":
[...], "canary_tokens": [...]}``) and writes one JSON line of flags per batch on stdout.
The router's recorder thread waits on the pipe, which releases the interpreter lock: the
request path never waits for a regular expression.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from typing import Any


class DetectorWorker:
    """Client side: one worker process, restarted if it dies."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def _start(self) -> subprocess.Popen:
        import os

        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        proc = subprocess.Popen([sys.executable, "-m", "bouclier.rollout.detector_worker"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=None, env=env, bufsize=1 << 16)
        try:  # its work can wait; the request path cannot: give it the scheduler's leftovers
            os.setpriority(os.PRIO_PROCESS, proc.pid, 10)
        except (AttributeError, OSError):
            pass
        return proc

    def run(self, items: list[tuple[str, str]], detectors: tuple[str, ...], canary_tokens: list[str]) -> list[dict[str, Any]]:
        line = json.dumps({"items": items, "detectors": list(detectors), "canary_tokens": canary_tokens}).encode() + b"\n"
        with self._lock:
            for attempt in (1, 2):
                if self._proc is None or self._proc.poll() is not None:
                    self._proc = self._start()
                try:
                    assert self._proc.stdin is not None and self._proc.stdout is not None
                    self._proc.stdin.write(line)
                    self._proc.stdin.flush()
                    answer = self._proc.stdout.readline()
                    if answer:
                        return json.loads(answer)
                except (OSError, ValueError):
                    pass
                self._kill()
            raise RuntimeError("the detector worker process failed twice")

    def _kill(self) -> None:
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.wait()
            for f in (self._proc.stdin, self._proc.stdout):
                if f:
                    f.close()
            self._proc = None

    def close(self) -> None:
        with self._lock:
            if self._proc is not None and self._proc.poll() is None and self._proc.stdin:
                try:
                    self._proc.stdin.close()
                    self._proc.wait(timeout=5)
                except (OSError, subprocess.TimeoutExpired):
                    pass
            self._kill()


def main() -> None:
    from bouclier.rollout.inspection import detector_flags

    for line in sys.stdin.buffer:
        request = json.loads(line)
        flags = detector_flags([tuple(x) for x in request["items"]], tuple(request["detectors"]),
                               request["canary_tokens"])
        sys.stdout.write(json.dumps(flags) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
