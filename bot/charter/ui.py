"""Embeds, the persistent acceptance button and the pager of the charter; crisis-line cards."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Protocol

import discord

from bot.charter.care import Country
from bot.charter.model import Article, Charter, Rule
from bot.ui.base import guarded
from bot.ui.limits import fit_embed

CHARTER_COLOUR = discord.Colour.from_rgb(88, 140, 126)
CARE_COLOUR = discord.Colour.from_rgb(214, 150, 90)
FLAG_COLOUR = discord.Colour.orange()
Text = Callable[..., str]


def article_field(article: Article) -> tuple[str, str]:
    return f"{article.number}. {article.title}", article.text[:1024]


def charter_embeds(charter: Charter, t: Text, per_page: int = 4) -> list[discord.Embed]:
    """The preamble, then the articles a few per page (embeds stay well under Discord's limits)."""
    articles = list(charter.articles)
    chunks = [articles[i : i + per_page] for i in range(0, len(articles), per_page)] or [[]]
    embeds = []
    for index, chunk in enumerate(chunks):
        embed = discord.Embed(title=charter.title, colour=CHARTER_COLOUR)
        if index == 0:
            embed.description = charter.preamble[:4000]
        for article in chunk:
            name, value = article_field(article)
            embed.add_field(name=name, value=value, inline=False)
        embed.set_footer(
            text=t("charter.view.footer", version=charter.version, page=index + 1, pages=len(chunks))
        )
        embeds.append(fit_embed(embed))
    return embeds


def article_embed(charter: Charter, article: Article, t: Text) -> discord.Embed:
    embed = discord.Embed(
        title=f"{article.number}. {article.title}", description=article.text, colour=CHARTER_COLOUR
    )
    embed.set_footer(text=t("charter.view.article_footer", title=charter.title, version=charter.version))
    return fit_embed(embed)


class CharterAcceptance(Protocol):
    """What the acceptance button needs; the charter cog provides it (``bot.services``)."""

    async def accept(self, interaction: discord.Interaction, guild_id: int) -> None: ...


class AcceptCharterButton(
    discord.ui.DynamicItem[discord.ui.Button], template=r"relais:charter:accept:(?P<guild_id>\d+)"
):
    """« J'ai lu et j'accepte la charte »: in the charter channel and in version-change notices (DMs
    included, hence the guild id in the custom id). Survives restarts."""

    def __init__(self, guild_id: int, label: str = "") -> None:
        super().__init__(
            discord.ui.Button(
                label=label or "J'ai lu et j'accepte la charte",
                style=discord.ButtonStyle.success,
                custom_id=f"relais:charter:accept:{guild_id}",
                emoji="✅",
            )
        )
        self.guild_id = guild_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> AcceptCharterButton:
        return cls(int(match["guild_id"]), item.label or "")

    @guarded
    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.client.services.require(CharterAcceptance).accept(interaction, self.guild_id)


def accept_view(guild_id: int, label: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(AcceptCharterButton(guild_id, label))
    return view


def crisis_embed(
    countries: list[Country],
    t: Text,
    *,
    title_key: str = "charter.care.title",
    intro_key: str = "charter.care.intro",
    duty: str = "",
) -> discord.Embed:
    embed = discord.Embed(title=t(title_key), description=t(intro_key), colour=CARE_COLOUR)
    for country in countries[:6]:
        lines = [
            t("charter.care.line", name=line.name, number=line.number, hours=line.hours)
            for line in country.lines
        ]
        lines.append(t("charter.care.emergency", number=country.emergency))
        embed.add_field(name=country.name, value="\n".join(lines)[:1024], inline=False)
    if duty:
        embed.add_field(name=t("charter.care.duty_title"), value=duty[:1024], inline=False)
    embed.set_footer(text=t("charter.care.footer"))
    return fit_embed(embed)


def flag_card(
    rule: Rule, article: Article | None, message: discord.Message, matched: str, t: Text
) -> discord.Embed:
    """The card an automod ``flag`` posts for moderators: what, where, which article (no ping)."""
    embed = discord.Embed(
        title=t("charter.flag.title", rule=rule.id),
        colour=FLAG_COLOUR,
        description=(message.content or "")[:1000] or t("charter.flag.no_text"),
    )
    embed.add_field(name=t("charter.flag.author"), value=f"{message.author.mention} (`{message.author.id}`)")
    embed.add_field(
        name=t("charter.flag.where"),
        value=f"{message.channel.mention} — [{t('charter.flag.link')}]({message.jump_url})",
    )
    if article is not None:
        embed.add_field(
            name=t("charter.flag.article"), value=f"{article.number}. {article.title}", inline=False
        )
    embed.add_field(name=t("charter.flag.matched"), value=f"« {matched[:200]} »", inline=False)
    return fit_embed(embed)


class CareHandoff(Protocol):
    """What the handoff buttons need; the charter cog provides it (``bot.services``)."""

    async def handoff(self, interaction: discord.Interaction, guild_id: int) -> None: ...

    async def close_handoff(self, interaction: discord.Interaction, thread_id: int) -> None: ...


class HandoffButton(
    discord.ui.DynamicItem[discord.ui.Button], template=r"relais:charter:handoff:(?P<guild_id>\d+)"
):
    """« Parler à un·e pair de permanence »: on the care DM and on /urgence. Survives restarts (the DM
    may be read hours later), hence the guild id in the custom id."""

    def __init__(self, guild_id: int, label: str = "") -> None:
        super().__init__(
            discord.ui.Button(
                label=label or "Parler à un·e pair de permanence",
                style=discord.ButtonStyle.primary,
                custom_id=f"relais:charter:handoff:{guild_id}",
                emoji="🤝",
            )
        )
        self.guild_id = guild_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> HandoffButton:
        return cls(int(match["guild_id"]), item.label or "")

    @guarded
    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.client.services.require(CareHandoff).handoff(interaction, self.guild_id)


class CloseHandoffButton(
    discord.ui.DynamicItem[discord.ui.Button], template=r"relais:charter:handoff_close:(?P<thread_id>\d+)"
):
    """« Fermer ce fil », in the handoff thread: only the member who opened it may close it."""

    def __init__(self, thread_id: int, label: str = "") -> None:
        super().__init__(
            discord.ui.Button(
                label=label or "Fermer ce fil",
                style=discord.ButtonStyle.secondary,
                custom_id=f"relais:charter:handoff_close:{thread_id}",
            )
        )
        self.thread_id = thread_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> CloseHandoffButton:
        return cls(int(match["thread_id"]), item.label or "")

    @guarded
    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.client.services.require(CareHandoff).close_handoff(interaction, self.thread_id)


def handoff_view(guild_id: int, label: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(HandoffButton(guild_id, label))
    return view


def close_handoff_view(thread_id: int, label: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(CloseHandoffButton(thread_id, label))
    return view


# The persistent buttons of this capability, registered by the bot at start-up.
DYNAMIC_ITEMS = (AcceptCharterButton, HandoffButton, CloseHandoffButton)
