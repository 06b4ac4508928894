"""Plain values the registry returns (never live ORM rows)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class VersionInfo:
    model: str
    label: str
    stage: str
    stage_changed_at: dt.datetime
    retire_after: dt.date | None
    adapter_spec: dict[str, Any]
    artifacts: dict[str, str]
    git_commit: str | None
    created_by: str
    created_at: dt.datetime
    metadata: dict[str, Any]
    id: int

    @property
    def ref(self) -> str:
        return f"{self.model}@{self.label}"


@dataclass(frozen=True)
class AliasInfo:
    model: str
    name: str
    target: str  # a version label, or "alias:NAME"
    version: str | None  # the version it resolves to
    updated_at: dt.datetime
    updated_by: str


@dataclass(frozen=True)
class AliasChange:
    alias: str
    old_target: str | None
    new_target: str | None
    actor: str
    reason: str | None
    at: dt.datetime


@dataclass(frozen=True)
class GateRunInfo:
    run_id: str
    verdict: str
    config_digest: str
    baseline: str | None  # "model@version"
    candidate: str
    dataset_digests: dict[str, str]
    created_at: dt.datetime
    actor: str
    result: dict[str, Any]


@dataclass(frozen=True)
class PromotionInfo:
    version: str
    from_stage: str
    to_stage: str
    replaced: str | None
    gate_run: GateRunInfo | None
    override_reason: str | None
    override_refused_because: str | None
    approvers: list[str]
    actor: str
    at: dt.datetime

    @property
    def evidence(self) -> str:
        if self.gate_run is not None:
            g = self.gate_run
            base = f" vs {g.baseline}" if g.baseline else ""
            return f"gate {g.verdict} (run {g.run_id}{base}, config {g.config_digest[:12]})"
        if self.override_reason is not None:
            return f"OVERRIDE by {self.actor}: {self.override_reason}"
        return "first production version (no baseline to compare with)"


@dataclass(frozen=True)
class CandidateInfo:
    version: VersionInfo
    last_run: GateRunInfo | None


@dataclass(frozen=True)
class ModelOverview:
    model: str
    production: VersionInfo | None
    production_since: dt.datetime | None
    evidence: PromotionInfo | None
    canary: VersionInfo | None
    candidates: list[CandidateInfo]
    deprecated: list[VersionInfo]
    aliases: list[AliasInfo]
    versions: int
    retired: int
    pending: int  # candidates and canaries; ``candidates`` holds the most recent few


@dataclass(frozen=True)
class ModelSummary:
    model: str
    versions: int
    production: str | None
    production_since: dt.datetime | None
    latest: str | None
    latest_at: dt.datetime | None
    extra: dict[str, Any] = field(default_factory=dict)
