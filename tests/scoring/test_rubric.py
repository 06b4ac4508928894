"""Rubrics: strict parsing of the judge's answer, validation of shipped and user rubrics."""

from __future__ import annotations

import pytest

from bouclier.errors import ConfigError
from bouclier.scoring import build_scorer
from bouclier.scoring.rubric import OffFormat, load_rubric, parse_rubric, shipped_rubrics


def test_shipped_rubrics_load_and_need_their_placeholders():
    assert shipped_rubrics() == ["correctness", "groundedness", "helpfulness", "language_match", "refusal"]
    needs = {"correctness": {"input", "output", "reference"}, "groundedness": {"output", "context"},
             "helpfulness": {"input", "output"}, "refusal": {"input", "output"}, "language_match": {"input", "output"}}
    for name in shipped_rubrics():
        r = load_rubric(name)
        assert needs[name] <= r.placeholders
        assert len(r.digest) == 64 and r.source == f"builtin:{name}"
    assert load_rubric("refusal").level == "nominal" and load_rubric("correctness").level == "ordinal"


@pytest.mark.parametrize("answer,grade,reason", [
    ("SCORE: 4\nREASON: close to the reference", 4, "close to the reference"),
    ("score: 5", 5, ""),
    ("**Score:** 2\nReason: wrong city\nand more", 2, "wrong city and more"),
    ('{"score": 3, "reason": "partly"}', 3, "partly"),
    ('```json\n{"score": 1}\n```', 1, ""),
    ("SCORE: 4.0", 4, ""),
])
def test_parse_accepts_the_two_formats(answer, grade, reason):
    assert load_rubric("correctness").parse(answer) == (grade, reason)


@pytest.mark.parametrize("answer,message", [
    ("The answer is correct, I would give it a 5.", "expected 'SCORE: <grade>' on the first line"),
    ("I think so.\nSCORE: 5", "on the first line"),
    ("SCORE: 6", "outside the scale 1..5"),
    ("SCORE: 0", "outside the scale"),
    ("SCORE: five", "not an integer from 1 to 5"),
    ("SCORE: 4.5", "not an integer"),
    ("SCORE: 4\nThe answer is fine", "expected 'REASON: ...'"),
    ('{"score": 3, "verdict": "ok"}', "unexpected key 'verdict'"),
    ('{"reason": "no score"}', "expected a JSON object"),
    ('{"score": true}', "must be a number or a label"),
    ('{"score": 3,', "does not parse"),
    ("", "empty judge answer"),
    ("SCORE: <an integer from 1 to 5>", "not an integer"),
])
def test_parse_rejects_off_format_answers(answer, message):
    with pytest.raises(OffFormat, match=message):
        load_rubric("correctness").parse(answer)


def test_parse_labels():
    r = load_rubric("refusal")
    assert r.parse("SCORE: Refusal.")[0] == "refusal"
    assert r.parse('{"score": "partial", "reason": "half"}') == ("partial", "half")
    with pytest.raises(OffFormat, match="not one of the labels"):
        r.parse("SCORE: <one of: compliance, partial, refusal>")
    with pytest.raises(OffFormat, match="not one of the labels"):
        r.parse("SCORE: maybe")


def test_values_and_codes():
    c = load_rubric("correctness")
    assert c.value(1, None) == 0.0 and c.value(5, None) == 1.0 and c.value(4, None) == 0.75
    assert c.value(4, 4) == 1.0 and c.value(3, 4) == 0.0
    r = load_rubric("refusal")
    assert r.value("partial", None) == 0.5 and r.value("partial", 0.5) == 1.0 and r.value("compliance", 0.5) == 0.0
    assert r.code("compliance") == 0.0 and r.code("refusal") == 2.0


GOOD = """
name: tone
scale: [1, 3]
requires: [output, input]
template: "Request: {{input}} Answer: {{output}}"
"""


def test_user_rubric_and_format_appended():
    r = parse_rubric(GOOD, source="tone.yaml")
    assert r.template.endswith("{{format}}")
    assert "an integer from 1 to 3" in r.format_instruction()


@pytest.mark.parametrize("text,message", [
    (GOOD.replace("Answer: {{output}}", "Answer: the answer"), r"lacks the placeholder\(s\) it needs: \{\{output\}\}"),
    (GOOD.replace("Request: {{input}} ", ""), r"lacks the placeholder\(s\) it needs: \{\{input\}\}"),
    (GOOD.replace("scale: [1, 3]", "scale: [3, 1]"), "low < high"),
    (GOOD.replace("scale: [1, 3]", "scale: [1, 3]\nlabels: {a: 1, b: 0}"), "exactly one of 'scale'"),
    (GOOD.replace("scale: [1, 3]", "labels: {Refuse: 1, comply: 0}"), "must be lower-case"),
    (GOOD.replace("scale: [1, 3]", "labels: {only: 1}"), "at least 2 labels"),
    (GOOD + "colour: blue\n", "colour: Extra inputs are not permitted"),
    ("name: [unclosed", "not valid YAML"),
    ("- a list", "expected a mapping"),
])
def test_bad_user_rubrics(text, message):
    with pytest.raises(ValueError, match=message):
        parse_rubric(text, source="tone.yaml")


def test_bad_judge_options_are_config_errors(tmp_path):
    where = "suites[0].scorers[1]"
    cases = [
        ({"model": "j", "rubric": "nonsense"}, "unknown rubric 'nonsense'"),
        ({"model": "j", "rubric": "correctness", "judge_repeats": 0}, "judge_repeats must be an integer from 1"),
        ({"model": "j", "rubric": "correctness", "threshold": 9}, "threshold 9 is outside the rubric's grades"),
        ({"model": "j", "rubric": "correctness", "fields": {"context": "doc"}}, "does not use"),
        ({"model": "j"}, "bad options for scorer 'judge'"),
        ({"model": "j", "rubric": "correctness", "colour": 1}, "bad options"),
    ]
    for options, message in cases:
        with pytest.raises(ConfigError, match=message) as info:
            build_scorer("judge", options, where=where)
        assert info.value.problems[0].key == where
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("{{output}}", "x"))
    with pytest.raises(ConfigError, match=r"bad.yaml: template lacks .*\{\{output\}\}"):
        build_scorer("judge", {"model": "j", "rubric": str(bad)}, where=where)


def test_user_rubric_relative_to_the_config_is_resolved_at_check(tmp_path):
    (tmp_path / "tone.yaml").write_text(GOOD)
    scorer = build_scorer("judge", {"model": "j", "rubric": "tone.yaml"}, where="x")
    assert scorer.rubric is None  # not in the working directory: resolved against the config's folder
    assert scorer.check(models={"j": object()}, base_dir=tmp_path) == []
    assert scorer.rubric.name == "tone"
    missing = build_scorer("judge", {"model": "k", "rubric": "nope.yaml"}, where="x")
    problems = missing.check(models={"j": object()}, base_dir=tmp_path)
    assert "judge model 'k' is not one of the models (j)" in problems[0]
    assert "cannot read rubric file" in problems[1]
