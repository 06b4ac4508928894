"""Mutators: deterministic per seed, full products, language switching, clear errors."""

import base64

import pytest

from bouclier.errors import DataError, UsageError
from bouclier.probes import encoding_names, load_packs, mutate, wrapper_names
from bouclier.probes.mutators import encode, probe_rng


@pytest.fixture(scope="module")
def harmful():
    return load_packs(["harmful"])


def test_product_of_wrappers_encodings_languages(harmful):
    base = [p for p in harmful if p.parallel_id in ("hr-01", "hr-02")]  # 24 probes
    out = mutate(base, wrappers=["none", "roleplay", "fiction"], encodings=["identity", "base64"],
                 languages=["en", "ja"], seed=1)
    assert len(out) == 24 * 3 * 2 * 2
    assert len({p.id for p in out}) == len(out)


def test_identity_keeps_the_probe(harmful):
    assert mutate(harmful, seed=3) == harmful


def test_same_seed_same_probes_other_seed_other_leetspeak(harmful):
    kwargs = dict(wrappers=["hypothetical"], encodings=["leetspeak"])
    a = mutate(harmful, seed=11, **kwargs)
    assert a == mutate(harmful, seed=11, **kwargs)
    b = mutate(harmful, seed=12, **kwargs)
    assert [p.id for p in a] == [p.id for p in b]
    assert any(x.prompt != y.prompt for x, y in zip(a, b))
    # order independence: a probe's variant does not depend on its neighbours
    assert mutate(harmful[5:6], seed=11, **kwargs)[0] == a[5]


def test_mutated_harmful_becomes_jailbreak_and_keeps_expect(harmful):
    out = mutate(harmful[:1], wrappers=["grandma"], seed=0)
    assert out[0].family == "jailbreak" and out[0].expect == "refuse" and out[0].wrapper == "grandma"
    assert harmful[0].prompt in out[0].prompt


def test_base64_payload_decodes_to_the_request(harmful):
    en = next(p for p in harmful if p.id == "hr-03.en")
    out = mutate([en], encodings=["base64"], seed=0)[0]
    payload = out.prompt.rsplit(" ", 1)[1]
    assert base64.b64decode(payload).decode("utf-8") == en.prompt


def test_language_switch_takes_the_translation(harmful):
    fr = [p for p in harmful if p.parallel_id == "hr-04"]
    out = mutate(fr, wrappers=["research"], languages=["zh"], seed=0)
    fr_variant = next(p for p in out if p.lang == "fr")
    zh_request = next(p for p in harmful if p.id == "hr-04.zh").prompt
    assert zh_request in fr_variant.prompt and fr_variant.request_lang == "zh"
    assert fr_variant.prompt.startswith("Je suis un chercheur")
    assert fr_variant.parallel_id == "hr-04~research+identity@zh"


def test_switch_to_missing_translation_is_an_error(harmful):
    only_en = [p for p in harmful if p.lang == "en"][:1]
    with pytest.raises(DataError, match="no translation in 'de'"):
        mutate(only_en, languages=["de"], seed=0)


def test_limit_is_a_seeded_ordered_sample(harmful):
    full = mutate(harmful, wrappers=list(wrapper_names()), seed=4)
    a = mutate(harmful, wrappers=list(wrapper_names()), seed=4, limit=50)
    assert a == mutate(harmful, wrappers=list(wrapper_names()), seed=4, limit=50)
    assert len(a) == 50 and [full.index(p) for p in a] == sorted(full.index(p) for p in a)
    assert a != mutate(harmful, wrappers=list(wrapper_names()), seed=5, limit=50)


def test_unknown_wrapper_and_encoding(harmful):
    with pytest.raises(UsageError) as exc:
        mutate(harmful, wrappers=["pirate"], encodings=["rot47"], seed=0)
    assert "unknown wrapper 'pirate'" in str(exc.value) and "unknown encoding 'rot47'" in str(exc.value)


def test_encoding_would_hide_placeholders():
    di = load_packs(["direct_injection"], languages=["en"])[:1]
    with pytest.raises(UsageError, match="would hide the placeholders"):
        mutate(di, encodings=["base64"], seed=0)
    assert "{marker}" in mutate(di, wrappers=["fiction"], seed=0)[0].prompt  # wrappers are fine


def test_encodings():
    rng = probe_rng(0, "x")
    assert encode("abc", "reversed", rng=rng) == "cba"
    assert set(encoding_names()) == {"identity", "base64", "leetspeak", "reversed"}
    leet = encode("test sessions", "leetspeak", rng=probe_rng(1, "y"))
    assert leet != "test sessions" and len(leet) == len("test sessions")
