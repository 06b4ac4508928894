"""Format-valid fake secrets, generated at test time (never real, never committed)."""

from __future__ import annotations

import secrets
import string

ALNUM = string.ascii_letters + string.digits


def rand(alphabet: str, n: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def aws_pair() -> tuple[str, list[str]]:
    key_id = "AKIA" + rand(string.ascii_uppercase + "234567", 16)
    secret = rand(ALNUM + "/+", 40)
    return f'aws_access_key_id = "{key_id}"\naws_secret_access_key = "{secret}"\n', [key_id, secret]


def _one(template: str, value: str) -> tuple[str, list[str]]:
    return template.format(v=value), [value]


def private_key() -> tuple[str, list[str]]:
    import base64

    body = base64.b64encode(secrets.token_bytes(600)).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    text = "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----\n"
    return text, lines


def db_url(scheme: str) -> tuple[str, list[str]]:
    pw = rand(ALNUM, 14)
    return f'DATABASE_URL = "{scheme}://app:{pw}@db.internal:5432/prod"\n', [pw]


POSITIVES = {
    "aws": aws_pair,
    "github": lambda: _one('GITHUB_TOKEN = "{v}"\n', "ghp_" + rand(ALNUM, 36)),
    "slack": lambda: _one('slack = "{v}"\n', f"xoxb-{rand(string.digits, 12)}-{rand(string.digits, 13)}-{rand(ALNUM, 24)}"),
    "stripe": lambda: _one('stripe.api_key = "{v}"\n', "sk_live_" + rand(ALNUM, 24)),
    "openai": lambda: _one('OPENAI_API_KEY = "{v}"\n', f"sk-proj-{rand(ALNUM, 58)}T3BlbkFJ{rand(ALNUM, 58)}"),
    "private_key": private_key,
    "db_url_psycopg2": lambda: db_url("postgresql+psycopg2"),
    "db_url_pymysql": lambda: db_url("mysql+pymysql"),
    "db_url_mongodb_srv": lambda: db_url("mongodb+srv"),
    "db_url_redis": lambda: _one('REDIS_URL = "redis://:{v}@cache:6379/0"\n', rand(ALNUM, 16)),
    "password_literal": lambda: _one('password = "{v}"\n', rand(ALNUM, 10) + "!" + rand(string.digits, 2)),
    "yaml_passwd": lambda: _one("database:\n  passwd: {v}\n", rand(ALNUM, 12) + "9!"),
    "env_secret": lambda: _one("CLIENT_SECRET={v}\n", rand(ALNUM, 20) + "7"),
}
