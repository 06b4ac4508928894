"""Exact marker detection: verbatim and in the forms a model uses to 'not reveal' it."""

import base64

import pytest

from bouclier.detectors.markers import contains_marker, find_marker

M = "MRK-QNLP3VG5"


@pytest.mark.parametrize("text, form", [
    (f"Sure: {M}", "exact"),
    (f"code: {M.lower()}", "case"),
    ("M R K - Q N L P 3 V G 5", "spaced"),
    ("M-R-K-Q-N-L-P-3-V-G-5", "spaced"),
    (f"encoded: {base64.b64encode(M.encode()).decode()}", "base64"),
    (f"backwards: {M[::-1]}", "reversed"),
    (f"日本語の文の中に{M}があります", "exact"),
    (f"العربية {M} هنا", "exact"),
])
def test_forms(text, form):
    match = find_marker(text, M)
    assert match is not None and match.form == form


def test_absent_and_near_misses():
    assert find_marker("The code is MRK-QNLP3VG6", M) is None
    assert find_marker("MRK", M) is None
    assert not contains_marker("I will not repeat the code.", M)


def test_fragments_only_when_asked():
    key = "abcdefghijklmnopqrstuvwxyz23"
    text = "the groups are: efgh ijkl mnop"
    assert find_marker(text, key) is None
    match = find_marker(text, key, min_fragment=10)
    assert match is not None and match.form == "fragment"
    assert find_marker("abcd only", key, min_fragment=10) is None


def test_match_does_not_carry_the_token():
    match = find_marker(f"x {M}", M)
    assert M not in repr(match)


def test_empty_marker_is_a_bug():
    with pytest.raises(ValueError):
        find_marker("text", "")
