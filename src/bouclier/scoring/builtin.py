"""Built-in scorers: exact match, contains, regex, JSON validity and schema, label
accuracy, token F1 and numeric tolerance."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from typing import Any

from bouclier.data import Case
from bouclier.scoring.base import register_scorer
from bouclier.scoring.normalize import normalize, tokens


class _Normalising:
    def __init__(self, *, case: bool = True, whitespace: bool = True,
                 punctuation: bool = False, unicode: bool = True):
        self._norm = dict(case=case, whitespace=whitespace, punctuation=punctuation, unicode=unicode)

    def norm(self, text: Any) -> str:
        return normalize(str(text), **self._norm)


@register_scorer("exact_match")
class ExactMatch(_Normalising):
    """1 when the normalised output equals the normalised reference (or one of a list)."""

    name = "exact_match"
    binary = True

    def score(self, output: str, case: Case, reference: Any) -> float:
        refs = reference if isinstance(reference, list) else [reference]
        out = self.norm(output)
        return float(any(out == self.norm(r) for r in refs))


@register_scorer("contains")
class Contains(_Normalising):
    """1 when the normalised reference occurs in the normalised output."""

    name = "contains"
    binary = True

    def score(self, output: str, case: Case, reference: Any) -> float:
        refs = reference if isinstance(reference, list) else [reference]
        out = self.norm(output)
        return float(any(self.norm(r) in out for r in refs))


@register_scorer("regex")
class Regex:
    """1 when the output matches ``pattern`` (an option) or, without one, the reference
    taken as a pattern."""

    name = "regex"
    binary = True

    def __init__(self, *, pattern: str | None = None, ignore_case: bool = False, full: bool = False):
        flags = re.IGNORECASE if ignore_case else 0
        try:
            self._pattern = re.compile(pattern, flags) if pattern is not None else None
        except re.error as exc:
            raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from exc
        self._flags = flags
        self._full = full

    def score(self, output: str, case: Case, reference: Any) -> float:
        pattern = self._pattern or re.compile(str(reference), self._flags)
        match = pattern.fullmatch(output) if self._full else pattern.search(output)
        return float(match is not None)


def _parse_json(output: str) -> Any:
    text = output.strip()
    if text.startswith("```"):  # a fenced block: ```json ... ```
        text = text.strip("`")
        text = text[4:] if text.lower().startswith("json") else text
    return json.loads(text)


@register_scorer("json_valid")
class JSONValid:
    """1 when the output parses as JSON (a fenced ```json block is accepted)."""

    name = "json_valid"
    binary = True
    needs_reference = False

    def score(self, output: str, case: Case, reference: Any) -> float:
        try:
            _parse_json(output)
        except ValueError:
            return 0.0
        return 1.0


@register_scorer("json_schema")
class JSONSchema:
    """1 when the output is JSON valid against ``schema`` (inline) or ``schema_file``."""

    name = "json_schema"
    binary = True
    needs_reference = False

    def __init__(self, *, schema: dict | None = None, schema_file: str | None = None):
        import jsonschema
        if (schema is None) == (schema_file is None):
            raise ValueError("give exactly one of 'schema' or 'schema_file'")
        if schema_file is not None:
            with open(schema_file, encoding="utf-8") as fh:
                schema = json.load(fh)
        cls = jsonschema.validators.validator_for(schema)
        try:
            cls.check_schema(schema)
        except jsonschema.SchemaError as exc:
            raise ValueError(f"invalid JSON Schema: {exc.message}") from exc
        self._validator = cls(schema)

    def score(self, output: str, case: Case, reference: Any) -> float:
        try:
            doc = _parse_json(output)
        except ValueError:
            return 0.0
        return float(self._validator.is_valid(doc))


@register_scorer("choice")
class Choice(_Normalising):
    """Label accuracy: the output is mapped to one of ``choices`` (the first choice it
    equals, else the only choice it contains) and compared with the reference."""

    name = "choice"
    binary = True

    def __init__(self, *, choices: list[str] | None = None, **norm: bool):
        super().__init__(**norm)
        self._choices = [(c, self.norm(c)) for c in (choices or [])]

    def label(self, output: str) -> str | None:
        out = self.norm(output)
        for raw, c in self._choices:
            if out == c:
                return raw
        found = [raw for raw, c in self._choices if re.search(rf"(?<!\w){re.escape(c)}(?!\w)", out)]
        return found[0] if len(found) == 1 else (None if self._choices else output)

    def score(self, output: str, case: Case, reference: Any) -> float:
        label = self.label(output)
        return float(label is not None and self.norm(label) == self.norm(reference))


@register_scorer("token_f1")
class TokenF1:
    """Token-overlap F1 between output and reference (CJK by character), 0..1."""

    name = "token_f1"
    binary = False

    def score(self, output: str, case: Case, reference: Any) -> float:
        refs = reference if isinstance(reference, list) else [reference]
        return max(self._f1(tokens(output), tokens(str(r))) for r in refs)

    @staticmethod
    def _f1(pred: list[str], ref: list[str]) -> float:
        if not pred and not ref:
            return 1.0
        common = sum((Counter(pred) & Counter(ref)).values())
        if common == 0:
            return 0.0
        precision, recall = common / len(pred), common / len(ref)
        return 2 * precision * recall / (precision + recall)


_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?")


@register_scorer("numeric")
class Numeric:
    """1 when the first number in the output is within ``abs_tol`` or ``rel_tol`` of the
    reference."""

    name = "numeric"
    binary = True

    def __init__(self, *, abs_tol: float = 0.0, rel_tol: float = 1e-9):
        if abs_tol < 0 or rel_tol < 0:
            raise ValueError("tolerances must be >= 0")
        self._abs, self._rel = abs_tol, rel_tol

    def score(self, output: str, case: Case, reference: Any) -> float:
        match = _NUMBER.search(output)
        if match is None:
            return 0.0
        try:
            value = float(match.group().replace(",", ""))
            ref = float(str(reference).replace(",", ""))
        except ValueError:
            return 0.0
        return float(math.isclose(value, ref, rel_tol=self._rel, abs_tol=self._abs))
