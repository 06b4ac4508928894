"""Recorded runs with known answers: result.json dicts as ``bouclier check`` writes them."""

from __future__ import annotations

import itertools

_ids = itertools.count()


def _load(p95: float, requests: int = 200) -> dict:
    """One model at one load level: latencies in ms, p50 at half the p95."""
    ms = p95 * 1000
    dist = {"n": requests, "unit": "ms", "mean": ms / 2, "p50": ms / 2, "p90": ms * 0.9, "p95": ms, "p99": ms * 1.2}
    return {"requests": requests, "errors": 0, "timeouts": 0, "wall_s": 10.0, "throughput_rps": 20.0,
            "latency_ms": dist}


def _cost(usd_per_1k: float | None, tokens: float | None, requests: int = 200) -> dict:
    """A performance suite's cost of one model: priced (``usd_per_1k``) or not (token counts only)."""
    total = None if tokens is None else int(tokens * requests)
    if usd_per_1k is None:
        return {"known": False, "reason": "no price table for this model (models.X.cost)", "requests": requests,
                "input_tokens": total, "output_tokens": total}
    return {"known": True, "requests": requests, "input_tokens": total, "output_tokens": total,
            "usd": usd_per_1k * requests / 1000, "usd_per_1k": usd_per_1k}


def performance_suite(p95: float, baseline_p95: float, *, usd_per_1k: float | None = None,
                      baseline_usd_per_1k: float | None = None, tokens: float | None = None) -> dict:
    """A recorded performance suite: two load levels (the first one is the one read)."""
    levels = [{"label": label, "mode": "closed", "concurrency": c, "blocks": 10,
               "baseline": _load(baseline_p95 * c), "candidate": _load(p95 * c)}
              for label, c in (("concurrency 1", 1), ("concurrency 8", 8))]
    return {"name": "speed", "dataset": "s.jsonl", "dataset_digest": "data1", "n_cases": 800, "metrics": [],
            "errors": {"baseline": 0, "candidate": 0}, "kind": "performance",
            "performance": {"levels": levels},
            "cost": {"baseline": _cost(baseline_usd_per_1k, tokens), "candidate": _cost(usd_per_1k, tokens)}}


def run(candidate: str, *, quality: float, p95: float | None = 0.1, verdict: str = "PASS",
        baseline: str = "base", baseline_quality: float = 0.9, baseline_p95: float | None = 0.1,
        config_digest: str = "cfg1", dataset_digest: str = "data1", at: str = "2025-01-01T00:00:00+00:00",
        unpredictability: float | None = None, tokens: float | None = None, failed: tuple[str, ...] = (),
        fingerprint: str = "fp-base", usd_per_1k: float | None = None, baseline_usd_per_1k: float | None = None,
        run_p95: float = 0.02) -> dict:
    """``p95``/``baseline_p95``: the performance suite's p95 latency at its first load level
    (None: no performance suite in the run). ``run_p95``: the latency the correctness suite
    observed, which lifecycle figures must ignore. ``tokens``: tokens per request counted by
    the performance suite; ``usd_per_1k``: its cost when the models carry a price table."""
    figures = {"baseline_value": baseline_quality, "candidate_value": quality, "difference": quality - baseline_quality,
               "ci_low": quality - baseline_quality - 0.02, "ci_high": quality - baseline_quality + 0.02,
               "confidence": 0.95, "n": 100}
    criteria = [{"name": "quality non-inferior", "suite": "s", "metric": "acc", "kind": "non_inferiority",
                 "verdict": "PASS" if verdict == "PASS" else verdict, "reason": "r", **figures}]
    criteria += [{"name": name, "suite": "s", "metric": "acc", "kind": "per_group_non_inferiority",
                  "group": "ar", "verdict": "FAIL", "reason": "r", **figures} for name in failed]
    suite = {"name": "s", "dataset": "s.jsonl", "dataset_digest": dataset_digest, "n_cases": 100,
             "metrics": [{"name": "acc", "binary": True, "n": 100, "baseline_mean": baseline_quality,
                          "candidate_mean": quality}], "errors": {"baseline": 0, "candidate": 0}}
    if unpredictability is not None:
        suite["stability"] = [{"role": "candidate", "repeats": 5, "n_cases": 100, "agreement": "exact",
                               "unpredictability": unpredictability, "ci_low": max(unpredictability - 0.05, 0),
                               "ci_high": min(unpredictability + 0.05, 1), "confidence": 0.95}]
    suites = [suite]
    if p95 is not None:
        suites.append(performance_suite(p95, baseline_p95 if baseline_p95 is not None else p95, tokens=tokens,
                                        usd_per_1k=usd_per_1k, baseline_usd_per_1k=baseline_usd_per_1k))
    return {
        "schema_version": 1, "bouclier_version": "test", "run_id": f"run-{next(_ids)}", "started_at": at,
        "finished_at": at, "config_path": "bouclier.yaml", "config_digest": config_digest, "verdict": verdict,
        "reason": "r", "baseline": {"name": baseline, "adapter": "python", "fingerprint": fingerprint},
        "candidate": {"name": candidate, "adapter": "python", "fingerprint": f"fp-{candidate}"},
        "confidence": 0.95, "multiple_testing": "holm", "inconclusive_policy": "inconclusive",
        "suites": suites, "criteria": criteria,
        "usage": [{"role": "baseline", "model": baseline, "calls": 100, "errors": 0, "latency_p95_s": run_p95,
                   "mean_input_tokens": 1000.0, "mean_output_tokens": 1000.0},
                  {"role": "candidate", "model": candidate, "calls": 100, "errors": 0, "latency_p95_s": run_p95,
                   "mean_input_tokens": 1000.0, "mean_output_tokens": 1000.0}],
    }
