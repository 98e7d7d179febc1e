"""/aide laid out: the caller's commands grouped by capability, in as many pages as Discord needs.

A section is the capability (extension) that declared the commands; its lines are never cut: a
section longer than one field continues in the next field, and a page that would pass Discord's
limits continues on the next page. Every page carries the same title and footer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import discord

from bot.ui import limits

PAGE_FIELDS = limits.FIELDS


@dataclass(frozen=True, slots=True)
class Section:
    """One capability's commands as the caller reads them, one line each."""

    title: str
    lines: tuple[str, ...]


def section_fields(
    section: Section, continued: str, limit: int = limits.FIELD_VALUE
) -> list[tuple[str, str]]:
    """(name, value) fields holding every line of ``section``, split between lines, never inside one.

    ``continued`` names the fields after the first (« Intervisions (suite) »). A single line longer
    than a field (a command description is at most 100 characters) is shortened on a word.
    """
    fields: list[tuple[str, str]] = []
    current: list[str] = []
    size = 0
    for line in section.lines:
        line = limits.shorten(line, limit)
        added = len(line) + (1 if current else 0)
        if current and size + added > limit:
            fields.append((section.title if not fields else continued, "\n".join(current)))
            current, size = [], 0
            added = len(line)
        current.append(line)
        size += added
    if current:
        fields.append((section.title if not fields else continued, "\n".join(current)))
    return [(limits.shorten(name, limits.FIELD_NAME), value) for name, value in fields]


def pack_pages(
    fields: list[tuple[str, str]], *, fixed: int, total: int = limits.TOTAL, max_fields: int = PAGE_FIELDS
) -> list[list[tuple[str, str]]]:
    """Fields in order, on as few pages as Discord's limits allow; ``fixed`` is what each page
    spends besides its fields (title, footer)."""
    pages: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    size = fixed
    for name, value in fields:
        cost = len(name) + len(value)
        if current and (size + cost > total or len(current) >= max_fields):
            pages.append(current)
            current, size = [], fixed
        current.append((name, value))
        size += cost
    if current or not pages:
        pages.append(current)
    return pages


def help_embeds(
    sections: list[Section],
    *,
    title: str,
    footer: str,
    page_label: Callable[[int, int], str],
    continued: Callable[[str], str],
    empty: str,
    colour: int | None = None,
) -> list[discord.Embed]:
    """The pages of /aide: each page an embed whose fields are sections (or parts of one).

    ``page_label(number, count)`` is added to the footer when there is more than one page;
    ``continued(title)`` names a section's fields after its first.
    """
    fields: list[tuple[str, str]] = []
    for section in sections:
        if section.lines:
            fields += section_fields(section, continued(section.title))
    # Room for the longest page label, so the footer is the same whichever page it is on.
    longest_label = page_label(99, 99)
    fixed = len(title) + len(footer) + len(" · ") + len(longest_label)
    pages = pack_pages(fields, fixed=fixed)
    embeds = []
    for number, page in enumerate(pages, start=1):
        embed = discord.Embed(title=title, colour=colour)
        if not page:
            embed.description = empty
        for name, value in page:
            embed.add_field(name=name, value=value, inline=False)
        text = footer if len(pages) == 1 else f"{footer} · {page_label(number, len(pages))}"
        embed.set_footer(text=text)
        embeds.append(limits.fit_embed(embed))
    return embeds
