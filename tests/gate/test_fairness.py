"""Fairness criteria: per-group statistics, Holm across groups, simulations (A/A false-FAIL
rate with 12 groups; a 10-point drop in one language detected), consistency, bad input."""

import json

import numpy as np
import pytest

from bouclier.check import run_check
from bouclier.config import load_config
from bouclier.config.schema import FairnessConfig
from bouclier.errors import ConfigError, UsageError
from bouclier.gate.fairness import ConsistencyData, GroupedData, consistency, fairness_criteria
from bouclier.gate.judge import JudgeOptions, MetricData, adjust

LANGS = ["en", "fr", "de", "es", "it", "pt", "nl", "pl", "ru", "ar", "zh", "ja"]
OPTIONS = JudgeOptions(n_resamples=500)
# A 2-point per-group margin: with 200 cases per language, the default 5-point margin
# cannot show a 10-point drop beyond itself after Holm over 24 criteria (n_needed says so).
STRICT = FairnessConfig(per_group_non_inferiority={"margin": 0.02})


def grouped(base, cand, per_group, parallel=True):
    groups = tuple(np.repeat(LANGS, per_group))
    sets = tuple(f"p{i}" for _ in LANGS for i in range(per_group)) if parallel else None
    md = MetricData("s", "accuracy", True, base.astype(float), cand.astype(float), clusters=sets)
    return GroupedData(md, groups, sets)


def test_aa_false_fail_rate_with_twelve_groups_stays_nominal():
    rng = np.random.default_rng(0)
    reps, per_group, fails = 120, 100, 0
    for _ in range(reps):
        n = per_group * len(LANGS)
        base = rng.random(n) < 0.85
        cand = np.where(rng.random(n) < 0.9, base, rng.random(n) < 0.85)  # same model, some noise
        results = adjust(fairness_criteria(grouped(base, cand, per_group), STRICT, OPTIONS), OPTIONS)
        fails += any(r.verdict.value == "FAIL" for r in results)
    rate = fails / reps
    assert rate <= 0.025 + 3 * np.sqrt(0.025 * 0.975 / reps), rate


def test_ten_point_drop_in_one_language_of_200_cases_is_detected_and_named():
    rng = np.random.default_rng(1)
    per_group, detected, reps = 200, 0, 10
    for _ in range(reps):
        n = per_group * len(LANGS)
        base = rng.random(n) < 0.9
        cand = base.copy()
        ja = np.flatnonzero(np.repeat(LANGS, per_group) == "ja")
        right = ja[base[ja]]
        cand[rng.choice(right, size=20, replace=False)] = False  # -10 points in Japanese only
        results = adjust(fairness_criteria(grouped(base, cand, per_group), STRICT, OPTIONS), OPTIONS)
        failed = [r for r in results if r.verdict.value == "FAIL"]
        detected += any(r.kind == "per_group_non_inferiority" and r.group == "ja" for r in failed)
        assert all(r.group == "ja" for r in failed if r.kind == "per_group_non_inferiority")
    assert detected / reps >= 0.9


def test_better_mean_but_one_collapsed_language_fails_and_says_which():
    rng = np.random.default_rng(2)
    per_group = 60
    n = per_group * len(LANGS)
    base = rng.random(n) < 0.8
    cand = np.where(rng.random(n) < 0.5, True, base)  # better almost everywhere...
    ar = np.repeat(LANGS, per_group) == "ar"
    cand[ar] = rng.random(ar.sum()) < 0.3  # ...but Arabic collapses
    assert cand.mean() > base.mean()
    results = adjust(fairness_criteria(grouped(base, cand, per_group), FairnessConfig(), OPTIONS), OPTIONS)
    by_kind = {}
    for r in results:
        by_kind.setdefault(r.kind, []).append(r)
    assert [r.group for r in by_kind["per_group_non_inferiority"] if r.verdict.value == "FAIL"] == ["ar"]
    parity = by_kind["parity_ratio"][0]
    assert parity.verdict.value == "FAIL" and parity.group == "ar" and "worst group ar" in parity.reason
    assert any(r.group == "ar" and r.verdict.value == "FAIL" for r in by_kind["max_gap_to_reference"])


def test_too_few_cases_per_group_is_inconclusive_with_count_needed():
    rng = np.random.default_rng(3)
    base = rng.random(12 * 10) < 0.9
    results = fairness_criteria(grouped(base, base.copy(), 10), FairnessConfig(min_cases_per_group=30), OPTIONS)
    assert results and all(r.verdict.value == "INCONCLUSIVE" for r in results)
    assert "20 more needed" in results[0].reason and results[0].n_needed == 30


def test_reference_group_absent_is_inconclusive():
    rng = np.random.default_rng(4)
    base = rng.random(12 * 40) < 0.9
    results = fairness_criteria(grouped(base, base.copy(), 40), FairnessConfig(reference="sw"), OPTIONS)
    gap = [r for r in results if r.kind == "max_gap_to_reference"]
    assert len(gap) == 1 and gap[0].verdict.value == "INCONCLUSIVE" and "'sw' has no cases" in gap[0].reason


