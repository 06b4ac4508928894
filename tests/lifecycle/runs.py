"""Recorded runs with known answers: result.json dicts as ``bouclier check`` writes them."""

from __future__ import annotations

import itertools

_ids = itertools.count()


def run(candidate: str, *, quality: float, p95: float | None = 0.1, verdict: str = "PASS",
        baseline: str = "base", baseline_quality: float = 0.9, baseline_p95: float | None = 0.1,
        config_digest: str = "cfg1", dataset_digest: str = "data1", at: str = "2025-01-01T00:00:00+00:00",
        unpredictability: float | None = None, tokens: float | None = None, failed: tuple[str, ...] = (),
        fingerprint: str = "fp-base") -> dict:
    criteria = [{"name": "quality non-inferior", "suite": "s", "metric": "acc", "kind": "non_inferiority",
                 "verdict": "PASS" if verdict == "PASS" else verdict, "reason": "r"}]
    criteria += [{"name": name, "suite": "s", "metric": "acc", "kind": "per_group_non_inferiority",
                  "group": "ar", "verdict": "FAIL", "reason": "r"} for name in failed]
    suite = {"name": "s", "dataset": "s.jsonl", "dataset_digest": dataset_digest, "n_cases": 100,
             "metrics": [{"name": "acc", "binary": True, "n": 100, "baseline_mean": baseline_quality,
                          "candidate_mean": quality}], "errors": {"baseline": 0, "candidate": 0}}
    if unpredictability is not None:
        suite["stability"] = [{"role": "candidate", "repeats": 5, "n_cases": 100, "agreement": "exact",
                               "unpredictability": unpredictability, "ci_low": max(unpredictability - 0.05, 0),
                               "ci_high": min(unpredictability + 0.05, 1), "confidence": 0.95}]
    return {
        "schema_version": 1, "bouclier_version": "test", "run_id": f"run-{next(_ids)}", "started_at": at,
        "finished_at": at, "config_path": "bouclier.yaml", "config_digest": config_digest, "verdict": verdict,
        "reason": "r", "baseline": {"name": baseline, "adapter": "python", "fingerprint": fingerprint},
        "candidate": {"name": candidate, "adapter": "python", "fingerprint": f"fp-{candidate}"},
        "confidence": 0.95, "multiple_testing": "holm", "inconclusive_policy": "inconclusive",
        "suites": [suite], "criteria": criteria,
        "usage": [{"role": "baseline", "model": baseline, "calls": 100, "errors": 0, "latency_p95_s": baseline_p95,
                   "mean_input_tokens": tokens, "mean_output_tokens": tokens},
                  {"role": "candidate", "model": candidate, "calls": 100, "errors": 0, "latency_p95_s": p95,
                   "mean_input_tokens": tokens, "mean_output_tokens": tokens}],
    }
