"""Personal data in text: candidates found by pattern, kept only when a validator accepts.

E-mail addresses, phone numbers (``phonenumbers``), payment cards (Luhn and a known
issuer prefix), IBANs and national identifiers (``python-stdnum`` checksums) of the main
countries of the 12 default languages, and public IP addresses.

Identifiers that are bare digit strings with a weak checksum (1 in 10 or 1 in 11 random
numbers pass: PT NIF, NL BSN, RU INN, JP My Number, SA national ID, BR CPF without its
punctuation, DE Steuer-ID, PL PESEL, US SSN without dashes) are kept only when a keyword
naming them (in the country's language or in English) appears just before; those with a
strong shape (FR NIR, IT codice fiscale, ES DNI/NIE, CN resident ID, GB NINO, AE Emirates
ID, US SSN with dashes, BR CPF with punctuation) are kept on the checksum alone.
"""

from __future__ import annotations

import ipaddress
import re
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bouclier.detectors.base import Finding, Location, line_and_column

DETECTOR = "pii"

# ----------------------------------------------------------------------------- validators


def _luhn(digits: str) -> bool:
    from stdnum import luhn

    return luhn.is_valid(digits)


def _card(digits: str) -> bool:
    n = len(digits)
    if not 13 <= n <= 19 or len(set(digits)) < 2:
        return False
    two, three, four = int(digits[:2]), int(digits[:3]), int(digits[:4])
    if digits[0] == "4":
        ok = n in (13, 16, 19)  # Visa
    elif 51 <= two <= 55 or 2221 <= four <= 2720:
        ok = n == 16  # Mastercard
    elif two in (34, 37):
        ok = n == 15  # American Express
    elif four == 6011 or two == 65 or 644 <= three <= 649:
        ok = n in (16, 19)  # Discover
    elif 3528 <= four <= 3589:
        ok = 16 <= n <= 19  # JCB
    elif two == 62:
        ok = 16 <= n <= 19  # UnionPay
    elif two in (36, 38, 39) or 300 <= three <= 305:
        ok = 14 <= n <= 19  # Diners Club
    else:
        ok = False
    return ok and _luhn(digits)


def _stdnum(module: str) -> Callable[[str], bool]:
    def check(value: str) -> bool:
        import importlib

        return bool(importlib.import_module(f"stdnum.{module}").is_valid(value))

    return check


_NINO_BAD_PREFIXES = {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}


def _gb_nino(value: str) -> bool:
    v = re.sub(r"\s", "", value).upper()
    return (
        len(v) == 9
        and v[:2] not in _NINO_BAD_PREFIXES
        and v[0] not in "DFIQUV"
        and v[1] not in "DFIOQUV"
        and v[2:8].isdigit()
        and v[8] in "ABCD"
    )


def _sa_nid(value: str) -> bool:
    v = re.sub(r"\D", "", value)
    return len(v) == 10 and v[0] in "12" and _luhn(v)


def _ae_eid(value: str) -> bool:
    v = re.sub(r"\D", "", value)
    return len(v) == 15 and v.startswith("784") and _luhn(v)


def _email(value: str) -> bool:
    local, _, domain = value.rpartition("@")
    if not local or local.startswith(".") or local.endswith(".") or ".." in value:
        return False
    domain = domain.lower()
    reserved = ("example.com", "example.org", "example.net", "localhost")
    if domain in reserved or domain.endswith((".example", ".test", ".invalid", ".localhost")):
        return False
    return not any(domain.endswith("." + r) for r in reserved[:3])


def _iban(value: str) -> bool:
    from stdnum import iban

    return iban.is_valid(value)


def _ip(value: str) -> bool:
    try:
        addr = ipaddress.ip_address(value)
    except ValueError:
        return False
    return addr.is_global


# ----------------------------------------------------------------------------- entity table


