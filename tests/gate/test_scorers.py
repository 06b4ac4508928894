import pytest

from bouclier.data import Case
from bouclier.errors import ConfigError
from bouclier.scoring import build_scorer, scorer_names

CASE = Case(id="c", input="", expected=None, group=None, fields={}, line=1)


def score(name, output, reference, **options):
    return build_scorer(name, options, where="test").score(output, CASE, reference)


def test_builtins_registered():
    assert {"exact_match", "contains", "regex", "json_valid", "json_schema", "choice",
            "token_f1", "numeric"} <= set(scorer_names())


def test_exact_match_normalisation():
    assert score("exact_match", "  Refund_Request \n", "refund_request") == 1.0
    assert score("exact_match", "Refund", "refund", case=False) == 0.0
    assert score("exact_match", "ｒｅｆｕｎｄ", "refund") == 1.0  # NFKC
    assert score("exact_match", "refund!", "refund", punctuation=True) == 1.0
    assert score("exact_match", "b", ["a", "b"]) == 1.0


def test_contains_regex():
    assert score("contains", "The answer is Paris.", "paris") == 1.0
    assert score("regex", "order #1234", None, pattern=r"#\d{4}") == 1.0
    assert score("regex", "order 12", r"\d{3}") == 0.0
    with pytest.raises(ConfigError, match="invalid regular expression"):
        build_scorer("regex", {"pattern": "("}, where="x")


def test_json_scorers():
    assert score("json_valid", '```json\n{"a": 1}\n```', None) == 1.0
    assert score("json_valid", "{a: 1}", None) == 0.0
    schema = {"type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}}}
    assert score("json_schema", '{"a": 1}', None, schema=schema) == 1.0
    assert score("json_schema", '{"a": "x"}', None, schema=schema) == 0.0
    with pytest.raises(ConfigError, match="exactly one"):
        build_scorer("json_schema", {}, where="x")


def test_choice_maps_output_to_label():
    choices = ["refund", "billing", "other"]
    assert score("choice", "Label: billing.", "billing", choices=choices) == 1.0
    assert score("choice", "refund or billing", "refund", choices=choices) == 0.0  # ambiguous
    assert score("choice", "REFUND", "refund", choices=choices) == 1.0


def test_token_f1_including_cjk():
    assert score("token_f1", "the cat sat", "the cat sat") == 1.0
    assert score("token_f1", "a b", "c d") == 0.0
    assert score("token_f1", "猫が座った", "猫が座る") == pytest.approx(2 * (3 / 5) * (3 / 4) / (3 / 5 + 3 / 4))


def test_numeric():
    assert score("numeric", "It costs 1,234.5 euros", 1234.5) == 1.0
    assert score("numeric", "about 10", 10.4, abs_tol=0.5) == 1.0
    assert score("numeric", "about 10", 10.6, abs_tol=0.5) == 0.0
    assert score("numeric", "no number", 1) == 0.0


def test_user_scorer_and_errors(tmp_path, monkeypatch):
    (tmp_path / "my_scorers.py").write_text("def longer(output, reference, case):\n    return len(output) > 3\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    s = build_scorer("my_scorers:longer", {"binary": True}, where="x")
    assert s.binary and s.score("abcd", CASE, None) == 1.0
    with pytest.raises(ConfigError, match="cannot import scorer"):
        build_scorer("nope_mod:fn", {}, where="x")
    with pytest.raises(ConfigError, match="unknown scorer 'exactmatch'"):
        build_scorer("exactmatch", {}, where="x")
    with pytest.raises(ConfigError, match="bad options for scorer 'numeric'"):
        build_scorer("numeric", {"tol": 1}, where="x")
