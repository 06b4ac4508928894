"""``bouclier check``, ``validate`` and ``schema`` (filled in by the release gate work)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    pass
