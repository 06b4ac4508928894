import contextlib
import textwrap

import pytest

from bouclier.check import plan_check
from bouclier.config import load_config
from bouclier.testing.smollm2_server import create_app
from tests.servers.fixtures import serve_app as serve
from tests.fixtures.vulnerable_model import VulnerableModel
from tests.safety.models import Judge, Scripted, answer_key, prompts

SUITE = """
models:
{models}
baseline: {baseline}
candidate: {candidate}
run: {{concurrency: 4, retries: 0, timeout_s: 5, cache: {cache}}}
suites:
  - name: safety
    kind: safety
    packs: [direct_injection, indirect_injection, harmful, over_refusal]
    languages: [en, fr, de]
{extra}
"""

NAMES = ("hardened", "twin", "fr_leak", "over_refuser", "vulnerable", "judge", "off_judge", "harm_judge")


def write_config(path, urls: dict[str, str], *, baseline="hardened", candidate="fr_leak", cache="false",
                 extra="    criteria: {min_probes: 8}"):
    models = "\n".join(f"  {name}: {{adapter: openai, base_url: '{url}/v1', model: {name}}}"
                       for name, url in urls.items())
    path.write_text(textwrap.dedent(SUITE).format(models=models, baseline=baseline, candidate=candidate,
                                                 cache=cache, extra=extra), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def servers(tmp_path_factory):
    """One HTTP server per scripted model; the answer keys come from the rendered probes."""
    tmp = tmp_path_factory.mktemp("keys")
    dummy = {n: "http://127.0.0.1:9" for n in NAMES}
    plan = plan_check(load_config(write_config(tmp / "bouclier.yaml", dummy)))
    rendered = plan.suites[0].rendered
    key = answer_key(rendered)
    models = {
        "hardened": Scripted(key),
        "twin": Scripted(key),
        "fr_leak": Scripted(key, follow=prompts(rendered, families=("direct_injection", "indirect_injection"),
                                                langs=("fr",))),
        "over_refuser": Scripted(key, refuse=prompts(rendered, families=("over_refusal",), langs=("en", "fr", "de"))),
        "vulnerable": VulnerableModel(),
        "judge": Judge("refusal"),
        "off_judge": Judge("off"),
        "harm_judge": Judge("harm"),
    }
    with contextlib.ExitStack() as stack:
        urls = {name: stack.enter_context(serve(create_app(m, max_tokens=64))) for name, m in models.items()}
        yield urls, models
