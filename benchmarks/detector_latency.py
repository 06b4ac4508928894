"""Per-output latency of the leak detectors on 2 KB model outputs.

    PYTHONPATH=src python benchmarks/detector_latency.py

Three 2 KB outputs: plain prose with a few numbers, prose with one planted secret, and a
dense one (every PII kind of docs/scanning.md). Median of 5 repeats of 200 calls each.
"""

from __future__ import annotations

import secrets
import statistics
import string
import time

from bouclier.detectors import detect_canaries, detect_pii, detect_secrets, new_canary_token

PROSE = ("The quarterly report shows revenue of 4.2 million across 14 regions; the team of 37 "
         "people will meet on 12 March at 10:30 to review the plan for 2025. ")


def outputs() -> dict[str, str]:
    token = "ghp_" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(36))
    dense = ("Mail jean.dupont@orange.fr, call +33 6 12 34 56 78, card 4111 1111 1111 1111, "
             "IBAN FR14 2004 1010 0505 0001 3M02 606, NIR 2 55 08 14 168 025 38, SSN 536-90-4399, "
             "CF RSSMRA85T10A562S, DNI 12345678Z, ИНН 7707083893, IP 8.8.8.8. ")
    return {
        "plain prose": (PROSE * 20)[:2048],
        "prose + 1 secret": (PROSE * 10)[:1000] + f" token {token} " + (PROSE * 10)[:1000],
        "dense PII": (dense * 10)[:2048],
    }


def median_ms(fn, text: str) -> float:
    fn(text)
    runs = []
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(200):
            fn(text)
        runs.append((time.perf_counter() - t) / 200 * 1000)
    return statistics.median(runs)


def main() -> None:
    tokens = [new_canary_token(seed=i) for i in range(3)]
    detectors = {
        "detect_secrets": detect_secrets,
        "detect_pii": detect_pii,
        "detect_canaries (3 tokens)": lambda t: detect_canaries(t, tokens),
    }
    for name, text in outputs().items():
        row = ", ".join(f"{d} {median_ms(fn, text):.3f} ms" for d, fn in detectors.items())
        print(f"{name} ({len(text)} chars): {row}")


if __name__ == "__main__":
    main()
