"""The ``code_scan:`` criterion: the release itself must carry no secret and no unsafe
model artifact (the same scan as ``bouclier scan``)."""

from __future__ import annotations

from pathlib import Path

from bouclier.config.schema import CodeScanConfig
from bouclier.gate.result import CriterionResult, Verdict


def run_code_scan(config: CodeScanConfig, *, base_dir: Path):
    from bouclier.scan import scan_paths

    baseline = str(base_dir / config.baseline) if config.baseline else None
    return scan_paths([base_dir / p for p in config.paths], baseline=baseline,
                      max_file_size=config.max_file_size)


def code_scan_criterion(report, *, confidence: float) -> CriterionResult:
    n = len(report.findings)
    common = dict(name="code scan: no secret, no unsafe artifact", suite="release", metric="findings",
                  kind="code_scan", confidence=confidence, n=report.files_scanned, baseline_value=None,
                  candidate_value=float(n), difference=None, ci_low=None, ci_high=None, threshold=0.0,
                  method="bouclier scan")
    skipped = f"; {len(report.skipped)} file(s) skipped" if report.skipped else ""
    if n:
        shown = []
        for f in report.findings[:3]:
            loc = f.location
            where = f"{loc.path}:{loc.line}" if loc and loc.line else (loc.path if loc else "?")
            shown.append(f"{where} {f.rule_id} {f.redacted}")
        more = f" (+{n - 3} more)" if n > 3 else ""
        return CriterionResult(**common, verdict=Verdict.FAIL,
                               reason=f"{n} finding(s) in {report.files_scanned} files: " + "; ".join(shown) + more
                               + " — remove them, or accept them in the baseline file (`bouclier scan --write-baseline`)")
    accepted = len(report.allowed) + len(report.baselined)
    return CriterionResult(**common, verdict=Verdict.PASS,
                           reason=f"no new finding in {report.files_scanned} files"
                           + (f" ({accepted} accepted by baseline or allow comments)" if accepted else "") + skipped)
