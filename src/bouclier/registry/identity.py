"""Who is acting, and which source commit is being registered."""

from __future__ import annotations

import getpass
import os
import subprocess

ENV_ACTOR = "BOUCLIER_ACTOR"


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    value = out.stdout.strip()
    return value if out.returncode == 0 and value else None


def actor() -> str:
    """``BOUCLIER_ACTOR``, else git ``user.name``, else the OS user."""
    env = os.environ.get(ENV_ACTOR, "").strip()
    if env:
        return env
    name = _git("config", "user.name")
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def source_commit() -> str | None:
    """The current git commit (``git rev-parse HEAD``), or None outside a repository."""
    return _git("rev-parse", "HEAD")
