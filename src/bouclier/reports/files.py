"""Writing a run directory: result.json, cases.jsonl, report.md, report.html, junit.xml."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterable

from bouclier.gate.result import RunResult
from bouclier.reports.groups import GroupAccumulator
from bouclier.reports.html import render_html
from bouclier.reports.junit import render_junit
from bouclier.reports.markdown import render_markdown


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_run(result: RunResult, directory: Path, *, cases: Iterable[dict] = ()) -> dict[str, Path]:
    """Write every report of a run into ``directory``; return the paths by format.

    ``cases`` is streamed once: written to cases.jsonl and summarised per group (for the
    HTML report's per-group charts) in the same pass."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": directory / "result.json",
        "md": directory / "report.md",
        "html": directory / "report.html",
        "junit": directory / "junit.xml",
        "cases": directory / "cases.jsonl",
    }
    groups = GroupAccumulator(result)
    with paths["cases"].open("w", encoding="utf-8") as fh:
        for row in cases:
            fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
            groups.add(row)
    _atomic_write(paths["md"], render_markdown(result))
    _atomic_write(paths["html"], render_html(result, groups=groups.tables()))
    _atomic_write(paths["junit"], render_junit(result))
    _atomic_write(paths["json"], result.model_dump_json(indent=2) + "\n")  # last: marks the run complete
    return paths
