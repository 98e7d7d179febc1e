"""French typography for the texts Relais writes: no-break spaces before ; : ! ? and inside « ».

A member must never see « ? » alone at the start of a line, or a « » wrapped away from its word.
Applied once, to French templates where they are rendered (``Catalog.t``), so the 500 texts of
the catalogs are written with ordinary spaces and what members type is never touched.

- ``;``, ``!``, ``?`` take a narrow no-break space (U+202F), the « espace fine insécable » of the
  French rules; ``:`` and the inside of « » take a full-width no-break space (U+00A0), as the
  rules give them a word space, not a fine one.
- an ordinary space there is replaced; a missing one is added only where the mark ends a
  sentence or a phrase (a space, the end, a closing mark follow), so ``14:30``, ``1:3``, ``a;b``,
  ``Quoi?!`` (between two marks), ``?id=`` and a colon glued to a placeholder (``{scheme}:``)
  are left alone;
- « n° » is tied to its number by a no-break space (U+00A0): « n° 12 » never breaks after « n° »;
- nothing is changed inside URLs, Discord markup (``<@123>``, ``<#…>``, ``<@&…>``, ``<t:…>``,
  ``<:emoji:id>``, ``</command:id>``), inline code and code blocks, ``{placeholders}``,
  markdown links and ``:shortcodes:``.

``french(french(text)) == french(text)``, and only spaces are added or replaced.
"""

from __future__ import annotations

import functools
import re

NARROW_NBSP = "\u202f"
NBSP = "\u00a0"
# Horizontal spaces a rule replaces (a newline before « ? » is left: it is a layout choice).
SPACES = " \u00a0\u202f\u2009\u2007"
# What may end the word before a mark that gets an added space: letters, digits, a closing quote,
# bracket, placeholder, mention, code or markdown emphasis.
_WORD_END = re.compile(r"[\w)\]}>`»…*_~\"'’%€]")
# What may follow a mark for a space to be added before it: nothing, a space, or closing marks.
_PHRASE_END = re.compile(r"[\s!?.,…»)\]*_~\"'’|]")

_PROTECTED = re.compile(
    r"```.*?```"  # code blocks
    r"|`[^`\n]*`"  # inline code
    r"|\[[^\]\n]*\]\([^)\s]*\)"  # markdown links
    r"|<?[a-zA-Z][a-zA-Z0-9+.-]*://[^\s>]*>?"  # URLs, with or without <…>
    r"|(?:mailto|tel):[^\s>]+"
    r"|</[^<>\s:]+(?: [^<>:]+)*:\d+>"  # slash-command mentions
    r"|<(?:@[!&]?|#)\d+>"  # member, role and channel mentions
    r"|<t:-?\d+(?::[a-zA-Z])?>"  # timestamps
    r"|<a?:\w+:\d+>"  # custom emoji
    r"|\{[^{}]*\}"  # placeholders
    r"|:[a-z0-9_+-]+:",  # emoji shortcodes
    re.DOTALL,
)

_FINE = {";": NARROW_NBSP, "!": NARROW_NBSP, "?": NARROW_NBSP, ":": NBSP}


def _protected_mask(text: str) -> list[bool]:
    mask = [False] * len(text)
    for match in _PROTECTED.finditer(text):
        for i in range(match.start(), match.end()):
            mask[i] = True
    return mask


def _before_mark(text: str, mask: list[bool], i: int, space: str) -> str | None:
    """What goes just before the mark at ``i``: the space to write, or ``None`` to leave it."""
    previous = text[i - 1] if i > 0 else ""
    following = text[i + 1] if i + 1 < len(text) else ""
    if previous and mask[i - 1] and previous not in "}>`":
        return None  # right after code, a URL or a shortcode: theirs, not a sentence's
    if previous and previous in SPACES:
        # « « ? » »: the space belongs to the guillemet (its rule wrote it), whatever follows.
        return None if i > 1 and text[i - 2] == "«" else space
    if not previous or previous in _FINE or previous == "«":
        return None  # start of text, « ?! », « «? »: nothing to attach the space to
    if text[i] == ":" and previous == "}":
        return None  # « {scheme}: », « {hour}:{minute} »: a colon glued to a value is part of it
    if _WORD_END.match(previous) and (not following or _PHRASE_END.match(following)):
        return space
    return None


def _is_number_sign(text: str, i: int) -> bool:
    """« n° » (« N° ») followed by a number or a placeholder, with or without a space."""
    if i < 1 or text[i - 1] not in "nN" or (i >= 2 and text[i - 2].isalnum()):
        return False
    rest = text[i + 1 : i + 3]
    if rest[:1] and rest[0] in SPACES:
        rest = rest[1:]
    return bool(rest) and (rest[0].isdigit() or rest[0] == "{")


@functools.lru_cache(maxsize=8192)
def french(text: str) -> str:
    """``text`` with French no-break spaces (see the module's docstring)."""
    if not any(mark in text for mark in ";:!?«»°"):
        return text
    mask = _protected_mask(text)
    out: list[str] = []
    n = len(text)
    i = 0
    while i < n:
        char = text[i]
        if mask[i]:
            out.append(char)
            i += 1
            continue
        if char in _FINE:
            space = _before_mark(text, mask, i, _FINE[char])
            if space is not None:
                if out and out[-1] in SPACES:
                    out[-1] = space
                else:
                    out.append(space)
            out.append(char)
            i += 1
            continue
        if char == "°" and _is_number_sign(text, i):
            out.append(char)
            following = text[i + 1] if i + 1 < n else ""
            if following in SPACES and not mask[i + 1]:
                out.append(NBSP)
                i += 2
            else:
                out.append(NBSP)
                i += 1
            continue
        if char == "«":
            out.append(char)
            following = text[i + 1] if i + 1 < n else ""
            if following and following in SPACES and not mask[i + 1]:
                out.append(NBSP)
                i += 2
                continue
            if following and not following.isspace() and following != "»":
                out.append(NBSP)
            i += 1
            continue
        if char == "»":
            previous = text[i - 1] if i > 0 else ""
            if previous and previous in SPACES and out and out[-1] in SPACES:
                out[-1] = NBSP
            elif previous and not previous.isspace() and previous != "«":
                out.append(NBSP)
            out.append(char)
            i += 1
            continue
        out.append(char)
        i += 1
    return "".join(out)