@dataclass(frozen=True)
class Entity:
    name: str
    pattern: re.Pattern[str]
    validate: Callable[[str], bool]
    description: str
    severity: str = "high"
    context: re.Pattern[str] | None = None
    """When set, the candidate is kept only if this matches the 60 characters before it."""


def _ctx(words: str) -> re.Pattern[str]:
    return re.compile(rf"(?i)(?:{words})")


_D = r"(?<![\w.\-/])"  # start: not inside a longer token
_E = r"(?![\w\-/]|\.\d)"  # end

_IPV6 = re.compile(r"(?<![\w:])(?=[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:)[0-9A-Fa-f:]{3,39}(?![\w:])")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
_IPV4_HINT = re.compile(r"\d\.\d{1,3}\.\d")
_DIGIT_RUN = re.compile(r"\d+")


def _digit_windows(text: str) -> list[tuple[int, int]]:
    """Spans worth a closer look: clusters of digit runs (gaps of at most 3 characters)
    holding at least 6 digits, widened by 8 characters before and 4 after. Every
    entity but e-mail has digits, so text without such clusters is skipped at once."""
    windows: list[tuple[int, int]] = []
    start = end = -10
    digits = 0
    n = len(text)
    for m in _DIGIT_RUN.finditer(text):
        s, e = m.span()
        if s - end <= 3:
            end = e
            digits += e - s
            continue
        if digits >= 6:
            windows.append((max(0, start - 8), min(n, end + 4)))
        start, end, digits = s, e, e - s
    if digits >= 6:
        windows.append((max(0, start - 8), min(n, end + 4)))
    return windows


