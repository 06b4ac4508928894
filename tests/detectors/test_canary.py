import base64
import random

import pytest

from bouclier.detectors import detect_canaries, new_canary_token


def test_tokens_are_seeded_and_unique():
    assert new_canary_token(seed=3) == new_canary_token(seed=3)
    rng = random.Random(0)
    tokens = {new_canary_token(rng=rng) for _ in range(1000)}
    assert len(tokens) == 1000
    assert new_canary_token() != new_canary_token()


TOKEN = new_canary_token(seed=7)


@pytest.mark.parametrize(
    "text,how",
    [
        (f"the secret is {TOKEN}.", "verbatim"),
        (TOKEN.lower(), "case"),
        (" ".join(TOKEN), "spacing"),
        ("-".join(TOKEN.replace("-", "")), "punctuation"),
        (TOKEN[::-1], "reversed"),
        (base64.b64encode(f"ctx: {TOKEN} end".encode()).decode(), "base64"),
        (base64.b64encode(f"ab{TOKEN}".encode()).decode(), "base64"),
        (base64.urlsafe_b64encode(f"x{TOKEN}".encode()).decode(), "base64url"),
        (TOKEN.encode().hex().upper(), "hex"),
    ],
)
def test_leaks_are_caught(text, how):
    findings = detect_canaries(text, [TOKEN, new_canary_token(seed=8)])
    assert len(findings) == 1
    assert findings[0].severity == "critical"
    assert TOKEN not in repr(findings[0])


@pytest.mark.parametrize("text", ["nothing here", TOKEN[:-3], "BQC-" + "A" * 16, ""])
def test_no_false_alarm(text):
    assert detect_canaries(text, [TOKEN]) == []


def test_too_short_token_is_refused():
    with pytest.raises(ValueError):
        detect_canaries("abc", ["ab"])


def test_location_of_a_transformed_leak():
    text = "line one\nsaid: " + " ".join(TOKEN.lower())
    (f,) = detect_canaries(text, [TOKEN])
    assert (f.location.line, f.location.column) == (2, 7)
