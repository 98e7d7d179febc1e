"""Embeds, modals, views and persistent buttons of moderation. Texts come from the locale files."""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from typing import Any, Protocol

import discord

from bot.core.errors import UserError
from bot.core.i18n import Translate
from bot.moderation.cases import Case
from bot.moderation.cases import CharterArticle as Article
from bot.moderation.reports import Report, Reporters
from bot.ui.base import OwnedModal, guarded, send_ephemeral
from bot.ui.limits import fit_embed

log = logging.getLogger(__name__)

COLOURS = {
    "warn": discord.Colour.gold(),
    "timeout": discord.Colour.orange(),
    "kick": discord.Colour.red(),
    "ban": discord.Colour.dark_red(),
    "unban": discord.Colour.green(),
    "note": discord.Colour.light_grey(),
    "conversation": discord.Colour.blue(),
    "proposal": discord.Colour.purple(),
}
REPORT_ACTIONS = ("claim", "dismiss", "delete", "warn")


class ReportCardActions(Protocol):
    """What the buttons of a report card need; the moderation cog provides it (``bot.services``)."""

    async def on_report_button(
        self, interaction: discord.Interaction, action: str, report_id: int
    ) -> None: ...


CASES_PER_PAGE = 8


def stamp(moment: dt.datetime | None, style: str = "f") -> str:
    return "—" if moment is None else f"<t:{int(moment.timestamp())}:{style}>"


def article_label(t: Translate, article: Article | None, article_id: str | None) -> str:
    if article is not None:
        return t("moderation.article_label", number=article.number, title=article.title)
    return article_id or t("moderation.no_article")


def case_embed(
    t: Translate, case: Case, article: Article | None, *, next_step: str | None = None
) -> discord.Embed:
    """The mod-log entry of a case."""
    embed = discord.Embed(
        title=t("moderation.log.title", number=case.number, action=t(f"moderation.actions.{case.action}")),
        colour=COLOURS.get(case.action, discord.Colour.default()),
        timestamp=case.created_at,
    )
    embed.add_field(name=t("moderation.log.member"), value=f"<@{case.member_id}> (`{case.member_id}`)")
    who = t("moderation.log.automatic") if case.automatic else f"<@{case.moderator_id}>"
    embed.add_field(name=t("moderation.log.moderator"), value=who)
    if case.action != "note":
        embed.add_field(
            name=t("moderation.log.article"), value=article_label(t, article, case.article), inline=False
        )
    embed.add_field(name=t("moderation.log.reason"), value=case.reason[:1024], inline=False)
    if case.expires_at is not None:
        embed.add_field(name=t("moderation.log.until"), value=stamp(case.expires_at))
    if case.parent_number is not None:
        embed.add_field(
            name=t("moderation.log.parent"),
            value=t("moderation.log.parent_number", number=case.parent_number),
        )
    if next_step:
        embed.add_field(name=t("moderation.log.next_step"), value=next_step, inline=False)
    return fit_embed(embed)


def case_status(t: Translate, case: Case, at: dt.datetime) -> str:
    if case.revoked_at is not None:
        return t("moderation.status.revoked", when=stamp(case.revoked_at, "d"))
    if case.ended_at is not None or (case.expires_at is not None and case.expires_at <= at):
        return t("moderation.status.ended", when=stamp(case.ended_at or case.expires_at, "d"))
    if case.expires_at is not None:
        return t("moderation.status.active_until", when=stamp(case.expires_at, "d"))
    return t("moderation.status.recorded")


