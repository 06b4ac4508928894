"""Detectors shared by the release gate, ``bouclier scan`` and the rollout router.

Each returns redacted :class:`Finding` objects; none keeps the value it found.
"""

from bouclier.detectors.base import Finding, Location, fingerprint, redact
from bouclier.detectors.canary import detect_canaries, new_canary_token
from bouclier.detectors.pickles import scan_artifact
from bouclier.detectors.pii import count_entities, detect_pii
from bouclier.detectors.secrets import detect_secrets, is_placeholder

__all__ = [
    "Finding",
    "Location",
    "count_entities",
    "detect_canaries",
    "detect_pii",
    "detect_secrets",
    "fingerprint",
    "is_placeholder",
    "new_canary_token",
    "redact",
    "scan_artifact",
]
