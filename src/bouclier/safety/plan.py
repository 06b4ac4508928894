"""From a ``safety:`` suite of bouclier.yaml to the probes to send: packs, families and
languages selected, harmful requests multiplied by the mutators, placeholders filled with
this run's tokens, and each probe turned into a :class:`Case` the runner can send.

Nothing here calls a model. Every problem of the suite is reported at once, naming the
suite's key in bouclier.yaml (an unknown pack or family, a language a pack lacks, a judge
that is not one of the models) or the probe file and line (a malformed probe).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from bouclier.config import LoadedConfig
from bouclier.config.schema import SafetySuiteConfig
from bouclier.data import Case, Dataset
from bouclier.detectors.base import redact
from bouclier.errors import BouclierError, Problem, UsageError
from bouclier.probes import FAMILIES, LANGUAGES, Probe, RenderedProbe, load_packs, mutate
from bouclier.probes.model import placeholders

ATTACK_FAMILIES = tuple(f for f in FAMILIES if f != "over_refusal")
TOKEN_RULE = "probe-token"


@dataclass
class SafetySuitePlan:
    """A safety suite ready to run: its rendered probes and their (redacted) cases."""

    config: SafetySuiteConfig
    dataset: Dataset  # cases as they may be shown: tokens redacted
    rendered: dict[str, RenderedProbe]  # case id -> probe with this run's tokens
    where: str  # "suites[i]" in bouclier.yaml

    def request_case(self, case: Case, model_system: str | None) -> Case:
        """The case as sent to one model: the probe's real prompt, and its system prompt
        after the model's own (the product's prompt, then the probe's context)."""
        r = self.rendered[case.id]
        system = r.system
        if system is not None and model_system:
            system = f"{model_system}\n\n{system}"
        return Case(id=case.id, input=r.prompt, expected=None, group=case.group, fields=case.fields,
                    line=case.line, system=system)


def redact_tokens(text: str | None, rendered: RenderedProbe) -> str | None:
    """``text`` with this probe's marker, canary and key replaced by their redacted form
    (prefix + fingerprint, as the leak scorers show findings)."""
    if text is None:
        return None
    for token in (rendered.tokens.canary, rendered.tokens.secret, rendered.tokens.marker):
        if token in text:
            text = text.replace(token, redact(token, rule_id=TOKEN_RULE))
    return text


def plan_safety_suite(suite: SafetySuiteConfig, *, loaded: LoadedConfig, index: int) -> SafetySuitePlan:
    """Load, select, mutate and render the suite's probes; raise :class:`UsageError`
    listing every problem."""
    cfg = loaded.config
    where = f"suites[{index}]"
    file = str(loaded.path)
    problems: list[Problem] = []

    def relocate(exc: BouclierError, key: str) -> None:
        for p in exc.problems:
            problems.append(Problem(p.message, file=p.file or file, line=p.line,
                                    key=p.key if p.file else f"{where}.{p.key or key}", hint=p.hint))

    for role in ("refusal_judge", "harm_judge"):
        judge = getattr(suite, role)
        if judge is not None and judge.model not in cfg.models:
            problems.append(Problem(f"judge model '{judge.model}' is not one of the models "
                                    f"({', '.join(cfg.models)})", file=file, key=f"{where}.{role}.model"))
    unknown_langs = [lang for lang in suite.languages or [] if lang not in LANGUAGES]
    if unknown_langs:
        problems.append(Problem(f"unknown language(s) {', '.join(map(repr, unknown_langs))}", file=file,
                                key=f"{where}.languages", hint=f"expected some of: {', '.join(LANGUAGES)}"))
    packs = None
    if suite.packs is not None:
        packs = [str(loaded.base_dir / p) if p.endswith((".yaml", ".yml", ".jsonl")) else p for p in suite.packs]
    probes: list[Probe] = []
    if not unknown_langs:
        try:
            probes = load_packs(packs, families=suite.families, languages=suite.languages)
        except BouclierError as exc:
            relocate(exc, "packs")
    if problems:
        raise UsageError(problems=problems)
    if suite.per_family is not None:
        probes = _first_sets(probes, suite.per_family)
    if suite.mutators is not None:
        probes += _mutated(suite, probes, seed=cfg.run.seed, file=file, where=where, problems=problems)
    if not probes:
        problems.append(Problem("the selection has no probes", file=file, key=where,
                                hint="check packs, families and languages"))
    parity = suite.criteria.parity
    langs = sorted({p.lang for p in probes})
    if parity is not None and len(langs) > 1 and parity.reference not in langs:
        problems.append(Problem(f"parity reference '{parity.reference}' is not among the selected languages "
                                f"({', '.join(langs)})", file=file, key=f"{where}.criteria.parity.reference",
                                hint="name one of them, or set parity: null"))
    unknown_ceilings = [f for f in suite.criteria.max_asr if f != "default" and f not in ATTACK_FAMILIES]
    if unknown_ceilings:
        problems.append(Problem(f"max_asr names unknown attack families: {', '.join(unknown_ceilings)}",
                                file=file, key=f"{where}.criteria.max_asr",
                                hint=f"expected 'default' or some of: {', '.join(ATTACK_FAMILIES)}"))
    if problems:
        raise UsageError(problems=problems)
    return _render(suite, probes, seed=cfg.run.seed, config_path=loaded.path, where=where)


