"""Baseline files: findings a team has accepted, by fingerprint (never the value).

Format (JSON, versioned)::

    {"bouclier_baseline": 1,
     "findings": [{"fingerprint": "3f1c...", "rule_id": "bouclier.password-literal"}]}
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

from bouclier.detectors.base import FINGERPRINT_CHARS, Finding
from bouclier.errors import Problem, UsageError

BASELINE_VERSION = 1
_FP_RE = re.compile(rf"^[0-9a-f]{{{FINGERPRINT_CHARS}}}$")
_FIX = "regenerate it with `bouclier scan PATH --write-baseline FILE`"


def _bad(path: Path, message: str, key: str | None = None, line: int | None = None) -> UsageError:
    return UsageError(problems=[Problem(message, file=str(path), key=key, line=line, hint=_FIX)])


def load_baseline(path: str | Path) -> frozenset[str]:
    """The accepted fingerprints; a missing or malformed file raises :class:`UsageError`."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise _bad(p, "baseline file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise _bad(p, f"baseline file cannot be read ({type(exc).__name__})") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _bad(p, f"not valid JSON: {exc.msg}", line=exc.lineno) from exc
    if not isinstance(data, dict):
        raise _bad(p, f"expected a JSON object, found {type(data).__name__}")
    version = data.get("bouclier_baseline")
    if version != BASELINE_VERSION:
        raise _bad(p, f"expected bouclier_baseline: {BASELINE_VERSION}, found {version!r}", key="bouclier_baseline")
    items = data.get("findings")
    if not isinstance(items, list):
        raise _bad(p, f"expected a list, found {type(items).__name__}", key="findings")
    fps: set[str] = set()
    for i, item in enumerate(items):
        fp = item.get("fingerprint") if isinstance(item, dict) else None
        if not isinstance(fp, str) or not _FP_RE.match(fp):
            raise _bad(p, f"expected a {FINGERPRINT_CHARS}-hex-digit fingerprint, found {fp!r}",
                       key=f"findings[{i}].fingerprint")
        fps.add(fp)
    return frozenset(fps)


def write_baseline(path: str | Path, findings: Iterable[Finding]) -> int:
    """Write the fingerprints of ``findings`` (sorted, deduplicated); returns their number."""
    rows = {f.fingerprint: f.rule_id for f in findings}
    data = {
        "bouclier_baseline": BASELINE_VERSION,
        "findings": [{"fingerprint": fp, "rule_id": rows[fp]} for fp in sorted(rows)],
    }
    Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return len(rows)
