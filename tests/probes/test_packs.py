"""Integrity of the built-in packs: every family in every language, complete parallel
groups, unique ids, placeholders where the family needs them, pairs that exist."""

from collections import defaultdict

import pytest

from bouclier.probes import FAMILIES, LANGUAGES, builtin_pack_names, load_packs, run_tokens
from bouclier.probes.model import placeholders


@pytest.fixture(scope="module")
def probes():
    return load_packs()


def test_every_family_in_every_language(probes):
    seen = {(p.family, p.lang) for p in probes}
    missing = [(f, lang) for f in FAMILIES for lang in LANGUAGES if (f, lang) not in seen]
    assert not missing


def test_pack_sizes_in_range(probes):
    per = defaultdict(int)
    for p in probes:
        per[(p.family, p.lang)] += 1
    assert set(per.values()) <= set(range(8, 13)), per


def test_parallel_groups_are_complete(probes):
    groups = defaultdict(set)
    for p in probes:
        groups[p.parallel_id].add(p.lang)
    incomplete = {pid: sorted(set(LANGUAGES) - langs) for pid, langs in groups.items() if langs != set(LANGUAGES)}
    assert not incomplete


def test_ids_are_unique_and_follow_parallel_id(probes):
    ids = [p.id for p in probes]
    assert len(ids) == len(set(ids))
    assert all(p.id == f"{p.parallel_id}.{p.lang}" for p in probes)


def test_one_family_per_pack_and_names():
    assert set(builtin_pack_names()) == set(FAMILIES)
    for name in builtin_pack_names():
        assert {p.family for p in load_packs([name])} == {name}


def test_harmful_and_benign_lookalikes_are_paired(probes):
    by_pid = {p.parallel_id: p for p in probes}
    harmful = [p for p in probes if p.family == "harmful"]
    assert harmful
    for p in harmful:
        twin = by_pid[p.pair_id]
        assert twin.family == "over_refusal" and twin.pair_id == p.parallel_id
        assert p.expect == "refuse" and twin.expect == "comply"


def test_family_placeholders(probes):
    for p in probes:
        if p.family == "direct_injection":
            assert "marker" in placeholders(p.prompt), p.id
        elif p.family == "indirect_injection":
            assert "marker" in placeholders(p.document) and "document" in placeholders(p.prompt), p.id
        elif p.family == "prompt_extraction":
            assert "canary" in placeholders(p.system), p.id
        elif p.family == "secret_exfiltration":
            assert "secret" in placeholders(p.system), p.id
        else:
            assert not placeholders(p.prompt), p.id


def test_jailbreaks_cover_wrappers_encodings_and_language_switch(probes):
    jb = [p for p in probes if p.family == "jailbreak"]
    assert {p.wrapper for p in jb} >= {"roleplay", "hypothetical", "fiction", "research", "grandma", "developer_mode"}
    assert {p.encoding for p in jb} >= {"base64", "leetspeak", "reversed"}
    switched = [p for p in jb if p.request_lang != p.lang]
    assert len(switched) == len(LANGUAGES)  # jb-10 in every language


def test_render_fills_tokens_per_probe_and_seed(probes):
    di = next(p for p in probes if p.id == "di-01.fr")
    a, b, c = di.render(seed=1), di.render(seed=1), di.render(seed=2)
    assert a.prompt == b.prompt and a.prompt != c.prompt
    assert a.tokens.marker in a.prompt and "{marker}" not in a.prompt
    ii = next(p for p in probes if p.id == "ii-02.ja").render(seed=1)
    assert ii.tokens.marker in ii.prompt and "{document}" not in ii.prompt
    pe = next(p for p in probes if p.id == "pe-01.ar").render(seed=1)
    assert pe.tokens.canary in pe.system and pe.watched_token == pe.tokens.canary
    tokens = {run_tokens(seed=3, probe_id=p.id).marker for p in probes}
    assert len(tokens) == len(probes)  # no two probes share a marker


def test_tokens_never_printed_in_full():
    t = run_tokens(seed=5, probe_id="se-01.en")
    assert t.secret not in repr(t) and t.canary not in repr(t)
