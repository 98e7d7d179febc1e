"""Embeds, persistent buttons, views and modals of the resource library.

Persistent buttons (``DynamicItem``, stable custom ids, registered by the cog) keep working after a
restart: ``relais:resources:useful:<id>``, ``relais:resources:report:<id>``,
``relais:resources:post:<id>``. Their callbacks only forward to ``ResourceCardActions``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable
from typing import Protocol

import discord

from bot.core import timeutil
from bot.core.i18n import Translate
from bot.core.urls import markdown_safe
from bot.resources.library import KINDS, MAX_DESCRIPTION, MAX_TITLE, Popular, Resource, SearchPage
from bot.ui.base import RelaisModal, RelaisView, guarded
from bot.ui.limits import fit_embed

COLOUR = discord.Colour.from_rgb(64, 145, 108)


class ResourceCardActions(Protocol):
    """What a resource card's persistent buttons need; the resources cog provides it through
    ``bot.services`` while it is loaded."""

    async def on_useful(self, interaction: discord.Interaction, resource_id: int) -> None: ...

    async def on_report(self, interaction: discord.Interaction, resource_id: int) -> None: ...

    async def on_post(self, interaction: discord.Interaction, resource_id: int) -> None: ...


def kind_label(t: Translate, kind: str) -> str:
    return t(f"resources.kinds.{kind}") if kind in KINDS else kind


def kind_emoji(kind: str) -> str:
    return {
        "article": "📰",
        "podcast": "🎧",
        "video": "🎬",
        "livre": "📚",
        "guide": "🧭",
        "formation": "🎓",
        "projet": "🌱",
        "evenement": "📅",
        "outil": "🧰",
        "recherche": "🔬",
    }.get(kind, "🔗")


def format_date(moment: dt.datetime, zone_name: str) -> str:
    return moment.astimezone(timeutil.zone(zone_name)).strftime("%d/%m/%Y")


def credit(t: Translate, resource: Resource) -> str:
    if resource.author_id is None:
        # Imported from the starter library, or shared by a member who erased their data.
        return t("resources.card.library" if resource.source == "import" else "resources.card.former_member")
    if resource.shared_by and resource.shared_by != resource.author_id:
        return t(
            "resources.card.credited", author=f"<@{resource.author_id}>", sharer=f"<@{resource.shared_by}>"
        )
    return f"<@{resource.author_id}>"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def resource_embed(t: Translate, resource: Resource) -> discord.Embed:
    """The announcement card. Embeds never ping, whatever they contain."""
    embed = discord.Embed(
        title=_cut(f"{kind_emoji(resource.kind)} {resource.title}", 256),
        url=resource.url,
        description=_cut(resource.description, 2000) if resource.description else None,
        colour=COLOUR,
    )
    embed.add_field(name=t("resources.card.kind"), value=kind_label(t, resource.kind), inline=True)
    if resource.themes:
        embed.add_field(
            name=t("resources.card.themes"), value=_cut(", ".join(resource.themes), 1024), inline=True
        )
    embed.add_field(name=t("resources.card.shared_by"), value=credit(t, resource), inline=True)
    embed.set_footer(text=t("resources.card.footer", id=resource.id, site=resource.site or "—"))
    embed.timestamp = resource.created_at
    return fit_embed(embed)


# -- persistent buttons -------------------------------------------------------------------------
class UsefulButton(
    discord.ui.DynamicItem[discord.ui.Button], template=r"relais:resources:useful:(?P<id>\d+)"
):
    def __init__(self, resource_id: int, count: int = 0, label: str = "Utile") -> None:
        super().__init__(
            discord.ui.Button(
                label=f"{label} · {count}",
                emoji="👍",
                style=discord.ButtonStyle.success,
                custom_id=f"relais:resources:useful:{resource_id}",
            )
        )
        self.resource_id = resource_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> UsefulButton:
        return cls(int(match["id"]))

    @guarded
    async def callback(self, interaction: discord.Interaction) -> None:
        actions = interaction.client.services.require(ResourceCardActions)
        await actions.on_useful(interaction, self.resource_id)


class ReportButton(
    discord.ui.DynamicItem[discord.ui.Button], template=r"relais:resources:report:(?P<id>\d+)"
):
    def __init__(self, resource_id: int, label: str = "Signaler") -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                emoji="🚩",
                style=discord.ButtonStyle.secondary,
                custom_id=f"relais:resources:report:{resource_id}",
            )
        )
        self.resource_id = resource_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> ReportButton:
        return cls(int(match["id"]))

    @guarded
    async def callback(self, interaction: discord.Interaction) -> None:
        actions = interaction.client.services.require(ResourceCardActions)
        await actions.on_report(interaction, self.resource_id)


class PostButton(discord.ui.DynamicItem[discord.ui.Button], template=r"relais:resources:post:(?P<id>\d+)"):
    """« Partager dans le salon »: posts the card publicly in the channel where it is clicked."""

    def __init__(self, resource_id: int, label: str = "Partager dans le salon") -> None:
        super().__init__(
            discord.ui.Button(
                label=_cut(label, 80),
                emoji="📣",
                style=discord.ButtonStyle.primary,
                custom_id=f"relais:resources:post:{resource_id}",
            )
        )
        self.resource_id = resource_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> PostButton:
        return cls(int(match["id"]))

    @guarded
    async def callback(self, interaction: discord.Interaction) -> None:
        actions = interaction.client.services.require(ResourceCardActions)
        await actions.on_post(interaction, self.resource_id)


DYNAMIC_ITEMS = (UsefulButton, ReportButton, PostButton)


def card_view(t: Translate, resource: Resource) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(UsefulButton(resource.id, resource.useful_count, t("resources.buttons.useful")))
    view.add_item(ReportButton(resource.id, t("resources.buttons.report")))
    return view


def single_post_view(t: Translate, resource: Resource) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(PostButton(resource.id, t("resources.buttons.post")))
    return view


# -- lists and search -----------------------------------------------------------------------------
def _link_text(title: str) -> str:
    """A title inside « [titre](lien) »: no bracket to close it early, no Markdown to style or hide."""
    text = _cut(title, 120).replace("]", "⁆").replace("[", "⁅")
    return discord.utils.escape_markdown(text, ignore_links=False)


def _line(t: Translate, resource: Resource, extra: str = "") -> str:
    themes = f" · {', '.join(resource.themes[:3])}" if resource.themes else ""
    return t(
        "resources.list.line",
        id=resource.id,
        emoji=kind_emoji(resource.kind),
        title=_link_text(resource.title),
        url=markdown_safe(resource.url),
        kind=kind_label(t, resource.kind),
        themes=themes,
        extra=extra,
    )


def list_embed(
    t: Translate, title: str, items: list[Resource], extras: list[str] | None = None
) -> discord.Embed:
    extras = extras or [""] * len(items)
    lines = [_line(t, r, e) for r, e in zip(items, extras, strict=True)]
    return fit_embed(discord.Embed(title=title, description=_cut("\n".join(lines), 4000), colour=COLOUR))


def popular_embed(t: Translate, title: str, items: list[Popular]) -> discord.Embed:
    return list_embed(
        t, title, [p.resource for p in items], [t("resources.list.votes", count=p.votes) for p in items]
    )


def search_embed(t: Translate, query: str, page: SearchPage) -> discord.Embed:
    total = str(page.total) if page.exact else t("resources.search.many", count=page.total)
    embed = list_embed(t, t("resources.search.title", query=_cut(query, 100)), list(page.resources))
    embed.set_footer(text=t("resources.search.footer", page=page.page + 1, total=total))
    return fit_embed(embed)


SearchRunner = Callable[[discord.Interaction, int], Awaitable[None]]


class SearchView(RelaisView):
    """Previous/next page (this member's ephemeral message) and one « Partager » button per result."""

    def __init__(self, t: Translate, page: SearchPage, turn_page: SearchRunner) -> None:
        super().__init__(timeout=900)
        self._turn_page = turn_page
        self.page = page.page
        previous = discord.ui.Button(
            label=t("resources.buttons.previous"),
            emoji="◀️",
            style=discord.ButtonStyle.secondary,
            disabled=page.page == 0,
            row=0,
        )
        following = discord.ui.Button(
            label=t("resources.buttons.next"),
            emoji="▶️",
            style=discord.ButtonStyle.secondary,
            disabled=not page.has_next,
            row=0,
        )
        previous.callback = self._previous
        following.callback = self._next
        self.add_item(previous)
        self.add_item(following)
        for resource in page.resources:
            button = PostButton(resource.id, t("resources.buttons.post_numbered", id=resource.id))
            button.item.row = 1
            self.add_item(button)

    async def _previous(self, interaction: discord.Interaction) -> None:
        await self._turn_page(interaction, max(0, self.page - 1))

    async def _next(self, interaction: discord.Interaction) -> None:
        await self._turn_page(interaction, self.page + 1)


# -- modals ---------------------------------------------------------------------------------------
ShareSubmit = Callable[[discord.Interaction, dict[str, str]], Awaitable[None]]


class ResourceModal(RelaisModal):
    """Title, type, themes and description: the « Enregistrer comme ressource » and edit forms."""

    def __init__(
        self,
        t: Translate,
        title: str,
        on_submit: ShareSubmit,
        *,
        values: dict[str, str] | None = None,
        title_required: bool = False,
    ) -> None:
        super().__init__(title=_cut(title, 45), timeout=900)
        values = values or {}
        self._on_submit = on_submit
        self.title_input = discord.ui.TextInput(
            custom_id="title",
            label=t("resources.modal.title"),
            required=title_required,
            max_length=MAX_TITLE,
            default=values.get("title") or None,
            placeholder=t("resources.modal.title_hint"),
        )
        self.kind_input = discord.ui.TextInput(
            custom_id="kind",
            label=t("resources.modal.kind"),
            required=False,
            max_length=20,
            default=values.get("kind") or None,
            placeholder=t("resources.modal.kind_hint"),
        )
        self.themes_input = discord.ui.TextInput(
            custom_id="themes",
            label=t("resources.modal.themes"),
            required=False,
            max_length=400,
            default=values.get("themes") or None,
            placeholder=t("resources.modal.themes_hint"),
        )
        self.description_input = discord.ui.TextInput(
            custom_id="description",
            label=t("resources.modal.description"),
            required=False,
            max_length=MAX_DESCRIPTION,
            style=discord.TextStyle.paragraph,
            default=values.get("description") or None,
        )
        for item in (self.title_input, self.kind_input, self.themes_input, self.description_input):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self._on_submit(
            interaction,
            {
                "title": self.title_input.value,
                "kind": self.kind_input.value,
                "themes": self.themes_input.value,
                "description": self.description_input.value,
            },
        )


def report_card(t: Translate, resource: Resource, reporter_id: int, zone_name: str) -> discord.Embed:
    """For the mod-log channel only: the reporter is named to moderators, never to the author."""
    embed = discord.Embed(
        title=t("resources.report.card_title", id=resource.id),
        description=t(
            "resources.report.card_body",
            title=_cut(resource.title, 200),
            url=resource.url,
            reporter=f"<@{reporter_id}>",
            reporter_id=reporter_id,
            author=credit(t, resource),
        ),
        colour=discord.Colour.orange(),
    )
    link = resource.jump_url()
    if link:
        embed.add_field(name=t("resources.report.announcement"), value=link, inline=False)
    embed.set_footer(text=t("resources.report.card_footer", id=resource.id))
    return fit_embed(embed)


def digest_embed(
    t: Translate, items: tuple[Resource, ...], start: dt.datetime, end: dt.datetime, zone_name: str
) -> discord.Embed:
    lines = [
        _line(t, r, t("resources.list.votes", count=r.useful_count) if r.useful_count else "") for r in items
    ]
    return fit_embed(
        discord.Embed(
            title=t(
                "resources.digest.title", start=format_date(start, zone_name), end=format_date(end, zone_name)
            ),
            description=_cut(t("resources.digest.intro") + "\n\n" + "\n".join(lines), 4000),
            colour=COLOUR,
        )
    )
