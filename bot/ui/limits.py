"""Discord's size limits for embeds and message content, applied before sending.

Discord refuses a whole message (400, nothing posted) when one embed part is too long, when an
embed has more than 25 fields or when the embeds of a message add up to more than 6,000
characters. ``fit_embed``/``fit_embeds`` shorten what is too long instead: whole words, ending
with « … »; ``split_content`` and ``fit_content`` do the same for the 2,000 characters of a
message's content. Every embed builder of every capability ends with ``fit_embed``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import discord

TITLE = 256
DESCRIPTION = 4096
FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
AUTHOR = 256
TOTAL = 6000
CONTENT = 2000
ELLIPSIS = "…"
# A cut may give up at most this share of the allowed length to land on a word boundary.
WORD_SLACK = 0.2


def shorten(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters: cut after a whole word and end with « … »."""
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return ELLIPSIS[: max(limit, 0)]
    room = limit - len(ELLIPSIS)
    head = text[:room]
    if not text[room].isspace():  # the cut falls inside a word: go back to the previous space
        space = max(head.rfind(" "), head.rfind("\n"))
        if space >= room * (1 - WORD_SLACK):
            head = head[:space]
    return head.rstrip() + ELLIPSIS


class _Part:
    """One text of an embed that counts towards the 6,000 characters, with its own limit."""

    def __init__(self, get: Callable[[], str], put: Callable[[str], None], floor: int) -> None:
        self.get, self.put, self.floor = get, put, floor

    def __len__(self) -> int:
        return len(self.get())


def _parts(embed: discord.Embed) -> list[_Part]:
    parts: list[_Part] = []
    if embed.title:
        parts.append(_Part(lambda: embed.title or "", lambda v: setattr(embed, "title", v), 1))
    if embed.description:
        parts.append(_Part(lambda: embed.description or "", lambda v: setattr(embed, "description", v), 1))
    for field in getattr(embed, "_fields", []):
        parts.append(_Part(lambda f=field: f["name"], lambda v, f=field: f.__setitem__("name", v), 1))
        parts.append(_Part(lambda f=field: f["value"], lambda v, f=field: f.__setitem__("value", v), 1))
    footer = getattr(embed, "_footer", None)
    if footer and footer.get("text"):
        parts.append(_Part(lambda: footer["text"], lambda v: footer.__setitem__("text", v), 1))
    author = getattr(embed, "_author", None)
    if author and author.get("name"):
        parts.append(_Part(lambda: author["name"], lambda v: author.__setitem__("name", v), 1))
    return parts


def _fit_each(embed: discord.Embed) -> None:
    if embed.title:
        embed.title = shorten(str(embed.title), TITLE)
    if embed.description:
        embed.description = shorten(str(embed.description), DESCRIPTION)
    fields = getattr(embed, "_fields", None)
    if fields:
        del fields[FIELDS:]
        for field in fields:
            field["name"] = shorten(str(field["name"]), FIELD_NAME) or ELLIPSIS
            field["value"] = shorten(str(field["value"]), FIELD_VALUE) or ELLIPSIS
    footer = getattr(embed, "_footer", None)
    if footer and footer.get("text"):
        footer["text"] = shorten(str(footer["text"]), FOOTER)
    author = getattr(embed, "_author", None)
    if author and author.get("name"):
        author["name"] = shorten(str(author["name"]), AUTHOR)


def fit_embeds(embeds: Iterable[discord.Embed], *, total: int = TOTAL) -> list[discord.Embed]:
    """Make the embeds of one message respect every Discord limit; changed in place and returned.
    Over the 6,000 characters, the longest text is shortened first (a long description or
    field loses a few words; short labels keep theirs)."""
    embeds = list(embeds)
    for embed in embeds:
        _fit_each(embed)
    parts = [part for embed in embeds for part in _parts(embed)]
    excess = sum(len(p) for p in parts) - total
    while excess > 0:
        longest = max(parts, key=len)
        size = len(longest)
        if size <= longest.floor:
            break  # cannot happen within Discord's counts (25 fields × 2 × 1 char ≪ 6,000)
        # Cut at least to the second-longest text, so long texts share the loss fairly.
        second = max((len(p) for p in parts if p is not longest), default=0)
        target = max(longest.floor, min(size - excess, max(second, size // 2)))
        longest.put(shorten(longest.get(), target))
        excess -= size - len(longest)
    return embeds


def fit_embed(embed: discord.Embed) -> discord.Embed:
    """One embed, alone in its message, within every Discord limit (see ``fit_embeds``)."""
    fit_embeds([embed])
    return embed


def fit_content(text: str, limit: int = CONTENT) -> str:
    """Message content for a place that takes one message only: cut after a whole word with « … »."""
    return shorten(text, limit)


def split_content(text: str, limit: int = CONTENT) -> list[str]:
    """Message content in as many messages as needed, cut between lines when possible, then
    between words; nothing is lost."""
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        head = rest[:limit]
        cut = head.rfind("\n")
        if cut < limit // 2:
            cut = head.rfind(" ")
        if cut < limit // 2:
            cut = limit
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    if rest or not chunks:
        chunks.append(rest)
    return [chunk for chunk in chunks if chunk] or [""]
