"""Rubrics of the ``judge`` scorer: a prompt template, a grading scale, and the strict
format the judge must answer in.

A rubric is a YAML file (shipped ones in ``bouclier/scoring/rubrics/``; a user's own by
path)::

    name: correctness
    description: Is the answer correct with respect to the reference?
    scale: [1, 5]              # integer grades (or ``labels: {label: value}``)
    level: ordinal             # for the reliability figure: nominal | ordinal | interval
    requires: [input, output, reference]
    system: You are a strict grader.
    template: |
      Question: {{input}}
      Reference answer: {{reference}}
      Answer to grade: {{output}}
      {{format}}

``{{output}}`` (the answer being graded) is always required, and so is every name listed
in ``requires``: a template that lacks one is refused when the configuration is read.
``{{format}}`` is replaced by the answer-format instruction (appended when absent).
Other placeholders are read from the case's fields (see the scorer's ``fields`` option).

The judge must answer either ``SCORE: <grade>`` on the first line, optionally followed by
``REASON: <short reason>``, or a JSON object ``{"score": <grade>, "reason": "..."}``.
Anything else — prose, a grade outside the scale, an unknown label, text before the score
— is an off-format answer: :class:`OffFormat`, recorded as a judge error, never a grade.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bouclier.data.template import template_fields

BUILTIN_PLACEHOLDERS = ("input", "output", "reference", "format")
MAX_REASON = 300


class OffFormat(ValueError):
    """The judge's answer does not follow the rubric's format."""


class RubricSpec(BaseModel):
    """The YAML document of a rubric (unknown keys are errors)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    template: str = Field(..., min_length=1)
    system: str | None = None
    requires: list[str] = Field(default_factory=list)
    scale: tuple[int, int] | None = Field(None, description="Lowest and highest integer grade.")
    labels: dict[str, float] | None = Field(None, description="Label -> value of the metric.")
    level: Literal["nominal", "ordinal", "interval"] | None = None
    higher_is_better: bool = True

    @model_validator(mode="after")
    def _grades(self) -> "RubricSpec":
        if (self.scale is None) == (self.labels is None):
            raise ValueError("give exactly one of 'scale' ([low, high]) or 'labels' ({label: value})")
        if self.scale is not None and not self.scale[0] < self.scale[1]:
            raise ValueError(f"scale must be [low, high] with low < high, found {list(self.scale)}")
        if self.labels is not None:
            if len(self.labels) < 2:
                raise ValueError("labels must name at least 2 labels")
            bad = [k for k in self.labels if _label_key(k) != k]
            if bad:
                raise ValueError(f"label '{bad[0]}' must be lower-case letters, digits and '_' "
                                 f"(e.g. '{_label_key(bad[0])}')")
        if self.labels is not None and self.level not in (None, "nominal"):
            raise ValueError("a rubric with labels is nominal: remove 'level' or set it to nominal")
        return self


def _label_key(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().strip(".").strip().lower())


