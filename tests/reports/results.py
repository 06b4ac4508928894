"""RunResult documents built by hand for the renderers' edge cases."""

from __future__ import annotations

from bouclier.gate.result import RunResult


def criterion(**over) -> dict:
    base = dict(name="exact_match non-inferior (margin 0.02)", suite="s", metric="exact_match",
                kind="non_inferiority", verdict="PASS", reason="within the margin",
                baseline_value=0.9, candidate_value=0.91, difference=0.01, ci_low=-0.01, ci_high=0.03,
                confidence=0.95, n=400, threshold=-0.02, p_pass=0.001, p_fail=0.9, method="Newcombe")
    return {**base, **over}


def regression(**over) -> dict:
    base = dict(suite="s", metric="exact_match", case_id="c1", group="fr", input="question",
                expected="yes", baseline_output="yes", candidate_output="no",
                baseline_score=1.0, candidate_score=0.0)
    return {**base, **over}


def result(*, criteria=None, regressions=(), verdict="PASS", reason="all 1 criteria passed",
           schema_version=1, **over) -> RunResult:
    doc = dict(schema_version=schema_version, bouclier_version="0.1.0", run_id="20250101T000000Z-abcdef",
               started_at="2025-01-01T00:00:00+00:00", finished_at="2025-01-01T00:01:00+00:00",
               config_path="bouclier.yaml", config_digest="0" * 64, verdict=verdict, reason=reason,
               baseline={"name": "prod", "adapter": "python", "fingerprint": "f" * 64},
               candidate={"name": "next", "adapter": "python", "fingerprint": "e" * 64},
               confidence=0.95, multiple_testing="holm", inconclusive_policy="inconclusive",
               suites=[{"name": "s", "dataset": "data.jsonl", "dataset_digest": "d" * 64, "n_cases": 400,
                        "metrics": [{"name": "exact_match", "binary": True, "n": 400,
                                     "baseline_mean": 0.9, "candidate_mean": 0.91}],
                        "regressions_total": len(regressions)}],
               criteria=list(criteria if criteria is not None else [criterion()]),
               regressions=list(regressions))
    doc.update(over)
    return RunResult.model_validate(doc)
