"""The default :class:`~bouclier.rollout.signals.SignalStore`: one SQLite file (WAL mode).

Tables ``signals``, ``feedback``, ``weights`` and ``meta`` (holding the schema version:
a file of another version is refused with a clear error rather than misread). Each thread
gets its own connection; the router's signal writer writes one batch at a time.
"""

from __future__ import annotations

import json
import operator
import sqlite3
import threading
from pathlib import Path
from typing import Sequence

from bouclier.errors import ConfigError, Problem
from bouclier.rollout.signals import SCHEMA_VERSION, Feedback, Signal, VariantSummary, WeightChange, summarise

_TYPES = {"ts": "REAL", "latency_ms": "REAL", "ttft_ms": "REAL", "cost": "REAL", "status": "INTEGER",
          "bucket": "INTEGER", "prompt_tokens": "INTEGER", "completion_tokens": "INTEGER",
          "secret": "INTEGER", "pii": "INTEGER", "canary_token": "INTEGER", "refusal": "INTEGER",
          "streamed": "INTEGER", "forced": "INTEGER", "failed_over": "INTEGER", "inspected": "INTEGER",
          "output_chars": "INTEGER", "weights_epoch": "INTEGER"}
_BOOLS = {"streamed", "forced", "failed_over", "inspected", "refusal"}
_COLUMNS = Signal.columns()
_ROW = operator.attrgetter(*_COLUMNS)


class SQLiteSignalStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.where = str(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(problems=[Problem(f"cannot create the signals directory: {exc.strerror}",
                                                file=str(self.path.parent), key="router.signals.store")]) from exc
        self._local = threading.local()
        self._init_schema()

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            except sqlite3.Error as exc:
                raise ConfigError(problems=[Problem(f"cannot open the signals store: {exc}", file=str(self.path),
                                                    key="router.signals.store")]) from exc
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def _init_schema(self) -> None:
        conn = self._conn()
        cols = ", ".join(f"{c} {_TYPES.get(c, 'TEXT')}" for c in _COLUMNS)
        try:
            conn.executescript(f"""
                CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
                CREATE TABLE IF NOT EXISTS signals ({cols});
                CREATE INDEX IF NOT EXISTS signals_window ON signals (rollout_id, variant, kind, ts);
                CREATE INDEX IF NOT EXISTS signals_request ON signals (request_id);
                CREATE TABLE IF NOT EXISTS feedback (request_id TEXT, ts REAL, value REAL, rollout_id TEXT,
                                                     variant TEXT, label TEXT);
                CREATE INDEX IF NOT EXISTS feedback_window ON feedback (rollout_id, variant, ts);
                CREATE TABLE IF NOT EXISTS weights (rollout_id TEXT, ts REAL, epoch INTEGER, weights TEXT, reason TEXT);
                INSERT OR IGNORE INTO meta VALUES ('schema_version', '{SCHEMA_VERSION}');
            """)
        except sqlite3.DatabaseError as exc:
            raise ConfigError(problems=[Problem(f"not a usable signals database: {exc}", file=str(self.path),
                                                key="router.signals.store")]) from exc
        (version,) = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if int(version) != SCHEMA_VERSION:
            raise ConfigError(problems=[Problem(
                f"signals store has schema version {version}, this bouclier reads {SCHEMA_VERSION}",
                file=str(self.path), key="router.signals.store", hint="point signals.store at a new file")])

    # ------------------------------------------------------------------ writes

    def write(self, signals: Sequence[Signal], feedback: Sequence[Feedback] = ()) -> None:
        conn = self._conn()
        conn.execute("BEGIN")
        try:
            if signals:
                marks = ", ".join("?" for _ in _COLUMNS)
                conn.executemany(f"INSERT INTO signals VALUES ({marks})", map(_ROW, signals))
            if feedback:
                conn.executemany("INSERT INTO feedback VALUES (?, ?, ?, ?, ?, ?)",
                                 [(f.request_id, f.ts, f.value, f.rollout_id, f.variant, f.label) for f in feedback])
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def record_weights(self, change: WeightChange) -> None:
        self._conn().execute("INSERT INTO weights VALUES (?, ?, ?, ?, ?)",
                             (change.rollout_id, change.ts, change.epoch, json.dumps(change.weights), change.reason))

    # ------------------------------------------------------------------ reads

    def window(self, *, rollout_id: str, variant: str | None = None, since: float | None = None,
               until: float | None = None, kinds: Sequence[str] = ("primary",),
               include_forced: bool = False, epoch: int | None = None) -> list[Signal]:
        where, args = self._where(rollout_id, variant, since, until)
        if epoch is not None:
            where += " AND weights_epoch = ?"
            args.append(epoch)
        if kinds:
            where += f" AND kind IN ({', '.join('?' for _ in kinds)})"
            args += list(kinds)
        if not include_forced:
            where += " AND forced = 0"
        rows = self._conn().execute(f"SELECT {', '.join(_COLUMNS)} FROM signals WHERE {where} ORDER BY ts", args)
        out = []
        for row in rows:
            data = dict(zip(_COLUMNS, row))
            for b in _BOOLS:
                if data[b] is not None:
                    data[b] = bool(data[b])
            out.append(Signal(**data))
        return out

    def count(self, *, rollout_id: str, variant: str | None = None, since: float | None = None,
              until: float | None = None) -> int:
        """How many client requests (primary, not forced) :meth:`window` would return,
        without reading them (the lifecycle report's traffic over days)."""
        where, args = self._where(rollout_id, variant, since, until)
        (n,) = self._conn().execute(
            f"SELECT COUNT(*) FROM signals WHERE {where} AND kind = 'primary' AND forced = 0", args).fetchone()
        return int(n)

    def first_ts(self) -> float | None:
        """When the oldest signal of any rollout was received (None: an empty store)."""
        return self._conn().execute("SELECT MIN(ts) FROM signals").fetchone()[0]

    def rollout_ids(self, *, since: float, until: float) -> list[str]:
        """The rollout ids that received requests in [since, until)."""
        rows = self._conn().execute("SELECT DISTINCT rollout_id FROM signals WHERE ts >= ? AND ts < ? "
                                    "ORDER BY rollout_id", (since, until))
        return [r[0] for r in rows]

    def feedback(self, *, rollout_id: str, variant: str | None = None, since: float | None = None,
                 until: float | None = None) -> list[Feedback]:
        where, args = self._where(rollout_id, variant, since, until)
        rows = self._conn().execute(
            f"SELECT request_id, ts, value, rollout_id, variant, label FROM feedback WHERE {where} ORDER BY ts", args)
        return [Feedback(*row) for row in rows]

    def summary(self, *, rollout_id: str, since: float | None = None,
                until: float | None = None) -> dict[str, VariantSummary]:
        return summarise(self, rollout_id=rollout_id, since=since, until=until)

    def variant_of(self, request_id: str) -> tuple[str, str] | None:
        row = self._conn().execute(
            "SELECT rollout_id, variant FROM signals WHERE request_id = ? AND kind = 'primary' LIMIT 1",
            (request_id,)).fetchone()
        return (row[0], row[1]) if row else None

    def latest_weights(self, rollout_id: str) -> WeightChange | None:
        row = self._conn().execute(
            "SELECT rollout_id, ts, epoch, weights, reason FROM weights WHERE rollout_id = ? "
            "ORDER BY epoch DESC, ts DESC LIMIT 1", (rollout_id,)).fetchone()
        if row is None:
            return None
        return WeightChange(rollout_id=row[0], ts=row[1], epoch=row[2], weights=json.loads(row[3]), reason=row[4] or "")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @staticmethod
    def _where(rollout_id: str, variant: str | None, since: float | None, until: float | None) -> tuple[str, list]:
        where, args = "rollout_id = ?", [rollout_id]
        if variant is not None:
            where += " AND variant = ?"
            args.append(variant)
        if since is not None:
            where += " AND ts >= ?"
            args.append(since)
        if until is not None:
            where += " AND ts < ?"
            args.append(until)
        return where, args
