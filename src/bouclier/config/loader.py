"""Load ``bouclier.yaml`` into :class:`Config`, with every problem named by file and line.

YAML is composed into a node tree first so that each key path keeps its line number; the
pydantic errors (all of them, not only the first) are then mapped back onto those lines.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bouclier.config.schema import REFERENCE_MARK, Config
from bouclier.errors import ConfigError, Problem

DEFAULT_CONFIG = "bouclier.yaml"

# Tags pydantic inserts in error locations for discriminated unions.
_UNION_TAGS = {"python", "openai", "http", "non_inferiority", "min", "max", "zero_tolerance",
               "quality", "safety", "performance", "latency", "ttft", "throughput", "error_rate", "timeout_rate",
               "tokens_per_s", "peak_memory"}


@dataclass(frozen=True)
class LoadedConfig:
    """A validated configuration and where it came from."""

    config: Config
    path: Path
    digest: str  # sha256 of the file's bytes
    lines: dict[tuple, int] = field(default_factory=dict, repr=False, compare=False)  # key path -> line

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def problem(self, message: str, *loc: str | int, hint: str | None = None) -> Problem:
        """A problem found after loading (e.g. at plan time), named by file, line and key."""
        return Problem(message, file=str(self.path), line=_line_for(loc, self.lines), key=_key_path(loc), hint=hint)


def _compose(text: str, path: Path) -> tuple[Any, dict[tuple, int]]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            problems=[Problem(f"invalid YAML: {problem}", file=str(path), line=line)]
        ) from exc
    lines: dict[tuple, int] = {}

    def walk(node: yaml.Node | None, loc: tuple) -> None:
        if node is None:
            return
        lines.setdefault(loc, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value
                lines[loc + (key,)] = key_node.start_mark.line + 1
                walk(value_node, loc + (key,))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines[loc + (i,)] = item.start_mark.line + 1
                walk(item, loc + (i,))

    walk(root, ())
    data = yaml.safe_load(text) if root is not None else None
    return data, lines


def _clean_loc(loc: tuple, lines: dict[tuple, int] | None = None) -> tuple:
    """``loc`` without pydantic's union tags; a part that is a key of the file is kept even
    when it is spelt like a tag (a metric named ``latency``)."""
    out: list = []
    for part in loc:
        if isinstance(part, str) and (part in _UNION_TAGS or part.startswith("function-")):
            if lines is None or (*out, part) not in lines:
                continue
        out.append(part)
    return tuple(out)


def _line_for(loc: tuple, lines: dict[tuple, int]) -> int | None:
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in lines:
            return lines[loc[:cut]]
    return None


def _key_path(loc: tuple) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _describe(err: dict) -> str:
    kind = err["type"]
    msg = err["msg"]
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; `bouclier schema` lists the keys)"
    if kind == "missing":
        return "required key is missing"
    msg = msg.removeprefix("Value error, ")
    found = err.get("input")
    if isinstance(found, (str, int, float, bool)) or found is None:
        shown = repr(found)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        if shown not in msg:
            return f"{msg}; found {shown}"
    return msg


def problems_from_validation(exc: ValidationError, path: Path, lines: dict[tuple, int]) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = _clean_loc(err["loc"], lines)
        problems.append(
            Problem(_describe(err), file=str(path), line=_line_for(loc, lines), key=_key_path(loc))
        )
    return problems


def read_yaml(path: Path, *, hint: str) -> tuple[bytes, Any, dict[tuple, int]]:
    """(raw bytes, parsed document, line of each key path) of a YAML file;
    :class:`ConfigError` when it is missing (with ``hint``), unreadable or not YAML."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(problems=[Problem("configuration file not found", file=str(path), hint=hint)]) from None
    except OSError as exc:
        raise ConfigError(problems=[Problem(f"cannot read: {exc.strerror}", file=str(path))]) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(problems=[Problem("not valid UTF-8", file=str(path))]) from exc
    data, lines = _compose(text, path)
    return raw, data, lines


