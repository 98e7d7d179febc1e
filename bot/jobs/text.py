"""Text comparison for job offers: accents, case and punctuation never make two names differ."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable


class _WithoutMarks(dict):
    """``str.translate`` table dropping combining marks, filled as characters are first seen:
    every offer is folded, and a per-character Python loop was most of the matching time."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        self[code] = kept
        return kept


_WITHOUT_MARKS = _WithoutMarks()
_PUNCTUATION = re.compile(r"[^\w]+")


def fold(text: str) -> str:
    """Lower-case, accents removed, punctuation turned into single spaces: for comparisons."""
    bare = unicodedata.normalize("NFKD", text or "").translate(_WITHOUT_MARKS).lower()
    return " ".join(_PUNCTUATION.sub(" ", bare).split())


def tokens(text: str) -> set[str]:
    return set(fold(text).split())


def canonical(text: str, names: Iterable[str]) -> str | None:
    """The configured spelling of ``text`` among ``names``, compared folded; None when absent."""
    wanted = fold(text)
    return next((n for n in names if fold(n) == wanted), None) if wanted else None
