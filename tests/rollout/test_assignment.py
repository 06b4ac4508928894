"""Sticky, monotone assignment (pure functions)."""

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from bouclier.rollout import BUCKETS, Assigner, bucket_of, in_canary
from bouclier.rollout.config import AssignmentConfig


def test_bucket_is_deterministic_and_depends_on_salt_and_rollout():
    a = bucket_of(salt="s", rollout_id="r", key="user-1")
    assert a == bucket_of(salt="s", rollout_id="r", key="user-1")
    assert 0 <= a < BUCKETS
    others = {bucket_of(salt=s, rollout_id=r, key="user-1") for s, r in [("t", "r"), ("s", "q"), ("", "r")]}
    assert len(others | {a}) > 1


def test_buckets_are_uniform():
    counts = [0] * 10
    for i in range(20_000):
        counts[bucket_of(salt="", rollout_id="r", key=f"u{i}") * 10 // BUCKETS] += 1
    # each decile holds 2,000 +- 4.5 sigma (sigma = 42)
    assert all(abs(c - 2000) < 190 for c in counts), counts


@settings(max_examples=200, deadline=None)
@given(key=st.text(min_size=1, max_size=40), low=st.integers(0, 10_000), high=st.integers(0, 10_000))
def test_monotone_a_user_in_the_canary_stays_in_when_the_weight_grows(key, low, high):
    low, high = sorted((low, high))
    b = bucket_of(salt="salt", rollout_id="r", key=key)
    if in_canary(b, low / 100):
        assert in_canary(b, high / 100)
    assert not in_canary(b, 0.0)
    assert in_canary(b, 100.0)


def test_assigner_key_sources_in_order():
    a = Assigner(AssignmentConfig(key_cookie="uid"), salt="", rollout_id="r", rng=random.Random(0))
    assert a.key_of([(b"x-user-id", b"u1"), (b"cookie", b"uid=c1")]) == (b"u1", "header")
    assert a.key_of([(b"cookie", b"a=b; uid=c1")]) == ("c1", "cookie")
    key, source = a.key_of([(b"authorization", b"Bearer sk-abc")])
    assert source == "api_key" and "sk-abc" not in key
    assert a.key_of([]) == (None, "random")
    # the header key gives the same bucket as the pure function (Envoy can reproduce it)
    assert a.assign([(b"x-user-id", b"u1")], 5).bucket == bucket_of(salt="", rollout_id="r", key="u1")


def test_requests_without_key_draw_at_random():
    a = Assigner(AssignmentConfig(), salt="", rollout_id="r", rng=random.Random(1))
    n = 4000
    canary = sum(a.assign([], 25).variant == "canary" for _ in range(n))
    assert abs(canary - 1000) < 4.5 * (n * 0.25 * 0.75) ** 0.5
