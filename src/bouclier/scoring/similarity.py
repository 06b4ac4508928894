"""The ``similarity`` scorer: cosine similarity between the answer and the reference (the
suite's ``expected`` or the scorer's ``field``), with any configured embedding model.

Options: ``model`` (a key of ``models:``), ``threshold`` (pass/fail: 1 when the cosine is
at least this; without it the raw cosine in [-1, 1] is the score), ``dimensions`` (the
expected vector size; default: the size most vectors have), ``batch_size``,
``timeout_s``. A list reference scores the best match. Vectors are cached in
``.bouclier/embeddings-v1.sqlite``.

A vector of the wrong size, an empty or zero vector, or a failed embedding call is that
answer's recorded error (score 0): every criterion on the metric is then INCONCLUSIVE,
with the error in its reason.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from bouclier.data import Case
from bouclier.scoring.base import register_scorer
from bouclier.scoring.graded import Grade, GradedBatch, GraderReport, ScoreItem, ScoringContext


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two vectors of the same size (ValueError on a zero vector)."""
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na == 0 or nb == 0:
        raise ValueError("zero vector: cosine undefined")
    return float(np.clip(np.dot(a, b) / (na * nb), -1.0, 1.0))


@register_scorer("similarity")
class Similarity:
    """Cosine similarity of answer and reference embeddings (model-graded)."""

    name = "similarity"
    needs_reference = True

    def __init__(self, *, model: str, threshold: float | None = None, dimensions: int | None = None,
                 batch_size: int = 32, timeout_s: float | None = None):
        if not isinstance(model, str) or not model:
            raise ValueError("'model' must name one of the configured models")
        if threshold is not None and not -1.0 <= float(threshold) <= 1.0:
            raise ValueError(f"threshold must be a cosine in [-1, 1], found {threshold}")
        if dimensions is not None and int(dimensions) < 1:
            raise ValueError("dimensions must be >= 1")
        if int(batch_size) < 1:
            raise ValueError("batch_size must be >= 1")
        self.model = model
        self.threshold = None if threshold is None else float(threshold)
        self.dimensions = None if dimensions is None else int(dimensions)
        self.batch_size = int(batch_size)
        self.timeout_s = timeout_s
        self.binary = self.threshold is not None

    def score(self, output: str, case: Case, reference: Any) -> float:
        raise TypeError("similarity is model-graded: the gate calls score_batch")

    def check(self, *, models: Mapping[str, Any], base_dir: Path) -> list[str]:
        if self.model not in models:
            return [f"similarity model '{self.model}' is not one of the models ({', '.join(models)})"]
        return []

    async def score_batch(self, items: list[ScoreItem], context: ScoringContext) -> GradedBatch:
        from bouclier.runner.embeddings import EmbeddingCache, embed_texts
        from bouclier.scoring.embedder import open_embedder

        embedder = open_embedder(self.model, context.models[self.model], base_dir=context.base_dir,
                                 concurrency=context.concurrency, timeout_s=self.timeout_s or context.timeout_s)
        refs = [it.reference if isinstance(it.reference, list) else [it.reference] for it in items]
        texts = [it.output for it in items] + [str(r) for rs in refs for r in rs]
        cache = EmbeddingCache(context.cache_dir) if context.cache_dir is not None else None
        try:
            with context.progress_bar(f"similarity ({self.model})", len(set(texts))) as advance:
                vectors, cached = await embed_texts(
                    embedder.embed, texts, fingerprint=embedder.fingerprint, model_name=self.model, cache=cache,
                    batch_size=self.batch_size, concurrency=context.concurrency,
                    timeout_s=self.timeout_s or context.timeout_s, retries=context.options.retries,
                    seed=context.options.seed, progress=advance)
        finally:
            if cache is not None:
                cache.close()
            await embedder.close()
        sizes = Counter(v.size for v in vectors.values() if isinstance(v, np.ndarray))
        dim = self.dimensions or (sizes.most_common(1)[0][0] if sizes else None)
        grades = [self._grade(it.output, rs, vectors, dim) for it, rs in zip(items, refs)]
        errors = [g.error for g in grades if g.error]
        report = GraderReport(metric=self.name, scorer=self.name, model=self.model, adapter=embedder.adapter,
                              fingerprint=embedder.fingerprint, n_items=len(items), n_errors=len(errors),
                              first_error=errors[0] if errors else None, cached=cached, dimension=dim)
        return GradedBatch(grades, report)

    def _grade(self, output: str, refs: list[Any], vectors: dict, dim: int | None) -> Grade:
        def vector(text: str, what: str) -> np.ndarray:
            v = vectors[text]
            if isinstance(v, str):
                raise ValueError(f"{what}: {v}")
            if v.size != dim:
                raise ValueError(f"{what}: vector of size {v.size}, expected {dim} "
                                 f"({'the dimensions option' if self.dimensions else 'the size of the other vectors'})")
            return v

        try:
            answer = vector(output, "answer")
            best = max(cosine(answer, vector(str(r), "reference")) for r in refs)
        except ValueError as exc:
            return Grade(0.0, error=str(exc))
        value = float(best >= self.threshold) if self.threshold is not None else best
        return Grade(value, reason=f"cosine {best:.4f}")
