"""``release_note``: a Markdown summary of one version for people outside the team."""

from __future__ import annotations

from sqlalchemy import select

from bouclier.registry import lookup
from bouclier.registry.tables import ApprovalRow, GateRunRow, PromotionRow


def _criteria_lines(result: dict) -> list[str]:
    crits = result.get("criteria")
    if isinstance(crits, dict):
        crits = [dict(v, name=k) if isinstance(v, dict) else {"name": k, "verdict": v} for k, v in crits.items()]
    if not isinstance(crits, list):
        return []
    lines = []
    for c in crits:
        if not isinstance(c, dict):
            continue
        name = c.get("name") or c.get("criterion") or c.get("metric") or "criterion"
        verdict = c.get("verdict", "")
        why = c.get("reason") or c.get("explanation") or ""
        lines.append(f"  - {name}: {verdict}" + (f" — {why}" if why else ""))
    return lines


def release_note(registry, model: str, version: str) -> str:
    with registry.reading() as s:
        m = lookup.model_row(s, model)
        v = lookup.resolve_row(s, m, version)
        info = lookup.version_info(v, model)
        promos = [lookup.promotion_info(s, p) for p in s.execute(
            select(PromotionRow).where(PromotionRow.version_id == v.id).order_by(PromotionRow.id)).scalars()]
        approvals = s.execute(select(ApprovalRow).where(ApprovalRow.version_id == v.id)
                              .order_by(ApprovalRow.id)).scalars().all()
        runs = [lookup.gate_run_info(s, r) for r in s.execute(
            select(GateRunRow).where(GateRunRow.candidate_version_id == v.id).order_by(GateRunRow.id)).scalars()]
        aliases = [a.name for a in registry._aliases(s, m) if a.version == v.label]
    out = [f"# {model} {info.label}", ""]
    out.append(f"- **Stage:** {info.stage} (since {info.stage_changed_at:%Y-%m-%d %H:%M} UTC)")
    if aliases:
        out.append(f"- **Aliases:** {', '.join(aliases)}")
    out.append(f"- **Registered:** {info.created_at:%Y-%m-%d %H:%M} UTC by {info.created_by}")
    if info.git_commit:
        out.append(f"- **Source commit:** `{info.git_commit}`")
    if info.retire_after:
        out.append(f"- **Retire after:** {info.retire_after.isoformat()}")
    out.append("")
    out.append("## Why it may ship")
    if not promos:
        out.append("Not promoted yet.")
    for p in promos:
        out.append(f"- {p.at:%Y-%m-%d %H:%M} UTC — {p.from_stage} → **{p.to_stage}** by {p.actor}"
                   + (f", replacing {p.replaced}" if p.replaced else ""))
        out.append(f"  - Evidence: {p.evidence}")
        if p.override_refused_because:
            out.append(f"  - The gate policy was not met: {p.override_refused_because}")
        if p.approvers:
            out.append(f"  - Approved by: {', '.join(p.approvers)}")
    if approvals:
        out.append("")
        out.append("## Approvals")
        for a in approvals:
            out.append(f"- {a.approver} for {a.stage}, {lookup.aware(a.created_at):%Y-%m-%d %H:%M} UTC"
                       + (f": {a.comment}" if a.comment else ""))
    out.append("")
    out.append("## Release gate runs")
    if not runs:
        out.append("No gate run recorded.")
    for r in runs:
        base = f" against {r.baseline}" if r.baseline else ""
        out.append(f"- **{r.verdict}**{base} — run `{r.run_id}`, {r.created_at:%Y-%m-%d %H:%M} UTC, "
                   f"config `{r.config_digest[:12]}`")
        out.extend(_criteria_lines(r.result))
    if info.artifacts:
        out.append("")
        out.append("## Artifacts (SHA-256)")
        for name, digest in sorted(info.artifacts.items()):
            out.append(f"- `{name}`: `{digest}`")
    if info.metadata:
        out.append("")
        out.append("## Metadata")
        for k, val in sorted(info.metadata.items()):
            out.append(f"- {k}: {val}")
    return "\n".join(out) + "\n"
