"""``show``: one screen about a model — what serves production, since when, on what
evidence, and which candidates are waiting with their last verdicts."""

from __future__ import annotations

from sqlalchemy import func, select

from bouclier.registry import lookup
from bouclier.registry.gate_runs import latest_run
from bouclier.registry.tables import PromotionRow, VersionRow
from bouclier.registry.values import CandidateInfo, ModelOverview, PromotionInfo

MAX_CANDIDATES = 8


def production_evidence(s, v: VersionRow) -> PromotionInfo | None:
    p = s.execute(
        select(PromotionRow).where(PromotionRow.version_id == v.id, PromotionRow.to_stage == "production")
        .order_by(PromotionRow.id.desc()).limit(1)
    ).scalar_one_or_none()
    return lookup.promotion_info(s, p) if p else None


def show(registry, model: str) -> ModelOverview:
    with registry.reading() as s:
        m = lookup.model_row(s, model)
        prod = registry._production(s, m)
        canary = registry._alias_target(s, m, "canary")
        evidence = production_evidence(s, prod) if prod else None
        pending = s.execute(
            select(VersionRow).where(VersionRow.model_id == m.id,
                                     VersionRow.stage.in_(("candidate", "canary")))
            .order_by(VersionRow.id.desc()).limit(MAX_CANDIDATES)
        ).scalars().all()
        pending_total = s.execute(select(func.count()).where(
            VersionRow.model_id == m.id, VersionRow.stage.in_(("candidate", "canary")))).scalar_one()
        candidates = []
        for v in pending:
            run = latest_run(s, candidate_id=v.id)
            candidates.append(CandidateInfo(lookup.version_info(v, model),
                                            lookup.gate_run_info(s, run) if run else None))
        deprecated = s.execute(
            select(VersionRow).where(VersionRow.model_id == m.id, VersionRow.stage == "deprecated")
            .order_by(VersionRow.id.desc())
        ).scalars().all()
        n = s.execute(select(func.count()).where(VersionRow.model_id == m.id)).scalar_one()
        retired = s.execute(select(func.count()).where(
            VersionRow.model_id == m.id, VersionRow.stage == "retired")).scalar_one()
        return ModelOverview(
            model=model,
            production=lookup.version_info(prod, model) if prod else None,
            production_since=evidence.at if evidence else (lookup.aware(prod.stage_changed_at) if prod else None),
            evidence=evidence,
            canary=lookup.version_info(canary, model) if canary else None,
            candidates=candidates,
            deprecated=[lookup.version_info(v, model) for v in deprecated],
            aliases=registry._aliases(s, m),
            versions=n, retired=retired, pending=pending_total,
        )
