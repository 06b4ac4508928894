"""Linguistic fairness on real data nobody here wrote: SIB-200 topic classification
(FLORES-200 sentences, 7 topics, parallel across 15 languages).

Baseline: nearest-centroid topics on multilingual-e5-small built from English training
sentences only; candidate: the same built from the training sentences of all 15
languages. bouclier gates the candidate against the baseline with `group_by: lang`,
`parallel_by: index_id` and the default fairness criteria, and prints the per-language
table and the verdict.

    python benchmarks/fairness_sib200.py [--per-lang-train 200] [--reverse]

Reads ../shared/data/sib200 (or $BOUCLIER_SHARED_DATA/sib200); skips when absent.
`--reverse` gates the English-only classifier as the candidate instead.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

LANGS = ["eng_Latn", "fra_Latn", "deu_Latn", "spa_Latn", "ita_Latn", "por_Latn", "nld_Latn", "pol_Latn",
         "rus_Cyrl", "arb_Arab", "zho_Hans", "jpn_Jpan", "hin_Deva", "tur_Latn", "swh_Latn"]


def data_dir() -> Path | None:
    shared = Path(os.environ.get("BOUCLIER_SHARED_DATA", ROOT.parent / "shared" / "data"))
    path = shared / "sib200"
    return path if (path / "eng_Latn" / "test.tsv").exists() else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-lang-train", type=int, default=200)
    parser.add_argument("--reverse", action="store_true")
    args = parser.parse_args()
    root = data_dir()
    if root is None:
        print("skipped: SIB-200 not found (../shared/data/sib200 or $BOUCLIER_SHARED_DATA/sib200)")
        return 0
    os.environ["BOUCLIER_SIB200_DIR"] = str(root)
    from bouclier.check import run_check
    from bouclier.config import load_config
    from bouclier.reports import render_markdown

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with (work / "test.jsonl").open("w", encoding="utf-8") as out:
            for lang in LANGS:
                with (root / lang / "test.tsv").open(encoding="utf-8") as fh:
                    for row in csv.DictReader(fh, delimiter="\t"):
                        out.write(json.dumps({"id": f"{lang}-{row['index_id']}", "lang": lang.split("_")[0],
                                              "index_id": row["index_id"], "text": row["text"],
                                              "topic": row["category"]}, ensure_ascii=False) + "\n")
        english = {"adapter": "python", "target": "models:topic_classifier",
                   "args": {"languages": "eng_Latn", "per_lang": args.per_lang_train}, "batch_size": 64}
        every = {**english, "args": {"languages": ",".join(LANGS), "per_lang": args.per_lang_train}}
        roles = ("every", "english") if args.reverse else ("english", "every")
        config = {
            "models": {"english": english, "every": every},
            "baseline": roles[0], "candidate": roles[1],
            "suites": [{"name": "sib200", "dataset": "test.jsonl", "input": "{{text}}", "expected": "topic",
                        "id_field": "id", "group_by": "lang", "parallel_by": "index_id", "scorers": ["exact_match"],
                        "criteria": [{"metric": "exact_match", "kind": "non_inferiority", "margin": 0.02}],
                        "fairness": {"reference": "eng"}}],
            "run": {"cache": False, "concurrency": 1},
        }
        (work / "bouclier.yaml").write_text(json.dumps(config), encoding="utf-8")
        sys.path.insert(0, str(Path(__file__).resolve().parent / "sib200"))
        started = time.perf_counter()
        result, _ = run_check(load_config(work / "bouclier.yaml"), use_cache=False)
        elapsed = time.perf_counter() - started
    print(render_markdown(result))
    print(f"({elapsed:.0f} s; {result.suites[0].n_cases} test sentences, {args.per_lang_train} training "
          f"sentences per language)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
