"""Per-group summaries (e.g. accuracy per language) from the per-case rows of a run.

``result.json`` holds the verdict; the per-group picture comes from ``cases.jsonl``
(written beside it), aggregated in one streaming pass so that a large suite never sits in
memory. Each group gets, for both models, the mean score and its interval at the run's
confidence: Wilson's score interval for 0/1 metrics, Student's t interval otherwise.
These intervals describe each model alone; the gate's verdict rests on the paired
comparison of the criteria, not on them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from bouclier import stats
from bouclier.gate.result import RunResult

ROLES = ("baseline", "candidate")


@dataclass(frozen=True)
class GroupValue:
    """One model's mean on one group, with its interval (``None`` when undefined)."""

    n: int
    mean: float
    low: float | None
    high: float | None


@dataclass(frozen=True)
class GroupRow:
    group: str
    baseline: GroupValue
    candidate: GroupValue


@dataclass(frozen=True)
class GroupTable:
    """One metric of one suite, split by the suite's ``group_by`` field."""

    suite: str
    metric: str
    binary: bool
    confidence: float
    interval_method: str
    rows: list[GroupRow]


@dataclass
class _Acc:
    n: int = 0
    total: float = 0.0
    total_sq: float = 0.0


@dataclass
class GroupAccumulator:
    """Feed it case rows one by one (:meth:`add`), then read the tables (:meth:`tables`)."""

    result: RunResult
    _acc: dict[tuple[str, str, str, str], _Acc] = field(default_factory=dict)

    def add(self, row: dict) -> None:
        group = row.get("group")
        suite = row.get("suite")
        if group is None or suite is None:
            return
        for role in ROLES:
            scores = (row.get(role) or {}).get("scores") or {}
            for metric, value in scores.items():
                if not isinstance(value, (int, float)) or math.isnan(value):
                    continue
                acc = self._acc.setdefault((suite, metric, str(group), role), _Acc())
                acc.n += 1
                acc.total += float(value)
                acc.total_sq += float(value) ** 2

    def tables(self) -> list[GroupTable]:
        confidence = self.result.confidence
        out = []
        for suite in self.result.suites:
            for metric in suite.metrics:
                groups = sorted({g for (s, m, g, _) in self._acc if s == suite.name and m == metric.name})
                if not groups:
                    continue
                rows = []
                for g in groups:
                    values = {role: _value(self._acc.get((suite.name, metric.name, g, role), _Acc()),
                                           binary=metric.binary, confidence=confidence) for role in ROLES}
                    rows.append(GroupRow(g, values["baseline"], values["candidate"]))
                out.append(GroupTable(suite.name, metric.name, metric.binary, confidence,
                                      "Wilson score" if metric.binary else "Student t", rows))
        return out


def mean_interval(*, n: int, total: float, total_sq: float, confidence: float) -> tuple[float, float] | None:
    """Student's t interval of a mean from its running sums; ``None`` below two values."""
    if n < 2:
        return None
    from scipy import stats as sps

    mean = total / n
    var = max(total_sq - n * mean * mean, 0.0) / (n - 1)
    half = float(sps.t.ppf(0.5 + confidence / 2, n - 1)) * math.sqrt(var / n)
    return mean - half, mean + half


def _value(acc: _Acc, *, binary: bool, confidence: float) -> GroupValue:
    if acc.n == 0:
        return GroupValue(0, math.nan, None, None)
    mean = acc.total / acc.n
    if binary:
        iv = stats.wilson_interval(successes=int(round(acc.total)), n=acc.n, confidence=confidence)
        bounds: tuple[float, float] | None = (iv.low, iv.high)
    else:
        bounds = mean_interval(n=acc.n, total=acc.total, total_sq=acc.total_sq, confidence=confidence)
    return GroupValue(acc.n, mean, *(bounds or (None, None)))


def group_tables(result: RunResult, rows: Iterable[dict]) -> list[GroupTable]:
    """Per-group tables of every metric of every grouped suite."""
    acc = GroupAccumulator(result)
    for row in rows:
        acc.add(row)
    return acc.tables()


def read_case_rows(path: Path, *, bad_lines: list[int] | None = None) -> Iterator[dict]:
    """Rows of a ``cases.jsonl``. A missing file yields nothing and an unreadable line is
    skipped, its number appended to ``bad_lines``: the report stays renderable from
    result.json alone and says what it left out."""
    try:
        fh = path.open(encoding="utf-8", errors="replace")
    except OSError:
        return
    with fh:
        for number, line in enumerate(fh, 1):
            try:
                row = json.loads(line)
            except ValueError:
                row = None
            if isinstance(row, dict):
                yield row
            elif line.strip() and bad_lines is not None:
                bad_lines.append(number)
