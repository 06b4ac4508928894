"""Dataset readers: each yields ``(line_number, row)`` pairs and reports a malformed row
with its line number."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, Iterator

from bouclier.errors import DataError, Problem

SUPPORTED = (".jsonl", ".csv", ".parquet")


def read_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """All rows of a dataset file with their line numbers (1-based; for Parquet, the row
    number). Raises :class:`DataError` naming the file and the bad lines."""
    if not path.exists():
        raise DataError(problems=[Problem("dataset file not found", file=str(path),
                                          hint="paths are relative to bouclier.yaml")])
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return list(_read_jsonl(path))
    if suffix == ".csv":
        return list(_read_csv(path))
    if suffix == ".parquet":
        return list(_read_parquet(path))
    raise DataError(problems=[Problem(
        f"unsupported dataset format '{suffix}'", file=str(path),
        hint=f"use one of {', '.join(SUPPORTED)}")])


def _open_text(path: Path):
    try:
        return path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise DataError(problems=[Problem(f"cannot read: {exc.strerror}", file=str(path))]) from exc


def _read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    problems: list[Problem] = []
    rows = []
    names: dict[str, str] = {}  # one string per field name for every row (json.loads makes new ones per line)
    with _open_text(path) as fh:
        try:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    problems.append(Problem(f"malformed JSON: {exc.msg} (column {exc.colno})",
                                            file=str(path), line=lineno))
                    continue
                if not isinstance(row, dict):
                    problems.append(Problem(f"expected a JSON object, found {type(row).__name__}",
                                            file=str(path), line=lineno))
                    continue
                rows.append((lineno, {names.setdefault(k, k): v for k, v in row.items()}))
        except UnicodeDecodeError as exc:
            raise DataError(problems=[Problem("not valid UTF-8", file=str(path))]) from exc
    if problems:
        raise DataError(problems=problems[:20])
    return iter(rows)


def _read_csv(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with _open_text(path) as fh:
        try:
            reader = csv.DictReader(fh)
            rows = []
            for row in reader:
                if None in row:
                    raise DataError(problems=[Problem(
                        f"row has {len(row) - 1 + len(row[None])} fields, the header has "
                        f"{len(reader.fieldnames or [])}", file=str(path), line=reader.line_num)])
                rows.append((reader.line_num, row))
        except UnicodeDecodeError as exc:
            raise DataError(problems=[Problem("not valid UTF-8", file=str(path))]) from exc
        except csv.Error as exc:
            raise DataError(problems=[Problem(f"malformed CSV: {exc}", file=str(path),
                                              line=reader.line_num)]) from exc
    if not reader.fieldnames:
        raise DataError(problems=[Problem("empty CSV (no header row)", file=str(path), line=1)])
    return iter(rows)


def _read_parquet(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise DataError(problems=[Problem("reading Parquet needs pyarrow", file=str(path),
                                          hint="pip install 'bouclier[parquet]'")]) from exc
    table = pq.read_table(path)
    return iter(enumerate(table.to_pylist(), start=1))
