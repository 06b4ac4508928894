"""Gate runs: the evidence a promotion rests on (``result.json`` of ``bouclier check``)."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select

from bouclier.audit.chain import canonical_json
from bouclier.errors import DataError
from bouclier.registry import lookup
from bouclier.registry.exceptions import RegistryError
from bouclier.registry.identity import actor as current_actor
from bouclier.registry.tables import VERDICTS, GateRunRow, utcnow
from bouclier.registry.values import GateRunInfo

REQUIRED_KEYS = ("schema_version", "verdict", "run_id", "config_digest")


def check_result(result: Any) -> dict[str, Any]:
    if not isinstance(result, dict):
        raise DataError(f"result: expected the JSON object of result.json, found {type(result).__name__}")
    missing = [k for k in REQUIRED_KEYS if k not in result]
    if missing:
        raise DataError(
            f"result: missing key(s) {', '.join(missing)} (expected a result.json written by "
            "bouclier check)"
        )
    if result["verdict"] not in VERDICTS:
        raise DataError(
            f"result: verdict: expected one of {', '.join(VERDICTS)}, found {result['verdict']!r}"
        )
    for k in ("run_id", "config_digest"):
        if not isinstance(result[k], str) or not result[k]:
            raise DataError(f"result: {k}: expected a non-empty string, found {result[k]!r}")
    return result


def record_gate_run(
    registry,
    *,
    result: dict[str, Any],
    baseline: tuple[str, str] | None,
    candidate: tuple[str, str],
    dataset_digests: dict[str, str] | None = None,
    actor: str | None = None,
) -> str:
    result = check_result(result)
    who = actor or current_actor()
    digests = {str(k): str(v) for k, v in (dataset_digests or {}).items()}
    text = canonical_json(result)
    with registry.writing() as s:
        cm = lookup.model_row(s, candidate[0])
        cand = lookup.resolve_row(s, cm, candidate[1])
        base = None
        if baseline is not None:
            bm = lookup.model_row(s, baseline[0])
            base = lookup.resolve_row(s, bm, baseline[1])
        if s.execute(select(GateRunRow.id).where(GateRunRow.run_id == result["run_id"])).first():
            raise RegistryError(f"gate run '{result['run_id']}' is already recorded")
        row = GateRunRow(
            run_id=result["run_id"], schema_version=str(result["schema_version"]),
            config_digest=result["config_digest"], dataset_digests=digests, result_json=text,
            verdict=result["verdict"], baseline_version_id=base.id if base else None,
            candidate_version_id=cand.id, created_at=utcnow(), actor=who,
        )
        s.add(row)
        s.flush()
        registry.audit(
            s, "gate_run.recorded", cm.name, who, run_id=row.run_id, verdict=row.verdict,
            config_digest=row.config_digest, candidate=lookup.ref(s, cand.id),
            baseline=lookup.ref(s, base.id) if base else None, dataset_digests=digests,
            result_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        )
        return row.run_id


def gate_runs(registry, model: str, version: str | None = None) -> list[GateRunInfo]:
    """Gate runs whose candidate is a version of ``model`` (or this version), oldest first."""
    from bouclier.registry.tables import VersionRow

    with registry.reading() as s:
        m = lookup.model_row(s, model)
        q = select(GateRunRow).join(VersionRow, VersionRow.id == GateRunRow.candidate_version_id)
        q = q.where(VersionRow.model_id == m.id)
        if version is not None:
            q = q.where(GateRunRow.candidate_version_id == lookup.resolve_row(s, m, version).id)
        return [lookup.gate_run_info(s, r) for r in s.execute(q.order_by(GateRunRow.id)).scalars()]


def latest_run(s, *, candidate_id: int, baseline_id: int | None = None,
               config_digest: str | None = None) -> GateRunRow | None:
    q = select(GateRunRow).where(GateRunRow.candidate_version_id == candidate_id)
    if baseline_id is not None:
        q = q.where(GateRunRow.baseline_version_id == baseline_id)
    if config_digest is not None:
        q = q.where(GateRunRow.config_digest == config_digest)
    return s.execute(q.order_by(GateRunRow.id.desc()).limit(1)).scalar_one_or_none()
