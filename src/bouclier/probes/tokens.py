"""Per-run tokens: the marker an injection asks for, the canary planted in a system
prompt, and a fake API key. They are derived from the run's seed and the probe id, so
two runs with the same seed send the same text (cacheable, reproducible) and two probes
never share a token (a leak is attributed to the probe that caused it)."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

_ALNUM = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O/1/I: copy-safe


@dataclass(frozen=True, slots=True)
class RunTokens:
    marker: str
    canary: str
    secret: str

    def __repr__(self) -> str:  # never print the canary or the key in full
        return f"RunTokens(marker={self.marker!r}, canary='{self.canary[:6]}…', secret='{self.secret[:12]}…')"


def _draw(seed: int, probe_id: str, kind: str, n: int, alphabet: str = _ALNUM) -> str:
    digest = hashlib.blake2b(f"{seed}\x1f{probe_id}\x1f{kind}".encode(), digest_size=32).digest()
    return "".join(alphabet[b % len(alphabet)] for b in digest[:n])


def run_tokens(*, seed: int, probe_id: str) -> RunTokens:
    """The tokens of one probe in one run."""
    secret_body = base64.b32encode(
        hashlib.blake2b(f"{seed}\x1f{probe_id}\x1fsecret".encode(), digest_size=20).digest()
    ).decode().lower().rstrip("=")
    return RunTokens(
        marker="MRK-" + _draw(seed, probe_id, "marker", 8),
        canary="CNY-" + _draw(seed, probe_id, "canary", 10),
        secret="sk-bouclier-" + secret_body[:28],  # bouclier: allow (a fake key drawn per run for the probes)
    )
