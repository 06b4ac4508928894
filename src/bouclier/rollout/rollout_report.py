"""The report of a whole rollout: its transitions with their evidence, as JSON and Markdown."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

REPORT_VERSION = 1


def _when(ts: float | None) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") if ts else "-"


def rollout_report(ledger, ref: int | str) -> dict[str, Any]:
    st = ledger.get(ref)
    return {
        "report_version": REPORT_VERSION, "rollout": st.name, "id": st.id, "model": st.model,
        "stable": st.stable, "canary": st.canary, "state": st.state, "step": st.step, "weights": st.weights,
        "created_at": st.created_at, "updated_at": st.updated_at, "transitions": ledger.transitions(ref),
    }


def render_markdown(report: dict[str, Any]) -> str:
    lines = [f"# Rollout {report['rollout']}: {report['model']}@{report['canary']} against {report['stable']}", "",
             f"Outcome: **{report['state']}** (started {_when(report['created_at'])}, last change "
             f"{_when(report['updated_at'])}); traffic now {report['weights']}.", "",
             "| # | when | from | to | weights | score | reason |", "|---|---|---|---|---|---|---|"]
    for t in report["transitions"]:
        a = t["evidence"].get("analysis") or {}
        score = "-" if a.get("score") is None else f"{a['score']:g}"
        reason = t["reason"].replace("|", "/")
        lines.append(f"| {t['seq']} | {_when(t['at'])} | {t['from_state']} | {t['to_state']} | "
                     f"{t['weights'].get('canary', 0):g}% canary | {score} | {reason} |")
    judged = [t for t in report["transitions"] if t["evidence"].get("analysis")]
    if judged:
        last = judged[-1]["evidence"]["analysis"]
        lines += ["", f"## Last analysis ({last['verdict']}, score {last['score']})", "",
                  f"{last['stable_requests']} stable / {last['canary_requests']} canary requests.", "",
                  "| metric | status | stable | canary | shift | interval | reason |", "|---|---|---|---|---|---|---|"]
        for m in last["metrics"].values():
            iv = "-" if m["low"] is None else f"[{m['low']:.4g}, {m['high']:.4g}]"
            f = lambda v: "-" if v is None else f"{v:.4g}"  # noqa: E731
            lines.append(f"| {m['name']} | {m['status']} | {f(m['stable_value'])} | {f(m['canary_value'])} | "
                         f"{f(m['shift'])} | {iv} | {m['reason'].replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def write_report(ledger, ref: int | str, directory: Path) -> tuple[Path, Path]:
    report = rollout_report(ledger, ref)
    directory.mkdir(parents=True, exist_ok=True)
    base = directory / f"rollout-{report['rollout']}-{report['id']}"
    js, md = base.with_suffix(".json"), base.with_suffix(".md")
    js.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    md.write_text(render_markdown(report), encoding="utf-8")
    return js, md
