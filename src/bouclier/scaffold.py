"""``bouclier init``: a commented bouclier.yaml, a sample dataset and (for in-process
models) a sample model module, ready for ``bouclier validate`` and ``bouclier check``.

The sample task is a small support-ticket router in four languages (en, fr, es, de):
each message belongs to one of four intents. The python sample model is a keyword
classifier whose vocabulary can be restricted to some languages, which is how the
tutorial ships a regression (see docs/tutorial.md).
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path

from bouclier.errors import Problem, UsageError


class ModelType(str, Enum):
    python = "python"
    openai = "openai"
    http = "http"


CONFIG_NAME = "bouclier.yaml"
DATASET_NAME = "data/tickets.jsonl"
MODEL_MODULE = "ticket_model.py"

INTENTS = ("billing", "login", "shipping", "cancel")
LANGUAGES = ("en", "fr", "es", "de")

# Two keywords per intent and language: the python sample model looks for them, the
# dataset is written from them.
KEYWORDS: dict[str, dict[str, tuple[str, str]]] = {
    "billing": {"en": ("invoice", "charged"), "fr": ("facture", "prélèvement"),
                "es": ("factura", "cobro"), "de": ("rechnung", "abbuchung")},
    "login": {"en": ("password", "log in"), "fr": ("mot de passe", "connecter"),
              "es": ("contraseña", "iniciar sesión"), "de": ("passwort", "anmelden")},
    "shipping": {"en": ("parcel", "delivery"), "fr": ("colis", "livraison"),
                 "es": ("paquete", "envío"), "de": ("paket", "lieferung")},
    "cancel": {"en": ("cancel", "unsubscribe"), "fr": ("annuler", "résilier"),
               "es": ("cancelar", "darme de baja"), "de": ("kündigen", "stornieren")},
}

FRAMES: dict[str, tuple[str, ...]] = {
    "en": ("Hello, I have a question about {kw} for order {n}.", "Problem with {kw}, account {n}",
           "Can you help me? {kw} (ref {n})", "Urgent: {kw} issue on order {n}",
           "Hi team, {kw} again, customer {n}"),
    "fr": ("Bonjour, une question sur {kw} pour la commande {n}.", "Problème de {kw}, compte {n}",
           "Pouvez-vous m'aider ? {kw} (réf {n})", "Urgent : {kw}, commande {n}",
           "Salut, encore {kw}, client {n}"),
    "es": ("Hola, tengo una pregunta sobre {kw} del pedido {n}.", "Problema con {kw}, cuenta {n}",
           "¿Me pueden ayudar? {kw} (ref {n})", "Urgente: {kw} en el pedido {n}",
           "Hola equipo, otra vez {kw}, cliente {n}"),
    "de": ("Hallo, eine Frage zu {kw} für Bestellung {n}.", "Problem mit {kw}, Konto {n}",
           "Können Sie helfen? {kw} (Ref {n})", "Dringend: {kw} bei Bestellung {n}",
           "Hallo Team, wieder {kw}, Kunde {n}"),
}


def sample_rows() -> list[dict]:
    """The sample dataset: 4 languages x 4 intents x 10 messages = 160 rows."""
    rows = []
    for lang in LANGUAGES:
        for intent in INTENTS:
            for k, kw in enumerate(KEYWORDS[intent][lang]):
                for j, frame in enumerate(FRAMES[lang]):
                    n = 1000 + 97 * len(rows)
                    text = frame.format(kw=kw, n=n)
                    rows.append({"id": f"{lang}-{intent}-{k}{j}", "lang": lang, "text": text, "intent": intent})
    return rows


MODEL_SOURCE = '''"""A sample in-process model for bouclier: a keyword router for support tickets.

bouclier calls ``build(**args)`` once (``args`` from bouclier.yaml) and then the returned
function once per case, with the rendered input; it must return the answer as text.
Replace this with your own model: any ``module:function`` works.
"""

KEYWORDS = {keywords}


def build(languages=None):
    """Return the model. ``languages`` restricts the vocabulary (default: all of them)."""
    vocabulary = [
        (word, intent)
        for intent, by_lang in KEYWORDS.items()
        for lang, words in by_lang.items()
        if languages is None or lang in languages
        for word in words
    ]

    def classify(text):
        lowered = text.lower()
        for word, intent in vocabulary:
            if word in lowered:
                return intent
        return "other"

    return classify
'''

_HEADER = """\
# bouclier.yaml: the release gate of this project (scaffolded by `bouclier init`).
#
#   bouclier validate     # checks this file, the dataset and the models' targets (no model call)
#   bouclier check        # runs baseline and candidate on the same cases; exit 0 PASS,
#                         # 1 FAIL, 3 INCONCLUSIVE; reports in .bouclier/runs/<timestamp>/
#
# `bouclier schema` prints the JSON Schema of this file for editor completion.
version: 1
"""

_MODELS = {
    ModelType.python: """
