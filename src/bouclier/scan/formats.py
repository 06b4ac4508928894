"""Renderers of a :class:`ScanReport`: text, JSON (versioned) and SARIF 2.1.0.

Every renderer shows findings as redacted by the detectors (prefix + fingerprint); no
renderer ever sees the found value.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from bouclier import __version__
from bouclier.detectors.base import Finding
from bouclier.scan.report import SCAN_REPORT_VERSION, ScanReport

SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "1.0"}


def _where(f: Finding) -> str:
    loc = f.location
    if loc is None or loc.path is None:
        return "<text>"
    out = loc.path
    if loc.line is not None:
        out += f":{loc.line}"
        if loc.column is not None:
            out += f":{loc.column}"
    return out


def render_text(report: ScanReport, *, show_skipped: bool = True) -> str:
    lines: list[str] = []
    for f in report.findings:
        lines.append(f"{_where(f)}: {f.severity}: {f.rule_id}: {f.message} [{f.redacted}]")
    if show_skipped:
        for s in report.skipped:
            lines.append(f"{s.path}: skipped: {s.reason}")
    counts = ", ".join(f"{n} {sev}" for sev, n in report.counts_by_severity().items())
    lines.append(
        f"{len(report.findings)} new finding(s){' (' + counts + ')' if counts else ''} in "
        f"{report.files_scanned} file(s); {len(report.allowed)} allowed inline, "
        f"{len(report.baselined)} in the baseline, {len(report.skipped)} skipped"
    )
    return "\n".join(lines) + "\n"


def report_dict(report: ScanReport) -> dict[str, Any]:
    return {
        "bouclier_scan": SCAN_REPORT_VERSION,
        "tool": {"name": "bouclier", "version": __version__},
        "summary": {
            "new_findings": len(report.findings),
            "allowed": len(report.allowed),
            "baselined": len(report.baselined),
            "skipped": len(report.skipped),
            "files_scanned": report.files_scanned,
            "bytes_scanned": report.bytes_scanned,
            "by_severity": report.counts_by_severity(),
        },
        "findings": [f.to_dict() for f in report.findings],
        "allowed": [f.to_dict() for f in report.allowed],
        "baselined": [f.to_dict() for f in report.baselined],
        "skipped": [{"path": s.path, "reason": s.reason} for s in report.skipped],
    }


def render_json(report: ScanReport) -> str:
    return json.dumps(report_dict(report), indent=2, ensure_ascii=False) + "\n"


def _uri(path: str) -> str:
    return quote(PurePosixPath(path.replace("\\", "/")).as_posix(), safe="/:")


def render_sarif(report: ScanReport) -> str:
    """SARIF 2.1.0 for GitHub code scanning: one run, one rule per rule id, findings
    fingerprinted by ``partialFingerprints`` so that alerts survive moves."""
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    for f in report.findings:
        if f.rule_id not in rules:
            rules[f.rule_id] = {
                "id": f.rule_id,
                "name": f.rule_id.replace(".", "_").replace("-", "_").replace("/", "_"),
                "shortDescription": {"text": f.message[:200]},
                "defaultConfiguration": {"level": _LEVEL[f.severity]},
                "properties": {
                    "tags": ["security", f.detector],
                    "security-severity": _SECURITY_SEVERITY[f.severity],
                },
            }
        result: dict[str, Any] = {
            "ruleId": f.rule_id,
            "ruleIndex": list(rules).index(f.rule_id),
            "level": _LEVEL[f.severity],
            "message": {"text": f"{f.message} [{f.redacted}]"},
            "partialFingerprints": {"bouclierFingerprint/v1": f.fingerprint},
            "properties": {"severity": f.severity, "detector": f.detector},
        }
        loc = f.location
        if loc is not None and loc.path is not None:
            physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(loc.path)}}
            if loc.line is not None:
                region: dict[str, Any] = {"startLine": loc.line}
                if loc.column is not None:
                    region["startColumn"] = loc.column
                physical["region"] = region
            result["locations"] = [{"physicalLocation": physical}]
        results.append(result)
    notifications = [
        {
            "level": "note",
            "message": {"text": f"skipped: {s.reason}"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(s.path)}}}],
        }
        for s in report.skipped
    ]
    sarif = {
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "bouclier",
                        "version": __version__,
                        "informationUri": "https://pypi.org/project/bouclier/",
                        "rules": list(rules.values()),
                    }
                },
                "invocations": [
                    {"executionSuccessful": True, "toolExecutionNotifications": notifications}
                ],
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }
    return json.dumps(sarif, indent=2, ensure_ascii=False) + "\n"


_CODEQUALITY_SEVERITY = {"critical": "blocker", "high": "critical", "medium": "major", "low": "minor", "info": "info"}


def render_codequality(report: ScanReport) -> str:
    """GitLab code quality (Code Climate JSON subset): one issue per new finding, shown in
    the merge request's code-quality widget."""
    issues = []
    for f in report.findings:
        loc = f.location
        issues.append({
            "description": f"{f.message} [{f.redacted}]",
            "check_name": f.rule_id,
            "fingerprint": f.fingerprint,
            "severity": _CODEQUALITY_SEVERITY[f.severity],
            "categories": ["Security"],
            "location": {"path": loc.path if loc is not None and loc.path else "<text>",
                         "lines": {"begin": loc.line if loc is not None and loc.line else 1}},
        })
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
