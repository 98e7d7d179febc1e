"""``fold`` (every offer and keyword goes through it) gives what the plain per-character version gave."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from bot.jobs.text import fold


def reference_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return " ".join(re.sub(r"[^\w]+", " ", bare).split())


@given(st.text(max_size=80))
def test_fold_matches_the_per_character_reference(text):
    assert fold(text) == reference_fold(text)


def test_fold_on_offer_words():
    assert (
        fold("Médiateur·rice de santé PAIR — CDI, Liège (ŒUVRE)")
        == "mediateur rice de sante pair cdi liege œuvre"
    )
    assert fold("") == fold(None) == ""
