"""Calibrate the SmolLM2-135M judge (refusal rubric) on XSTest's human-labelled completions.

    BOUCLIER_SHARED_DATA=/work/shared/data PYTHONPATH=src python benchmarks/judge_xstest.py [--n 60] [--max-tokens 8]

Reads ``completions_*_labeled.csv`` from $BOUCLIER_SHARED_DATA/xstest or ../shared/data/xstest
(skips with a message when absent, or when the SmolLM2 server's dependencies are missing).
Draws a seeded sample of ``--n`` completions stratified by the human ``final_label``
(1_full_compliance / 2_full_refusal / 3_partial_refusal, mapped to the refusal rubric's
compliance / refusal / partial), serves SmolLM2-135M-Instruct on 127.0.0.1, and runs
:func:`bouclier.scoring.calibration.calibrate`. The model generates ~1-5 tokens/s on a busy
2-core machine, hence the small sample and the short ``max_tokens`` (the answer format
``SCORE: <label>`` needs about 5 tokens).
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests.servers.fixtures.serve_app
from benchmarks.refusal_xstest import data_dir  # noqa: E402  (where the shared XSTest data is)

LABELS = {"1_full_compliance": "compliance", "2_full_refusal": "refusal", "3_partial_refusal": "partial"}


def sample(folder: Path, n: int, seed: int) -> list[dict]:
    rows = []
    for path in sorted(folder.glob("completions_*_labeled.csv")):
        with path.open(newline="", encoding="utf-8") as f:
            for r in csv.DictReader(f):
                rows.append({"id": f"{path.stem}:{r['id']}", "input": r["prompt"], "output": r["completion"],
                             "label": r["final_label"], "lang": "en", "source": path.stem})
    rng = random.Random(seed)
    by_label: dict[str, list[dict]] = {}
    for r in rows:
        by_label.setdefault(r["label"], []).append(r)
    picked = []
    for i, label in enumerate(sorted(by_label)):
        share = n // len(by_label) + (1 if i < n % len(by_label) else 0)
        picked += rng.sample(by_label[label], min(share, len(by_label[label])))
    rng.shuffle(picked)
    return picked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60, help="completions to grade (stratified by label)")
    parser.add_argument("--max-tokens", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--temperature", type=float, default=0.0)
    args = parser.parse_args(argv)
    folder = data_dir()
    if folder is None:
        print("skipped: XSTest completions not found (set BOUCLIER_SHARED_DATA or put them in ../shared/data/xstest)")
        return 0
    from bouclier.testing.smollm2_server import SmolLM2, create_app, missing_dependencies

    missing = missing_dependencies()
    if missing:
        print(f"skipped: the SmolLM2 judge needs {', '.join(missing)} (see docs/safety.md)")
        return 0
    from bouclier.config import load_config
    from bouclier.scoring.calibration import calibrate, render_markdown
    from tests.servers.fixtures import serve_app

    rows = sample(folder, args.n, args.seed)
    t0 = time.perf_counter()
    model = SmolLM2(threads=2)
    load_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp, serve_app(create_app(model, max_tokens=args.max_tokens)) as url:
        tmp_path = Path(tmp)
        (tmp_path / "labelled.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        params = {"max_tokens": args.max_tokens, "temperature": args.temperature}
        if args.temperature > 0:
            params["seed"] = args.seed
        (tmp_path / "bouclier.yaml").write_text(
            "models:\n"
            f"  smol: {{adapter: openai, base_url: '{url}/v1', model: smollm2, params: {json.dumps(params)}}}\n"
            "baseline: smol\ncandidate: smol\n"
            "suites: [{name: unused, dataset: labelled.jsonl, scorers: [json_valid]}]\n"
            "run: {concurrency: 1, timeout_s: 300, retries: 0, error_budget: 1.0}\n", encoding="utf-8")
        loaded = load_config(tmp_path / "bouclier.yaml")
        report = calibrate(loaded, judge="smol", rubric="refusal", data=tmp_path / "labelled.jsonl",
                           label_field="label", lang_field="lang", label_map=LABELS, repeats=args.repeats,
                           use_cache=False)
    print(f"# {platform.node()} | {platform.processor() or platform.machine()} | python {platform.python_version()} | "
          f"{time.strftime('%Y-%m-%d')} | n={len(rows)} seed={args.seed} max_tokens={args.max_tokens} "
          f"repeats={args.repeats} temperature={args.temperature}")
    print(f"model load {load_s:.0f} s; grading {report.elapsed_s:.0f} s "
          f"({report.elapsed_s / max(len(rows) * args.repeats, 1):.1f} s per judge call)\n")
    print(render_markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
