"""What a version is made of: its adapter spec (secrets excluded) and artifact digests."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from bouclier.errors import UsageError

REDACTED = "[redacted]"
_SECRET_KEY = re.compile(
    r"(pass(word|wd)?|secret|token|api[_-]?key|auth(orization)?|cookie|credential|private[_-]?key|bearer)",
    re.IGNORECASE,
)
_URL_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]+):[^@/\s]+@", re.IGNORECASE)


def public_spec(spec: Any) -> Any:
    """A copy of an adapter spec safe to store: values under secret-looking keys are
    replaced by ``[redacted]`` (``*_env`` keys name a variable, not a secret, and stay),
    and passwords inside URLs are removed."""
    if isinstance(spec, dict):
        out: dict[str, Any] = {}
        for key, value in spec.items():
            k = str(key)
            if _SECRET_KEY.search(k) and not k.lower().endswith("_env") and not isinstance(value, (dict, list)):
                out[k] = REDACTED
            else:
                out[k] = public_spec(value)
        return out
    if isinstance(spec, list):
        return [public_spec(v) for v in spec]
    if isinstance(spec, str):
        return _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:***@", spec)
    return spec


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def artifact_digests(paths: list[str | Path]) -> dict[str, str]:
    """``{path: sha256}`` of each file; a directory contributes every file below it."""
    out: dict[str, str] = {}
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for f in sorted(x for x in p.rglob("*") if x.is_file()):
                out[f.as_posix()] = file_sha256(f)
        elif p.is_file():
            out[p.as_posix()] = file_sha256(p)
        else:
            raise UsageError(f"{p}: artifact not found (expected a file or a directory to digest)")
    return out
