"""The result of a scan: findings, what was suppressed and why, what was skipped and why."""

from __future__ import annotations

from dataclasses import dataclass, field

from bouclier.detectors.base import Finding

SCAN_REPORT_VERSION = 1


@dataclass(frozen=True)
class SkippedFile:
    """A file that was not (fully) scanned, and the reason in a few words."""

    path: str
    reason: str


@dataclass
class ScanReport:
    """``findings`` are the new ones (exit 1 when any); ``allowed`` were silenced by an
    inline ``bouclier: allow`` comment, ``baselined`` by the baseline file."""

    findings: list[Finding] = field(default_factory=list)
    allowed: list[Finding] = field(default_factory=list)
    baselined: list[Finding] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    files_scanned: int = 0
    bytes_scanned: int = 0

    @property
    def clean(self) -> bool:
        return not self.findings

    def counts_by_severity(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.findings:
            out[f.severity] = out.get(f.severity, 0) + 1
        return out