def dossier_pages(
    t: Translate, member_label: str, cases: list[Case], active_warnings: int, at: dt.datetime
) -> list[discord.Embed]:
    if not cases:
        return [
            fit_embed(
                discord.Embed(
                    title=t("moderation.dossier.title", member=member_label),
                    description=t("moderation.dossier.empty"),
                )
            )
        ]
    pages = []
    total = (len(cases) + CASES_PER_PAGE - 1) // CASES_PER_PAGE
    for index in range(total):
        embed = discord.Embed(
            title=t("moderation.dossier.title", member=member_label),
            description=t("moderation.dossier.summary", total=len(cases), active=active_warnings),
        )
        for case in cases[index * CASES_PER_PAGE : (index + 1) * CASES_PER_PAGE]:
            who = t("moderation.log.automatic") if case.automatic else f"<@{case.moderator_id}>"
            embed.add_field(
                name=t(
                    "moderation.dossier.line_title",
                    number=case.number,
                    action=t(f"moderation.actions.{case.action}"),
                    when=case.created_at.strftime("%d/%m/%Y"),
                ),
                value=t(
                    "moderation.dossier.line",
                    article=case.article or "—",
                    moderator=who,
                    status=case_status(t, case, at),
                    reason=case.reason[:300],
                )[:1024],
                inline=False,
            )
        embed.set_footer(text=t("moderation.dossier.page", page=index + 1, total=total))
        pages.append(fit_embed(embed))
    return pages


# -- reports --------------------------------------------------------------------------------------
def report_embed(t: Translate, report: Report, who: Reporters, link: str | None) -> discord.Embed:
    closed = not report.is_live
    embed = discord.Embed(
        title=t("moderation.card.title", id=report.id),
        description=(f"> {report.excerpt[:400]}" if report.excerpt else t("moderation.card.no_message")),
        colour=discord.Colour.light_grey() if closed else discord.Colour.red(),
        timestamp=report.created_at,
    )
    if report.target_id:
        embed.add_field(name=t("moderation.card.author"), value=f"<@{report.target_id}>")
    if link:
        embed.add_field(name=t("moderation.card.link"), value=link)
    embed.add_field(name=t("moderation.card.count"), value=str(report.count))
    names = [f"<@{i}>" for i in who.named]
    if who.anonymous:
        names.append(t("moderation.card.anonymous", count=who.anonymous))
    embed.add_field(name=t("moderation.card.reporters"), value=", ".join(names) or "—", inline=False)
    embed.add_field(name=t("moderation.card.article"), value=report.article or "—")
    details = "\n".join(f"• {d[:200]}" for d in who.descriptions[:5]) or report.description[:600]
    embed.add_field(name=t("moderation.card.what"), value=details[:1024], inline=False)
    status = t(
        f"moderation.card.status_{report.status}",
        handler=f"<@{report.handler_id}>" if report.handler_id else "—",
    )
    if report.resolution:
        status += f" — {report.resolution[:200]}"
    embed.add_field(name=t("moderation.card.status"), value=status, inline=False)
    return fit_embed(embed)


class ReportButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"relais:moderation:report:(?P<action>claim|dismiss|delete|warn):(?P<id>\d+)",
):
    """The persistent buttons of a report card; they keep working after a restart."""

    def __init__(self, action: str, report_id: int, label: str = "", disabled: bool = False) -> None:
        style = {
            "claim": discord.ButtonStyle.primary,
            "dismiss": discord.ButtonStyle.secondary,
            "delete": discord.ButtonStyle.danger,
            "warn": discord.ButtonStyle.danger,
        }[action]
        super().__init__(
            discord.ui.Button(
                label=label or action,
                style=style,
                disabled=disabled,
                custom_id=f"relais:moderation:report:{action}:{report_id}",
            )
        )
        self.action = action
        self.report_id = report_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> ReportButton:
        return cls(match["action"], int(match["id"]), item.label or "")

    @guarded
    async def callback(self, interaction: discord.Interaction) -> None:
        actions = interaction.client.services.require(ReportCardActions)
        await actions.on_report_button(interaction, self.action, self.report_id)


def report_view(t: Translate, report: Report) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    closed = not report.is_live
    for action in REPORT_ACTIONS:
        view.add_item(ReportButton(action, report.id, t(f"moderation.card.button_{action}"), disabled=closed))
    return view


