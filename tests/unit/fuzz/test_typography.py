"""French typography, for any text: idempotent, only spaces change, protected spans untouched."""

from __future__ import annotations

import os
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.typography import _PROTECTED, NARROW_NBSP, NBSP, french

FUZZ_EXAMPLES = int(os.environ.get("RELAIS_FUZZ_EXAMPLES", "3000"))
BUDGET = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
SPACE_CHARS = {" ", NBSP, NARROW_NBSP, "\u2009", "\u2007"}

# Pieces a French text of Relais is made of, so the rules meet each other often.
PIECES = st.sampled_from(
    [
        " ",
        "  ",
        NBSP,
        NARROW_NBSP,
        "\n",
        "mot",
        "Été",
        "14:30",
        "1:3",
        "a;b",
        ";",
        ":",
        "!",
        "?",
        "?!",
        "«",
        "»",
        "« ",
        " »",
        "{title}",
        "{n:>3}",
        "<@123>",
        "<@&45>",
        "<#67>",
        "<t:1700000000:F>",
        "<:relais:89>",
        "</aide:12>",
        "`code ? :`",
        "```bloc ! ;```",
        "https://exemple.be/p?q=1&r=2:3",
        "<https://a.b/c?d>",
        "[lien ?](https://a.b/?x=1)",
        ":warning:",
        "**gras**",
        "(",
        ")",
        "…",
        "n° 12",
        "n°{id}",
        "n°",
        "°",
        "'",
    ]
)
TEXTS = st.one_of(st.lists(PIECES, max_size=14).map("".join), st.text(max_size=60))


def _without_spaces(text: str) -> str:
    return "".join(c for c in text if c not in SPACE_CHARS)


@BUDGET
@given(TEXTS)
def test_idempotent(text):
    once = french(text)
    assert french(once) == once


@BUDGET
@given(TEXTS)
def test_only_spaces_change(text):
    assert _without_spaces(french(text)) == _without_spaces(text)
    assert "\n" not in text or french(text).count("\n") == text.count("\n")


@BUDGET
@given(TEXTS)
def test_protected_spans_come_out_unchanged(text):
    spans = [m.group(0) for m in _PROTECTED.finditer(text)]
    assert [m.group(0) for m in _PROTECTED.finditer(french(text))] == spans


@BUDGET
@given(st.lists(PIECES, max_size=14).map("".join))
def test_no_ordinary_space_is_left_before_a_mark_outside_protected_spans(text):
    out = french(text)
    bare = _PROTECTED.sub(lambda m: "X" * len(m.group(0)), out)
    assert not re.search(r" [;:!?»]", bare)
    assert not re.search(r"« ", bare)


def test_examples():
    assert french("Bonjour !") == f"Bonjour{NARROW_NBSP}!"
    assert french("Vraiment?") == f"Vraiment{NARROW_NBSP}?"
    assert french("Oui ; non") == f"Oui{NARROW_NBSP}; non"
    assert french("Raison : {reason}") == f"Raison{NBSP}: {{reason}}"
    assert french("Raison: {reason}") == f"Raison{NBSP}: {{reason}}"
    assert french("La séance «{title}» est annulée.") == f"La séance «{NBSP}{{title}}{NBSP}» est annulée."
    assert french("« Cycle »") == f"«{NBSP}Cycle{NBSP}»"
    assert french("Quoi ?!") == f"Quoi{NARROW_NBSP}?!"
    assert french("Cas n° 12 et n°{number}") == f"Cas n°{NBSP}12 et n°{NBSP}{{number}}"


def test_what_is_not_a_sentence_is_left_alone():
    for text in (
        "à 14:30",
        "ratio 1:3",
        "a;b",
        "https://exemple.be/?q=1",
        "<https://exemple.be/>",
        "<@123> <@!123> <@&4> <#5> <t:1700000000:F> <t:1700000000> <:relais:89> <a:relais:89>",
        "`/mod avertir membre: raison: ?`",
        "[Le guide ?](https://exemple.be/guide?x=1)",
        "{title:>10}",
        ":warning:",
        "?",
        "\n? au début d'une ligne",
    ):
        assert french(text) == text, text
    assert french("pas « {scheme}: »") == f"pas «{NBSP}{{scheme}}:{NBSP}»", (
        "a colon glued to a value is its own"
    )


def test_a_placeholder_followed_by_a_mark_gets_the_space_but_not_the_value():
    rendered = french("Merci {name}!").format(name="Léa ?")
    assert rendered == f"Merci Léa ?{NARROW_NBSP}!"
