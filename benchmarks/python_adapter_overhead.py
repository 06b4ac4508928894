"""Per-call overhead of the python adapter with an instant model.

    python benchmarks/python_adapter_overhead.py

The runner must sustain >= 10,000 cases/s with an instant in-process model; this measures
the adapter's own share: ``await model.complete(Request(...))`` on ``str.upper``-like
callables (sync inline, async, sync in a 2-thread pool, and a batch of 32), best of 5.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from bouclier.adapters import Request, build_model  # noqa: E402
from bouclier.config.schema import PythonModelConfig  # noqa: E402

MODELS = textwrap.dedent("""
    def upper(text):
        return text.upper()
    async def aupper(text):
        return text.upper()
    def batch_upper(texts):
        return [t.upper() for t in texts]
""")


def main(n: int = 100_000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "bench_models.py").write_text(MODELS)
        requests = [Request(f"case number {i}") for i in range(n)]
        cases = [
            ("sync, inline", {"target": "bench_models:upper"}),
            ("async", {"target": "bench_models:aupper"}),
            ("sync, threads: 2", {"target": "bench_models:upper", "threads": 2}),
            ("batch_size: 32", {"target": "bench_models:batch_upper", "batch_size": 32}),
        ]
        print("| callable | us per case | cases/s |")
        print("|---|---:|---:|")
        for label, kw in cases:
            model = build_model("bench", PythonModelConfig(adapter="python", **kw), base_dir=Path(tmp))
            size = kw.get("batch_size", 1)
            count = n if "threads" not in kw else n // 10

            async def run() -> float:
                t0 = time.perf_counter()
                if size > 1:
                    for i in range(0, count, size):
                        await model.complete_batch(requests[i : i + size])
                else:
                    for r in requests[:count]:
                        await model.complete(r)
                return time.perf_counter() - t0

            async def best() -> float:
                try:
                    return min([await run() for _ in range(5)])
                finally:
                    await model.aclose()

            seconds = asyncio.run(best())
            print(f"| {label} | {seconds / count * 1e6:.2f} | {count / seconds:,.0f} |")


if __name__ == "__main__":
    main()
