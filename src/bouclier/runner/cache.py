"""The response cache: one SQLite file under the cache directory.

Keyed by model fingerprint + rendered input + system prompt + parameters + repeat index.
Successful responses only (a failed call is tried again next time). Writes are batched
and committed at least every ``flush_s`` seconds, so an interrupted run loses at most that
much work and resumes where it stopped. The file name carries the format version: a
future format uses a new file instead of misreading this one.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

CACHE_FORMAT = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    output TEXT NOT NULL,
    latency_s REAL,
    input_tokens INTEGER,
    output_tokens INTEGER,
    ttft_s REAL,
    created_at REAL NOT NULL
) WITHOUT ROWID;
"""


@dataclass(frozen=True, slots=True)
class CachedResponse:
    output: str
    latency_s: float | None
    input_tokens: int | None
    output_tokens: int | None
    ttft_s: float | None


def key_prefix(fingerprint: str, system: str | None, params: Mapping[str, Any], repeat: int) -> "hashlib._Hash":
    """The part of the cache key shared by every case of a run (hash it once)."""
    h = hashlib.sha256()
    for part in (fingerprint, system or "", json.dumps(params, sort_keys=True, default=str), str(repeat)):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h


def cache_key(prefix: "hashlib._Hash", text: str, system: str | None = None) -> str:
    """Key of one call: model fingerprint + system prompt + parameters + repeat index
    (the prefix) + rendered input (+ the case's own system prompt, when it has one)."""
    h = prefix.copy()
    if system is not None:
        h.update(b"\x01" + system.encode("utf-8", "surrogatepass") + b"\x00")
    h.update(text.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


class ResponseCache:
    def __init__(self, directory: Path, *, flush_s: float = 0.25, flush_rows: int = 2000):
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"cache-v{CACHE_FORMAT}.sqlite"
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._db.executescript(_SCHEMA)
        self._pending: list[tuple] = []
        self._last_flush = time.monotonic()
        self._flush_s = flush_s
        self._flush_rows = flush_rows

    def get_many(self, keys: Iterable[str]) -> dict[str, CachedResponse]:
        keys = list(keys)
        return {keys[i]: hit for i, hit in self.lookup(keys)}

    def lookup(self, keys: Sequence[str]) -> Iterator[tuple[int, CachedResponse]]:
        """``(i, hit)`` for every ``keys[i]`` in the cache, read 900 keys at a time (a
        100,000-case run never holds all its hits at once)."""
        for start in range(0, len(keys), 900):
            chunk = keys[start : start + 900]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT key, output, latency_s, input_tokens, output_tokens, ttft_s "
                f"FROM responses WHERE key IN ({marks})", chunk)
            found = {key: values for key, *values in rows}
            if found:
                for i, key in enumerate(chunk, start):
                    values = found.get(key)
                    if values is not None:
                        yield i, CachedResponse(*values)

    def put(self, key: str, response: CachedResponse) -> None:
        self._pending.append((key, response.output, response.latency_s, response.input_tokens,
                              response.output_tokens, response.ttft_s, time.time()))
        if len(self._pending) >= self._flush_rows or time.monotonic() - self._last_flush >= self._flush_s:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            with self._db:
                self._db.execute("BEGIN")
                self._db.executemany("INSERT OR REPLACE INTO responses VALUES (?,?,?,?,?,?,?)", self._pending)
            self._pending.clear()
        self._last_flush = time.monotonic()

    def close(self) -> None:
        self.flush()
        self._db.close()
