"""Agreement between raters: how far a grader (a judge model graded k times, or a judge
against human labels) can be trusted.

* :func:`krippendorff_alpha` — reliability of a units x raters matrix with missing values,
  at the nominal, ordinal, interval or ratio level (Krippendorff, *Computing Krippendorff's
  Alpha-Reliability*, 2011). Used for the k repeated grades of a judge: each repeat is a
  "rater", each graded answer a "unit".
* :func:`fleiss_kappa` — chance-corrected agreement of a fixed number of raters on nominal
  categories (Fleiss, 1971), from the units x categories count table.
* :func:`cohen_kappa` — agreement of two raters (a judge and the human label), with the
  confusion matrix it is computed from.
* :func:`unit_agreement` — the share of agreeing pairs among one unit's grades.

Pure, keyword-only, deterministic; numpy only. A figure that is undefined (no variation
at all, fewer than two pairable values) is returned as ``None``, never as a made-up 1.0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Literal, Sequence

import numpy as np

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS = ("nominal", "ordinal", "interval", "ratio")

__all__ = ["LEVELS", "Agreement", "cohen_kappa", "fleiss_kappa", "krippendorff_alpha", "unit_agreement"]


def _as_matrix(data: Sequence[Sequence[float | None]]) -> np.ndarray:
    rows = [[np.nan if v is None else float(v) for v in row] for row in data]
    width = max((len(r) for r in rows), default=0)
    out = np.full((len(rows), width), np.nan)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


def krippendorff_alpha(*, units: Sequence[Sequence[float | None]], level: Level = "nominal") -> float | None:
    """Krippendorff's alpha of ``units`` (one row per unit, one value per rater; ``None``
    or NaN is a missing value; rows may have different lengths).

    Units with fewer than two values are not pairable and are ignored. Returns ``None``
    when alpha is undefined: fewer than two pairable values in all, or no variation at all
    (every value identical, so disagreement expected by chance is zero).
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    m = _as_matrix(units)
    if m.size == 0:
        return None
    values = np.unique(m[~np.isnan(m)])
    if level == "ratio" and values.size and values.min() < 0:
        raise ValueError("ratio level needs non-negative values")
    index = {v: i for i, v in enumerate(values)}
    k = values.size
    coincidence = np.zeros((k, k))
    for row in m:
        present = row[~np.isnan(row)]
        mu = present.size
        if mu < 2:
            continue
        counts = np.zeros(k)
        for v in present:
            counts[index[v]] += 1
        # ordered pairs of distinct raters within the unit, weighted 1 / (m_u - 1)
        coincidence += (np.outer(counts, counts) - np.diag(counts)) / (mu - 1)
    n_c = coincidence.sum(axis=1)
    n = n_c.sum()
    if n < 2:
        return None
    delta = _delta(values, n_c, level)
    observed = float((coincidence * delta).sum())
    expected = float((np.outer(n_c, n_c) * delta).sum())
    if expected == 0:
        return None
    return 1.0 - (n - 1) * observed / expected


def _delta(values: np.ndarray, n_c: np.ndarray, level: Level) -> np.ndarray:
    """Squared difference function delta^2(c, k) of the level."""
    c = values[:, None]
    k = values[None, :]
    if level == "nominal":
        return (c != k).astype(float)
    if level == "interval":
        return (c - k) ** 2
    if level == "ratio":
        total = c + k
        with np.errstate(invalid="ignore", divide="ignore"):
            d = np.where(total == 0, 0.0, ((c - k) / np.where(total == 0, 1, total)) ** 2)
        return d
    # ordinal: (sum of n_g from c to k minus half of n_c and n_k) squared
    cum = np.concatenate([[0.0], np.cumsum(n_c)])
    size = values.size
    d = np.zeros((size, size))
    for i in range(size):
        for j in range(size):
            lo, hi = min(i, j), max(i, j)
            d[i, j] = (cum[hi + 1] - cum[lo] - (n_c[i] + n_c[j]) / 2) ** 2
    return d


def fleiss_kappa(*, counts: Sequence[Sequence[int]]) -> float | None:
    """Fleiss' kappa from a units x categories table of counts (every unit rated by the
    same number of raters, at least 2). ``None`` when undefined (a single category used
    throughout)."""
    table = np.asarray(counts, dtype=float)
    if table.ndim != 2 or table.shape[0] == 0:
        raise ValueError("counts must be a non-empty units x categories table")
    if np.any(table < 0):
        raise ValueError("counts must be non-negative")
    raters = table.sum(axis=1)
    if not np.all(raters == raters[0]):
        raise ValueError("every unit must be rated by the same number of raters (use krippendorff_alpha otherwise)")
    r = raters[0]
    if r < 2:
        raise ValueError("at least 2 raters per unit are needed")
    p_j = table.sum(axis=0) / (table.shape[0] * r)
    p_i = ((table ** 2).sum(axis=1) - r) / (r * (r - 1))
    p_bar = float(p_i.mean())
    p_e = float((p_j ** 2).sum())
    if p_e >= 1.0:
        return None
    return (p_bar - p_e) / (1.0 - p_e)


@dataclass(frozen=True)
class Agreement:
    """Two raters' agreement: accuracy (share of identical labels), Cohen's kappa and the
    confusion matrix (rows: first rater's labels, columns: second's, in ``labels`` order)."""

    n: int
    accuracy: float | None
    kappa: float | None
    labels: tuple[Hashable, ...]
    matrix: tuple[tuple[int, ...], ...]


def cohen_kappa(*, first: Sequence[Hashable], second: Sequence[Hashable],
                labels: Sequence[Hashable] | None = None) -> Agreement:
    """Cohen's (unweighted) kappa between two raters' labels of the same items.

    ``labels`` fixes the order (and may include labels neither rater used); by default the
    sorted union. kappa is ``None`` when undefined (both raters always gave one and the
    same label, or no items)."""
    if len(first) != len(second):
        raise ValueError(f"first and second must have the same length ({len(first)} != {len(second)})")
    if labels is None:
        labels = sorted(set(first) | set(second), key=str)
    order = {lab: i for i, lab in enumerate(labels)}
    unknown = [x for x in (*first, *second) if x not in order]
    if unknown:
        raise ValueError(f"label {unknown[0]!r} is not in labels")
    k = len(labels)
    matrix = np.zeros((k, k), dtype=int)
    for a, b in zip(first, second):
        matrix[order[a], order[b]] += 1
    n = len(first)
    if n == 0:
        return Agreement(0, None, None, tuple(labels), tuple(tuple(r) for r in matrix.tolist()))
    p_o = float(np.trace(matrix)) / n
    p_e = float((matrix.sum(axis=1) * matrix.sum(axis=0)).sum()) / n ** 2
    kappa = None if p_e >= 1.0 else (p_o - p_e) / (1.0 - p_e)
    return Agreement(n, p_o, kappa, tuple(labels), tuple(tuple(r) for r in matrix.tolist()))


def unit_agreement(*, values: Sequence[float | None]) -> float | None:
    """Share of agreeing pairs among one unit's non-missing values (1.0: all equal);
    ``None`` with fewer than two values."""
    present = [v for v in values if v is not None and not (isinstance(v, float) and np.isnan(v))]
    m = len(present)
    if m < 2:
        return None
    same = sum(present[i] == present[j] for i in range(m) for j in range(i + 1, m))
    return same / (m * (m - 1) / 2)