@dataclass(frozen=True)
class Rubric:
    spec: RubricSpec
    source: str  # "builtin:<name>" or the file path
    digest: str  # sha256 of the canonical rubric (template, scale, labels, system)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def level(self) -> str:
        if self.spec.labels is not None:
            return "nominal"
        return self.spec.level or "ordinal"

    @property
    def placeholders(self) -> set[str]:
        return {f.split(".")[0] for f in template_fields(self.spec.template)}

    @property
    def case_fields(self) -> set[str]:
        """Placeholders filled from the case's fields (not input/output/reference/format)."""
        return self.placeholders - set(BUILTIN_PLACEHOLDERS)

    @property
    def template(self) -> str:
        t = self.spec.template
        return t if "format" in self.placeholders else t.rstrip("\n") + "\n\n{{format}}"

    def format_instruction(self) -> str:
        if self.spec.labels is not None:
            what = "one of: " + ", ".join(self.spec.labels)
        else:
            lo, hi = self.spec.scale  # type: ignore[misc]
            what = f"an integer from {lo} to {hi}"
        return ("Reply in exactly this format and nothing else:\n"
                f"SCORE: <{what}>\nREASON: <one short sentence>")

    def code(self, grade: int | str) -> float:
        """A grade as a number for agreement statistics (labels: their index)."""
        if self.spec.labels is not None:
            return float(list(self.spec.labels).index(grade))
        return float(grade)

    def value(self, grade: int | str, threshold: float | None) -> float:
        """The metric value of one grade: 1/0 against ``threshold`` (on the rubric's own
        scale, or the label's value), else the grade mapped to [0, 1] (labels: their value)."""
        raw = self.spec.labels[grade] if self.spec.labels is not None else float(grade)  # type: ignore[index]
        if threshold is not None:
            return float(raw >= threshold)
        if self.spec.labels is not None:
            return float(raw)
        lo, hi = self.spec.scale  # type: ignore[misc]
        return (float(grade) - lo) / (hi - lo)

    def parse(self, answer: str) -> tuple[int | str, str]:
        """The grade and reason of a judge's answer, or raise :class:`OffFormat`."""
        text = answer.strip()
        if text.startswith("```") or text.startswith("{"):
            return self._parse_json(text)
        lines = [ln.strip() for ln in text.splitlines()]
        lines = [ln for ln in lines if ln]
        if not lines:
            raise OffFormat("empty judge answer")
        m = re.fullmatch(r"\**\s*score\s*\**\s*[:=]\s*\**\s*(.+?)\s*\**", lines[0], flags=re.IGNORECASE)
        if m is None:
            raise OffFormat(f"expected 'SCORE: <grade>' on the first line, found {_shown(lines[0])}")
        grade = self._grade(m.group(1))
        reason = ""
        if len(lines) > 1:
            r = re.fullmatch(r"\**\s*reason\s*\**\s*[:=]\s*(.*)", lines[1], flags=re.IGNORECASE | re.DOTALL)
            if r is None:
                raise OffFormat(f"expected 'REASON: ...' after the score, found {_shown(lines[1])}")
            reason = " ".join([r.group(1), *lines[2:]]).strip()
        return grade, reason[:MAX_REASON]

    def _parse_json(self, text: str) -> tuple[int | str, str]:
        body = text
        if body.startswith("```"):
            body = body.strip("`").strip()
            if body.lower().startswith("json"):
                body = body[4:]
        try:
            doc = json.loads(body)
        except ValueError as exc:
            raise OffFormat(f"the answer looks like JSON but does not parse ({exc.msg})") from None
        if not isinstance(doc, dict) or "score" not in doc:
            raise OffFormat('expected a JSON object {"score": ..., "reason": "..."}')
        extra = set(doc) - {"score", "reason"}
        if extra:
            raise OffFormat(f"unexpected key '{sorted(extra)[0]}' in the JSON answer (only score, reason)")
        reason = doc.get("reason", "")
        if not isinstance(reason, str):
            raise OffFormat("'reason' must be a string")
        score = doc["score"]
        if isinstance(score, bool) or not isinstance(score, (int, float, str)):
            raise OffFormat(f"'score' must be a number or a label, found {type(score).__name__}")
        return self._grade(str(score)), reason.strip()[:MAX_REASON]

    def _grade(self, text: str) -> int | str:
        if self.spec.labels is not None:
            key = _label_key(text.strip("\"'`*"))
            if key not in self.spec.labels:
                raise OffFormat(f"score {_shown(text)} is not one of the labels ({', '.join(self.spec.labels)})")
            return key
        lo, hi = self.spec.scale  # type: ignore[misc]
        t = text.strip("\"'`*")
        if not re.fullmatch(r"[+-]?\d+(?:\.0+)?", t):
            raise OffFormat(f"score {_shown(text)} is not an integer from {lo} to {hi}")
        value = int(float(t))
        if not lo <= value <= hi:
            raise OffFormat(f"score {value} is outside the scale {lo}..{hi}")
        return value


def _shown(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


_RUBRIC_DIR = "rubrics"


def shipped_rubrics() -> list[str]:
    """Names of the rubrics shipped with bouclier."""
    folder = resources.files("bouclier.scoring").joinpath(_RUBRIC_DIR)
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def _digest(spec: RubricSpec) -> str:
    doc = spec.model_dump(mode="json")
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def parse_rubric(text: str, *, source: str) -> Rubric:
    """Validate a rubric document; errors are ``ValueError`` naming the source and key."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"rubric {source}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise ValueError(f"rubric {source}: expected a mapping with name, template and scale or labels")
    try:
        spec = RubricSpec.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ValueError(f"rubric {source}: {key}: {first['msg']}") from None
    placeholders = {f.split(".")[0] for f in template_fields(spec.template)}
    missing = [p for p in dict.fromkeys(["output", *spec.requires]) if p not in placeholders]
    if missing:
        shown = ", ".join("{{" + p + "}}" for p in missing)
        raise ValueError(f"rubric {source}: template lacks the placeholder(s) it needs: {shown} "
                         f"(add them to the template, e.g. 'Answer: {{{{output}}}}')")
    return Rubric(spec, source, _digest(spec))


def load_rubric(name: str, *, base_dir: Path | None = None) -> Rubric:
    """A shipped rubric by name, or a user rubric by path (relative to ``base_dir``, else
    the working directory). Raises ``ValueError`` (shown as a configuration error)."""
    if name in shipped_rubrics():
        text = resources.files("bouclier.scoring").joinpath(_RUBRIC_DIR, f"{name}.yaml").read_text(encoding="utf-8")
        return parse_rubric(text, source=f"builtin:{name}")
    path = Path(name)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if not path.suffix in (".yaml", ".yml"):
        raise ValueError(f"unknown rubric '{name}': shipped rubrics are {', '.join(shipped_rubrics())}; "
                         "a rubric of your own is a path to a .yaml file")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read rubric file {path}: {exc.strerror or exc}") from None
    return parse_rubric(text, source=str(path))


def rubric_fields(rubric: Rubric) -> dict[str, Any]:
    """What a report shows about a rubric."""
    return {"name": rubric.name, "source": rubric.source, "digest": rubric.digest, "level": rubric.level}