def _around(text: str, needle: str, radius: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    i = text.find(needle)
    while i >= 0:
        s, e = max(0, i - radius), min(len(text), i + radius)
        if spans and s <= spans[-1][1]:
            spans[-1] = (spans[-1][0], e)
        else:
            spans.append((s, e))
        i = text.find(needle, i + 1)
    return spans


ENTITIES: tuple[Entity, ...] = (
    Entity("EMAIL", re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}\b"),
           _email, "e-mail address", "medium"),
    Entity("CREDIT_CARD", re.compile(_D + r"\d(?:[ -]?\d){12,18}" + _E),
           lambda v: _card(re.sub(r"\D", "", v)), "payment card number (Luhn)", "critical"),
    Entity("IBAN", re.compile(r"(?<![A-Z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Z0-9])"),
           _iban, "IBAN (ISO 13616 check digits)", "high"),
    Entity("FR_NIR", re.compile(_D + r"[12] ?\d{2} ?(?:0[1-9]|1[0-2]|[2-9]\d) ?(?:\d{2}|2[ABab]) ?\d{3} ?\d{3} ?\d{2}" + _E),
           _stdnum("fr.nir"), "French social security number (NIR)"),
    Entity("IT_CODICE_FISCALE", re.compile(r"\b[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-EHLMPR-T][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]\b"),
           _stdnum("it.codicefiscale"), "Italian fiscal code"),
    Entity("ES_DNI", re.compile(_D + r"\d{8}-?[A-Z]\b"), _stdnum("es.dni"), "Spanish DNI"),
    Entity("ES_NIE", re.compile(r"\b[XYZ]-?\d{7}-?[A-Z]\b"), _stdnum("es.nie"), "Spanish NIE"),
    Entity("CN_RIC", re.compile(_D + r"\d{17}[\dXx]" + _E), _stdnum("cn.ric"), "Chinese resident identity card number"),
    Entity("GB_NINO", re.compile(r"\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"),
           _gb_nino, "UK National Insurance number"),
    Entity("AE_EMIRATES_ID", re.compile(_D + r"784-?\d{4}-?\d{7}-?\d" + _E), _ae_eid, "UAE Emirates ID"),
    Entity("US_SSN", re.compile(_D + r"\d{3}-\d{2}-\d{4}" + _E), _stdnum("us.ssn"), "US social security number"),
    Entity("BR_CPF", re.compile(_D + r"\d{3}\.\d{3}\.\d{3}-\d{2}" + _E), _stdnum("br.cpf"), "Brazilian CPF"),
    Entity("US_SSN", re.compile(_D + r"\d{9}" + _E), _stdnum("us.ssn"), "US social security number",
           context=_ctx(r"\bssn\b|social security")),
    Entity("BR_CPF", re.compile(_D + r"\d{11}" + _E), _stdnum("br.cpf"), "Brazilian CPF", context=_ctx(r"\bcpf\b")),
    Entity("DE_STEUER_ID", re.compile(_D + r"\d{2} ?\d{3} ?\d{3} ?\d{3}" + _E), _stdnum("de.idnr"),
           "German tax identification number (Steuer-ID)",
           context=_ctx(r"steuer|identifikationsnummer|\bidnr\b|\bid-nr|tax id")),
    Entity("PL_PESEL", re.compile(_D + r"\d{11}" + _E), _stdnum("pl.pesel"), "Polish PESEL", context=_ctx(r"pesel")),
    Entity("PT_NIF", re.compile(_D + r"\d{3} ?\d{3} ?\d{3}" + _E), _stdnum("pt.nif"), "Portuguese NIF",
           context=_ctx(r"\bnif\b|contribuinte|fiscal")),
    Entity("NL_BSN", re.compile(_D + r"(?:\d{4}\.?\d{2}\.?\d{3})" + _E), _stdnum("nl.bsn"),
           "Dutch citizen service number (BSN)", context=_ctx(r"\bbsn\b|burgerservicenummer|sofinummer")),
    Entity("RU_INN", re.compile(_D + r"\d{10}(?:\d{2})?" + _E), _stdnum("ru.inn"), "Russian taxpayer number (INN)",
           context=_ctx(r"\bинн\b|\binn\b|налогоплательщик")),
    Entity("JP_MY_NUMBER", re.compile(_D + r"\d{4} ?\d{4} ?\d{4}" + _E), _stdnum("jp.in_"), "Japanese Individual Number",
           context=_ctx(r"マイナンバー|個人番号|my ?number|individual number")),
    Entity("SA_NATIONAL_ID", re.compile(_D + r"[12]\d{9}" + _E), _sa_nid, "Saudi national ID / iqama number",
           context=_ctx(r"الهوية|هوية|رقم الإقامة|إقامة|iqama|national id|saudi id")),
    Entity("IP_ADDRESS", _IPV4, _ip, "public IPv4 address", "low"),
    Entity("IP_ADDRESS", _IPV6, _ip,
           "public IPv6 address", "low"),
)

ENTITY_NAMES: tuple[str, ...] = tuple(dict.fromkeys(["PHONE"] + [e.name for e in ENTITIES]))

# Entities claimed first win a span; phone numbers come last because many identifiers
# also parse as a valid phone number somewhere.
_PHONE_REGIONS: tuple[str, ...] = ("US", "GB", "FR", "DE", "ES", "IT", "PT", "BR", "NL", "PL", "RU", "CN", "JP", "SA", "AE")
_DATE = re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}$|^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$")
_SEPARATED = re.compile(r"\d[\s().\-]+\d")
_PHONE_CANDIDATE = re.compile(r"(?<![\w+.])(?:\+|00)?\(?\d[\d \t().\-]{5,18}\d(?![\w])")


def _phone(raw: str, regions: tuple[str, ...]) -> bool:
    import phonenumbers

    candidate = raw.strip()
    if candidate.startswith("00"):
        candidate = "+" + candidate[2:]
    digits = sum(c.isdigit() for c in candidate)
    if not 7 <= digits <= 15 or _DATE.search(candidate):
        return False
    if candidate.startswith("+"):
        tries: tuple[str | None, ...] = (None,)
    elif candidate.startswith(("0", "(0", "8")) or _SEPARATED.search(candidate):
        tries = regions  # a bare run of digits in a national format is too ambiguous
    else:
        return False
    for region in tries:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return True
    return False


