"""Backoff delays and Retry-After parsing (pure functions)."""

from __future__ import annotations

import random
from email.utils import format_datetime
from datetime import datetime, timezone

import numpy as np
import pytest

from bouclier.adapters.retry import backoff_delay, parse_retry_after


def test_full_jitter_is_uniform_below_the_exponential_ceiling():
    rng = random.Random(0)
    for attempt, ceiling in [(0, 0.5), (1, 1.0), (3, 4.0), (10, 30.0), (200, 30.0)]:
        delays = [backoff_delay(attempt=attempt, rng=rng) for _ in range(4000)]
        assert 0 <= min(delays) and max(delays) <= ceiling
        assert abs(np.mean(delays) - ceiling / 2) < 0.05 * ceiling  # uniform mean
        assert max(delays) > 0.95 * ceiling


def test_seeded_and_works_with_numpy_generators():
    a = [backoff_delay(attempt=2, rng=random.Random(7)) for _ in range(3)]
    b = [backoff_delay(attempt=2, rng=random.Random(7)) for _ in range(3)]
    assert a == b
    g1, g2 = np.random.default_rng(1), np.random.default_rng(1)
    assert backoff_delay(attempt=4, rng=g1) == backoff_delay(attempt=4, rng=g2)


def test_retry_after_is_a_floor_even_above_the_cap():
    rng = random.Random(1)
    assert backoff_delay(attempt=0, retry_after=2.0, rng=rng) == 2.0
    assert backoff_delay(attempt=0, cap=1.0, retry_after=45.0, rng=rng) == 45.0
    # a short hint does not shorten a longer jittered delay
    delays = [backoff_delay(attempt=6, retry_after=0.01, rng=rng) for _ in range(200)]
    assert max(delays) > 1.0 and min(delays) >= 0.01


def test_custom_base_and_cap():
    rng = random.Random(3)
    assert all(backoff_delay(attempt=2, base=0.1, cap=0.3, rng=rng) <= 0.3 for _ in range(500))
    assert backoff_delay(attempt=5, cap=0.0, rng=rng) == 0.0


@pytest.mark.parametrize("kw", [{"attempt": -1}, {"attempt": 0, "base": 0}, {"attempt": 0, "cap": -1}])
def test_bad_arguments(kw):
    with pytest.raises(ValueError):
        backoff_delay(rng=random.Random(0), **kw)


def test_parse_retry_after_seconds():
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("") is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("nan") is None


def test_parse_retry_after_http_date():
    now = datetime(2015, 10, 21, 7, 28, 0, tzinfo=timezone.utc).timestamp()
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now=now) == 30.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now=now) == 0.0
    later = datetime.now(timezone.utc).timestamp() + 100
    got = parse_retry_after(format_datetime(datetime.fromtimestamp(later, timezone.utc), usegmt=True))
    assert 97 <= got <= 100
