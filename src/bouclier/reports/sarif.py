"""SARIF 2.1.0 of a gate run, for code-scanning dashboards.

One rule per criterion (its id is stable across runs: ``gate/<suite>/<criterion>``), one
result per criterion that did not pass: FAIL is ``level: error``, INCONCLUSIVE is
``level: warning``. A passing criterion is a rule with no result, so an alert raised by
an earlier run closes when the criterion passes again. Each result points at the
configuration file that declares the criterion (the line of its metric when the file is
readable) and carries the figures (estimate, interval, n) as properties.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from bouclier.gate.result import CriterionResult, RunResult, Verdict

SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_LEVEL = {Verdict.FAIL: "error", Verdict.INCONCLUSIVE: "warning", Verdict.PASS: "none"}


def _rule_id(c: CriterionResult) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{c.suite}/{c.name}").strip("-")
    return f"gate/{slug}"


def _config_location(result: RunResult, source_root: Path | None) -> tuple[str, bool]:
    """(uri, relative?) of the configuration: relative to ``source_root`` when under it."""
    path = Path(result.config_path)
    if source_root is not None:
        try:
            return quote(PurePosixPath(path.resolve().relative_to(source_root.resolve())).as_posix()), True
        except (ValueError, OSError):
            pass
    if path.is_absolute():
        return path.as_uri(), False
    return quote(PurePosixPath(path).as_posix()), True


def _metric_lines(result: RunResult) -> dict[str, int]:
    """First line of ``metric: NAME`` in the configuration, if it is still readable."""
    try:
        text = Path(result.config_path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        for m in re.finditer(r"metric:\s*[\"']?([\w.:-]+)", line):
            lines.setdefault(m.group(1), number)
    return lines


def render_gate_sarif(result: RunResult, *, source_root: Path | None = None) -> str:
    uri, relative = _config_location(result, source_root)
    metric_lines = _metric_lines(result)
    rules: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for c in result.criteria:
        rid = _rule_id(c)
        if rid not in {r["id"] for r in rules}:
            rules.append({
                "id": rid,
                "name": re.sub(r"\W+", "_", c.kind).strip("_") or "criterion",
                "shortDescription": {"text": f"{c.suite}: {c.name}"[:1000]},
                "fullDescription": {"text": f"bouclier release-gate criterion ({c.kind}) on metric "
                                            f"'{c.metric}' of suite '{c.suite}'."},
                "defaultConfiguration": {"level": "error"},
                "properties": {"tags": ["bouclier", "release-gate", c.kind]},
            })
        if c.verdict is Verdict.PASS:
            continue
        artifact: dict[str, Any] = {"uri": uri}
        if relative and source_root is not None:
            artifact["uriBaseId"] = "SRCROOT"
        physical: dict[str, Any] = {"artifactLocation": artifact}
        line = metric_lines.get(c.metric) if c.kind != "code_scan" else None
        if line:
            physical["region"] = {"startLine": line}
        digest = hashlib.sha256(f"{c.suite}\x00{c.name}\x00{c.metric}".encode()).hexdigest()[:32]
        results.append({
            "ruleId": rid,
            "ruleIndex": next(i for i, r in enumerate(rules) if r["id"] == rid),
            "kind": "fail",
            "level": _LEVEL[c.verdict],
            "message": {"text": f"{c.verdict.value}: {c.suite}/{c.name}: {c.reason}"},
            "locations": [{"physicalLocation": physical}],
            "partialFingerprints": {"bouclierCriterion/v1": digest},
            "properties": {k: v for k, v in {
                "verdict": c.verdict.value, "suite": c.suite, "metric": c.metric, "kind": c.kind,
                "baseline": c.baseline_value, "candidate": c.candidate_value, "difference": c.difference,
                "ciLow": c.ci_low, "ciHigh": c.ci_high, "confidence": c.confidence, "n": c.n,
                "threshold": c.threshold, "pFailAdjusted": c.p_fail_adjusted, "nNeeded": c.n_needed,
                "method": c.method}.items() if v is not None},
        })
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "bouclier", "version": result.bouclier_version,
                            "informationUri": "https://pypi.org/project/bouclier/", "rules": rules}},
        "automationDetails": {"id": f"bouclier-gate/{result.run_id}"},
        "invocations": [{"executionSuccessful": True, "startTimeUtc": _utc(result.started_at),
                         "endTimeUtc": _utc(result.finished_at)}],
        "results": results,
        "properties": {"verdict": result.verdict.value, "reason": result.reason,
                       "baseline": result.baseline.name, "candidate": result.candidate.name},
    }
    if source_root is not None:
        run["originalUriBaseIds"] = {"SRCROOT": {"uri": source_root.resolve().as_uri() + "/"}}
    sarif = {"$schema": SARIF_SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(sarif, indent=2, ensure_ascii=False) + "\n"


def _utc(stamp: str) -> str:
    """ISO timestamps as SARIF wants them (``...Z``)."""
    return stamp.replace("+00:00", "Z")