def detect_pii(
    text: str,
    *,
    entities: Iterable[str] | None = None,
    phone_regions: Iterable[str] = _PHONE_REGIONS,
    path: str | None = None,
    names: bool = False,
    language: str = "en",
) -> list[Finding]:
    """Personal data in ``text``, each value validated, redacted, in order of position.

    ``entities`` restricts the search to these names (see :data:`ENTITY_NAMES`);
    ``phone_regions`` are the countries whose national phone formats are accepted
    (international ``+`` numbers are always accepted). ``names=True`` adds people's names
    and places found by Presidio (extra ``pii-ner``) when a spaCy model for ``language`` is
    installed; otherwise it is skipped with a warning that says what is missing.
    """
    if not text:
        return []
    wanted = set(entities) if entities is not None else set(ENTITY_NAMES)
    unknown = wanted - set(ENTITY_NAMES)
    if unknown:
        raise ValueError(f"unknown PII entities {sorted(unknown)}; known: {', '.join(ENTITY_NAMES)}")
    claimed: list[tuple[int, int]] = []
    found: list[tuple[int, Finding]] = []

    def free(s: int, e: int) -> bool:
        return not any(s < ce and cs < e for cs, ce in claimed)

    def add(s: int, e: int, value: str, name: str, description: str, severity: str) -> None:
        claimed.append((s, e))
        line, col = line_and_column(text, s)
        found.append(
            (
                s,
                Finding.of_value(
                    detector=DETECTOR,
                    rule_id=f"pii.{name.lower()}",
                    severity=severity,  # type: ignore[arg-type]
                    message=description,
                    value=value,
                    location=Location(path=path, line=line, column=col),
                    entity=name,
                ),
            )
        )

    windows = _digit_windows(text)
    has_digits = bool(windows)
    for ent in ENTITIES:
        if ent.name not in wanted:
            continue
        if ent.name == "EMAIL":
            spans = _around(text, "@", 80)
        elif ent.pattern is _IPV6:
            spans = [(0, len(text))] if "::" in text or text.count(":") >= 4 else []
        elif ent.pattern is _IPV4:
            spans = [(0, len(text))] if _IPV4_HINT.search(text) else []
        else:
            spans = windows
        for ws, we in spans:
            for m in ent.pattern.finditer(text, ws, we):
                s, e = m.span()
                value = m.group(0)
                if not free(s, e):
                    continue
                if ent.context is not None and not ent.context.search(text, max(0, s - 60), s):
                    continue
                if ent.validate(value):
                    add(s, e, value, ent.name, ent.description, ent.severity)
    if "PHONE" in wanted and has_digits:
        regions = tuple(phone_regions)
        for ws, we in windows:
            for m in _PHONE_CANDIDATE.finditer(text, max(0, ws - 4), we):
                s, e = m.span()
                if free(s, e) and _phone(m.group(0), regions):
                    add(s, e, m.group(0).strip(), "PHONE", "phone number (valid for its region)", "medium")
    if names:
        from bouclier.detectors import pii_ner

        reason = pii_ner.ner_unavailable_reason(language)
        if reason is None:
            for f in pii_ner.detect_names(text, language=language):
                found.append((0, f))
        elif reason not in _warned:
            _warned.add(reason)
            warnings.warn(f"names and addresses not detected: {reason}", stacklevel=2)
    found.sort(key=lambda t: (t[1].location.line or 0, t[1].location.column or 0) if t[1].location else (0, 0))
    return [f for _, f in found]


_warned: set[str] = set()


def count_entities(findings: Iterable[Finding]) -> dict[str, int]:
    """Per-entity counts, e.g. ``{"EMAIL": 2, "IBAN": 1}``."""
    return dict(Counter(f.entity or f.rule_id for f in findings))
