"""Built-in multilingual safety probe packs, their loader and deterministic mutators.

    from bouclier.probes import load_packs, mutate
    probes = load_packs(families=["direct_injection"], languages=["fr", "ja"])
    rendered = probes[0].render(seed=7)   # placeholders filled with this run's tokens
"""

from bouclier.probes.loader import builtin_pack_names, load_pack_file, load_packs
from bouclier.probes.model import FAMILIES, LANGUAGES, Probe, RenderedProbe
from bouclier.probes.mutators import compose, encode, encoding_names, mutate, wrapper_names
from bouclier.probes.tokens import RunTokens, run_tokens

__all__ = [
    "FAMILIES", "LANGUAGES", "Probe", "RenderedProbe", "RunTokens", "builtin_pack_names",
    "compose", "encode", "encoding_names", "load_pack_file", "load_packs", "mutate",
    "run_tokens", "wrapper_names",
]
