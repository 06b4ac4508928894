"""Cases: the rows of a suite's dataset, with a stable id and the rendered model input."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from bouclier.config.schema import SuiteConfig
from bouclier.data.readers import read_rows
from bouclier.data.template import TemplateFieldError, render, template_fields
from bouclier.errors import DataError, Problem


@dataclass(frozen=True, slots=True)
class Case:
    """One evaluation case: the same for baseline and candidate."""

    id: str
    input: str
    expected: Any
    group: str | None
    fields: dict[str, Any]
    line: int
    system: str | None = None  # rendered per case when the suite's system prompt is a template


@dataclass(frozen=True)
class Dataset:
    path: Path
    digest: str  # sha256 of the file's bytes
    cases: list[Case]


def _content_id(row: dict[str, Any]) -> str:
    canonical = json.dumps(row, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


Enrich = Callable[[str], dict[str, Any]]


def load_cases(suite: SuiteConfig, *, base_dir: Path, enrich: Enrich | None = None,
               enriched: frozenset[str] = frozenset()) -> Dataset:
    """Read a suite's dataset and build its cases; every bad row is reported with its line
    (at most 20 at once). ``enrich(case_id)`` adds generated fields (named in ``enriched``,
    e.g. a planted canary token) before the templates are rendered."""
    path = (base_dir / suite.dataset).resolve()
    rows = read_rows(path)
    if not rows:
        raise DataError(problems=[Problem("dataset has no rows", file=str(path))])
    problems: list[Problem] = []
    cases: list[Case] = []
    seen: dict[str, int] = {}
    columns = [("expected", suite.expected), ("id_field", suite.id_field), ("group_by", suite.group_by),
               ("parallel_by", suite.parallel_by)]
    system_template = suite.system if suite.system and template_fields(suite.system) else None
    for label, template in (("input", suite.input), ("system", system_template or "")):
        columns += [(f"{label} template field", f.split(".")[0]) for f in sorted(template_fields(template))
                    if f.split(".")[0] not in enriched]
    for key, name in columns:  # a column absent from every row is one problem, not one per row
        if name and not any(name in row for _, row in rows):
            known = sorted({k for _, row in rows[:50] for k in row})
            problems.append(Problem(
                f"{key} '{name}' is not a field of this dataset (fields: {', '.join(known)})",
                file=str(path), key=f"suites.{suite.name}"))
    if problems:
        raise DataError(problems=problems)
    for lineno, row in rows[: suite.limit] if suite.limit else rows:
        missing = [f"{key} '{name}'" for key, name in columns
                   if name and name not in row and not key.endswith("template field")]
        if missing:
            problems.append(Problem(f"row lacks {', '.join(missing)}", file=str(path), line=lineno))
            continue
        case_id = str(row[suite.id_field]) if suite.id_field else _content_id(row)
        if case_id in seen:
            problems.append(Problem(f"duplicate case id '{case_id}' (first at line {seen[case_id]})",
                                    file=str(path), line=lineno))
            continue
        seen[case_id] = lineno
        if enrich is not None:
            row = {**row, **enrich(case_id)}
        try:
            text = render(suite.input, row)
            system = render(system_template, row) if system_template else None
        except TemplateFieldError as exc:
            problems.append(Problem(
                f"template field '{exc.field}' is absent from this row "
                f"(row has: {', '.join(sorted(row)) or 'no fields'})",
                file=str(path), line=lineno, key=f"suites.{suite.name}"))
            continue
        group = row.get(suite.group_by) if suite.group_by else None
        cases.append(Case(
            id=case_id, input=text,
            expected=row.get(suite.expected) if suite.expected else None,
            group=None if group is None else str(group), fields=row, line=lineno, system=system))
        if len(problems) >= 20:
            break
    if problems:
        raise DataError(problems=problems[:20])
    return Dataset(path=path, digest=file_digest(path), cases=cases)
