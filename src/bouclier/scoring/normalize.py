"""Text normalisation shared by the scorers (and by cross-lingual consistency checks)."""

from __future__ import annotations

import re
import string
import unicodedata

_PUNCT = re.compile(r"[\s" + re.escape(string.punctuation) + r"\u3000-\u303f\uff01-\uff0f\u060c\u061b\u061f\u00ab\u00bb\u2018-\u201f]+")
_SPACE = re.compile(r"\s+")


def normalize(text: str, *, case: bool = True, whitespace: bool = True,
              punctuation: bool = False, unicode: bool = True) -> str:
    """Normalise a string for comparison: Unicode NFKC, case folding, collapsed
    whitespace, optionally punctuation removed (ASCII, CJK and Arabic marks)."""
    if unicode and not text.isascii():  # ASCII is already NFKC
        text = unicodedata.normalize("NFKC", text)
    if case:
        text = text.casefold()
    if punctuation:
        text = _PUNCT.sub(" ", text)
    if whitespace or punctuation:
        text = _SPACE.sub(" ", text).strip()
    return text


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_WORD = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> list[str]:
    """Word tokens; CJK characters are one token each (no spaces between words there)."""
    out: list[str] = []
    for word in _WORD.findall(normalize(text, punctuation=True)):
        if _CJK.search(word):
            out.extend(ch for ch in word)
        else:
            out.append(word)
    return out
