"""Warnings while a deprecated (or retired) version is still used as a baseline or still
serves production."""

from __future__ import annotations

import datetime as dt
from typing import Any


def _marked(v: Any, today: dt.date) -> str | None:
    """"deprecated, retire after DATE (that date has passed)" for a version marked for
    retirement; None for one that is not."""
    if v is None or v.stage not in ("deprecated", "retired"):
        return None
    when = f", retire after {v.retire_after.isoformat()}" if v.retire_after else ""
    late = " (that date has passed)" if v.retire_after and v.retire_after < today else ""
    return f"{v.stage}{when}{late}"


def deprecation_warnings(registry: Any, model: str, *, baseline: str | None = None,
                         today: dt.date | None = None) -> list[str]:
    """Warnings for ``model``: its ``baseline`` version or alias (when given) is deprecated
    or retired; the version behind ``production`` is deprecated."""
    from bouclier.registry import RegistryError

    today = today or dt.date.today()
    out = []
    if baseline is not None:
        try:
            v = registry.resolve(model, baseline)
        except RegistryError:
            v = None
        marked = _marked(v, today)
        if marked:
            out.append(f"the baseline {v.ref} is {marked}: gate against the current production version instead")
    try:
        prod = registry.resolve(model, "production")
    except RegistryError:
        prod = None
    marked = _marked(prod, today)
    if marked:
        out.append(f"production still serves {prod.ref}, which is {marked}: promote a replacement")
    return out


def gate_warnings(loaded: Any, result: Any, *, database_url: str | None = None) -> list[str]:
    """Deprecation warnings for a gate run: only with a registry link and a registry that
    already exists (a check never creates a database just to look)."""
    import os
    from pathlib import Path

    from bouclier.registry import ENV_URL, open_registry

    link = loaded.config.registry
    if link is None:
        return []
    if not (database_url or os.environ.get(ENV_URL) or Path(".bouclier/bouclier.db").exists()):
        return []
    spec = loaded.config.models.get(result.baseline.name)
    label = spec.version if spec is not None else None
    with open_registry(database_url) as reg:
        return deprecation_warnings(reg, link.model, baseline=label)


def rollout_warnings(registry: Any, rollout: Any, *, today: dt.date | None = None) -> list[str]:
    """Warnings for a rollout (a :class:`~bouclier.rollout.decision.RolloutState`) while it
    runs: its stable or canary version is deprecated or retired, and so still serves
    traffic through the router. A finished rollout gets none."""
    from bouclier.registry import RegistryError
    from bouclier.rollout.decision import TERMINAL

    if rollout.state in TERMINAL:
        return []
    today = today or dt.date.today()
    out = []
    for role, label in (("stable", rollout.stable), ("canary", rollout.canary)):
        try:
            v = registry.get_version(rollout.model, label)
        except RegistryError:
            continue
        marked = _marked(v, today)
        if not marked:
            continue
        fix = ("it still serves the stable share of rollout " + rollout.name if role == "stable"
               else f"rollout {rollout.name} exposes traffic to a version marked for retirement")
        out.append(f"the {role} version {v.ref} is {marked}: {fix}")
    return out
