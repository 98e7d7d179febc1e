"""Text comparison for job offers: accents, case and punctuation never make two names differ."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable


def fold(text: str) -> str:
    """Lower-case, accents removed, punctuation turned into single spaces: for comparisons."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return " ".join(re.sub(r"[^\w]+", " ", bare).split())


def tokens(text: str) -> set[str]:
    return set(fold(text).split())


def canonical(text: str, names: Iterable[str]) -> str | None:
    """The configured spelling of ``text`` among ``names``, compared folded; None when absent."""
    wanted = fold(text)
    return next((n for n in names if fold(n) == wanted), None) if wanted else None
