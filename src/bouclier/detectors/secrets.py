"""Secrets in text: kingfisher's ~490 provider rules in-process, plus two rules of ours.

kingfisher-secret-scanner (Apache-2.0, Rust with Hyperscan) is loaded once, lazily, and
reused: its compiled rule database is cached on disk by kingfisher itself (first run of a
machine compiles it in a few seconds, later runs load it in about 0.3 s). It never
contacts a provider here: bouclier never calls its validation or revocation API.

Our own rules cover what it misses: database URLs whose scheme names a driver
(``postgresql+psycopg2://user:pw@host``) and plain password literals in code and
configuration (``password = "..."``, ``passwd: ...``, ``secret=...``). Every value, from
either source, goes through :func:`is_placeholder` before it becomes a finding.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from bouclier.detectors.base import Finding, Location, line_and_column

DETECTOR = "secret"

# ---------------------------------------------------------------------------- placeholders

_DOC_EXAMPLES = frozenset(
    {
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AKIAI44QH8DHBEXAMPLE",
        "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
        "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
        "sk_test_BQokikJOvBiI2HlWgH4olfQ2",
        "xoxb-not-a-real-token-this-will-not-work",
    }
)
_PLACEHOLDER_WORDS = frozenset(
    {
        "password", "passwd", "pass", "pwd", "secret", "changeme", "change_me", "changeit",
        "example", "dummy", "placeholder", "redacted", "sample", "test", "testing",
        "test123", "password123", "secret123", "admin", "root", "default", "none", "null",
        "nil", "undefined", "true", "false", "todo", "fixme", "foobar", "foo", "bar",
        "hunter2", "letmein", "mypassword", "yourpassword", "your_password", "mysecret",
        "notasecret", "not-a-secret", "supersecret", "s3cr3t", "abc123", "qwerty",
        "123456", "1234567", "12345678", "123456789", "1234567890", "password1",
    }
)
_PLACEHOLDER_RE = re.compile(
    r"""
      x{4,} | X{4,} | \*{3,} | \.{3} | …
    | ^<.*>$ | <[A-Za-z_ -]+> | \[[A-Z_ -]+\]
    | \$\{[^}]*\} | \{\{[^}]*\}\} | ^\$[A-Za-z_]\w*$ | ^%\([^)]*\)s$ | ^%[A-Z_]+%$
    | (?i:your[_-]?(?:api[_-]?)?(?:key|token|secret|password|pass))
    | (?i:(?:api[_-]?key|token|secret|password)[_-]?here)
    | (?i:example|placeholder|dummy|redacted|changeme|change[_-]me|fake[_-]?(?:key|token|secret|password))
    | EXAMPLE
    | ^(.)\1{5,}$
    """,
    re.VERBOSE,
)
_SEQUENTIAL = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop")


def is_placeholder(value: str) -> bool:
    """True for values that only stand for a secret: ``xxxx``, ``YOUR_API_KEY``,
    ``<token>``, ``${VAR}``, ``{{ var }}``, ``changeme``, documented example keys
    (``AKIAIOSFODNN7EXAMPLE``), runs of one character, ``12345678``."""
    v = value.strip().strip("'\"`")
    if not v:
        return True
    if v in _DOC_EXAMPLES or v.lower() in _PLACEHOLDER_WORDS:
        return True
    if _PLACEHOLDER_RE.search(v):
        return True
    low = v.lower()
    return any(len(low) >= 6 and low in seq for seq in _SEQUENTIAL)


# ---------------------------------------------------------------------------- our rules

_DB_SCHEMES = (
    r"postgres(?:ql)?|mysql|mariadb|mssql|sqlserver|oracle|mongodb(?:\+srv)?|rediss?|amqps?"
    r"|cockroachdb|clickhouse|snowflake|redshift|db2|firebird|sybase|couchbase|neo4j|cassandra"
)
_DB_SCHEME_BEFORE_RE = re.compile(rf"(?i)(?<![A-Za-z0-9])((?:{_DB_SCHEMES})(?:\+[a-z0-9_]+)*)$")
_DB_AUTH_AFTER_RE = re.compile(r"([^:/@\s'\"`<>]*):([^@\s'\"`<>/]{3,})@([A-Za-z0-9_.\-\[\]]+)")
_IDENT_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
_ASSIGN_VALUE_RE = re.compile(
    r"""['"]?[ \t]*(?::=|=>|==|=|:)[ \t]*
    (?:
        (?P<q>['"])(?P<qval>[^'"\s\\]{6,200})(?P=q)
      | (?P<bare>[^\s'"\#;,(){}\[\]]{6,200})[ \t]*(?:\#[^\n]*)?(?=\r?\n|$)
    )""",
    re.VERBOSE,
)
_KEY_RE = re.compile(r"(?i)password|passwd|passphrase|pwd|secret|^pass$|_pass$|\.pass$")
# Keys that name something about a password rather than holding one.
_KEY_STOPWORDS = re.compile(
    r"(?i)(?:name|field|label|prompt|placeholder|hint|path|file|env|var|column|type|length|"
    r"min|max|hash|policy|regex|pattern|url|uri|endpoint|id|_key_name|manager|input|form|"
    r"reset|confirm|expir|rotation|strength|validator|widget|message|msg|error|"
    r"header|class|method|mode|format|help|description|title|text|template|ref|arn)$"
)
_CODE_VALUE_RE = re.compile(
    r"""(?x)
      ^[a-z][a-z_]*(?:[._-][a-z_]+)*$       # a word or identifier: input_password, get.pass
    | ^[A-Z][A-Z0-9_]*$                     # an env var name: DB_PASSWORD
    | ^[A-Za-z_][\w.]*\(.*$                 # a call
    | ^(?:self|this|os|env|process|config|settings|request|args|opts|params)\.
    | ^[\w.]*\[                             # an index expression
    | ^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$      # an attribute: ASLLexer.PASS, settings.db_pw
    | ^!(?:Ref|Sub|GetAtt|ref)|^arn:|^ssm:|^vault:|^secretsmanager:
    | ^\$\w|^%|^@|^&|^\*
    | ^(?:https?|file)://
    """
)


def _db_url_findings(text: str, path: str | None) -> list[tuple[int, int, Finding]]:
    out: list[tuple[int, int, Finding]] = []
    pos = text.find("://")
    while pos >= 0:
        before = _DB_SCHEME_BEFORE_RE.search(text, max(0, pos - 40), pos)
        m = _DB_AUTH_AFTER_RE.match(text, pos + 3) if before else None
        if before and m:
            scheme, user, password = before.group(1), m.group(1), m.group(2)
            if not (
                is_placeholder(password)
                or (_CODE_VALUE_RE.match(password) and len(password) < 12)
                or password.lower() in {user.lower(), "pass", "pw", "pwd"}
            ):
                start = m.start(2)
                line, col = line_and_column(text, start)
                finding = Finding.of_value(
                    detector=DETECTOR,
                    rule_id="bouclier.db-url-password",
                    severity="high",
                    message=f"database URL with an embedded password ({scheme.lower()}://)",
                    value=password,
                    location=Location(path=path, line=line, column=col),
                    entity="DB_URL",
                )
                out.append((before.start(1), m.end(), finding))
        pos = text.find("://", pos + 3)
    return out


def _keyword_positions(text: str) -> list[int]:
    low = text.lower()
    positions = []
    for kw in ("pass", "pwd", "secret"):
        i = low.find(kw)
        while i >= 0:
            positions.append(i)
            i = low.find(kw, i + 1)
    return positions


def _password_literal_findings(text: str, path: str | None) -> list[tuple[int, int, Finding]]:
    out: list[tuple[int, int, Finding]] = []
    seen_keys: set[int] = set()
    n = len(text)
    for pos in _keyword_positions(text):
        left = pos
        while left > 0 and text[left - 1] in _IDENT_CHARS and pos - left < 80:
            left -= 1
        if left in seen_keys:
            continue
        seen_keys.add(left)
        right = pos
        while right < n and text[right] in _IDENT_CHARS and right - pos < 80:
            right += 1
        key = text[left:right]
        if left > 0 and text[left - 1] in ":/\\@$%&":
            continue  # a namespaced name (AWS::SecretsManager::Secret), a path, a variable
        if not _KEY_RE.search(key) or _KEY_STOPWORDS.search(key.rstrip("_-.")):
            continue
        m = _ASSIGN_VALUE_RE.match(text, right)
        if m is None:
            continue
        value = m.group("qval") or m.group("bare")
        if value is None or is_placeholder(value) or _CODE_VALUE_RE.match(value):
            continue
        if value.isalpha():
            continue  # letters only: a word or an identifier (SecretStr, AWSSecretKey)
        if m.group("bare") and not (_looks_like_credential(value) and _starts_line(text, left)):
            continue
        vstart = m.start("qval") if m.group("qval") else m.start("bare")
        line, col = line_and_column(text, vstart)
        finding = Finding.of_value(
            detector=DETECTOR,
            rule_id="bouclier.password-literal",
            severity="medium",
            message=f"hard-coded password or secret assigned to '{key}'",
            value=value,
            location=Location(path=path, line=line, column=col),
            entity="PASSWORD",
        )
        out.append((vstart, vstart + len(value), finding))
    return out


def _starts_line(text: str, offset: int) -> bool:
    """Unquoted values count only in configuration: the key opens its line."""
    start = text.rfind("\n", 0, offset) + 1
    before = text[start:offset].strip()
    return before in ("", "export", "-")


def _looks_like_credential(value: str) -> bool:
    """An unquoted value (YAML, .env, INI) counts when it mixes character classes."""
    classes = sum(
        (
            any(c.islower() for c in value),
            any(c.isupper() for c in value),
            any(c.isdigit() for c in value),
            any(not c.isalnum() for c in value),
        )
    )
    return classes >= 2 and not value.replace(".", "").isdigit()


# ---------------------------------------------------------------------------- kingfisher

_engine_lock = threading.Lock()
_engine: Any = None


def engine() -> Any:
    """The shared kingfisher scanner, built on first use (thread-safe)."""
    global _engine
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                import kingfisher_sdk

                rules = kingfisher_sdk.Rules(confidence="medium")
                _engine = kingfisher_sdk.DetectionScanner(rules)
    return _engine


def _kingfisher_findings(
    data: bytes, text: str, path: str | None
) -> list[tuple[int, int, Finding]]:
    import kingfisher_sdk

    scanner = engine()
    if path is not None:
        raw = scanner.scan_input(kingfisher_sdk.ScanInput(path=str(path), data=data))
    else:
        raw = scanner.scan(data)
    out: list[tuple[int, int, Finding]] = []
    ascii_only = len(data) == len(text)
    for f in raw:
        if not f.visible:
            continue
        secret = f.secret
        captures = f.captures
        value = captures.get("password") or secret
        if is_placeholder(value) or is_placeholder(secret):
            continue
        loc = f.location
        b_start, b_end = loc["start_offset"], loc["end_offset"]
        if ascii_only:
            c_start, c_end = b_start, b_end
        else:
            c_start = len(data[:b_start].decode("utf-8", "ignore"))
            c_end = c_start + len(data[b_start:b_end].decode("utf-8", "ignore"))
        line, col = line_and_column(text, c_start)
        confidence = f.confidence
        severity = "critical" if "private-key" in f.rule_id else ("high" if confidence == "high" else "medium")
        out.append(
            (
                c_start,
                c_end,
                Finding.of_value(
                    detector=DETECTOR,
                    rule_id=f.rule_id,
                    severity=severity,  # type: ignore[arg-type]
                    message=_short(f.rule_name),
                    value=secret,
                    location=Location(path=path, line=line, column=col),
                    entity=_entity(f.rule_id),
                ),
            )
        )
    return out


def _short(rule_name: str) -> str:
    name = rule_name.strip().rstrip(".")
    return name if len(name) <= 140 else name[:137] + "..."


def _entity(rule_id: str) -> str:
    tail = rule_id.rsplit(".", 1)[-1].rsplit("/", 1)[-1]
    return tail.upper().replace("-", "_")


# ---------------------------------------------------------------------------- public API


def detect_secrets(text: str, *, path: str | None = None) -> list[Finding]:
    """Secrets in ``text`` (a file's content or a model output), redacted, in order.

    ``path`` (used only in the findings' location and for kingfisher's path-aware
    filters) is ``None`` for a model output. Never contacts a provider.
    """
    if not text:
        return []
    data = text.encode("utf-8", "surrogatepass")
    spans = _kingfisher_findings(data, text, path)
    ours = _db_url_findings(text, path) + _password_literal_findings(text, path)
    for s, e, finding in ours:
        if not any(s < ke and ks < e for ks, ke, _ in spans):
            spans.append((s, e, finding))
    spans.sort(key=lambda t: (t[0], t[2].rule_id))
    return [f for _, _, f in spans]
