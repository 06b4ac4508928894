"""What every detector returns: a redacted :class:`Finding`.

A finding never holds the value it found. It keeps a short prefix of it and a stable
fingerprint (a truncated SHA-256 of the rule and the value), enough to recognise the same
finding again (baseline files, deduplication, the audit trail) without storing a secret.
A fingerprint of a short, guessable value (a weak password) can still be confirmed by
hashing guesses: treat reports as confidential all the same.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["critical", "high", "medium", "low", "info"]

SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low", "info")
"""From the most to the least severe."""

FINGERPRINT_CHARS = 16
_DOMAIN = b"bouclier-finding-v1\x00"


def fingerprint(rule_id: str, value: str | bytes) -> str:
    """Stable identifier of (rule, value): 16 hex characters of a domain-separated SHA-256."""
    raw = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value
    digest = hashlib.sha256(_DOMAIN + rule_id.encode("utf-8") + b"\x00" + raw).hexdigest()
    return digest[:FINGERPRINT_CHARS]


def redact(value: str, *, rule_id: str = "", max_prefix: int = 4) -> str:
    """``prefix…[fp]``: at most ``max_prefix`` leading characters and never more than a
    quarter of the value, followed by the fingerprint."""
    keep = min(max_prefix, len(value) // 4)
    prefix = value[:keep]
    return f"{prefix}…[{fingerprint(rule_id, value)[:8]}]"


@dataclass(frozen=True)
class Location:
    """Where a finding is: a file path (or None for a model output), 1-based line and
    column, when known."""

    path: str | None = None
    line: int | None = None
    column: int | None = None
    end_line: int | None = None
    end_column: int | None = None


@dataclass(frozen=True)
class Finding:
    """One thing a detector found, redacted.

    ``detector`` is the family (``secret``, ``pii``, ``canary``, ``pickle``), ``rule_id``
    the precise rule, ``entity`` the kind of thing found when the rule covers several
    (e.g. ``EMAIL``, ``IBAN``, ``FR_NIR``).
    """

    detector: str
    rule_id: str
    severity: Severity
    message: str
    redacted: str
    fingerprint: str
    location: Location | None = None
    entity: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def of_value(
        cls,
        *,
        detector: str,
        rule_id: str,
        severity: Severity,
        message: str,
        value: str,
        location: Location | None = None,
        entity: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Finding:
        """Build a finding from the raw value, which is redacted here and not kept."""
        return cls(
            detector=detector,
            rule_id=rule_id,
            severity=severity,
            message=message,
            redacted=redact(value, rule_id=rule_id),
            fingerprint=fingerprint(rule_id, value),
            location=location,
            entity=entity,
            extra=dict(extra or {}),
        )

    def with_location(self, location: Location) -> Finding:
        return Finding(
            detector=self.detector,
            rule_id=self.rule_id,
            severity=self.severity,
            message=self.message,
            redacted=self.redacted,
            fingerprint=self.fingerprint,
            location=location,
            entity=self.entity,
            extra=self.extra,
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if not data["extra"]:
            data.pop("extra")
        return data


def severity_rank(severity: str) -> int:
    """0 for critical ... 4 for info."""
    return SEVERITIES.index(severity)


def line_and_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    return line, offset - start + 1
