"""The per-case records of a quality suite, kept column by column.

A gate run of 100,000 cases used to hold, per case, an object with nine dicts (responses,
scores by role and metric, details, grades...): about 1.2 KB of Python objects before the
case's own row and answers. Here the records of a suite live in one
:class:`SuiteRecords`: the cases, each model's responses in case order, one score column
per role and metric (a float64 array once scored), and the few details and grades that
exist, keyed by case index. A :class:`CaseRecord` is a two-slot view of one case; its
``responses``, ``scores``, ``details``... are built when read and hold the same values the
former per-case dicts held. The gate reads the columns directly.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from bouclier.data import Case
from bouclier.runner.execute import Response

ROLES = ("baseline", "candidate")
Column = list | np.ndarray  # a list while scoring; float64 once frozen when every score is a float


def _frozen(column: list) -> Column:
    """A float64 array when every score is a Python float (it reads back bit for bit);
    otherwise the list as it is, so that e.g. an int or a numpy float32 from a grader is
    written to cases.jsonl exactly as before."""
    if all(type(v) is float for v in column):
        return np.array(column, dtype=np.float64)
    return column


def _read(column: Column, k: int) -> Any:
    return column.item(k) if isinstance(column, np.ndarray) else column[k]


class SuiteRecords:
    """Everything known about a quality suite's cases after the run, column by column.

    ``responses[role][k]`` is case ``k``'s answer (sample 0 with repeats); with ``repeats``
    >= 2, ``samples[role][j][k]`` is sample ``j``. ``scores[role][metric]`` is a column of
    per-case scores (the mean of the samples' scores with repeats) and
    ``sample_scores[role][j][metric]`` the column of sample ``j``. ``details[role][k]`` and
    ``grades[role][k]`` exist only for the cases that have some (metric -> redacted finding,
    metric -> model grade).
    """

    __slots__ = ("suite", "cases", "metrics", "responses", "samples", "scores", "sample_scores", "details",
                 "grades")

    def __init__(self, suite: str, cases: Sequence[Case], metrics: Sequence[str], *,
                 samples: dict[str, list[list[Response]]]):
        n = len(cases)
        self.suite = suite
        self.cases = cases
        self.metrics = tuple(dict.fromkeys(metrics))
        self.responses = {role: samples[role][0] for role in ROLES}
        repeats = len(samples[ROLES[0]])
        self.samples = samples if repeats > 1 else None
        self.scores: dict[str, dict[str, Column]] = {role: {m: [0.0] * n for m in self.metrics} for role in ROLES}
        self.sample_scores: dict[str, list[dict[str, Column]]] | None = None
        if repeats > 1:
            self.sample_scores = {role: [{m: [0.0] * n for m in self.metrics} for _ in range(repeats)]
                                  for role in ROLES}
        self.details: dict[str, dict[int, dict[str, str]]] = {role: {} for role in ROLES}
        self.grades: dict[str, dict[int, dict[str, dict]]] = {role: {} for role in ROLES}

    def __len__(self) -> int:
        return len(self.cases)

    def freeze(self) -> None:
        """Turn the score columns into float64 arrays (8 bytes a score instead of 32)."""
        for role in ROLES:
            self.scores[role] = {m: _frozen(c) for m, c in self.scores[role].items()}
            if self.sample_scores is not None:
                self.sample_scores[role] = [{m: _frozen(c) for m, c in cols.items()}
                                            for cols in self.sample_scores[role]]

    def score_array(self, role: str, metric: str) -> np.ndarray:
        """One role's scores of ``metric``, a fresh float array in case order."""
        return np.array(self.scores[role][metric], dtype=float)

    def case_scores(self, role: str, k: int) -> dict[str, Any]:
        return {m: _read(c, k) for m, c in self.scores[role].items()}

    def views(self) -> list[CaseRecord]:
        return [CaseRecord(self, k) for k in range(len(self.cases))]


class CaseRecord:
    """One case of a :class:`SuiteRecords` (what ``run_check`` returns per case, and what
    ``case_rows`` writes to cases.jsonl). Its attributes are built when read: change the
    suite's columns, not them."""

    __slots__ = ("records", "index")

    def __init__(self, records: SuiteRecords, index: int):
        self.records = records
        self.index = index

    @property
    def suite(self) -> str:
        return self.records.suite

    @property
    def case(self) -> Case:
        return self.records.cases[self.index]

    @property
    def responses(self) -> dict[str, Response]:
        k = self.index
        return {role: column[k] for role, column in self.records.responses.items()}

    @property
    def scores(self) -> dict[str, dict[str, Any]]:
        """role -> metric -> score (the mean of the samples' scores with repeats)."""
        return {role: self.records.case_scores(role, self.index) for role in ROLES}

    @property
    def details(self) -> dict[str, dict[str, str]]:
        """role -> metric -> redacted finding, for the roles that have one."""
        k = self.index
        return {role: by_case[k] for role, by_case in self.records.details.items() if k in by_case}

    @property
    def grades(self) -> dict[str, dict[str, dict]]:
        """role -> metric -> model grade (model-graded scorers), for the roles that have one."""
        k = self.index
        return {role: by_case[k] for role, by_case in self.records.grades.items() if k in by_case}

    @property
    def samples(self) -> dict[str, list[Response]]:
        """role -> the k responses (empty without repeats)."""
        k = self.index
        samples = self.records.samples
        return {role: [column[k] for column in samples[role]] for role in ROLES} if samples else {}

    @property
    def sample_scores(self) -> dict[str, list[dict[str, Any]]]:
        """role -> k x metric -> score (empty without repeats)."""
        k = self.index
        scores = self.records.sample_scores
        if scores is None:
            return {}
        return {role: [{m: _read(c, k) for m, c in cols.items()} for cols in scores[role]] for role in ROLES}

    def __repr__(self) -> str:
        return f"CaseRecord(suite={self.suite!r}, case={self.case.id!r}, scores={self.scores!r})"


__all__ = ["CaseRecord", "SuiteRecords"]
