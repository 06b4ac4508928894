"""Precision and recall of bouclier's secret detection vs detect-secrets, same corpus, same run.

    PYTHONPATH=src python benchmarks/scan_precision_recall.py [--seed 0]

A snippet counts as flagged when a scanner reports anything in it. detect-secrets runs
with its default plugins and filters, through ``SecretsCollection.scan_file`` on each
snippet written to a temporary file (its normal path, filters included).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from secret_corpus import corpus  # noqa: E402

from bouclier.detectors.secrets import detect_secrets  # noqa: E402


def bouclier_flags(snippets: list[str]) -> list[bool]:
    return [bool(detect_secrets(s, path="snippet.py")) for s in snippets]


def detect_secrets_flags(snippets: list[str]) -> list[bool]:
    from detect_secrets import SecretsCollection
    from detect_secrets.settings import default_settings

    out = []
    with tempfile.TemporaryDirectory() as d, default_settings():
        for i, s in enumerate(snippets):
            p = Path(d) / f"snippet{i}.py"
            p.write_text(s)
            coll = SecretsCollection()
            coll.scan_file(str(p))
            out.append(bool(list(coll)))
    return out


def scores(labels: list[bool], flags: list[bool]) -> dict[str, float]:
    tp = sum(1 for y, f in zip(labels, flags) if y and f)
    fp = sum(1 for y, f in zip(labels, flags) if not y and f)
    fn = sum(1 for y, f in zip(labels, flags) if y and not f)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {"precision": precision, "recall": recall, "tp": tp, "fp": fp, "fn": fn}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rows = corpus(seed=args.seed)
    kinds = [k for k, _, _ in rows]
    snippets = [s for _, s, _ in rows]
    labels = [y for _, _, y in rows]
    n_pos_kinds = len({k for k, _, y in rows if y})
    print(f"corpus: {len(rows)} snippets, {sum(labels)} positives over {n_pos_kinds} secret types, "
          f"{len(rows) - sum(labels)} hard negatives over {len({k for k, _, y in rows if not y})} kinds (seed {args.seed})")
    detect_secrets("warm up")
    results = {}
    for name, fn in (("bouclier", bouclier_flags), ("detect-secrets", detect_secrets_flags)):
        t = time.perf_counter()
        flags = fn(snippets)
        elapsed = time.perf_counter() - t
        results[name] = flags
        s = scores(labels, flags)
        print(f"{name:15s} precision {s['precision']:.3f}  recall {s['recall']:.3f}  "
              f"(tp {s['tp']}, fp {s['fp']}, fn {s['fn']}; {elapsed:.2f} s)")
    for name, flags in results.items():
        missed: dict[str, int] = defaultdict(int)
        false: dict[str, int] = defaultdict(int)
        for k, y, f in zip(kinds, labels, flags):
            if y and not f:
                missed[k] += 1
            if f and not y:
                false[k] += 1
        print(f"{name}: missed {dict(missed) or '-'}; false alarms {dict(false) or '-'}")


if __name__ == "__main__":
    main()
