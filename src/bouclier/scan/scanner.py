"""``scan_paths``: the files and artifacts about to ship -> a :class:`ScanReport`."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from bouclier.detectors.base import Finding
from bouclier.detectors.pickles import DATA_FORMATS, PICKLE_SUFFIXES, scan_artifact
from bouclier.detectors.secrets import detect_secrets
from bouclier.scan.baseline import load_baseline
from bouclier.scan.files import iter_files
from bouclier.scan.report import ScanReport, SkippedFile

DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024
DEFAULT_MAX_ARTIFACT_SIZE = 4 * 1024 * 1024 * 1024
ALLOW_MARKERS = ("bouclier: allow", "bouclier:allow")
_SNIFF = 8192

Progress = Callable[[int, int, str], None]
"""Called as ``progress(done, total, path)`` after each file."""


def _is_allowed(lines: list[str], finding: Finding) -> bool:
    """An inline ``bouclier: allow`` on the finding's line (or on the line above) silences it."""
    if finding.location is None or finding.location.line is None:
        return False
    n = finding.location.line
    nearby = lines[max(0, n - 2) : n]
    return any(marker in chunk for chunk in nearby for marker in ALLOW_MARKERS)


def _display(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        rel = str(path)
    return Path(str(path) if rel.startswith("..") else rel).as_posix()


def scan_file(
    path: Path, *, max_file_size: int = DEFAULT_MAX_FILE_SIZE, max_artifact_size: int = DEFAULT_MAX_ARTIFACT_SIZE
) -> tuple[list[Finding], str | None, SkippedFile | None, int]:
    """(findings, text or None, skip reason, bytes read) for one file."""
    shown = _display(path)
    lower = path.name.lower()
    artifact_like = lower.endswith(PICKLE_SUFFIXES) or lower.endswith(tuple(DATA_FORMATS))
    limit = max_artifact_size if artifact_like else max_file_size
    try:
        size = path.stat().st_size
        if size > limit:
            return [], None, SkippedFile(shown, f"over the size limit ({size} > {limit} bytes)"), 0
        data = path.read_bytes()
    except OSError as exc:
        return [], None, SkippedFile(shown, f"unreadable ({exc.strerror or type(exc).__name__})"), 0
    if artifact_like:
        found = scan_artifact(data, path=shown)
        if found is not None:
            return found, None, None, len(data)
    if b"\x00" in data[:_SNIFF]:
        return [], None, SkippedFile(shown, "binary file"), 0
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [], None, SkippedFile(shown, f"invalid UTF-8 at byte {exc.start}"), 0
    return detect_secrets(text, path=shown), text, None, len(data)


def scan_paths(
    paths: Iterable[str | os.PathLike[str]],
    *,
    baseline: str | os.PathLike[str] | frozenset[str] | None = None,
    max_file_size: int = DEFAULT_MAX_FILE_SIZE,
    max_artifact_size: int = DEFAULT_MAX_ARTIFACT_SIZE,
    respect_gitignore: bool = True,
    progress: Progress | None = None,
) -> ScanReport:
    """Secrets in text files and unsafe pickles in artifacts under ``paths``.

    ``baseline`` is a baseline file (malformed: :class:`~bouclier.errors.UsageError`) or a
    set of accepted fingerprints. Nothing that goes wrong with one file stops the scan:
    it is listed in ``report.skipped`` with its reason.
    """
    accepted: frozenset[str] = frozenset()
    if isinstance(baseline, frozenset):
        accepted = baseline
    elif baseline is not None:
        accepted = load_baseline(baseline)
    report = ScanReport()
    items = list(iter_files(paths, respect_gitignore=respect_gitignore))
    total = len(items)
    for done, item in enumerate(items, 1):
        if isinstance(item, SkippedFile):
            report.skipped.append(item)
            if progress:
                progress(done, total, item.path)
            continue
        findings, text, skipped, nbytes = scan_file(
            item, max_file_size=max_file_size, max_artifact_size=max_artifact_size
        )
        if skipped is not None:
            report.skipped.append(skipped)
        else:
            report.files_scanned += 1
            report.bytes_scanned += nbytes
        lines = text.split("\n") if text is not None and findings else []
        for f in findings:
            if lines and _is_allowed(lines, f):
                report.allowed.append(f)
            elif f.fingerprint in accepted:
                report.baselined.append(f)
            else:
                report.findings.append(f)
        if progress:
            progress(done, total, str(item))
    return report


def code_scan_findings(
    paths: Iterable[str | os.PathLike[str]], baseline: str | os.PathLike[str] | None = None, **options: object
) -> ScanReport:
    """The gate's ``code_scan:`` criterion: the same scan as ``bouclier scan``."""
    return scan_paths(paths, baseline=baseline, **options)  # type: ignore[arg-type]
