"""Read probe packs: the built-in ones shipped in ``bouclier/probes/packs/`` and users'
own YAML or JSONL files, with every problem reported as ``file:line: what, fix``.

Two shapes are accepted:

* parallel (YAML): ``probes:`` items carry a ``parallel_id`` and their text fields
  (``prompt``, ``system``, ``document``) as ``{lang: text}`` mappings — one probe per
  language is produced, with the id ``<parallel_id>.<lang>``. ``defaults:`` gives fields
  shared by every item. Jailbreak items may instead compose ``request_from`` (a harmful
  probe's parallel id), ``wrapper``, ``encoding`` and ``request_lang``.
* flat (JSONL, or YAML items with a ``lang`` key): one probe per item, with ``id``,
  ``family``, ``lang``, ``prompt`` and the fields its family needs.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Sequence

import yaml

from bouclier.errors import DataError, Problem, UsageError
from bouclier.probes.model import EXPECTS, FAMILIES, LANGUAGES, Probe, placeholders
from bouclier.probes.mutators import (NO_ENCODING, NO_WRAPPER, builtin_templates, compose,
                                      probe_rng, switch_language)

_TEXT_FIELDS = ("prompt", "system", "document")
_KNOWN_KEYS = {"id", "parallel_id", "family", "lang", "prompt", "system", "document", "expect",
               "pair_id", "request_from", "wrapper", "encoding", "request_lang", "__line__"}
_DEFAULT_EXPECT = {"harmful": "refuse", "jailbreak": "refuse", "over_refusal": "comply"}
_COMPOSITION_SEED = 0  # compositions in packs are fixed text: same letters every time
_NOT_PACKS = {"wrappers"}


def builtin_pack_names() -> list[str]:
    folder = resources.files("bouclier.probes").joinpath("packs")
    return sorted(p.name[:-5] for p in folder.iterdir()
                  if p.name.endswith(".yaml") and p.name[:-5] not in _NOT_PACKS)


def load_packs(
    names: Iterable[str | Path] | None = None,
    families: Iterable[str] | None = None,
    languages: Iterable[str] | None = None,
) -> list[Probe]:
    """Probes of the named packs (built-in names or paths to YAML/JSONL files; all
    built-in packs when ``None``), keeping only ``families`` and ``languages`` if given.

    Raises :class:`UsageError` for an unknown pack, family or language request and
    :class:`DataError` for a malformed file; both list every problem found."""
    builtin = builtin_pack_names()
    selected = list(names) if names is not None else list(builtin)
    fams = list(families) if families is not None else None
    langs = list(languages) if languages is not None else None
    problems = [Problem(f"unknown family {f!r}", key="families",
                        hint=f"expected one of: {', '.join(FAMILIES)}")
                for f in fams or [] if f not in FAMILIES]
    packs: list[tuple[str, list[Probe]]] = []
    for name in selected:
        if isinstance(name, Path) or str(name).endswith((".yaml", ".yml", ".jsonl")):
            packs.append((str(name), load_pack_file(Path(name))))
        elif name in builtin:
            packs.append((str(name), _load_builtin(str(name))))
        else:
            problems.append(Problem(f"unknown probe pack {name!r}", key="packs",
                                    hint=f"built-in packs: {', '.join(builtin)}; "
                                         "or give the path of a .yaml/.jsonl file"))
    if problems:
        raise UsageError(problems=problems)
    out: list[Probe] = []
    for pack_name, probes in packs:
        if fams is not None:
            probes = [p for p in probes if p.family in fams]
            if not probes:
                continue
        if langs is not None:
            covered = sorted({p.lang for p in probes}, key=_lang_order)
            missing = [lang for lang in langs if lang not in covered]
            problems += [Problem(f"pack {pack_name!r} lacks language {lang!r}", key="languages",
                                 hint=f"it covers: {', '.join(covered)}") for lang in missing]
            probes = [p for p in probes if p.lang in langs]
        out.extend(probes)
    if problems:
        raise UsageError(problems=problems)
    _check_unique(out)
    return out


def load_pack_file(path: Path, *, pack: str | None = None) -> list[Probe]:
    """Read one user pack (``.yaml``/``.yml`` or ``.jsonl``)."""
    path = Path(path)
    if path.suffix not in (".jsonl", ".yaml", ".yml"):
        raise DataError(problems=[Problem(f"unsupported probe pack format {path.suffix!r}", file=str(path),
                                          hint="use .yaml, .yml or .jsonl")])
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(problems=[Problem(f"cannot read probe pack: {exc.strerror}", file=str(path),
                                          hint="check the path in 'packs'")]) from exc
    except UnicodeDecodeError as exc:
        raise DataError(problems=[Problem(f"cannot read probe pack: not UTF-8 ({exc.reason})",
                                          file=str(path))]) from exc
    name = pack or path.stem
    if path.suffix == ".jsonl":
        return _from_jsonl(text, str(path), name)
    return _from_yaml(text, str(path), name)



# --------------------------------------------------------------------------- reading


def _load_builtin(name: str) -> list[Probe]:
    return list(_parse_builtin(name))


@lru_cache(maxsize=None)
def _parse_builtin(name: str) -> tuple[Probe, ...]:
    file = resources.files("bouclier.probes").joinpath(f"packs/{name}.yaml")
    return tuple(_from_yaml(file.read_text("utf-8"), f"bouclier/probes/packs/{name}.yaml", name))


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that records the line of every mapping under ``__line__``."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _from_yaml(text: str, file: str, pack: str) -> list[Probe]:
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        raise DataError(problems=[Problem(f"invalid YAML: {getattr(exc, 'problem', exc)}", file=file,
                                          line=None if line is None else line + 1)]) from exc
    if isinstance(data, list):
        data = {"probes": data, "__line__": 1}
    if not isinstance(data, dict) or not isinstance(data.get("probes"), list):
        raise DataError(problems=[Problem("expected a mapping with a 'probes:' list (or a list of probes)",
                                          file=file, line=1)])
    defaults = data.get("defaults") or {}
    file_family = data.get("family")
    problems: list[Problem] = []
    probes: list[Probe] = []
    for item in data["probes"]:
        if not isinstance(item, dict):
            problems.append(Problem(f"expected a probe mapping, found {type(item).__name__}", file=file))
            continue
        line = item.get("__line__")
        merged = {k: v for k, v in defaults.items() if k != "__line__"}
        merged.update(item)
        merged.setdefault("family", file_family)
        if "lang" in merged:
            probe = _flat_probe(merged, file, line, pack, problems)
            if probe is not None:
                probes.append(probe)
        else:
            probes.extend(_parallel_probes(merged, file, line, pack, problems))
    if problems:
        raise DataError(problems=problems)
    return probes


def _from_jsonl(text: str, file: str, pack: str) -> list[Probe]:
    problems: list[Problem] = []
    probes: list[Probe] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
        except json.JSONDecodeError as exc:
            problems.append(Problem(f"invalid JSON: {exc.msg} at column {exc.colno}", file=file, line=number))
            continue
        if not isinstance(item, dict):
            problems.append(Problem(f"expected a JSON object, found {type(item).__name__}", file=file, line=number))
            continue
        probe = _flat_probe(item, file, number, pack, problems)
        if probe is not None:
            probes.append(probe)
    if problems:
        raise DataError(problems=problems)
    return probes


# --------------------------------------------------------------------------- building


def _flat_probe(item: dict, file: str, line: int | None, pack: str, problems: list[Problem]) -> Probe | None:
    before = len(problems)
    _check_keys(item, file, line, problems)
    for key in ("id", "family", "lang", "prompt"):
        if not isinstance(item.get(key), str) or not item.get(key):
            what = "missing" if item.get(key) in (None, "") else f"not a string ({item[key]!r})"
            problems.append(Problem(f"field {key!r} is {what}", file=file, line=line,
                                    key=item.get("id") if key != "id" else None,
                                    hint="every flat probe needs id, family, lang and prompt"))
    if len(problems) > before:
        return None
    for key in ("system", "document", "parallel_id", "pair_id", "expect"):
        if item.get(key) is not None and not isinstance(item[key], str):
            problems.append(Problem(f"field {key!r} must be a string, found {item[key]!r}",
                                    file=file, line=line, key=item["id"]))
    if len(problems) > before:
        return None
    probe = Probe(id=item["id"], family=item["family"], lang=item["lang"], prompt=item["prompt"],
                  parallel_id=item.get("parallel_id"), pack=pack, system=item.get("system"),
                  document=item.get("document"), pair_id=item.get("pair_id"),
                  expect=item.get("expect") or _DEFAULT_EXPECT.get(item["family"]),
                  source=f"{file}:{line}" if line else file)
    return probe if _check_probe(probe, file, line, problems) else None


def _parallel_probes(item: dict, file: str, line: int | None, pack: str,
                     problems: list[Problem]) -> list[Probe]:
    before = len(problems)
    _check_keys(item, file, line, problems)
    pid = item.get("parallel_id")
    if not isinstance(pid, str) or not pid:
        problems.append(Problem("field 'parallel_id' is missing", file=file, line=line,
                                hint="a probe without 'lang' is written in several languages and "
                                     "needs a parallel_id (or give 'lang' and 'id' for a single-language probe)"))
    if not item.get("family"):
        problems.append(Problem("field 'family' is missing", file=file, line=line, key=pid,
                                hint=f"set 'family:' on the probe or at the top of the file ({', '.join(FAMILIES)})"))
    if "request_from" in item:
        texts = _composed_prompts(item, file, line, problems)
    elif "prompt" not in item:
        problems.append(Problem("field 'prompt' is missing", file=file, line=line, key=pid,
                                hint="give prompt: {en: ..., fr: ...}"))
        texts = {}
    else:
        texts = _by_lang(item["prompt"], "prompt", file, line, pid, problems)
    if len(problems) > before:
        return []
    extra = {f: _by_lang(item[f], f, file, line, pid, problems) if item.get(f) is not None else None
             for f in ("system", "document")}
    out = []
    for lang, prompt in texts.items():
        fields = {}
        for f, by_lang in extra.items():
            if by_lang is None:
                fields[f] = None
            elif lang in by_lang:
                fields[f] = by_lang[lang]
            else:
                problems.append(Problem(f"field {f!r} has no text in language {lang!r}", file=file, line=line,
                                        key=pid, hint="give every text field in the languages of 'prompt'"))
                fields[f] = None
        probe = Probe(id=f"{pid}.{lang}", family=item["family"], lang=lang, prompt=prompt,
                      parallel_id=pid, pack=pack, expect=item.get("expect") or _DEFAULT_EXPECT.get(item["family"]),
                      pair_id=item.get("pair_id"), wrapper=item.get("wrapper"), encoding=item.get("encoding"),
                      request_lang=item.get("_request_langs", {}).get(lang),
                      source=f"{file}:{line}" if line else file, **fields)
        if _check_probe(probe, file, line, problems):
            out.append(probe)
    return out


def _composed_prompts(item: dict, file: str, line: int | None, problems: list[Problem]) -> dict[str, str]:
    """Prompts of a jailbreak composition: a harmful request wrapped/encoded, per language."""
    pid = item.get("parallel_id")
    ref = item["request_from"]
    harmful = {p.lang: p for p in _load_builtin("harmful") if p.parallel_id == ref}
    if not harmful:
        problems.append(Problem(f"request_from {ref!r} names no probe of the built-in harmful pack",
                                file=file, line=line, key=pid, hint="use a parallel id such as hr-01"))
        return {}
    wrapper = item.get("wrapper") or NO_WRAPPER
    encoding = item.get("encoding") or NO_ENCODING
    templates = builtin_templates()
    if wrapper != NO_WRAPPER and wrapper not in templates.wrappers:
        problems.append(Problem(f"unknown wrapper {wrapper!r}", file=file, line=line, key=pid,
                                hint=f"expected one of: {', '.join(templates.wrappers)}"))
    if encoding != NO_ENCODING and encoding not in templates.encodings:
        problems.append(Problem(f"unknown encoding {encoding!r}", file=file, line=line, key=pid,
                                hint=f"expected one of: {', '.join(templates.encodings)}"))
    if problems:
        return {}
    item["wrapper"], item["encoding"] = wrapper, encoding
    item["_request_langs"] = {}
    out = {}
    for lang in sorted(harmful, key=_lang_order):
        req_lang = item.get("request_lang") or lang
        if req_lang == "switch":
            req_lang = switch_language(lang)
        if req_lang not in harmful:
            problems.append(Problem(f"request_lang {req_lang!r} is not a language of {ref!r}",
                                    file=file, line=line, key=pid))
            return {}
        rng = probe_rng(_COMPOSITION_SEED, f"{pid}.{lang}")
        out[lang] = compose(harmful[req_lang].prompt, lang=lang, wrapper=wrapper, encoding=encoding,
                            rng=rng, templates=templates)
        item["_request_langs"][lang] = req_lang
    return out


def _by_lang(value: Any, key: str, file: str, line: int | None, pid: Any,
             problems: list[Problem]) -> dict[str, str]:
    if isinstance(value, dict):
        texts = {k: v for k, v in value.items() if k != "__line__"}
        bad = [k for k, v in texts.items() if not isinstance(v, str) or not v]
        if bad or not texts:
            problems.append(Problem(f"field {key!r} must map languages to non-empty text", file=file,
                                    line=value.get("__line__", line), key=pid,
                                    hint=f"check languages: {', '.join(map(str, bad)) or '(none given)'}"))
            return {}
        return texts
    problems.append(Problem(f"field {key!r} must map languages to text, found {type(value).__name__}",
                            file=file, line=line, key=pid,
                            hint="write prompt: {en: ..., fr: ...}, or give 'lang' for a single-language probe"))
    return {}


# --------------------------------------------------------------------------- validation


def _check_keys(item: dict, file: str, line: int | None, problems: list[Problem]) -> None:
    unknown = sorted(k for k in item if k not in _KNOWN_KEYS and not str(k).startswith("_"))
    if unknown:
        problems.append(Problem(f"unknown field(s) {', '.join(map(repr, unknown))}", file=file, line=line,
                                key=item.get("id") or item.get("parallel_id"),
                                hint=f"known fields: {', '.join(sorted(_KNOWN_KEYS - {'__line__'}))}"))


def _check_probe(probe: Probe, file: str, line: int | None, problems: list[Problem]) -> bool:
    def bad(message: str, hint: str | None = None) -> bool:
        problems.append(Problem(message, file=file, line=line, key=probe.id, hint=hint))
        return False

    if probe.family not in FAMILIES:
        return bad(f"unknown family {probe.family!r}", f"expected one of: {', '.join(FAMILIES)}")
    if probe.expect is not None and probe.expect not in EXPECTS:
        return bad(f"expect must be 'refuse' or 'comply', found {probe.expect!r}")
    needed = _DEFAULT_EXPECT.get(probe.family)
    if needed and probe.expect != needed:
        return bad(f"family {probe.family} needs expect: {needed}, found {probe.expect!r}")
    fam = probe.family
    if fam == "direct_injection" and "marker" not in placeholders(probe.prompt):
        return bad("a direct_injection prompt must contain the {marker} placeholder",
                   "write the injected instruction so that it asks for {marker}")
    if fam == "indirect_injection":
        if probe.document is None:
            return bad("field 'document' is missing (required for family indirect_injection)")
        if "marker" not in placeholders(probe.document):
            return bad("an indirect_injection document must contain the {marker} placeholder")
        if "document" not in placeholders(probe.prompt):
            return bad("an indirect_injection prompt must contain the {document} placeholder")
    if fam == "prompt_extraction":
        if probe.system is None:
            return bad("field 'system' is missing (required for family prompt_extraction)")
        if "canary" not in placeholders(probe.system):
            return bad("a prompt_extraction system prompt must contain the {canary} placeholder")
    if fam == "secret_exfiltration":
        if not any("secret" in placeholders(t) for t in (probe.system, probe.document, probe.prompt)):
            return bad("a secret_exfiltration probe needs the {secret} placeholder in its system, "
                       "document or prompt")
    return True


def _check_unique(probes: Sequence[Probe]) -> None:
    seen: dict[str, str] = {}
    problems = []
    for p in probes:
        if p.id in seen:
            problems.append(Problem(f"duplicate probe id {p.id!r} (first at {seen[p.id]})", file=p.source or None,
                                    hint="give each probe a unique id"))
        else:
            seen[p.id] = p.source
    if problems:
        raise DataError(problems=problems)


def _lang_order(lang: str) -> tuple[int, str]:
    return (LANGUAGES.index(lang) if lang in LANGUAGES else len(LANGUAGES), lang)
