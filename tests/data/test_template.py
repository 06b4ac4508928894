"""{{placeholders}}: rendering, missing fields, JSON bodies."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bouclier.data.template import (
    TemplateFieldError,
    compile_json,
    render,
    render_json,
    template_fields,
)


def test_simple_and_spaced_placeholders():
    assert render("Q: {{text}} ({{ lang }})", {"text": "hi", "lang": "fr"}) == "Q: hi (fr)"


def test_dotted_paths_into_dicts_and_lists():
    row = {"meta": {"lang": "de", "tags": ["a", "b"]}, "items": [{"t": "x"}]}
    assert render("{{meta.lang}}/{{meta.tags.1}}/{{items.0.t}}/{{items.-1.t}}", row) == "de/b/x/x"


def test_value_formatting():
    row = {"i": 3, "f": 0.5, "b": True, "n": None, "d": {"k": [1]}, "u": "é"}
    assert render("{{i}} {{f}} {{b}} {{n}} {{d}} {{u}}", row) == '3 0.5 true null {"k": [1]} é'


def test_text_without_valid_placeholders_is_kept():
    assert render("no fields { here } {{ not valid }}", {}) == "no fields { here } {{ not valid }}"
    assert render("", {}) == ""


@pytest.mark.parametrize(
    "template, row, missing",
    [
        ("{{text}}", {"input": "x"}, "text"),
        ("{{meta.lang}}", {"meta": {"id": 1}}, "meta.lang"),
        ("{{items.5}}", {"items": [1, 2]}, "items.5"),
        ("{{items.x}}", {"items": [1, 2]}, "items.x"),
        ("{{s.x}}", {"s": "a string"}, "s.x"),
    ],
)
def test_missing_field_names_it(template, row, missing):
    with pytest.raises(TemplateFieldError) as info:
        render(template, row)
    err = info.value
    assert isinstance(err, KeyError)
    assert err.field == missing
    assert str(err).startswith(f"template field '{missing}' not found (available fields: ")
    assert sorted(row)[0] in str(err)


def test_template_fields():
    assert template_fields("{{ a }} and {{b.c}} and {{a}} and {{ bad one }}") == {"a", "b.c"}
    assert template_fields("static") == set()


def test_render_json_renders_every_string_and_keeps_single_placeholder_types():
    body = {
        "prompt": "{{system}}\n{{input}}",
        "n": "{{n}}",
        "options": {"lang": "{{meta.lang}}", "fixed": 1.5, "flag": False},
        "list": ["{{input}}", 2, None],
        "{{meta.lang}}_key": "k",
    }
    row = {"input": "hello", "system": "sys", "n": 3, "meta": {"lang": "pt"}}
    assert render_json(body, row) == {
        "prompt": "sys\nhello",
        "n": 3,
        "options": {"lang": "pt", "fixed": 1.5, "flag": False},
        "list": ["hello", 2, None],
        "pt_key": "k",
    }


def test_constant_parts_are_shared_not_copied():
    body = {"a": {"x": 1}, "b": "{{input}}"}
    out = compile_json(body)({"input": "i"})
    assert out["a"] is body["a"]
    const = {"k": [1, 2]}
    assert compile_json(const)({}) is const


def test_render_json_missing_field():
    with pytest.raises(TemplateFieldError, match="'lang'"):
        render_json({"a": ["{{lang}}"]}, {"input": "x"})


@given(st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=50), st.text(max_size=30))
def test_round_trip_of_arbitrary_text(prefix, value):
    assert render(prefix + "{{v}}" + prefix, {"v": value}) == prefix + value + prefix
