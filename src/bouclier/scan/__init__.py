"""``bouclier scan``: secrets and unsafe model artifacts in what is about to ship."""

from bouclier.scan.baseline import BASELINE_VERSION, load_baseline, write_baseline
from bouclier.scan.formats import render_codequality, render_json, render_sarif, render_text
from bouclier.scan.report import SCAN_REPORT_VERSION, ScanReport, SkippedFile
from bouclier.scan.scanner import code_scan_findings, scan_paths

__all__ = [
    "BASELINE_VERSION",
    "SCAN_REPORT_VERSION",
    "ScanReport",
    "SkippedFile",
    "code_scan_findings",
    "load_baseline",
    "render_codequality",
    "render_json",
    "render_sarif",
    "render_text",
    "scan_paths",
    "write_baseline",
]
