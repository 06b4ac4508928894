import json
import textwrap

import pytest

from bouclier.config import json_schema, load_config
from bouclier.errors import ConfigError

GOOD = """
models:
  old: {adapter: python, target: "m:f"}
  new: {adapter: python, target: "m:g"}
baseline: old
candidate: new
suites:
  - name: s
    dataset: d.jsonl
    input: "{{text}}"
    expected: label
    scorers: [exact_match]
    criteria:
      - {metric: exact_match, kind: non_inferiority, margin: 0.02}
"""


def write(tmp_path, text, name="bouclier.yaml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def test_good_config_loads_with_defaults(tmp_path):
    loaded = load_config(write(tmp_path, GOOD))
    cfg = loaded.config
    assert cfg.run.concurrency == 16 and cfg.policy.inconclusive == "inconclusive"
    assert cfg.suites[0].scorers[0].name == "exact_match"
    assert len(loaded.digest) == 64


def test_all_errors_reported_with_lines_and_keys(tmp_path):
    bad = """\
    models:
      a:
        adapter: python
        target: nocolon
        bogus: 1
      b:
        adapter: openai
        base_url: http://x
    suites:
      - name: s
        dataset: d.jsonl
        scorers: [exact_match]
        criteria:
          - metric: exact_match
            kind: non_inferiority
          - metric: nope
            kind: min
            threshold: 0.5
    baseline: a
    candidate: c
    run: {concurrency: many}
    """
    path = write(tmp_path, bad)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    text = str(info.value)
    lines = text.splitlines()
    assert len(lines) == 7, text
    assert f"{path}:4: models.a.target: expected 'package.module:attribute'" in text
    assert f"{path}:5: models.a.bogus: unknown key" in text
    assert f"{path}:6: models.b.model: required key is missing" in text
    assert f"{path}:14: suites[0].criteria[0].margin: required key is missing" in text
    assert "found 'many'" in text and f"{path}:21: run.concurrency" in text
    assert f"{path}:20: candidate: 'c' is not one of the models (a, b)" in text
    assert f"{path}:16: suites[0].criteria[1].metric: 'nope'" in text
    assert info.value.exit_code == 2


def test_invalid_yaml_names_line(tmp_path):
    path = write(tmp_path, "models:\n  a: [1, 2\nsuites: []\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "invalid YAML" in str(info.value) and f"{path}:" in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_config(tmp_path / "nope.yaml")


def test_top_level_not_mapping(tmp_path):
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_config(write(tmp_path, "- a\n- b\n"))


def test_schema_is_generated_and_validates_good_config(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    schema = json_schema()
    json.dumps(schema)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(yaml.safe_load(GOOD), schema)
    assert "models" in schema["properties"] and "suites" in schema["properties"]
