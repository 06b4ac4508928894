"""Bootstrap of a quantile ratio (e.g. candidate p95 latency / baseline p95 latency).

Quantiles use the inverted-CDF definition (``numpy.quantile(method="inverted_cdf")``: the
smallest observation with at least a share ``q`` of the sample at or below it), so every
reported quantile is a latency that was actually measured.

Without ``blocks`` the two samples are resampled independently.  With ``blocks`` (the
measurement block of each observation in an interleaved A/B run, where baseline and
candidate requests alternate so that machine drift hits both), whole blocks are
resampled: the drift shared within a block stays inside each resample.  The interval is
the percentile interval of the resampled ratios (quantiles are not smooth enough for
BCa's jackknife acceleration).
"""

from __future__ import annotations

import numpy as np

from bouclier.stats.checks import as_groups, as_sample, check_confidence, check_resamples, check_seed
from bouclier.stats.interval import Interval

_CHUNK_CELLS = 2_000_000


def _weighted_quantiles(sorted_values: np.ndarray, weights: np.ndarray, q: float) -> np.ndarray:
    """Inverted-CDF q-quantile of ``sorted_values`` for each row of integer ``weights``."""
    cumulative = np.cumsum(weights, axis=1)
    total = cumulative[:, -1:]
    # smallest index whose cumulative share reaches q; integers avoid float ties
    reached = cumulative >= q * total - 1e-9 * total
    reached &= weights > 0
    return sorted_values[np.argmax(reached, axis=1)]


def _block_counts(rng: np.random.Generator, rows: int, n_blocks: int) -> np.ndarray:
    """How many times each block is drawn, for ``rows`` resamples of ``n_blocks`` blocks."""
    draws = rng.integers(0, n_blocks, size=(rows, n_blocks))
    flat = draws + (np.arange(rows) * n_blocks)[:, None]
    return np.bincount(flat.ravel(), minlength=rows * n_blocks).reshape(rows, n_blocks)


def _split_blocks(blocks, n_base: int, n_cand: int) -> tuple[np.ndarray, np.ndarray, int]:
    if isinstance(blocks, tuple) and len(blocks) == 2:
        base_ids, cand_ids = np.asarray(blocks[0]), np.asarray(blocks[1])
    else:
        if n_base != n_cand:
            raise ValueError(
                "blocks: with samples of different lengths pass (baseline_blocks, candidate_blocks); "
                f"found baseline={n_base}, candidate={n_cand}"
            )
        base_ids = cand_ids = np.asarray(blocks)
    if base_ids.shape != (n_base,) or cand_ids.shape != (n_cand,):
        raise ValueError(
            f"blocks must give one block id per observation: expected {n_base} baseline and {n_cand} "
            f"candidate ids, found {base_ids.shape} and {cand_ids.shape}"
        )
    codes = as_groups("blocks", np.concatenate([base_ids, cand_ids]), size=n_base + n_cand)
    base_codes, cand_codes = codes[:n_base], codes[n_base:]
    n_blocks = int(codes.max()) + 1
    missing = np.setdiff1d(np.arange(n_blocks), base_codes).size + np.setdiff1d(np.arange(n_blocks), cand_codes).size
    if missing:
        raise ValueError(
            "blocks: every block must hold at least one baseline and one candidate observation "
            "(interleave the two in each block)"
        )
    if n_blocks < 2:
        raise ValueError("blocks: at least 2 blocks are needed to resample blocks")
    return base_codes, cand_codes, n_blocks


class PercentileEvidence:
    """Percentile bootstrap: bounds are quantiles of the replicates, p-values their shares.

    ``p_above(t)`` = share of replicates <= t, so ``p_above(t) < alpha`` exactly when the
    lower bound at level alpha (smallest replicate with share(<= it) >= alpha) exceeds t.
    """

    def __init__(self, *, estimate: float, replicates: np.ndarray, n: int, method: str):
        self.estimate = float(estimate)
        self._sorted = np.sort(replicates)
        self.n = n
        self.method = method

    def interval(self, confidence: float) -> Interval:
        b = self._sorted.size
        alpha = (1.0 - confidence) / 2.0
        low = self._sorted[min(max(int(np.ceil(alpha * b - 1e-9)) - 1, 0), b - 1)]
        high = self._sorted[min(max(int(np.floor((1.0 - alpha) * b + 1e-9)), 0), b - 1)]
        return Interval(float(min(low, self.estimate)), float(max(high, self.estimate)), confidence, self.method)

    def p_above(self, threshold: float) -> float:
        b = self._sorted.size
        share = np.searchsorted(self._sorted, threshold, side="right") / b
        return float(np.clip(share, 0.5 / b, 1.0))

    def p_below(self, threshold: float) -> float:
        b = self._sorted.size
        share = (b - np.searchsorted(self._sorted, threshold, side="left")) / b
        return float(np.clip(share, 0.5 / b, 1.0))