def _first_sets(probes: list[Probe], n: int) -> list[Probe]:
    """The first ``n`` parallel sets (or probes) of each family, in pack order, so that the
    same requests are kept in every language."""
    keep: dict[str, list[str]] = {}
    out = []
    for p in probes:
        key = p.parallel_id or p.id
        chosen = keep.setdefault(p.family, [])
        if key not in chosen and len(chosen) < n:
            chosen.append(key)
        if key in chosen:
            out.append(p)
    return out


def _mutated(suite: SafetySuiteConfig, probes: list[Probe], *, seed: int, file: str, where: str,
             problems: list[Problem]) -> list[Probe]:
    m = suite.mutators
    harmful = [p for p in probes if p.family == "harmful" and not placeholders(p.prompt)]
    if not harmful:
        problems.append(Problem("mutators need harmful probes in the selection (they wrap harmful requests "
                                "into jailbreaks)", file=file, key=f"{where}.mutators",
                                hint="add the 'harmful' pack/family, or remove mutators"))
        return []
    try:
        variants = mutate(harmful, wrappers=m.wrappers or ["none"], encodings=m.encodings or ["identity"],
                          languages=m.request_languages, seed=seed if m.seed is None else m.seed, limit=m.limit)
    except BouclierError as exc:
        problems.extend(Problem(p.message, file=file, key=f"{where}.mutators", hint=p.hint) for p in exc.problems)
        return []
    originals = {id(p) for p in harmful}
    return [v for v in variants if id(v) not in originals]


def _render(suite: SafetySuiteConfig, probes: list[Probe], *, seed: int, config_path: Path,
            where: str) -> SafetySuitePlan:
    rendered: dict[str, RenderedProbe] = {}
    cases: list[Case] = []
    digest = hashlib.sha256(f"bouclier-probes-v1\x00{seed}".encode())
    seen: set[str] = set()
    for probe in probes:
        if probe.id in seen:  # the same probe from two packs (e.g. a user copy)
            raise UsageError(problems=[Problem(f"probe id '{probe.id}' appears twice in the selection",
                                               file=probe.source or None, key=f"{where}.packs")])
        seen.add(probe.id)
        r = probe.render(seed=seed)
        rendered[probe.id] = r
        for part in (probe.id, r.system or "", r.prompt):
            digest.update(part.encode("utf-8", "surrogatepass") + b"\x00")
        line = _line_of(probe.source)
        cases.append(Case(
            id=probe.id, input=redact_tokens(r.prompt, r), expected=probe.expect, group=probe.lang,
            fields={"family": probe.family, "lang": probe.lang, "parallel_id": probe.parallel_id,
                    "pack": probe.pack, "source": probe.source, "wrapper": probe.wrapper,
                    "encoding": probe.encoding, "request_lang": probe.request_lang},
            line=line, system=redact_tokens(r.system, r)))
    dataset = Dataset(path=config_path, digest=digest.hexdigest(), cases=cases)
    return SafetySuitePlan(suite, dataset, rendered, where)


def _line_of(source: str) -> int:
    tail = source.rpartition(":")[2]
    return int(tail) if tail.isdigit() else 0
