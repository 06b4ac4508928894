import uuid
import hashlib

import pytest

from bouclier.detectors import detect_secrets, is_placeholder
from tests.detectors.fakes import POSITIVES, rand, ALNUM


@pytest.mark.parametrize("kind", sorted(POSITIVES))
def test_each_fake_secret_is_found_and_redacted(kind):
    body, values = POSITIVES[kind]()
    text = "# config\n" + body
    findings = detect_secrets(text, path="app/settings.py")
    assert findings, f"{kind} not detected"
    for f in findings:
        assert f.location.path == "app/settings.py"
        assert f.location.line >= 2
        assert len(f.fingerprint) == 16
        dumped = repr(f) + repr(f.to_dict())
        # no 6-character window of any secret value survives in the finding
        for value in values:
            for i in range(len(value) - 5):
                assert value[i : i + 6] not in dumped, kind


def test_location_is_one_based_in_characters_not_bytes():
    token = "ghp_" + rand(ALNUM, 36)
    findings = detect_secrets(f'é日本 = "{token}"\n')
    assert [(f.location.line, f.location.column) for f in findings] == [(1, 8)]


HARD_NEGATIVES = [
    'aws_access_key_id = "AKIAIOSFODNN7EXAMPLE"\naws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"\n',
    f'request_id = "{uuid.uuid4()}"\n',
    f'sha256 = "{hashlib.sha256(b"x").hexdigest()}"\nsha1 = "{hashlib.sha1(b"y").hexdigest()}"\n',
    'password = "changeme"\nsecret: "YOUR_API_KEY"\ntoken = "xxxxxxxxxxxxxxxxxxxx"\n',
    'password = "${DB_PASSWORD}"\npasswd: {{ vault_password }}\nsecret = "<your-secret>"\n',
    'password = os.environ["DB_PASSWORD"]\npassword = get_password(user)\npassword_field = "Tr0ub4dor&3"\n',
    'DATABASE_URL = "postgresql+psycopg2://user:${DB_PASS}@localhost/app"\n',
    'DATABASE_URL = "postgresql://user:password@localhost/app"\n',
    'integrity sha512-' + "A" * 20 + 'b3B0aW9ucyBhcmUgZ29vZA== \n',
    '"resolved": "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz",\n'
    '"integrity": "sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQWU6ql7TZs3ts0P7+yGMfVdqb6zDj7ZWjj6X4pAWKCCI8BQ==",\n',
    'if password == user_input:\n    return check(password)\n',
    'api_key = "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx"\n',
]


@pytest.mark.parametrize("text", HARD_NEGATIVES)
def test_hard_negatives_give_no_finding(text):
    assert detect_secrets(text, path="x.py") == []


@pytest.mark.parametrize("value", ["xxxx", "YOUR_API_KEY", "<token>", "${VAR}", "changeme", "AKIAIOSFODNN7EXAMPLE", "12345678", "aaaaaaaa"])
def test_placeholders(value):
    assert is_placeholder(value)


@pytest.mark.parametrize("value", ["Tr0ub4dor&3x", "ghp_" + "aB3" * 12, "Zq8vLmP2xkk"])
def test_real_looking_values_are_not_placeholders(value):
    assert not is_placeholder(value)