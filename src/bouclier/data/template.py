"""``{{name}}`` templates: the model input of a suite and the body of an HTTP model.

A placeholder is ``{{ path }}`` where ``path`` is a field name or a dotted path into
nested mappings and lists (``{{meta.lang}}``, ``{{choices.0.text}}``). Text that is not a
valid placeholder is left as it is. Values are rendered as follows: a string as itself,
an int or float with ``str``, anything else (bool, None, dict, list) as JSON.

Templates are compiled once and cached, so rendering costs a dict lookup per placeholder
(this runs once per case, tens of thousands of times per second).
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Mapping

__all__ = [
    "TemplateFieldError",
    "compile_json",
    "render",
    "render_json",
    "template_fields",
]

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*)\s*\}\}")
_MISSING = object()
_CACHE_LIMIT = 4096


class TemplateFieldError(KeyError):
    """A placeholder names a field that the row does not have.

    ``field`` is the dotted path as written in the template; ``available`` lists the
    top-level fields that were there.
    """

    def __init__(self, field: str, available: list[str]):
        self.field = field
        self.available = available
        shown = ", ".join(available[:20]) + (", ..." if len(available) > 20 else "")
        self.message = (
            f"template field '{field}' not found (available fields: {shown or 'none'})"
        )
        super().__init__(self.message)

    def __str__(self) -> str:  # KeyError would quote the whole message
        return self.message


def _format(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def _lookup(fields: Mapping[str, Any], path: tuple[str, ...], text: str) -> Any:
    value: Any = fields.get(path[0], _MISSING) if isinstance(fields, Mapping) else _MISSING
    for step in path[1:]:
        if value is _MISSING:
            break
        if isinstance(value, Mapping):
            value = value.get(step, _MISSING)
        elif isinstance(value, (list, tuple)) and step.lstrip("-").isdigit():
            index = int(step)
            value = value[index] if -len(value) <= index < len(value) else _MISSING
        else:
            value = _MISSING
    if value is _MISSING:
        raise TemplateFieldError(text, sorted(map(str, fields)) if isinstance(fields, Mapping) else [])
    return value


class _Compiled:
    """A template split into literal text and field paths."""

    __slots__ = ("parts", "fields", "single", "static")

    def __init__(self, template: str):
        parts: list[str | tuple[tuple[str, ...], str]] = []
        names: set[str] = set()
        pos = 0
        for m in _PLACEHOLDER.finditer(template):
            if m.start() > pos:
                parts.append(template[pos : m.start()])
            text = m.group(1)
            parts.append((tuple(text.split(".")), text))
            names.add(text)
            pos = m.end()
        if pos < len(template):
            parts.append(template[pos:])
        self.parts = parts
        self.fields = frozenset(names)
        self.static = not names
        # The whole template is one placeholder: render_json keeps the value's own type.
        self.single = parts[0] if len(parts) == 1 and not self.static else None

    def render(self, fields: Mapping[str, Any]) -> str:
        if self.static:
            return self.parts[0] if self.parts else ""
        out = []
        for part in self.parts:
            if type(part) is str:
                out.append(part)
            else:
                out.append(_format(_lookup(fields, part[0], part[1])))
        return "".join(out)


_compiled: dict[str, _Compiled] = {}


def _compile(template: str) -> _Compiled:
    c = _compiled.get(template)
    if c is None:
        if len(_compiled) >= _CACHE_LIMIT:
            _compiled.clear()
        c = _compiled[template] = _Compiled(template)
    return c


def render(template: str, fields: Mapping[str, Any]) -> str:
    """Replace every ``{{path}}`` of ``template`` with its value in ``fields``.

    Raises :class:`TemplateFieldError` naming the first missing field.
    """
    c = _compiled.get(template) or _compile(template)
    if c.static:
        return template
    return c.render(fields)


def template_fields(template: str) -> set[str]:
    """The placeholders of ``template`` as written (dotted paths, whitespace stripped)."""
    return set(_compile(template).fields)


def compile_json(obj: Any) -> Callable[[Mapping[str, Any]], Any]:
    """Compile a JSON-like structure whose strings (values and keys) may hold placeholders
    into a function ``fields -> rendered structure``.

    A string that is exactly one placeholder (``"{{n}}"``) takes the field's own value and
    type (a number stays a number, a list a list); any other string is rendered as text.
    Parts without placeholders are shared with ``obj``, not copied.
    """
    constant, fn = _compile_node(obj)
    return (lambda fields: obj) if constant else fn


def _compile_node(obj: Any) -> tuple[bool, Callable[[Mapping[str, Any]], Any]]:
    """(is the node constant, renderer of the node)."""
    if isinstance(obj, str):
        c = _compile(obj)
        if c.static:
            return True, lambda fields: obj
        if c.single is not None:
            path, text = c.single  # type: ignore[misc]
            return False, lambda fields: _lookup(fields, path, text)
        return False, c.render
    if isinstance(obj, Mapping):
        nodes = [(_compile_node(str(k)), _compile_node(v)) for k, v in obj.items()]
        if all(kc and vc for (kc, _), (vc, _) in nodes):
            return True, lambda fields: obj
        keys = [
            (lambda fields, k=str(k): k) if kc else _compile(str(k)).render
            for k, ((kc, _), _) in zip(obj, nodes)
        ]
        pairs = [(k, vf) for k, (_, (_, vf)) in zip(keys, nodes)]
        return False, lambda fields: {k(fields): v(fields) for k, v in pairs}
    if isinstance(obj, (list, tuple)):
        nodes = [_compile_node(v) for v in obj]
        if all(c for c, _ in nodes):
            return True, lambda fields: obj
        fns = [f for _, f in nodes]
        return False, lambda fields: [f(fields) for f in fns]
    return True, lambda fields: obj


def render_json(obj: Any, fields: Mapping[str, Any]) -> Any:
    """Render every string inside a JSON-like structure (see :func:`compile_json`)."""
    return compile_json(obj)(fields)