def quantile_ratio_evidence(*, baseline, candidate, q, seed, n_resamples, blocks) -> PercentileEvidence:
    """Checked inputs -> resampled ratios of the q-quantiles (see module doc)."""
    base = as_sample("baseline", baseline)
    cand = as_sample("candidate", candidate)
    try:
        q = float(q)
    except (TypeError, ValueError):
        raise ValueError(f"q must be a number in (0, 1) such as 0.95, found {q!r}") from None
    if not 0.0 < q < 1.0:
        raise ValueError(f"q must be in (0, 1) such as 0.95 for p95, found {q!r}")
    seed = check_seed(seed)
    n_resamples = check_resamples(n_resamples)
    for name, arr in (("baseline", base), ("candidate", cand)):
        if (arr <= 0).any():
            raise ValueError(f"{name} contains values <= 0: a quantile ratio needs positive values such as latencies")
    estimate = float(np.quantile(cand, q, method="inverted_cdf") / np.quantile(base, q, method="inverted_cdf"))

    rng = np.random.default_rng(seed)
    base_order, cand_order = np.argsort(base, kind="stable"), np.argsort(cand, kind="stable")
    base_sorted, cand_sorted = base[base_order], cand[cand_order]
    if blocks is not None:
        base_codes, cand_codes, n_blocks = _split_blocks(blocks, base.size, cand.size)
        base_codes, cand_codes = base_codes[base_order], cand_codes[cand_order]
        method = f"percentile bootstrap of the p{q * 100:g} ratio over {n_blocks} blocks ({n_resamples} resamples)"
    else:
        method = f"percentile bootstrap of the p{q * 100:g} ratio, samples resampled independently ({n_resamples} resamples)"
    ratios = np.empty(n_resamples)
    chunk = max(1, _CHUNK_CELLS // (base.size + cand.size))
    for start in range(0, n_resamples, chunk):
        rows = min(n_resamples, start + chunk) - start
        if blocks is not None:
            counts = _block_counts(rng, rows, n_blocks)
            w_base, w_cand = counts[:, base_codes], counts[:, cand_codes]
        else:
            w_base = _block_counts(rng, rows, base.size)
            w_cand = _block_counts(rng, rows, cand.size)
            w_base, w_cand = w_base[:, base_order], w_cand[:, cand_order]
        ratios[start : start + rows] = _weighted_quantiles(cand_sorted, w_cand, q) / _weighted_quantiles(
            base_sorted, w_base, q
        )
    return PercentileEvidence(estimate=estimate, replicates=ratios, n=base.size + cand.size, method=method)


def bootstrap_quantile_ratio(
    *,
    baseline,
    candidate,
    q: float,
    confidence: float = 0.95,
    seed: int = 0,
    n_resamples: int = 4000,
    blocks=None,
) -> tuple[float, Interval]:
    """``quantile(candidate, q) / quantile(baseline, q)`` and its percentile bootstrap interval.

    ``blocks``: a block id per observation, either one array when the samples are aligned
    (observation i of each arm measured in the same block) or a pair
    ``(baseline_blocks, candidate_blocks)``.  Values must be positive (latencies).
    To judge the ratio against a limit, use :func:`bouclier.stats.compare_quantile_ratio`.
    """
    confidence = check_confidence(confidence)
    evidence = quantile_ratio_evidence(
        baseline=baseline, candidate=candidate, q=q, seed=seed, n_resamples=n_resamples, blocks=blocks
    )
    return evidence.estimate, evidence.interval(confidence)
