"""How long to wait before retrying a failed call (pure functions; the runner retries).

``backoff_delay`` is exponential backoff with full jitter (AWS Architecture Blog,
"Exponential Backoff And Jitter"): the delay is uniform in ``[0, min(cap, base * 2**attempt)]``,
which spreads the retries of many concurrent callers. A server's ``Retry-After`` hint is a
floor: bouclier never retries sooner than the server asked.
"""

from __future__ import annotations

import math
import time
from email.utils import parsedate_to_datetime
from typing import Protocol

__all__ = ["backoff_delay", "parse_retry_after"]


class _Random(Protocol):
    def random(self) -> float: ...


def backoff_delay(
    *,
    attempt: int,
    base: float = 0.5,
    cap: float = 30.0,
    retry_after: float | None = None,
    rng: _Random,
) -> float:
    """Seconds to wait before retry number ``attempt`` (0 = the first retry).

    ``rng`` is anything with a ``random()`` method returning a float in [0, 1)
    (``random.Random(seed)`` or ``numpy.random.default_rng(seed)``). When the server sent
    ``retry_after`` (seconds), the delay is at least that, even above ``cap``.
    """
    if attempt < 0:
        raise ValueError(f"attempt must be >= 0, got {attempt}")
    if base <= 0 or cap < 0 or math.isnan(base) or math.isnan(cap):
        raise ValueError(f"base must be > 0 and cap >= 0, got base={base}, cap={cap}")
    ceiling = min(cap, base * 2.0 ** min(attempt, 64))
    delay = rng.random() * ceiling
    if retry_after is not None and retry_after > delay:
        delay = float(retry_after)
    return delay


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from an HTTP ``Retry-After`` header: delta-seconds (``"2"``,
    ``"1.5"``) or an HTTP date (``"Wed, 21 Oct 2015 07:28:00 GMT"``, relative to ``now``,
    a Unix time, default the clock). A date in the past gives 0; junk gives None."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        if math.isnan(seconds) or math.isinf(seconds):
            return None
        return max(0.0, seconds)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT
        from datetime import timezone

        when = when.replace(tzinfo=timezone.utc)
    reference = time.time() if now is None else now
    return max(0.0, when.timestamp() - reference)
