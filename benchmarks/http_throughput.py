"""HTTP throughput of the runner: a local OpenAI-compatible server that answers after
50 ms (in its own process), the ``openai`` adapter at concurrency 32, N requests on a cold
cache, then the same N on the warm cache.

    python benchmarks/http_throughput.py --requests 3000

Ideal rate at 50 ms and concurrency 32: 640 requests/s. Goal: >= 85% of it cold, and the
warm run >= 20x faster than the cold one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from bouclier.adapters.registry import build_model  # noqa: E402
from bouclier.config.schema import OpenAIModelConfig  # noqa: E402
from bouclier.data import Case  # noqa: E402
from bouclier.runner import ResponseCache, RunOptions, run_model  # noqa: E402

SERVER = """
import sys, uvicorn
sys.path.insert(0, {root!r})
from tests.servers.openai_app import make_app
uvicorn.run(make_app(delay_s={delay}), host="127.0.0.1", port={port}, log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("test server did not start")


async def one_run(base_url: str, cases: list[Case], cache: ResponseCache, concurrency: int) -> float:
    config = OpenAIModelConfig(adapter="openai", base_url=base_url, model="bench")
    model = build_model("bench", config, base_dir=ROOT, concurrency=concurrency, timeout_s=30)
    try:
        started = time.perf_counter()
        out = await run_model(model, cases, options=RunOptions(concurrency=concurrency), cache=cache)
        elapsed = time.perf_counter() - started
    finally:
        await model.aclose()
    assert all(r.ok for r in out), [r.error for r in out if not r.ok][:3]
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--delay-ms", type=float, default=50.0)
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVER.format(root=str(ROOT), delay=args.delay_ms / 1000, port=port)],
                              env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    try:
        wait_for(port)
        cases = [Case(id=str(i), input=f"question number {i}", expected=None, group=None, fields={}, line=i)
                 for i in range(args.requests)]
        with tempfile.TemporaryDirectory() as tmp:
            cache = ResponseCache(Path(tmp))
            base = f"http://127.0.0.1:{port}/v1"
            cold = asyncio.run(one_run(base, cases, cache, args.concurrency))
            warm = asyncio.run(one_run(base, cases, cache, args.concurrency))
            cache.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    ideal = args.concurrency / (args.delay_ms / 1000)
    rate = args.requests / cold
    print(f"requests: {args.requests}, concurrency {args.concurrency}, server delay {args.delay_ms:g} ms")
    print(f"cold: {cold:.2f} s, {rate:.0f} requests/s = {rate / ideal:.0%} of the ideal {ideal:.0f}/s")
    print(f"warm (cache): {warm:.3f} s, {args.requests / warm:,.0f} requests/s, {cold / warm:.0f}x faster than cold")


if __name__ == "__main__":
    main()
