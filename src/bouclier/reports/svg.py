"""Inline SVG charts, drawn in Python: no JavaScript library, no network.

Every chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` (what screen
readers announce), a ``<title>`` per mark (the browser's tooltip), and a ``viewBox`` so
that it scales to the width of a phone. Colours come from CSS classes (``s0``, ``s1``...)
that the page defines for screen and print; marks also differ by shape or label, never
by colour alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
import hashlib
from typing import Callable



def _uid(prefix: str, *parts: object) -> str:
    """A stable element id (same input, same page: re-rendering a run is reproducible)."""
    return prefix + hashlib.sha1("\x00".join(map(str, parts)).encode()).hexdigest()[:10]


@dataclass(frozen=True)
class Point:
    """A value with an optional interval (``low``/``high`` ``None``: no whisker)."""

    value: float
    low: float | None = None
    high: float | None = None
    note: str = ""


@dataclass(frozen=True)
class Series:
    name: str
    points: list[Point]


def _attr(text: object) -> str:
    return escape(str(text), quote=True)


def _nice_max(value: float) -> float:
    if value <= 0 or not math.isfinite(value):
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exp:
            return step * exp
    return 10 * exp


def grouped_bars(*, title: str, description: str, categories: list[str], series: list[Series],
                 fmt: Callable[[float], str], unit_interval: bool) -> str:
    """Horizontal grouped bars (one row per category, one bar per series) with interval
    whiskers. Horizontal so that long group names and many groups stay readable on a phone."""
    uid = _uid("chart", title, description)
    top = max((p.high if p.high is not None else p.value) for s in series for p in s.points
              if math.isfinite(p.value)) if any(math.isfinite(p.value) for s in series for p in s.points) else 1.0
    xmax = 1.0 if unit_interval else _nice_max(top)
    label_w, right_pad, bar_h, gap, group_gap = 84, 56, 16, 3, 12
    plot_w = 340
    width = label_w + plot_w + right_pad
    row_h = len(series) * (bar_h + gap) + group_gap
    legend_h, axis_h = 26, 28
    height = legend_h + len(categories) * row_h + axis_h

    def x(v: float) -> float:
        return label_w + plot_w * max(0.0, min(v, xmax)) / xmax

    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
           f'aria-labelledby="{uid}-t {uid}-d" xmlns="http://www.w3.org/2000/svg">',
           f'<title id="{uid}-t">{_attr(title)}</title>', f'<desc id="{uid}-d">{_attr(description)}</desc>']
    # legend
    lx = label_w
    for k, s in enumerate(series):
        out.append(f'<rect class="s{k}" x="{lx}" y="6" width="14" height="14"/>'
                   f'<text x="{lx + 20}" y="18" class="legend">{_attr(s.name)}</text>')
        lx += 34 + 8 * len(s.name)
    # grid
    for k in range(6):
        v = xmax * k / 5
        gx = x(v)
        out.append(f'<line class="grid" x1="{gx:.1f}" y1="{legend_h}" x2="{gx:.1f}" y2="{height - axis_h}"/>'
                   f'<text class="tick" x="{gx:.1f}" y="{height - 10}" text-anchor="middle">{_attr(fmt(v))}</text>')
    for i, cat in enumerate(categories):
        y0 = legend_h + i * row_h + group_gap / 2
        mid = y0 + len(series) * (bar_h + gap) / 2
        out.append(f'<text class="cat" x="{label_w - 8}" y="{mid + 4:.1f}" text-anchor="end">'
                   f'{_attr(cat if len(cat) <= 11 else cat[:10] + "…")}</text>')
        for k, s in enumerate(series):
            p = s.points[i]
            y = y0 + k * (bar_h + gap)
            if not math.isfinite(p.value):
                out.append(f'<text class="tick" x="{label_w + 4}" y="{y + bar_h - 3}">no data</text>')
                continue
            interval = "" if p.low is None else f", interval {fmt(p.low)} to {fmt(p.high)}"
            tip = f"{cat}, {s.name}: {fmt(p.value)}{interval}{p.note}"
            out.append(f'<g><title>{_attr(tip)}</title>'
                       f'<rect class="s{k}" x="{label_w}" y="{y:.1f}" width="{x(p.value) - label_w:.1f}" '
                       f'height="{bar_h}"/>')
            if p.low is not None and p.high is not None:
                lo, hi, cy = x(p.low), x(p.high), y + bar_h / 2
                out.append(f'<path class="whisker" d="M{lo:.1f} {cy:.1f}H{hi:.1f}M{lo:.1f} {cy - 5:.1f}V{cy + 5:.1f}'
                           f'M{hi:.1f} {cy - 5:.1f}V{cy + 5:.1f}"/>')
            end = x(p.high) if p.high is not None else x(p.value)
            out.append(f'<text class="val" x="{end + 4:.1f}" y="{y + bar_h - 3:.1f}">{_attr(fmt(p.value))}</text></g>')
    out.append(f'<line class="axis" x1="{label_w}" y1="{legend_h}" x2="{label_w}" y2="{height - axis_h}"/>')
    out.append("</svg>")
    return "".join(out)


def interval_strip(*, title: str, estimate: float, low: float, high: float, threshold: float | None,
                   higher_is_better: bool, fmt: Callable[[float], str]) -> str:
    """One interval on a line, with the criterion's bound and its bad side shaded: the
    picture of the decision rule (PASS when the whole interval is on the good side)."""
    uid = _uid("strip", title, estimate, low, high, threshold)
    values = [low, high, estimate] + ([threshold] if threshold is not None else [])
    lo_v, hi_v = min(values), max(values)
    span = (hi_v - lo_v) or max(abs(hi_v), 1e-9)
    lo_v, hi_v = lo_v - 0.15 * span, hi_v + 0.15 * span
    width, height, pad = 320, 46, 10

    def x(v: float) -> float:
        return pad + (width - 2 * pad) * (v - lo_v) / (hi_v - lo_v)

    desc = f"estimate {fmt(estimate)}, interval {fmt(low)} to {fmt(high)}"
    out = [f'<svg class="strip" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{uid}-t {uid}-d" '
           f'xmlns="http://www.w3.org/2000/svg"><title id="{uid}-t">{_attr(title)}</title>']
    if threshold is not None:
        desc += f"; bound {fmt(threshold)}, {'lower' if higher_is_better else 'higher'} values violate it"
        tx = x(threshold)
        bad_x, bad_w = (pad, tx - pad) if higher_is_better else (tx, width - pad - tx)
        out.append(f'<rect class="bad" x="{bad_x:.1f}" y="4" width="{max(bad_w, 0):.1f}" height="24"/>'
                   f'<line class="bound" x1="{tx:.1f}" y1="2" x2="{tx:.1f}" y2="30"/>'
                   f'<text class="tick" x="{tx:.1f}" y="42" text-anchor="middle">bound {_attr(fmt(threshold))}</text>')
    out.append(f'<desc id="{uid}-d">{_attr(desc)}</desc>')
    cy = 16
    out.append(f'<path class="ci" d="M{x(low):.1f} {cy}H{x(high):.1f}M{x(low):.1f} {cy - 7}V{cy + 7}'
               f'M{x(high):.1f} {cy - 7}V{cy + 7}"/><circle class="est" cx="{x(estimate):.1f}" cy="{cy}" r="5"/>')
    out.append("</svg>")
    return "".join(out)
