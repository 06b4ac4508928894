import json

import pytest

from bouclier.config.schema import SuiteConfig
from bouclier.data import load_cases
from bouclier.errors import DataError


def suite(**kw):
    base = dict(name="s", dataset="d.jsonl", input="Q: {{text}}", expected="label",
                scorers=["exact_match"])
    base.update(kw)
    return SuiteConfig.model_validate(base)


def test_jsonl_cases_with_ids_groups_and_template(tmp_path):
    rows = [{"id": "a", "text": "hi", "label": "x", "lang": "en"},
            {"id": "b", "text": "salut", "label": "y", "lang": "fr"}]
    (tmp_path / "d.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    ds = load_cases(suite(id_field="id", group_by="lang"), base_dir=tmp_path)
    assert [(c.id, c.input, c.expected, c.group, c.line) for c in ds.cases] == [
        ("a", "Q: hi", "x", "en", 1), ("b", "Q: salut", "y", "fr", 2)]
    assert len(ds.digest) == 64


def test_content_hash_ids_are_stable(tmp_path):
    (tmp_path / "d.jsonl").write_text('{"text": "hi", "label": "x"}\n')
    one = load_cases(suite(), base_dir=tmp_path).cases[0].id
    (tmp_path / "d.jsonl").write_text('{"label": "x", "text": "hi"}\n')
    assert load_cases(suite(), base_dir=tmp_path).cases[0].id == one


def test_csv(tmp_path):
    (tmp_path / "d.csv").write_text("text,label\nhello,greet\nbye,leave\n")
    ds = load_cases(suite(dataset="d.csv"), base_dir=tmp_path)
    assert [c.expected for c in ds.cases] == ["greet", "leave"]
    assert [c.line for c in ds.cases] == [2, 3]


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="dataset file not found"):
        load_cases(suite(), base_dir=tmp_path)


def test_malformed_jsonl_lines_are_all_named(tmp_path):
    (tmp_path / "d.jsonl").write_text('{"text": "a", "label": "x"}\n{"text": \n[1]\n')
    with pytest.raises(DataError) as info:
        load_cases(suite(), base_dir=tmp_path)
    msg = str(info.value)
    assert "d.jsonl:2: malformed JSON" in msg and "d.jsonl:3: expected a JSON object" in msg


def test_csv_without_expected_column(tmp_path):
    (tmp_path / "d.csv").write_text("text,answer\nhello,greet\n")
    with pytest.raises(DataError, match="expected 'label' is not a field of this dataset"):
        load_cases(suite(dataset="d.csv"), base_dir=tmp_path)


def test_template_field_absent_from_one_row(tmp_path):
    (tmp_path / "d.jsonl").write_text('{"text": "a", "label": "x"}\n{"txt": "b", "label": "y"}\n')
    with pytest.raises(DataError) as info:
        load_cases(suite(), base_dir=tmp_path)
    assert "d.jsonl:2: suites.s: template field 'text' is absent from this row" in str(info.value)


def test_duplicate_ids(tmp_path):
    (tmp_path / "d.jsonl").write_text('{"id": 1, "text": "a", "label": "x"}\n{"id": 1, "text": "b", "label": "y"}\n')
    with pytest.raises(DataError, match="duplicate case id '1' \\(first at line 1\\)"):
        load_cases(suite(id_field="id"), base_dir=tmp_path)


def test_invalid_utf8(tmp_path):
    (tmp_path / "d.jsonl").write_bytes(b'{"text": "\xff", "label": "x"}\n')
    with pytest.raises(DataError, match="not valid UTF-8"):
        load_cases(suite(), base_dir=tmp_path)


def test_unsupported_format(tmp_path):
    (tmp_path / "d.txt").write_text("x")
    with pytest.raises(DataError, match="unsupported dataset format"):
        load_cases(suite(dataset="d.txt"), base_dir=tmp_path)


def test_system_template_and_enriched_fields(tmp_path):
    (tmp_path / "d.jsonl").write_text('{"text": "a", "label": "x", "who": "Ann"}\n')
    s = suite(system="You help {{who}}. Secret: {{canary}}", input="{{text}} {{canary}}")
    ds = load_cases(s, base_dir=tmp_path, enrich=lambda cid: {"canary": "TOK-" + cid[:4]},
                    enriched=frozenset({"canary"}))
    case = ds.cases[0]
    assert case.system == f"You help Ann. Secret: TOK-{case.id[:4]}"
    assert case.input == f"a TOK-{case.id[:4]}" and case.fields["canary"].startswith("TOK-")
    with pytest.raises(DataError, match="system template field 'canary' is not a field"):
        load_cases(s, base_dir=tmp_path)