class _ModerationModal(OwnedModal):
    def __init__(self, *, title: str, kind: str, opener_id: int) -> None:
        super().__init__(
            title=title,
            kind=f"moderation:{kind}",
            opener_id=opener_id,
            not_yours_key="moderation.errors.not_your_form",
        )


class ReportModal(_ModerationModal):
    """What happened, optional article, anonymity and the resolution notice."""

    def __init__(self, t: Translate, on_submit: Any, *, opener_id: int, description: str = "") -> None:
        super().__init__(
            title=t("moderation.report_modal.title")[:45], kind="report_modal", opener_id=opener_id
        )
        self._on_submit = on_submit
        self.what = discord.ui.TextInput(
            label=t("moderation.report_modal.what")[:45],
            style=discord.TextStyle.paragraph,
            default=description[:1000] or None,
            max_length=1000,
            required=True,
            custom_id="what",
            placeholder=t("moderation.report_modal.what_hint")[:100],
        )
        self.article = discord.ui.TextInput(
            label=t("moderation.report_modal.article")[:45],
            required=False,
            max_length=60,
            custom_id="article",
            placeholder=t("moderation.report_modal.article_hint")[:100],
        )
        self.anonymous = discord.ui.Select(
            custom_id="anonymous",
            min_values=1,
            max_values=1,
            options=[
                discord.SelectOption(
                    label=t("moderation.report_modal.named")[:100], value="no", default=True
                ),
                discord.SelectOption(label=t("moderation.report_modal.anonymous")[:100], value="yes"),
            ],
        )
        self.notify = discord.ui.Select(
            custom_id="notify",
            min_values=1,
            max_values=1,
            options=[
                discord.SelectOption(
                    label=t("moderation.report_modal.notify_yes")[:100], value="yes", default=True
                ),
                discord.SelectOption(label=t("moderation.report_modal.notify_no")[:100], value="no"),
            ],
        )
        self.add_item(self.what)
        self.add_item(self.article)
        self.add_item(discord.ui.Label(text=t("moderation.report_modal.who")[:45], component=self.anonymous))
        self.add_item(discord.ui.Label(text=t("moderation.report_modal.notify")[:45], component=self.notify))

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        if isinstance(error, UserError):  # answered kindly; the cog logs reports without the user id
            await super().on_error(interaction, error)
            return
        # The shared handler logs the user id with an unexpected error: not for a report.
        incident = uuid.uuid4().hex[:8]
        log.error(
            "incident %s: unexpected error while filing a report (guild=%s)",
            incident,
            interaction.guild_id,
            exc_info=error,
        )
        await send_ephemeral(
            interaction, interaction.client.t(interaction, "core.errors.unexpected", incident=incident)
        )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        anonymous = (self.anonymous.values or ["no"])[0] == "yes"
        notify = (self.notify.values or ["yes"])[0] == "yes"
        await self._on_submit(
            interaction, self.what.value, (self.article.value or "").strip() or None, anonymous, notify
        )


class WarnModal(_ModerationModal):
    """« Avertir » from a report card, prefilled with the report's article only. The reason starts
    empty: it is DMed to the warned member, and the reporter's own words could reveal who reported."""

    def __init__(self, t: Translate, on_submit: Any, *, opener_id: int, article: str | None) -> None:
        super().__init__(title=t("moderation.warn_modal.title")[:45], kind="warn_modal", opener_id=opener_id)
        self._on_submit = on_submit
        self.article = discord.ui.TextInput(
            label=t("moderation.warn_modal.article")[:45],
            default=article or None,
            max_length=60,
            custom_id="article",
        )
        self.reason = discord.ui.TextInput(
            label=t("moderation.warn_modal.reason")[:45],
            style=discord.TextStyle.paragraph,
            max_length=500,
            custom_id="reason",
            placeholder=t("moderation.warn_modal.reason_hint")[:100],
        )
        self.add_item(self.article)
        self.add_item(self.reason)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self._on_submit(interaction, self.article.value.strip(), self.reason.value)


# The persistent buttons of this capability, registered by the bot at start-up.
DYNAMIC_ITEMS = (ReportButton,)
