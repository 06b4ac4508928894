"""``report.html``: one self-contained page (inline CSS, JS and SVG; no network at all).

Read from the top: the verdict and its one-line reason, one card per criterion (value,
interval, sample size, verdict), then charts where a picture reads faster than a table,
the regressed cases side by side with a filter, and the run's provenance.

The page is a list of sections (:data:`SECTIONS`). Each section is a function of the
:class:`ReportContext` returning its HTML, or ``""`` when the run has no data for it, so
a part of the result that a run does not carry (per-language fairness, latency, the
safety matrix, a compare run's Pareto front) simply leaves its section out. Adding a
section is adding a function to that tuple.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape
from typing import Callable

from bouclier.gate.result import CaseRegression, CriterionResult, RunResult, Verdict
from bouclier.reports.groups import GroupTable
from bouclier.reports.html_assets import CSS, SCRIPT
from bouclier.reports.svg import Point, Series, grouped_bars, interval_strip

OUTPUT_CHARS = 2000  # per output shown in the page; result.json keeps the full text
_SYMBOL = {Verdict.PASS: "✓", Verdict.FAIL: "✗", Verdict.INCONCLUSIVE: "?"}
# No network, even by accident: the page may load nothing but itself.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"


@dataclass(frozen=True)
class ReportContext:
    result: RunResult
    groups: list[GroupTable] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. unreadable lines of cases.jsonl
    output_chars: int = OUTPUT_CHARS


def _e(text: object) -> str:
    return escape("" if text is None else str(text), quote=True)


def _is_unit(*values: float | None) -> bool:
    known = [v for v in values if v is not None]
    return bool(known) and all(0.0 <= v <= 1.0 for v in known)


def _pct(v: float) -> str:
    return f"{v * 100:.1f}%"


def _pts(v: float) -> str:
    return f"{v * 100:+.1f} pts"


def _num(v: float) -> str:
    return f"{v:.4g}"


def _signed(v: float) -> str:
    return f"{v:+.4g}"


def _higher_is_better(c: CriterionResult) -> bool:
    """Direction of the bound: min criteria and negative non-inferiority bounds want high
    values; max criteria, zero tolerance and positive bounds want low ones. A zero bound
    is read from where the interval sits relative to the verdict."""
    if c.kind == "min":
        return True
    if c.kind in ("max", "zero_tolerance", "code_scan"):
        return False
    if c.threshold:
        return c.threshold < 0
    if c.ci_low is not None and c.verdict is not Verdict.INCONCLUSIVE:
        above = c.ci_low >= 0
        return above if c.verdict is Verdict.PASS else not above
    return True


# --------------------------------------------------------------------------- sections


def _banner(ctx: ReportContext) -> str:
    r = ctx.result
    counts = {v: sum(c.verdict is v for c in r.criteria) for v in Verdict}
    tally = ", ".join(f"{n} {v.value.lower()}" for v, n in counts.items() if n)
    return (f'<header class="banner {r.verdict.value}"><div>'
            f'<p class="verdict" id="verdict">{_SYMBOL[r.verdict]} {r.verdict.value}</p>'
            f'<p class="reason">{_e(r.reason)}</p>'
            f'<p class="meta"><code>{_e(r.candidate.name)}</code> (candidate) vs '
            f'<code>{_e(r.baseline.name)}</code> (baseline) · {len(r.criteria)} criteria ({tally}) · '
            f'{r.confidence:.0%} intervals · multiple testing: {_e(r.multiple_testing)} · '
            f'exit code {r.exit_code()}</p></div></header>')


def _card(c: CriterionResult) -> str:
    paired = c.kind == "non_inferiority"
    # Scores in [0, 1] read as percentages (and their differences as points).
    unit = c.kind != "code_scan" and _is_unit(c.baseline_value, c.candidate_value,
                                              *(() if paired else (c.ci_low, c.ci_high)))
    rows: list[tuple[str, str]] = []
    strip = ""
    if c.kind == "code_scan":
        rows.append(("findings", f"{c.candidate_value:g}" if c.candidate_value is not None else "–"))
        rows.append(("files scanned", str(c.n)))
    else:
        show, show_d = (_pct, _pts) if unit else (_num, _signed)
        if c.baseline_value is not None:
            rows.append(("baseline", show(c.baseline_value)))
        if c.candidate_value is not None:
            rows.append(("candidate", show(c.candidate_value)))
        if paired and c.difference is not None:
            rows.append(("difference", show_d(c.difference)))
        if c.ci_low is not None and c.ci_high is not None:
            f = show_d if paired else show
            rows.append((f"{c.confidence:.0%} interval", f"{f(c.ci_low)} to {f(c.ci_high)}"))
            estimate = c.difference if paired else c.candidate_value
            if estimate is not None:
                strip = interval_strip(
                    title=f"{c.suite}: {c.name}: interval against the bound", estimate=estimate, low=c.ci_low,
                    high=c.ci_high, threshold=c.threshold, higher_is_better=_higher_is_better(c), fmt=f)
        if c.threshold is not None:
            rows.append(("bound", (show_d if paired else show)(c.threshold)))
        rows.append(("n", str(c.n)))
        if c.n_needed is not None and c.verdict is Verdict.INCONCLUSIVE:
            rows.append(("cases to decide", f"about {c.n_needed}"))
        if c.p_fail_adjusted is not None:
            rows.append(("p (violation, adjusted)", f"{c.p_fail_adjusted:.3g}"))
    if c.method:
        rows.append(("method", c.method))
    dl = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in rows)
    return (f'<article class="card {c.verdict.value}"><h3>{_e(c.name)}</h3>'
            f'<span class="badge {c.verdict.value}">{_SYMBOL[c.verdict]} {c.verdict.value}</span> '
            f'<span class="suite">{_e(c.suite)} · {_e(c.kind)}</span>'
            f'<dl>{dl}</dl>{strip}<p>{_e(c.reason)}</p></article>')


def _criteria(ctx: ReportContext) -> str:
    if not ctx.result.criteria:
        return ""
    order = {Verdict.FAIL: 0, Verdict.INCONCLUSIVE: 1, Verdict.PASS: 2}
    cards = "".join(_card(c) for c in sorted(ctx.result.criteria, key=lambda c: order[c.verdict]))
    return f'<section aria-labelledby="h-criteria"><h2 id="h-criteria">Criteria</h2><div class="cards">{cards}</div></section>'


def _group_figure(t: GroupTable) -> str:
    unit = t.binary or all(_is_unit(v.mean, v.low, v.high) for row in t.rows
                           for v in (row.baseline, row.candidate) if v.n)
    fmt = _pct if unit else _num

    def point(v) -> Point:
        return Point(v.mean if v.n else math.nan, v.low, v.high, note=f" (n={v.n})")

    series = [Series("baseline", [point(r.baseline) for r in t.rows]),
              Series("candidate", [point(r.candidate) for r in t.rows])]
    title = f"{t.suite}: {t.metric} per group, baseline and candidate"
    desc = (f"Bars are each model's mean {t.metric} per group; whiskers are {t.confidence:.0%} "
            f"{t.interval_method} intervals. " + "; ".join(
                f"{r.group}: baseline {fmt(r.baseline.mean) if r.baseline.n else 'no data'}, "
                f"candidate {fmt(r.candidate.mean) if r.candidate.n else 'no data'}" for r in t.rows))
    chart = grouped_bars(title=title, description=desc, categories=[r.group for r in t.rows],
                         series=series, fmt=fmt, unit_interval=unit)

    def cell(v) -> str:
        if not v.n:
            return '<td class="num">–</td><td class="num">0</td>'
        iv = "" if v.low is None else f" [{fmt(v.low)}, {fmt(v.high)}]"
        return f'<td class="num">{_e(fmt(v.mean) + iv)}</td><td class="num">{v.n}</td>'

    rows = "".join(f"<tr><th scope=\"row\">{_e(r.group)}</th>{cell(r.baseline)}{cell(r.candidate)}</tr>"
                   for r in t.rows)
    table = (f'<details><summary>Table of {_e(t.metric)} per group</summary><div class="tablewrap"><table>'
             f'<thead><tr><th scope="col">group</th><th scope="col">baseline [{t.confidence:.0%} interval]</th>'
             f'<th scope="col">n</th><th scope="col">candidate [{t.confidence:.0%} interval]</th>'
             f'<th scope="col">n</th></tr></thead><tbody>{rows}</tbody></table></div></details>')
    caption = (f"{_e(t.suite)} · {_e(t.metric)}: each model's mean per group with {t.confidence:.0%} "
               f"{_e(t.interval_method)} intervals (each model alone; the verdict rests on the paired criteria).")
    return f'<figure>{chart}<figcaption>{caption}</figcaption>{table}</figure>'


def _groups(ctx: ReportContext) -> str:
    if not ctx.groups:
        return ""
    figures = "".join(_group_figure(t) for t in ctx.groups)
    return f'<section aria-labelledby="h-groups"><h2 id="h-groups">Per group</h2>{figures}</section>'


def _clip(text: object, limit: int) -> str:
    s = "" if text is None else str(text)
    if len(s) <= limit:
        return f"<pre>{_e(s)}</pre>"
    return (f"<pre>{_e(s[:limit])}…</pre><p class=\"cut\">{len(s) - limit:,} more characters "
            f"not shown; the full text is in result.json.</p>")


def _case(r: CaseRegression, limit: int) -> str:
    cand = r.candidate_output if r.candidate_error is None else f"error: {r.candidate_error}"
    group = f" · {_e(r.group)}" if r.group else ""
    return (f'<article class="case"><h3><code>{_e(r.case_id)}</code> · {_e(r.suite)} / {_e(r.metric)}{group}: '
            f'{r.baseline_score:g} → {r.candidate_score:g}</h3>'
            f'<h4>input</h4>{_clip(r.input, limit)}<h4>expected</h4>{_clip(r.expected, limit)}'
            f'<div class="io"><div><h4>baseline</h4>{_clip(r.baseline_output, limit)}</div>'
            f'<div><h4>candidate</h4>{_clip(cand, limit)}</div></div></article>')


def _regressions(ctx: ReportContext) -> str:
    r = ctx.result
    if not r.regressions:
        return ""
    total = sum(s.regressions_total for s in r.suites) or len(r.regressions)
    more = (f" The {len(r.regressions)} shown are the first of {total}; every case is in cases.jsonl."
            if total > len(r.regressions) else "")
    cases = "".join(_case(c, ctx.output_chars) for c in r.regressions)
    return (f'<section aria-labelledby="h-reg"><h2 id="h-reg">Regressed cases ({total})</h2>'
            f'<p class="note">Cases that scored worse for the candidate than for the baseline.{more}</p>'
            f'<div class="filter" role="search"><label for="case-filter">Filter cases</label>'
            f'<input id="case-filter" type="search" placeholder="text, case id, group…" '
            f'aria-describedby="case-count" autocomplete="off">'
            f'<span id="case-count" aria-live="polite"></span></div>{cases}</section>')


def _provenance(ctx: ReportContext) -> str:
    r = ctx.result
    rows = [("run", r.run_id), ("started", r.started_at), ("finished", r.finished_at),
            ("configuration", f"{r.config_path} ({r.config_digest[:12]})"),
            ("baseline", f"{r.baseline.name} · {r.baseline.adapter} · {r.baseline.fingerprint[:16]}"),
            ("candidate", f"{r.candidate.name} · {r.candidate.adapter} · {r.candidate.fingerprint[:16]}"),
            ("bouclier", f"{r.bouclier_version} (result schema {r.schema_version})")]
    for s in r.suites:
        errors = ", ".join(f"{k} {v}" for k, v in s.errors.items() if v) or "none"
        rows.append((f"suite {s.name}", f"{s.n_cases} cases from {s.dataset} ({s.dataset_digest[:12]}); "
                                        f"failed calls: {errors}"))
    body = "".join(f'<tr><th scope="row">{_e(k)}</th><td>{_e(v)}</td></tr>' for k, v in rows)
    notes = "".join(f'<p class="note">{_e(n)}</p>' for n in ctx.notes)
    return (f'<section aria-labelledby="h-run"><h2 id="h-run">Run</h2><div class="tablewrap">'
            f'<table><tbody>{body}</tbody></table></div>{notes}</section>')


Section = Callable[[ReportContext], str]
SECTIONS: tuple[Section, ...] = (_criteria, _groups, _regressions, _provenance)


def render_html(result: RunResult, *, groups: list[GroupTable] | None = None, notes: list[str] | None = None,
                output_chars: int = OUTPUT_CHARS) -> str:
    """The whole report as one HTML string (UTF-8, self-contained)."""
    ctx = ReportContext(result, list(groups or []), list(notes or []), output_chars)
    body = "".join(section(ctx) for section in SECTIONS)
    title = f"bouclier {result.verdict.value}: {result.candidate.name} vs {result.baseline.name}"
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
            f'<title>{_e(title)}</title><style>{CSS}</style></head><body>'
            f'{_banner(ctx)}<main>{body}</main>'
            f'<footer>Generated by bouclier {_e(result.bouclier_version)} from result.json (run '
            f'{_e(result.run_id)}). Self-contained: this page loads nothing from the network.</footer>'
            f'<script>{SCRIPT}</script></body></html>\n')