def test_consistency_counts_sets_and_lists_broken_ones():
    parallel = ("p1", "p1", "p2", "p2", "p3")
    groups = ("en", "fr", "en", "fr", "en")
    outputs = {"baseline": ("Refund", "refund ", "x", "x", "y"), "candidate": ("refund", "billing", "x", "X", "y")}
    correct = {"baseline": np.array([1, 1, 1, 1, 1.0]), "candidate": np.array([1, 0, 1, 1, 1.0])}
    summary, criteria, broken = consistency(ConsistencyData("s", parallel, groups, outputs, correct),
                                            FairnessConfig(min_cases_per_group=1), OPTIONS)
    assert summary.n_sets == 2 and summary.singletons == 1
    assert summary.baseline_consistent == 1.0 and summary.candidate_consistent == 0.5
    assert summary.candidate_consistent_correct == 0.5
    assert [b.parallel_id for b in broken] == ["p1"] and broken[0].baseline_consistent
    assert criteria and "1 single-language set(s) ignored" in criteria[0].reason


MODELS = '''
import json
ANSWERS = json.load(open(__file__.replace("fmodels.py", "answers.json")))

def base(text):
    return ANSWERS["base"][text]

def cand(text):
    return ANSWERS["cand"][text]
'''


def project(tmp_path, rows, answers, fairness="fairness: {min_cases_per_group: 5}"):
    (tmp_path / "fmodels.py").write_text(MODELS)
    (tmp_path / "answers.json").write_text(json.dumps(answers))
    (tmp_path / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "bouclier.yaml").write_text(f"""
models:
  base: {{adapter: python, target: "fmodels:base"}}
  cand: {{adapter: python, target: "fmodels:cand"}}
baseline: base
candidate: cand
suites:
  - name: s
    dataset: data.jsonl
    input: "{{{{text}}}}"
    expected: label
    id_field: id
    group_by: lang
    parallel_by: pid
    scorers: [exact_match]
    criteria: [{{metric: exact_match, kind: non_inferiority, margin: 0.05}}]
    {fairness}
""")
    return load_config(tmp_path / "bouclier.yaml")


def test_end_to_end_fairness_in_result(tmp_path):
    rows, answers = [], {"base": {}, "cand": {}}
    for i in range(40):
        for lang in ("en", "fr", "ja"):
            text = f"{lang} message {i}"
            rows.append({"id": f"{lang}{i}", "pid": f"p{i}", "lang": lang, "text": text, "label": f"l{i % 4}"})
            answers["base"][text] = f"l{i % 4}"
            answers["cand"][text] = "wrong" if lang == "ja" and i % 2 else f"l{i % 4}"
    result, _ = run_check(project(tmp_path, rows, answers), use_cache=False)
    assert result.verdict.value == "FAIL"
    suite = result.suites[0]
    assert suite.groups[0].group == "ja" and suite.groups[0].difference == pytest.approx(-0.5)
    assert suite.groups[0].verdict.value == "FAIL"
    assert "worst lang 'ja'" in result.reason
    assert suite.consistency.n_sets == 40 and suite.consistency.candidate_consistent == 0.5
    assert result.inconsistent_sets and set(result.inconsistent_sets[0].answers) == {"en", "fr", "ja"}


def test_group_by_field_missing_from_rows_names_lines(tmp_path):
    rows = [{"id": "a", "pid": "p", "lang": "en", "text": "t1", "label": "x"},
            {"id": "b", "pid": "p", "text": "t2", "label": "x"}]
    with pytest.raises(UsageError, match=r"data.jsonl:2: row lacks group_by 'lang'"):
        run_check(project(tmp_path, rows, {"base": {}, "cand": {}}))


def test_fairness_without_group_by_is_a_config_error(tmp_path):
    project(tmp_path, [], {"base": {}, "cand": {}})
    text = (tmp_path / "bouclier.yaml").read_text().replace("    group_by: lang\n", "")
    (tmp_path / "bouclier.yaml").write_text(text)
    with pytest.raises(ConfigError, match="fairness needs group_by"):
        load_config(tmp_path / "bouclier.yaml")


def test_response_language_scorer_and_unknown_code():
    from bouclier.data import Case
    from bouclier.scoring import build_scorer

    scorer = build_scorer("response_language", {}, where="x")
    case = Case(id="c", input="", expected=None, group="fr", fields={}, line=1)
    assert scorer.score("Bonjour, votre remboursement est en cours de traitement.", case, None) == 1.0
    assert scorer.score("Hello, your refund is being processed right now.", case, None) == 0.0
    assert scorer.score("OK", case, None) == 1.0  # too short to judge
    with pytest.raises(UsageError, match="unknown language code"):
        build_scorer("response_language", {"languages": ["en", "xx"]}, where="x")
    with pytest.raises(ValueError, match="expected language 'sw'"):
        scorer.score("Habari, ninaomba msaada tafadhali", Case("c", "", None, "sw", {}, 1), None)