def load_section(path: str | Path, section: str, model: Any, *, doc: str) -> tuple[Any, Path, str]:
    """Validate the top-level ``section:`` of a YAML file (``router:``, ``rollout:``) with the
    pydantic ``model``: (config, resolved path, sha256 of the file). Every problem is
    reported with its line and its key under ``section``."""
    path = Path(path)
    raw, data, lines = read_yaml(path, hint=f"pass --config PATH to a YAML file with a {section}: section")
    if not isinstance(data, dict) or not isinstance(data.get(section), dict):
        raise ConfigError(problems=[Problem(f"expected a '{section}:' mapping at the top level", file=str(path),
                                            line=1, key=section, hint=f"see {doc} for an example")])
    try:
        config = model.model_validate(data[section])
    except ValidationError as exc:
        section_lines = {k[1:]: v for k, v in lines.items() if k[:1] == (section,)}
        problems = []
        for p in problems_from_validation(exc, path, section_lines):
            key = f"{section}.{p.key}" if p.key and p.key != "(top level)" else section
            problems.append(Problem(p.message, file=p.file, line=p.line, key=key, hint=p.hint))
        raise ConfigError(problems=problems) from exc
    return config, path.resolve(), hashlib.sha256(raw).hexdigest()


def load_config(path: str | Path = DEFAULT_CONFIG) -> LoadedConfig:
    """Read and validate a configuration file; raise :class:`ConfigError` listing every
    problem found."""
    path = Path(path)
    raw, data, lines = read_yaml(path, hint="create one with `bouclier init` or pass --config PATH")
    if not isinstance(data, dict):
        raise ConfigError(
            problems=[Problem("expected a mapping at the top level (models:, suites:, ...)",
                              file=str(path), line=1)]
        )
    problems = _reference_problems(data, path, lines)
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        found = problems_from_validation(exc, path, lines)
        if problems:  # the same cross-reference errors, already reported with their lines
            found = [p for p in found if REFERENCE_MARK not in p.message]
        problems = found + problems
    if problems:
        raise ConfigError(problems=_unique(problems))
    return LoadedConfig(config=config, path=path.resolve(), digest=hashlib.sha256(raw).hexdigest(), lines=lines)


def _unique(problems: list[Problem]) -> list[Problem]:
    seen, out = set(), []
    for p in problems:
        if (p.line, p.message) not in seen:
            seen.add((p.line, p.message))
            out.append(p)
    return sorted(out, key=lambda p: p.line or 0)


def _reference_problems(data: dict, path: Path, lines: dict[tuple, int]) -> list[Problem]:
    """Cross-references (baseline/candidate names, criteria metrics), checked on the raw data
    so that they are reported together with the field errors rather than after a fix."""
    problems: list[Problem] = []
    models = data.get("models")
    names = list(models) if isinstance(models, dict) else []
    for role in ("baseline", "candidate"):
        name = data.get(role)
        if isinstance(name, str) and names and name not in names:
            problems.append(Problem(
                f"'{name}' {REFERENCE_MARK} the models ({', '.join(names)})",
                file=str(path), line=_line_for((role,), lines), key=role))
    suites = data.get("suites")
    for i, suite in enumerate(suites if isinstance(suites, list) else []):
        if not isinstance(suite, dict):
            continue
        scorers = suite.get("scorers")
        metrics = set()
        for s in scorers if isinstance(scorers, list) else []:
            if isinstance(s, str):
                metrics.add(s)
            elif isinstance(s, dict) and isinstance(s.get("name"), str):
                metrics.add(s.get("alias") or s["name"])
        criteria = suite.get("criteria")
        for j, crit in enumerate(criteria if isinstance(criteria, list) else []):
            metric = crit.get("metric") if isinstance(crit, dict) else None
            if isinstance(metric, str) and metrics and metric not in metrics:
                loc = ("suites", i, "criteria", j, "metric")
                problems.append(Problem(
                    f"'{metric}' {REFERENCE_MARK} this suite's metrics (known: {', '.join(sorted(metrics))})",
                    file=str(path), line=_line_for(loc, lines), key=_key_path(loc)))
    return problems
