"""Embeds, persistent buttons and modals of the job offers (texts from config/locales/*/jobs.yaml)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

import discord

from bot.core import timeutil
from bot.core.i18n import Translate
from bot.jobs.alerts import Subscription
from bot.jobs.offers import LIMITS, Offer, OfferInput, Page, Revision
from bot.ui.base import OwnedModal, guarded
from bot.ui.limits import fit_content, fit_embed

OPEN_COLOUR = discord.Colour.from_rgb(46, 139, 87)
PENDING_COLOUR = discord.Colour.from_rgb(230, 160, 40)
CLOSED_COLOUR = discord.Colour.light_grey()
FLAG_COLOUR = discord.Colour.from_rgb(200, 70, 60)


def _ts(moment, style: str = "D") -> str:
    return f"<t:{int(timeutil.to_db(moment))}:{style}>"


def offer_embed(t: Translate, offer: Offer, *, closure: str | None = None) -> discord.Embed:
    """The announcement: contract, working time and pay first, then every other field."""
    return fit_embed(_offer_embed(t, offer, closure=closure))


def _offer_embed(t: Translate, offer: Offer, *, closure: str | None = None) -> discord.Embed:
    colour = CLOSED_COLOUR if closure else (OPEN_COLOUR if offer.status == "published" else PENDING_COLOUR)
    title = offer.title if not closure else f"[{closure}] {offer.title}"
    embed = discord.Embed(title=title[:256], colour=colour)
    if offer.link and offer.link.lower().startswith(("http://", "https://")) and not closure:
        embed.url = offer.link
    embed.set_author(name=offer.employer[:256])
    if offer.submitter_id:
        embed.description = t("jobs.embed.submitted_by", user=f"<@{offer.submitter_id}>")
    elif offer.source:
        embed.description = t("jobs.embed.from_feed", source=offer.source)
    embed.add_field(name=t("jobs.embed.contract"), value=offer.contract)
    embed.add_field(name=t("jobs.embed.working_time"), value=offer.working_time or t("jobs.embed.not_given"))
    embed.add_field(name=t("jobs.embed.pay_status"), value=offer.pay_status or t("jobs.embed.not_given"))
    place = offer.region + (f" — {offer.place}" if offer.place else "")
    embed.add_field(name=t("jobs.embed.place"), value=place[:1024])
    if offer.deadline:
        embed.add_field(
            name=t("jobs.embed.deadline"), value=f"{_ts(offer.deadline)} ({_ts(offer.deadline, 'R')})"
        )
    elif offer.expires_at:
        embed.add_field(name=t("jobs.embed.visible_until"), value=_ts(offer.expires_at))
    if offer.missions:
        embed.add_field(name=t("jobs.embed.missions"), value=offer.missions[:1024], inline=False)
    if offer.profile:
        embed.add_field(name=t("jobs.embed.profile"), value=offer.profile[:1024], inline=False)
    if offer.how_to_apply:
        embed.add_field(name=t("jobs.embed.how_to_apply"), value=offer.how_to_apply[:1024], inline=False)
    if offer.link:
        embed.add_field(name=t("jobs.embed.link"), value=offer.link[:1024], inline=False)
    embed.set_footer(text=t("jobs.embed.footer", id=offer.id))
    return embed


def closure_text(t: Translate, status: str) -> str:
    return t(f"jobs.closure.{status}")


def queue_embed(t: Translate, offer: Offer, duplicates: Sequence[Offer] = ()) -> discord.Embed:
    """The moderators' card: the announcement plus flags, likely duplicates and the decision. A
    long offer with every flag is past Discord's 6,000 characters: its longest texts are cut."""
    embed = _offer_embed(t, offer)
    if offer.flags:
        embed.colour = FLAG_COLOUR
        reasons = "\n".join(f"⚠️ {t(f'jobs.flags.{flag}')}" for flag in offer.flags)
        embed.insert_field_at(0, name=t("jobs.queue.flags_title"), value=reasons[:1024], inline=False)
    if duplicates:
        lines = "\n".join(
            t("jobs.queue.duplicate_line", id=d.id, title=d.title[:80], status=t(f"jobs.status.{d.status}"))
            for d in duplicates
        )
        embed.add_field(name=t("jobs.queue.duplicates_title"), value=lines[:1024], inline=False)
    state = t(f"jobs.status.{offer.status}")
    if offer.moderator_id and offer.status != "pending":
        state = t("jobs.queue.decided_by", status=state, moderator=f"<@{offer.moderator_id}>")
    if offer.refusal_reason:
        state += f"\n> {offer.refusal_reason[:500]}"
    embed.add_field(name=t("jobs.queue.state"), value=state[:1024], inline=False)
    return fit_embed(embed)


