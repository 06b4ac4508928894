"""Sticky, monotone assignment of a request to ``stable`` or ``canary``.

A request's key (a configured header such as ``X-User-Id``, a cookie, or a hash of its API
key) gives a bucket ``hash(salt, rollout id, key) mod 10,000``; the request goes to the
canary when ``bucket < canary weight x 100``. The same user therefore stays in the canary
as its weight grows (a user in at 5% is in at 25%: monotone), leaves it only when the
weight falls below its bucket, and a rollback to 0 moves everyone back at once. A request
without a key draws its bucket at random (not sticky).

The bucket is exported to the upstream in a header so that Envoy, at scale, can make the
same choice: ``WeightedCluster`` with ``random_value_specifier.header_name`` set to that
header, ``total_weight: 10000`` and the canary cluster listed first with weight
``canary percent x 100`` (Envoy picks the first cluster whose cumulative weight exceeds
``value mod total_weight``).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from typing import Literal

from bouclier.rollout.config import AssignmentConfig

BUCKETS = 10_000
KeySource = Literal["header", "cookie", "api_key", "random"]


def bucket_of(*, salt: str, rollout_id: str, key: str) -> int:
    """``int(sha256(salt \\0 rollout_id \\0 key)[:8]) mod 10,000``: stable across processes,
    machines and versions (no Python ``hash``)."""
    digest = hashlib.sha256(f"{salt}\x00{rollout_id}\x00{key}".encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def in_canary(bucket: int, canary_weight: float) -> bool:
    """The monotone rule: canary when ``bucket < weight x 100`` (weight in percent)."""
    return bucket < round(canary_weight * 100)


@dataclass(frozen=True)
class Assignment:
    variant: str
    bucket: int
    key_source: KeySource
    forced: bool = False


class Assigner:
    """Extracts the key of a request (from ASGI headers) and assigns it a variant."""

    def __init__(self, config: AssignmentConfig, *, salt: str, rollout_id: str, rng: random.Random | None = None):
        self._salt = salt
        self._rollout_id = rollout_id
        self._header = config.key_header.lower().encode("latin-1") if config.key_header else None
        self._cookie = config.key_cookie
        self._api_key = config.hash_api_key
        self._force = config.force_header.lower().encode("latin-1") if config.force_header else None
        self._rng = rng or random.Random()
        self._prefix = f"{salt}\x00{rollout_id}\x00".encode("utf-8", "surrogatepass")

    @property
    def force_header(self) -> bytes | None:
        return self._force

    def key_of(self, headers: list[tuple[bytes, bytes]]) -> tuple[str | bytes | None, KeySource]:
        """The request's sticky key and where it came from (None, "random" when it has none)."""
        cookie_header = auth = None
        for name, value in headers:
            if name == self._header and value:
                return value, "header"
            if name == b"cookie":
                cookie_header = value
            elif name in (b"authorization", b"api-key", b"x-api-key") and value:
                auth = value
        if self._cookie and cookie_header:
            value = _cookie_value(cookie_header.decode("latin-1"), self._cookie)
            if value:
                return value, "cookie"
        if self._api_key and auth:
            # The key itself never leaves this function: only its digest is hashed again.
            return "apikey:" + hashlib.sha256(auth).hexdigest(), "api_key"
        return None, "random"

    def bucket(self, key: str | bytes) -> int:
        raw = key if isinstance(key, bytes) else key.encode("utf-8", "surrogatepass")
        return int.from_bytes(hashlib.sha256(self._prefix + raw).digest()[:8], "big") % BUCKETS

    def assign(self, headers: list[tuple[bytes, bytes]], canary_weight: float) -> Assignment:
        key, source = self.key_of(headers)
        b = self.bucket(key) if key is not None else self._rng.randrange(BUCKETS)
        return Assignment("canary" if b < round(canary_weight * 100) else "stable", b, source)


def _cookie_value(header: str, name: str) -> str | None:
    for part in header.split(";"):
        k, sep, v = part.strip().partition("=")
        if sep and k == name:
            return v.strip().strip('"') or None
    return None
