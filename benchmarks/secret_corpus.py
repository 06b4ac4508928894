"""A generated, labelled corpus of snippets for secret-scanning benchmarks.

Positives are format-valid fake credentials of 22 kinds in varied contexts (Python, YAML,
JSON, .env, shell); negatives are hard: UUIDs, hashes, lock-file integrity lines,
placeholders, documented example keys, code that handles passwords without holding one.
Everything comes from ``random.Random(seed)``: the same seed gives the same corpus.
"""

from __future__ import annotations

import base64
import hashlib
import random
import string
import uuid
from collections.abc import Callable

A = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
Gen = Callable[[random.Random], str]


def _r(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _ctx(rng: random.Random, name: str, value: str) -> str:
    forms = [
        f'{name.lower()} = "{value}"\n',
        f"{name.upper()}={value}\n",
        f'  "{name}": "{value}",\n',
        f"{name.lower()}: {value}\n",
        f"export {name.upper()}='{value}'\n",
        f'client = Client({name.lower()}="{value}")\n',
    ]
    return rng.choice(forms)


def _private_key(kind: str) -> Gen:
    def gen(rng: random.Random) -> str:
        body = base64.b64encode(bytes(rng.getrandbits(8) for _ in range(900))).decode()
        lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
        return f"-----BEGIN {kind}PRIVATE KEY-----\n{lines}\n-----END {kind}PRIVATE KEY-----\n"

    return gen


POSITIVES: dict[str, Gen] = {
    "aws_access_key": lambda r: f'aws_access_key_id = "AKIA{_r(r, string.ascii_uppercase + "234567", 16)}"\n'
    f'aws_secret_access_key = "{_r(r, A + "/+", 40)}"\n',
    "github_pat": lambda r: _ctx(r, "github_token", "ghp_" + _r(r, A, 36)),
    "github_oauth": lambda r: _ctx(r, "gh_token", "gho_" + _r(r, A, 36)),
    "github_fine_grained": lambda r: _ctx(r, "github_token", f"github_pat_{_r(r, A, 22)}_{_r(r, A, 59)}"),
    "gitlab_pat": lambda r: _ctx(r, "gitlab_token", "glpat-" + _r(r, A + "-_", 20)),
    "slack_bot": lambda r: _ctx(r, "slack_token", f"xoxb-{_r(r, string.digits, 12)}-{_r(r, string.digits, 13)}-{_r(r, A, 24)}"),
    "slack_webhook": lambda r: _ctx(r, "webhook", f"https://hooks.slack.com/services/T{_r(r, string.ascii_uppercase + string.digits, 10)}/B{_r(r, string.ascii_uppercase + string.digits, 10)}/{_r(r, A, 24)}"),
    "stripe_live": lambda r: _ctx(r, "stripe_key", "sk_live_" + _r(r, A, 24)),
    "openai": lambda r: _ctx(r, "openai_api_key", f"sk-proj-{_r(r, A, 58)}T3BlbkFJ{_r(r, A, 58)}"),
    "anthropic": lambda r: _ctx(r, "anthropic_api_key", f"sk-ant-api03-{_r(r, A + '-_', 93)}AA"),
    "google_api": lambda r: _ctx(r, "google_api_key", "AIza" + _r(r, A + "-_", 35)),
    "sendgrid": lambda r: _ctx(r, "sendgrid_api_key", f"SG.{_r(r, A + '-_', 22)}.{_r(r, A + '-_', 43)}"),
    "npm_token": lambda r: f"//registry.npmjs.org/:_authToken=npm_{_r(r, A, 36)}\n",
    "pypi_token": lambda r: _ctx(r, "pypi_token", "pypi-AgEIcHlwaS5vcmc" + _r(r, A + "-_", 70)),
    "private_key_rsa": _private_key("RSA "),
    "private_key_openssh": _private_key("OPENSSH "),
    "db_url_psycopg2": lambda r: _ctx(r, "database_url", f"postgresql+psycopg2://app:{_r(r, A, 16)}@db.internal:5432/prod"),
    "db_url_pymysql": lambda r: _ctx(r, "database_url", f"mysql+pymysql://svc:{_r(r, A, 14)}@10.0.3.4/orders"),
    "db_url_mongodb_srv": lambda r: _ctx(r, "mongo_uri", f"mongodb+srv://admin:{_r(r, A, 12)}@cluster0.ab1cd.mongodb.net/app"),
    "db_url_redis": lambda r: _ctx(r, "redis_url", f"redis://:{_r(r, A, 20)}@cache:6379/0"),
    "password_literal": lambda r: f'password = "{_r(r, A, 10)}{r.choice("!#%&")}{_r(r, string.digits, 2)}"\n',
    "config_passwd": lambda r: f"database:\n  host: db\n  passwd: {_r(r, A, 12)}{_r(r, string.digits, 2)}\n",
}

NEGATIVES: dict[str, Gen] = {
    "uuid": lambda r: _ctx(r, "request_id", str(uuid.UUID(int=r.getrandbits(128)))),
    "sha256": lambda r: _ctx(r, "checksum", hashlib.sha256(_r(r, A, 20).encode()).hexdigest()),
    "git_sha": lambda r: f"commit {_r(r, HEX, 40)}\nMerge: {_r(r, HEX, 7)} {_r(r, HEX, 7)}\n",
    "lockfile": lambda r: f'    "resolved": "https://registry.npmjs.org/pkg-{_r(r, string.ascii_lowercase, 6)}/-/x-1.2.{r.randint(0, 9)}.tgz",\n'
    f'    "integrity": "sha512-{base64.b64encode(bytes(r.getrandbits(8) for _ in range(64))).decode()}",\n',
    "poetry_lock": lambda r: f'{{file = "pkg-1.0-py3-none-any.whl", hash = "sha256:{_r(r, HEX, 64)}"}},\n',
    "placeholder_key": lambda r: _ctx(r, r.choice(["api_key", "secret", "token"]), r.choice(
        ["YOUR_API_KEY", "xxxxxxxxxxxxxxxxxxxx", "<your-token-here>", "${API_TOKEN}", "{{ secret_key }}", "changeme", "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx"])),
    "placeholder_password": lambda r: f'password = "{r.choice(["changeme", "YOUR_PASSWORD", "<password>", "********", "${DB_PASSWORD}", "password"])}"\n',  # bouclier: allow (placeholders the scanner must ignore)
    "aws_example": lambda r: 'aws_access_key_id = "AKIAIOSFODNN7EXAMPLE"\naws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"\n',
    "password_code": lambda r: r.choice([
        "password = getpass.getpass('Password: ')\n",
        'password = os.environ["DB_PASSWORD"]\n',
        "if not check_password(user, password):\n    raise Denied\n",
        'password_field = forms.CharField(widget=forms.PasswordInput)\n',
        "self.password = password\n",
        'PASSWORD_MIN_LENGTH = 12\n',
        'secret_name = "prod/db/credentials"\n',
    ]),
    "db_url_no_password": lambda r: _ctx(r, "database_url", r.choice([
        "postgresql+psycopg2://app@localhost/prod", "postgresql://localhost:5432/app",
        "mysql+pymysql://root:${MYSQL_PASSWORD}@db/app", "sqlite:///data.db"])),
    "base64_blob": lambda r: f'ICON = "data:image/png;base64,{base64.b64encode(bytes(r.getrandbits(8) for _ in range(90))).decode()}"\n',
    "random_identifier": lambda r: f"def test_{_r(r, string.ascii_lowercase, 8)}():\n    assert encode({r.randint(0, 10**9)}) == \"{_r(r, HEX, 32)}\"\n",
    "jwt_docs_example": lambda r: "# e.g. Authorization: Bearer <token>\n",
    "version_pins": lambda r: f"numpy=={r.randint(1, 2)}.{r.randint(0, 30)}.{r.randint(0, 9)}\nrequests>=2.{r.randint(0, 32)}\n",
}


def corpus(*, seed: int = 0, per_positive: int = 15, per_negative: int = 22) -> list[tuple[str, str, bool]]:
    """(kind, snippet, is_secret) triples."""
    rng = random.Random(seed)
    rows: list[tuple[str, str, bool]] = []
    for kind, gen in POSITIVES.items():
        rows += [(kind, "# settings\n" + gen(rng), True) for _ in range(per_positive)]
    for kind, gen in NEGATIVES.items():
        rows += [(kind, "# settings\n" + gen(rng), False) for _ in range(per_negative)]
    rng.shuffle(rows)
    return rows