class JobQueueActions(Protocol):
    """What the moderators' card buttons need; the jobs cog provides it while it is loaded."""

    async def on_queue_button(self, interaction: discord.Interaction, action: str, offer_id: int) -> None: ...

    async def on_revision_button(
        self, interaction: discord.Interaction, action: str, offer_id: int
    ) -> None: ...


class QueueButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"relais:jobs:(?P<action>publish|refuse|edit):(?P<id>\d+)",
):
    """« Publier », « Refuser », « Modifier » on the moderators' card; they survive restarts."""

    STYLES = {
        "publish": discord.ButtonStyle.success,
        "refuse": discord.ButtonStyle.danger,
        "edit": discord.ButtonStyle.secondary,
    }

    def __init__(self, action: str, offer_id: int, label: str = "", disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=label or action,
                style=self.STYLES[action],
                disabled=disabled,
                custom_id=f"relais:jobs:{action}:{offer_id}",
            )
        )
        self.action = action
        self.offer_id = offer_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> QueueButton:
        return cls(match["action"], int(match["id"]), item.label or "")

    @guarded
    async def callback(self, interaction: discord.Interaction) -> None:
        actions = interaction.client.services.require(JobQueueActions)  # type: ignore[attr-defined]
        await actions.on_queue_button(interaction, self.action, self.offer_id)


def queue_view(t: Translate, offer: Offer) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    closed = offer.status != "pending"
    for action in ("publish", "refuse", "edit"):
        view.add_item(QueueButton(action, offer.id, t(f"jobs.queue.button_{action}"), disabled=closed))
    return view


def revision_embed(t: Translate, offer: Offer, revision: Revision, state: str | None = None) -> discord.Embed:
    """The moderators' card of an edit of a published offer: the offer as it would read, what
    changed, and (once decided) the decision."""
    proposed = revision.applied_to(offer)
    embed = _offer_embed(t, proposed)
    embed.colour = FLAG_COLOUR if revision.flags else PENDING_COLOUR
    if revision.flags:
        reasons = "\n".join(f"⚠️ {t(f'jobs.flags.{flag}')}" for flag in revision.flags)
        embed.insert_field_at(0, name=t("jobs.queue.flags_title"), value=reasons[:1024], inline=False)
    names = [
        f.name for f in dataclasses.fields(OfferInput) if getattr(offer, f.name) != getattr(proposed, f.name)
    ]
    changed = ", ".join(t(f"jobs.revision.fields.{name}") for name in names) or t("jobs.revision.nothing")
    embed.insert_field_at(0, name=t("jobs.revision.changed_title"), value=changed[:1024], inline=False)
    embed.add_field(
        name=t("jobs.queue.state"), value=(state or t("jobs.revision.pending"))[:1024], inline=False
    )
    return fit_embed(embed)


class RevisionButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"relais:jobs:revision_(?P<action>publish|refuse):(?P<id>\d+)",
):
    """« Publier la modification », « Refuser la modification » on a revision's card."""

    STYLES = {"publish": discord.ButtonStyle.success, "refuse": discord.ButtonStyle.danger}

    def __init__(self, action: str, offer_id: int, label: str = "", disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=label or action,
                style=self.STYLES[action],
                disabled=disabled,
                custom_id=f"relais:jobs:revision_{action}:{offer_id}",
            )
        )
        self.action = action
        self.offer_id = offer_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> RevisionButton:
        return cls(match["action"], int(match["id"]), item.label or "")

    @guarded
    async def callback(self, interaction: discord.Interaction) -> None:
        actions = interaction.client.services.require(JobQueueActions)  # type: ignore[attr-defined]
        await actions.on_revision_button(interaction, self.action, self.offer_id)


def revision_view(t: Translate, offer_id: int, *, closed: bool = False) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for action in ("publish", "refuse"):
        view.add_item(RevisionButton(action, offer_id, t(f"jobs.revision.button_{action}"), disabled=closed))
    return view


Submit = Callable[[discord.Interaction, dict[str, str]], Awaitable[None]]


NOT_YOUR_FORM = "jobs.errors.not_your_form"


