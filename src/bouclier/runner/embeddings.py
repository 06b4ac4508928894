"""Embedding texts with a model: batches, bounded concurrency, timeouts, retries, and a
SQLite cache of vectors (``embeddings-v1.sqlite`` beside the response cache).

Keyed by the embedding model's fingerprint + the text. Vectors are stored as float64
bytes with their size, so a cached run computes exactly the same cosines as the run that
filled the cache. A failed batch is recorded as each of its texts' error (never cached).
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import sqlite3
import time
from pathlib import Path
from typing import Awaitable, Callable, Iterable, Sequence

import numpy as np

from bouclier.adapters.base import ModelCallError
from bouclier.adapters.retry import backoff_delay

EMBEDDING_CACHE_FORMAT = 1
EmbedFn = Callable[[list[str]], Awaitable[Sequence[Sequence[float]]]]


def embedding_key(fingerprint: str, text: str) -> str:
    h = hashlib.sha256(fingerprint.encode())
    h.update(b"\x00embed\x00")
    h.update(text.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


class EmbeddingCache:
    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"embeddings-v{EMBEDDING_CACHE_FORMAT}.sqlite"
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, dim INTEGER NOT NULL, "
                         "vector BLOB NOT NULL, created_at REAL NOT NULL) WITHOUT ROWID")

    def get_many(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        keys = list(keys)
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(keys), 900):
            chunk = keys[start : start + 900]
            marks = ",".join("?" * len(chunk))
            for key, dim, blob in self._db.execute(
                    f"SELECT key, dim, vector FROM vectors WHERE key IN ({marks})", chunk):
                vec = np.frombuffer(blob, dtype="<f8")
                if vec.size == dim:
                    found[key] = vec
        return found

    def put_many(self, items: Sequence[tuple[str, np.ndarray]]) -> None:
        if not items:
            return
        now = time.time()
        rows = [(k, int(v.size), np.asarray(v, dtype="<f8").tobytes(), now) for k, v in items]
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?,?,?,?)", rows)

    def close(self) -> None:
        self._db.close()


def _vector(value: object) -> np.ndarray:
    try:
        vec = np.asarray(value, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise ValueError(f"not a list of numbers ({type(value).__name__})") from None
    if vec.size == 0:
        raise ValueError("empty vector")
    if not np.all(np.isfinite(vec)):
        raise ValueError("vector has NaN or infinite values")
    return vec


async def embed_texts(embed: EmbedFn, texts: Sequence[str], *, fingerprint: str, model_name: str,
                      cache: EmbeddingCache | None, batch_size: int = 32, concurrency: int = 4,
                      timeout_s: float = 60.0, retries: int = 2, seed: int = 0,
                      progress: Callable[[int], None] | None = None) -> tuple[dict[str, np.ndarray | str], int]:
    """The vector of each distinct text (or the error message of its failure) and the
    number of texts served from the cache."""
    unique = list(dict.fromkeys(texts))
    keys = {t: embedding_key(fingerprint, t) for t in unique}
    out: dict[str, np.ndarray | str] = {}
    if cache is not None:
        hits = cache.get_many(keys.values())
        for t in unique:
            if keys[t] in hits:
                out[t] = hits[keys[t]]
    cached = len(out)
    if progress and cached:
        progress(cached)
    todo = [t for t in unique if t not in out]
    batches = [todo[i : i + batch_size] for i in range(0, len(todo), batch_size)]
    gate = asyncio.Semaphore(max(1, concurrency))
    rng = random.Random(seed)

    async def one(batch: list[str]) -> None:
        attempt = 0
        while True:
            attempt += 1
            try:
                async with gate:
                    async with asyncio.timeout(timeout_s):
                        vectors = await embed(list(batch))
                break
            except TimeoutError:
                exc: ModelCallError = ModelCallError(
                    f"model '{model_name}' did not embed {len(batch)} texts within {timeout_s:g} s",
                    kind="timeout", retryable=True)
            except ModelCallError as err:
                exc = err
            if exc.retryable and attempt <= retries:
                await asyncio.sleep(backoff_delay(attempt=attempt - 1, base=0.5, cap=10.0,
                                                  retry_after=exc.retry_after, rng=rng))
                continue
            for t in batch:
                out[t] = f"embedding call failed: {exc}"
            if progress:
                progress(len(batch))
            return
        fresh: list[tuple[str, np.ndarray]] = []
        if not isinstance(vectors, (list, tuple, np.ndarray)) or len(vectors) != len(batch):
            got = len(vectors) if hasattr(vectors, "__len__") else type(vectors).__name__
            for t in batch:
                out[t] = f"model '{model_name}' returned {got} vectors for {len(batch)} texts"
        else:
            for t, value in zip(batch, vectors):
                try:
                    vec = _vector(value)
                except ValueError as err:
                    out[t] = f"model '{model_name}' returned an invalid vector: {err}"
                    continue
                out[t] = vec
                fresh.append((keys[t], vec))
        if cache is not None:
            cache.put_many(fresh)
        if progress:
            progress(len(batch))

    await asyncio.gather(*(one(b) for b in batches))
    return out, cached