# The models under comparison. `python`: an in-process model, "module:attribute" of a
# callable or of a factory (called with `args`) that returns one. ticket_model.py is a sample.
models:
  production:
    adapter: python
    target: "ticket_model:build"
    args: {languages: [en, fr, es, de]}
  next:
    adapter: python
    target: "ticket_model:build"
    args: {languages: [en, fr, es, de]}   # the tutorial trims this to [en]: a regression
""",
    ModelType.openai: """
# The models under comparison. `openai`: any OpenAI-compatible chat-completions endpoint
# (OpenAI, vLLM, llama.cpp server, Ollama, LiteLLM...). Point base_url at yours.
models:
  production:
    adapter: openai
    base_url: http://127.0.0.1:8000/v1
    model: my-model-v1
    api_key_env: OPENAI_API_KEY       # the variable's NAME; the key itself never goes here
    params: {temperature: 0, max_tokens: 8}
  next:
    adapter: openai
    base_url: http://127.0.0.1:8000/v1
    model: my-model-v2
    api_key_env: OPENAI_API_KEY
    params: {temperature: 0, max_tokens: 8}
""",
    ModelType.http: """
# The models under comparison. `http`: any JSON-over-HTTP service. bouclier POSTs `body`
# (strings may use {{input}} and the row's fields) and reads the answer at response_path.
models:
  production:
    adapter: http
    url: http://127.0.0.1:8080/v1/classify
    body: {text: "{{input}}"}
    response_path: label               # e.g. {"label": "billing"}
  next:
    adapter: http
    url: http://127.0.0.1:8081/v1/classify
    body: {text: "{{input}}"}
    response_path: label
    headers_env: {Authorization: NEXT_MODEL_TOKEN}   # header value read from this variable
""",
}

_SYSTEM = {
    ModelType.python: "",
    ModelType.openai: ('    system: "Route the support message to one intent: billing, login, shipping or '
                       'cancel. Answer with the intent only."\n'),
    ModelType.http: "",
}

_REST = """
# Which model is in production, which one wants to ship (override with --baseline/--candidate).
baseline: production
candidate: next

# A suite = a dataset, how to turn each row into a model input, how to score the answer,
# and the criteria that decide the verdict.
suites:
  - name: tickets
    dataset: {dataset}     # JSONL, CSV or Parquet; paths are relative to this file
    input: "{{{{text}}}}"              # template over the row's fields
{system}    expected: intent                   # the row field holding the right answer
    id_field: id                       # a stable case id (else a hash of the row)
    group_by: lang                     # per-language results and charts in report.html
    scorers: [exact_match]             # also: contains, regex, json_valid, token_f1, "module:function"...
    criteria:
      # Paired on the same cases: the candidate may lose at most 5 points of accuracy.
      # PASS needs the whole 95% interval of the difference above -5 points; FAIL needs
      # clear evidence of a larger drop; anything in between is INCONCLUSIVE.
      - {{metric: exact_match, kind: non_inferiority, margin: 0.05}}
      # And an absolute floor: candidate accuracy at least 80%.
      - {{metric: exact_match, kind: min, threshold: 0.80}}

run:
  seed: 0                              # every resampling is seeded: same data, same verdict
  confidence: 0.95

policy:
  inconclusive: inconclusive           # exit 3 when the data cannot decide ("fail" to block)
"""


def render_config(model_type: ModelType) -> str:
    model_type = ModelType(model_type)
    return (_HEADER + _MODELS[model_type]
            + _REST.format(dataset=DATASET_NAME, system=_SYSTEM[model_type]))


def render_model_module() -> str:
    keywords = {intent: {lang: list(words) for lang, words in by_lang.items()}
                for intent, by_lang in KEYWORDS.items()}
    return MODEL_SOURCE.format(keywords=json.dumps(keywords, ensure_ascii=False, indent=4))


def scaffold(directory: Path, *, model_type: ModelType = ModelType.python) -> list[Path]:
    """Write the starter files into ``directory``; refuse (UsageError, nothing written)
    if any of them already exists. Returns the written paths."""
    model_type = ModelType(model_type)
    files: dict[Path, str] = {
        directory / CONFIG_NAME: render_config(model_type),
        directory / DATASET_NAME: "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in sample_rows()),
    }
    if model_type is ModelType.python:
        files[directory / MODEL_MODULE] = render_model_module()
    existing = [p for p in files if p.exists()]
    if existing:
        raise UsageError(problems=[Problem("already exists; bouclier init never overwrites a file", file=str(p),
                                           hint="choose another --dir or move the file away") for p in existing])
    if directory.exists() and not directory.is_dir():
        raise UsageError(problems=[Problem("is not a directory", file=str(directory), key="--dir")])
    written = []
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("x", encoding="utf-8") as fh:  # "x": never overwrite, even in a race
                fh.write(text)
            written.append(path)
    except OSError as exc:
        raise UsageError(problems=[Problem(f"cannot write ({exc.strerror})", file=str(exc.filename or directory))]) from exc
    return written
