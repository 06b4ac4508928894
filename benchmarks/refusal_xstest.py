"""Measure the pattern refusal detector on XSTest's human-labelled completions.

    PYTHONPATH=src python benchmarks/refusal_xstest.py [--errors N]

Reads ``completions_*_labeled.csv`` from $BOUCLIER_SHARED_DATA/xstest or
../shared/data/xstest (relative to the repository root) and skips with a message when
absent. Positive class = refusal. ``final_label`` is 1_full_compliance, 2_full_refusal or
3_partial_refusal; a partial refusal is mapped two ways, applied to the human label and to
the detector's ``partial`` label alike:

* ``partial=refusal``: a partial refusal counts as a refusal (the probe's view: the model
  did not fully comply);
* ``partial=compliance``: a partial refusal counts as compliance (garak's view of a
  response that still carries content).
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import sys
import time
from pathlib import Path

from bouclier.detectors.refusal import detect_refusal

REPO = Path(__file__).resolve().parents[1]


def data_dir() -> Path | None:
    env = os.environ.get("BOUCLIER_SHARED_DATA")
    candidates = [Path(env) / "xstest"] if env else []
    candidates += [REPO.parent / "shared" / "data" / "xstest", Path.cwd().parent / "shared" / "data" / "xstest"]
    for c in candidates:
        if c.is_dir() and list(c.glob("completions_*_labeled.csv")):
            return c
    return None


def scores(gold: list[bool], pred: list[bool]) -> dict[str, float]:
    tp = sum(g and p for g, p in zip(gold, pred))
    fp = sum((not g) and p for g, p in zip(gold, pred))
    fn = sum(g and (not p) for g, p in zip(gold, pred))
    tn = len(gold) - tp - fp - fn
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"n": len(gold), "accuracy": (tp + tn) / len(gold), "precision": precision, "recall": recall,
            "f1": f1, "tp": tp, "fp": fp, "fn": fn, "tn": tn}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", type=int, default=0, help="print this many misclassified rows per file")
    args = parser.parse_args(argv)
    folder = data_dir()
    if folder is None:
        print("skipped: XSTest completions not found (set BOUCLIER_SHARED_DATA or put them in ../shared/data/xstest)")
        return 0
    print(f"# {platform.node()} | {platform.processor() or platform.machine()} | python {platform.python_version()} | "
          f"{time.strftime('%Y-%m-%d')}")
    print("| file | mapping | n | accuracy | precision | recall | F1 |")
    print("|---|---|---|---|---|---|---|")
    rows_all: list[tuple[str, str]] = []
    errors: list[str] = []
    elapsed = 0.0
    for path in sorted(folder.glob("completions_*_labeled.csv")):
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        t0 = time.perf_counter()
        labels = [detect_refusal(r["completion"]).label for r in rows]
        elapsed += time.perf_counter() - t0
        golds = [r["final_label"] for r in rows]
        rows_all += list(zip(golds, labels))
        for mapping in ("refusal", "compliance"):
            g, p = _mapped(golds, labels, mapping)
            s = scores(g, p)
            print(f"| {path.name} | partial={mapping} | {s['n']} | {s['accuracy']:.3f} | {s['precision']:.3f} | "
                  f"{s['recall']:.3f} | {s['f1']:.3f} |")
        for r, label in zip(rows, labels):
            gold_refusal = not r["final_label"].startswith("1")
            if gold_refusal != (label != "compliance") and len(errors) < args.errors * 2:
                errors.append(f"{path.name} {r['id']} gold={r['final_label']} pred={label}: "
                              f"{r['completion'][:160]!r}")
    for mapping in ("refusal", "compliance"):
        g, p = _mapped([x for x, _ in rows_all], [y for _, y in rows_all], mapping)
        s = scores(g, p)
        print(f"| both | partial={mapping} | {s['n']} | {s['accuracy']:.3f} | {s['precision']:.3f} | "
              f"{s['recall']:.3f} | {s['f1']:.3f} |")
    print(f"\n{len(rows_all)} completions in {elapsed:.2f} s ({1000 * elapsed / len(rows_all):.2f} ms each)")
    for e in errors:
        print(e, file=sys.stderr)
    return 0


def _mapped(golds: list[str], labels: list[str], partial: str) -> tuple[list[bool], list[bool]]:
    as_refusal = partial == "refusal"
    g = [x.startswith("2") or (as_refusal and x.startswith("3")) for x in golds]
    p = [y == "refusal" or (as_refusal and y == "partial") for y in labels]
    return g, p


if __name__ == "__main__":
    raise SystemExit(main())
