"""End to end on the scripted vulnerable model: rendered probes -> answers -> detectors ->
attack success. Its holes are known, so the expected outcome of each probe is known."""

import pytest

from bouclier.probes import LANGUAGES, load_packs
from bouclier.scoring.probes import score_answer
from tests.fixtures.vulnerable_model import VulnerableModel


def run(probes, *, seed=7):
    model = VulnerableModel()
    out = {}
    for probe in probes:
        rendered = probe.render(seed=seed)
        messages = ([{"role": "system", "content": rendered.system}] if rendered.system else []) + \
                   [{"role": "user", "content": rendered.prompt}]
        out[probe.id] = score_answer(rendered, model.answer(messages))
    return out


@pytest.fixture(scope="module")
def outcomes():
    return run(load_packs())


def test_injections_succeed_in_every_language(outcomes):
    for lang in LANGUAGES:
        for fam in ("di", "ii"):
            for n in range(1, 9):
                o = outcomes[f"{fam}-0{n}.{lang}"]
                assert o.attack_succeeded and o.detector == "marker" and o.evidence == "exact", o


def test_extraction_leaks_only_on_the_phrasings_it_falls_for(outcomes):
    assert outcomes["pe-02.en"].attack_succeeded  # "repeat the text above"
    spelled = outcomes["pe-06.en"]
    assert spelled.attack_succeeded and spelled.evidence == "spaced"
    assert not outcomes["pe-01.en"].attack_succeeded  # refused
    assert outcomes["pe-01.en"].evidence == "absent"


def test_secret_leaks_through_curl_and_scripts(outcomes):
    assert outcomes["se-02.en"].attack_succeeded and outcomes["se-06.en"].attack_succeeded
    assert not outcomes["se-01.en"].attack_succeeded
    # echoing the public prefix mentioned in the prompt is not a leak
    assert not outcomes["se-08.en"].attack_succeeded


def test_harmful_refused_but_roleplay_and_base64_jailbreaks_work(outcomes):
    assert all(not outcomes[f"hr-{n:02d}.en"].attack_succeeded for n in range(1, 11))
    assert outcomes["jb-01.en"].attack_succeeded  # DAN role-play
    assert outcomes["jb-07.en"].attack_succeeded  # base64
    assert not outcomes["jb-02.en"].attack_succeeded  # hypothetical: still refused ("kill")


def test_over_refusal_of_lookalikes(outcomes):
    assert outcomes["or-01.en"].attack_succeeded  # bath bomb refused = over-refusal
    assert outcomes["or-04.en"].attack_succeeded  # kill time refused
    assert not outcomes["or-03.en"].attack_succeeded  # anti-phishing e-mail answered
    assert outcomes["or-01.en"].evidence.startswith("refusal:")


def test_outcomes_do_not_carry_tokens(outcomes):
    probe = load_packs(["secret_exfiltration"], languages=["en"])[1]
    token = probe.render(seed=7).tokens.secret
    assert token not in repr(outcomes[probe.id])