class OfferModal(OwnedModal):
    """The long fields of the fiche de poste (Discord allows five inputs in a modal). Bound to the
    member who opened it and, through ``on_submit``, to the offer it was opened for."""

    FIELDS = ("missions", "profile", "working_time", "pay_status", "how_to_apply")

    def __init__(
        self,
        t: Translate,
        on_submit: Submit,
        *,
        opener_id: int,
        values: dict[str, str] | None = None,
        pay_required: bool = True,
    ) -> None:
        super().__init__(
            title=t("jobs.modal.title")[:45],
            kind="jobs:offer_modal",
            opener_id=opener_id,
            not_yours_key=NOT_YOUR_FORM,
            timeout=1800,
        )
        self._on_submit = on_submit
        values = values or {}
        self.inputs: dict[str, discord.ui.TextInput] = {}
        for name in self.FIELDS:
            paragraph = name in ("missions", "profile", "how_to_apply")
            required = name in ("missions", "working_time") or (name == "pay_status" and pay_required)
            text_input = discord.ui.TextInput(
                label=t(f"jobs.modal.{name}")[:45],
                placeholder=t(f"jobs.modal.{name}_hint")[:100],
                style=discord.TextStyle.paragraph if paragraph else discord.TextStyle.short,
                required=required,
                max_length=LIMITS[name] if paragraph else min(LIMITS[name], 4000),
                default=(values.get(name) or None),
                custom_id=name,
            )
            self.inputs[name] = text_input
            self.add_item(text_input)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self._on_submit(interaction, {name: field.value or "" for name, field in self.inputs.items()})


class RefuseModal(OwnedModal):
    def __init__(
        self,
        t: Translate,
        on_submit: Callable[[discord.Interaction, str], Awaitable[None]],
        *,
        opener_id: int,
    ) -> None:
        super().__init__(
            title=t("jobs.refuse_modal.title")[:45],
            kind="jobs:refuse_modal",
            opener_id=opener_id,
            not_yours_key=NOT_YOUR_FORM,
        )
        self._on_submit = on_submit
        self.reason = discord.ui.TextInput(
            label=t("jobs.refuse_modal.reason")[:45],
            placeholder=t("jobs.refuse_modal.reason_hint")[:100],
            style=discord.TextStyle.paragraph,
            max_length=1000,
            required=True,
            custom_id="reason",
        )
        self.add_item(self.reason)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self._on_submit(interaction, self.reason.value or "")


def list_lines(t: Translate, page: Page) -> str:
    if not page.offers:
        return t("jobs.list.empty")
    lines = [t("jobs.list.header", total=page.total, page=page.page + 1, pages=page.pages)]
    for offer in page.offers:
        until = _ts(offer.deadline or offer.expires_at) if (offer.deadline or offer.expires_at) else "—"
        lines.append(
            t(
                "jobs.list.line",
                id=offer.id,
                title=offer.title[:90],
                employer=offer.employer[:60],
                region=offer.region,
                contract=offer.contract,
                until=until,
            )
        )
    lines.append(t("jobs.list.footer"))
    return "\n".join(lines)


def alert_embed(t: Translate, offer: Offer, guild_name: str) -> discord.Embed:
    embed = _offer_embed(t, offer)
    embed.set_footer(text=t("jobs.alerts.dm_footer", id=offer.id, guild=guild_name[:100]))
    return fit_embed(embed)


def digest_text(t: Translate, offers: Sequence[Offer], guild_name: str) -> str:
    lines = [t("jobs.digest.header", count=len(offers), guild=guild_name[:100])]
    for offer in offers[:20]:
        until = _ts(offer.deadline or offer.expires_at) if (offer.deadline or offer.expires_at) else "—"
        lines.append(
            t(
                "jobs.digest.line",
                id=offer.id,
                title=offer.title[:90],
                employer=offer.employer[:60],
                region=offer.region,
                contract=offer.contract,
                pay=(offer.pay_status or "—")[:60],
                until=until,
            )
        )
    if len(offers) > 20:
        lines.append(t("jobs.digest.more", count=len(offers) - 20))
    lines.append(t("jobs.digest.footer"))
    return fit_content("\n".join(lines))


def subscription_text(t: Translate, sub: Subscription | None) -> str:
    if sub is None:
        return t("jobs.alerts.none")
    everything = t("jobs.alerts.any")
    text = t(
        "jobs.alerts.current",
        regions=", ".join(sub.regions) or everything,
        contracts=", ".join(sub.contracts) or everything,
        keywords=", ".join(sub.keywords) or everything,
        rhythm=t(f"jobs.alerts.rhythm_{sub.rhythm}"),
    )
    if sub.paused:
        text += "\n" + t("jobs.alerts.paused_note")
    return text


# The persistent buttons of this capability, registered by the bot at start-up.
DYNAMIC_ITEMS = (QueueButton, RevisionButton)
