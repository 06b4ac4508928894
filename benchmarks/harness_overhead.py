"""Harness overhead: an in-process model that answers instantly, N cases, one scorer,
cache on. Reports cases/s (cold cache and warm cache) and peak RSS.

    python benchmarks/harness_overhead.py --cases 20000
    python benchmarks/harness_overhead.py --cases 100000
    python benchmarks/harness_overhead.py --cases 20000 --output /tmp/runs   # keep the run directories

The figure measures bouclier itself: reading the dataset, rendering, the runner, the
cache, scoring, statistics and writing the reports.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from bouclier.check import case_rows, run_check  # noqa: E402
from bouclier.config import load_config  # noqa: E402
from bouclier.reports import write_run  # noqa: E402

MODEL = """
def echo(text):
    return text.rsplit(" ", 1)[-1]

def echo_worse(text):
    return "x" if text.endswith("7") else text.rsplit(" ", 1)[-1]
"""

CONFIG = """
models:
  base: {adapter: python, target: "bench_models:echo"}
  cand: {adapter: python, target: "bench_models:echo_worse"}
baseline: base
candidate: cand
suites:
  - name: echo
    dataset: cases.jsonl
    input: "repeat {{word}}"
    expected: word
    id_field: id
    scorers: [exact_match]
    criteria:
      - {metric: exact_match, kind: non_inferiority, margin: 0.02}
run: {concurrency: 16}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=20000)
    parser.add_argument("--output", type=Path, default=None,
                        help="keep the run directories (cold_cache/, warm_cache/) here, e.g. to compare result.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "bench_models.py").write_text(textwrap.dedent(MODEL))
        (root / "bouclier.yaml").write_text(CONFIG)
        with (root / "cases.jsonl").open("w") as fh:
            for i in range(args.cases):
                fh.write(json.dumps({"id": f"c{i}", "word": f"w{i}"}) + "\n")
        loaded = load_config(root / "bouclier.yaml")
        timings = {}
        for label in ("cold cache", "warm cache"):
            started = time.perf_counter()
            result, records = run_check(loaded)
            write_run(result, (args.output or root / "out") / label.replace(" ", "_"), cases=case_rows(records))
            timings[label] = time.perf_counter() - started
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"cases: {args.cases} (x2 models), verdict {result.verdict.value}")
    for label, seconds in timings.items():
        print(f"{label}: {seconds:.2f} s, {args.cases / seconds:,.0f} cases/s (both models, scored, judged, reported)")
    print(f"peak RSS: {rss_mb:.0f} MB")


if __name__ == "__main__":
    main()
