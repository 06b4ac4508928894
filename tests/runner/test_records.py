"""Per-case records kept column by column: what the views return, what the gate keeps of
a large suite's regressions, and the cache read in chunks."""

import json
import textwrap

import numpy as np
import pytest

from bouclier.check import case_rows, judge, plan_check, run_check
from bouclier.config import load_config
from bouclier.data import Case
from bouclier.runner import Response, ResponseCache
from bouclier.runner.cache import CachedResponse
from bouclier.runner.records import CaseRecord, SuiteRecords


def test_views_read_the_columns_as_per_case_dicts():
    cases = [Case(id=f"c{i}", input=f"q{i}", expected="a", group=None, fields={}, line=i + 1) for i in range(3)]
    answers = {role: [[Response(c.id, f"{role} {c.id}", latency_s=0.5) for c in cases]] for role in ("baseline", "candidate")}
    suite = SuiteRecords("s", cases, ["em", "graded"], samples=answers)
    for role in ("baseline", "candidate"):
        suite.scores[role]["em"][:] = [1.0, 0.0, 1.0]
        suite.scores[role]["graded"][:] = [1.0, 2, np.float32(0.5)]  # a grader's own types
    suite.details["candidate"][1] = {"em": "leak"}
    suite.freeze()
    assert isinstance(suite.scores["baseline"]["em"], np.ndarray)  # plain floats: 8 bytes a score
    assert isinstance(suite.scores["baseline"]["graded"], list)  # anything else: kept as it is
    r = suite.views()[1]
    assert isinstance(r, CaseRecord) and (r.suite, r.case) == ("s", cases[1])
    assert r.scores == {"baseline": {"em": 0.0, "graded": 2}, "candidate": {"em": 0.0, "graded": 2}}
    assert type(r.scores["baseline"]["em"]) is float and type(r.scores["baseline"]["graded"]) is int
    assert r.details == {"candidate": {"em": "leak"}} and r.grades == {}
    assert r.responses["candidate"].output == "candidate c1" and r.samples == {} and r.sample_scores == {}
    assert suite.views()[0].details == {}


MODEL = """
def right(text):
    return text

def wrong_on_odd(text):
    return "x" if int(text[1:]) % 2 else text
"""


def project(tmp_path, n):
    (tmp_path / "rec_models.py").write_text(MODEL)
    (tmp_path / "cases.jsonl").write_text("".join(json.dumps({"id": f"c{i}", "q": f"q{i}"}) + "\n" for i in range(n)))
    (tmp_path / "bouclier.yaml").write_text(textwrap.dedent("""\
        models:
          base: {adapter: python, target: "rec_models:right"}
          cand: {adapter: python, target: "rec_models:wrong_on_odd"}
        baseline: base
        candidate: cand
        suites:
          - name: s
            dataset: cases.jsonl
            input: "{{q}}"
            expected: q
            id_field: id
            scorers: [exact_match]
            criteria:
              - {metric: exact_match, kind: non_inferiority, margin: 0.02}
        run: {cache: false}
        """))
    return load_config(tmp_path / "bouclier.yaml")


def test_regressions_are_counted_in_full_and_kept_up_to_fifty(tmp_path):
    loaded = project(tmp_path, 130)
    result, records = run_check(loaded)
    assert result.suites[0].regressions_total == 65
    assert [r.case_id for r in result.regressions] == [f"c{i}" for i in range(1, 101, 2)]  # worst first, stable
    rows = list(case_rows(records))
    assert len(rows) == 130 and rows[1]["candidate"]["output"] == "x" and rows[1]["candidate"]["scores"] == {
        "exact_match": 0.0}


def test_judge_refuses_part_of_a_suite(tmp_path):
    import datetime as dt

    loaded = project(tmp_path, 10)
    result, records = run_check(loaded)
    plan = plan_check(loaded)

    class Fixed:
        def fingerprint(self):
            return "f"

    models = {"baseline": Fixed(), "candidate": Fixed()}
    again = judge(plan, records, started=dt.datetime.now(dt.timezone.utc), models=models)
    assert again.criteria[0].ci_low == result.criteria[0].ci_low
    with pytest.raises(ValueError, match="as execute"):
        judge(plan, records[:5], started=dt.datetime.now(dt.timezone.utc), models=models)


def test_cache_lookup_reads_in_chunks_with_repeated_keys(tmp_path):
    cache = ResponseCache(tmp_path)
    for i in range(0, 2000, 3):
        cache.put(f"k{i}", CachedResponse(f"out{i}", 0.25, 1, 2, None))
    cache.flush()
    keys = [f"k{i}" for i in range(2000)] + ["k3", "k4", "k0"]  # repeats across the 900-key chunks
    found = dict(cache.lookup(keys))
    assert sorted(found) == [i for i in range(2000) if i % 3 == 0] + [2000, 2002]
    assert found[2000].output == "out3" and found[2002] == CachedResponse("out0", 0.25, 1, 2, None)
    assert cache.get_many(keys) == {keys[i]: hit for i, hit in found.items()}
    cache.close()
