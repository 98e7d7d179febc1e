"""Embeds, persistent buttons and modals of the intervisions capability (texts from the locale files)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import discord

from bot.core.i18n import Translate
from bot.core.registry import Registry
from bot.intervisions import french_dates
from bot.intervisions.sessions import Minutes, Session, Topic
from bot.ui.base import RelaisModal, guarded
from bot.ui.limits import fit_content, fit_embed

COLOUR = discord.Colour.from_rgb(76, 139, 245)
CANCELLED_COLOUR = discord.Colour.from_rgb(150, 150, 150)


class IntervisionButtonActions(Protocol):
    """What the persistent buttons below need; the intervisions cog provides it through
    ``bot.services`` while loaded, so this module never imports the cog."""

    async def on_book_click(self, interaction: discord.Interaction, session_id: int) -> None: ...

    async def on_withdraw_click(self, interaction: discord.Interaction, session_id: int) -> None: ...

    async def on_ics_click(self, interaction: discord.Interaction, session_id: int) -> None: ...

    async def on_vote_click(self, interaction: discord.Interaction, topic_id: int) -> None: ...

    async def on_publish_topics_click(self, interaction: discord.Interaction, session_id: int) -> None: ...


def _actions(interaction: discord.Interaction) -> IntervisionButtonActions:
    # Raises CapabilityDisabled (a kind message) when the intervisions cog is not loaded.
    services: Registry = interaction.client.services  # type: ignore[attr-defined]
    return services.require(IntervisionButtonActions)


def when_text(session: Session, tz_name: str, locale: str) -> str:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(tz_name)
    return french_dates.format_range(session.starts_at.astimezone(tz), session.ends_at.astimezone(tz), locale)


def stamp(session: Session) -> str:
    epoch = int(session.starts_at.timestamp())
    return f"<t:{epoch}:F> (<t:{epoch}:R>)"


def announcement_embed(t: Translate, session: Session, tz_name: str, locale: str) -> discord.Embed:
    cancelled = session.status == "cancelled"
    embed = discord.Embed(
        title=(
            t("intervisions.announce.cancelled_title", title=session.title) if cancelled else session.title
        ),
        colour=CANCELLED_COLOUR if cancelled else COLOUR,
    )
    embed.add_field(
        name=t("intervisions.announce.when"),
        value=f"{when_text(session, tz_name, locale)}\n{stamp(session)}",
        inline=False,
    )
    place = session.place or (
        t("intervisions.announce.online") if session.online else t("intervisions.announce.place_tbd")
    )
    embed.add_field(name=t("intervisions.announce.where"), value=place[:1024], inline=False)
    if cancelled:
        embed.description = t("intervisions.announce.cancelled", reason=session.cancel_reason or "—")
    elif session.status == "done":
        embed.description = t("intervisions.announce.done")
    elif session.places_left:
        embed.add_field(
            name=t("intervisions.announce.places"),
            value=t("intervisions.announce.places_left", left=session.places_left, total=session.capacity),
        )
    else:
        embed.add_field(
            name=t("intervisions.announce.places"),
            value=t("intervisions.announce.full", total=session.capacity, waiting=session.waiting),
        )
    leads = []
    if session.facilitator_id:
        leads.append(t("intervisions.announce.facilitator", member=f"<@{session.facilitator_id}>"))
    if session.secretary_id:
        leads.append(t("intervisions.announce.secretary", member=f"<@{session.secretary_id}>"))
    if leads:
        embed.add_field(name=t("intervisions.announce.team"), value="\n".join(leads), inline=False)
    embed.set_footer(text=t("intervisions.announce.footer", id=session.id))
    return fit_embed(embed)


def session_line(t: Translate, session: Session, tz_name: str, locale: str) -> str:
    state = (
        t("intervisions.list.full", waiting=session.waiting)
        if not session.places_left
        else t("intervisions.list.left", left=session.places_left)
    )
    return t(
        "intervisions.list.line",
        id=session.id,
        title=session.title,
        when=when_text(session, tz_name, locale),
        state=state,
    )


# -- persistent buttons ---------------------------------------------------------------------------
class _SessionButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"relais:intervisions:(?P<action>book|withdraw|ics):(?P<id>\d+)",
):
    def __init__(
        self,
        action: str,
        session_id: int,
        label: str = "…",
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        emoji: str | None = None,
    ) -> None:
        self.action = action
        self.session_id = session_id
        super().__init__(
            discord.ui.Button(
                label=label, style=style, emoji=emoji, custom_id=f"relais:intervisions:{action}:{session_id}"
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /
    ) -> _SessionButton:
        return cls(match["action"], int(match["id"]), item.label or "…", item.style)

    @guarded
    async def callback(self, interaction: discord.Interaction) -> None:
        actions = _actions(interaction)
        if self.action == "book":
            await actions.on_book_click(interaction, self.session_id)
        elif self.action == "withdraw":
            await actions.on_withdraw_click(interaction, self.session_id)
        else:
            await actions.on_ics_click(interaction, self.session_id)


class TopicVoteButton(
    discord.ui.DynamicItem[discord.ui.Button], template=r"relais:intervisions:vote:(?P<id>\d+)"
):
    def __init__(self, topic_id: int, label: str = "👍") -> None:
        self.topic_id = topic_id
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"relais:intervisions:vote:{topic_id}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /
    ) -> TopicVoteButton:
        return cls(int(match["id"]), item.label or "👍")

    @guarded
    async def callback(self, interaction: discord.Interaction) -> None:
        await _actions(interaction).on_vote_click(interaction, self.topic_id)


class PublishTopicsButton(
    discord.ui.DynamicItem[discord.ui.Button], template=r"relais:intervisions:publish_topics:(?P<id>\d+)"
):
    """In the private thread, under the minutes: the later topics of a confidential session reach the
    public channel only when the facilitator (or the note-taker, or a moderator) chooses to."""

    def __init__(self, session_id: int, label: str = "…") -> None:
        self.session_id = session_id
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"relais:intervisions:publish_topics:{session_id}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str], /
    ) -> PublishTopicsButton:
        return cls(int(match["id"]), item.label or "…")

    @guarded
    async def callback(self, interaction: discord.Interaction) -> None:
        await _actions(interaction).on_publish_topics_click(interaction, self.session_id)


def publish_topics_view(t: Translate, session_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(PublishTopicsButton(session_id, t("intervisions.minutes.publish_button")))
    return view


DYNAMIC_ITEMS = (_SessionButton, TopicVoteButton, PublishTopicsButton)


def announcement_view(t: Translate, session: Session) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    if session.status == "scheduled":
        view.add_item(
            _SessionButton("book", session.id, t("intervisions.buttons.book"), discord.ButtonStyle.success)
        )
        view.add_item(
            _SessionButton(
                "withdraw", session.id, t("intervisions.buttons.withdraw"), discord.ButtonStyle.secondary
            )
        )
    view.add_item(
        _SessionButton("ics", session.id, t("intervisions.buttons.ics"), discord.ButtonStyle.primary)
    )
    return view


def topic_view(t: Translate, topic: Topic) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(TopicVoteButton(topic.id, t("intervisions.buttons.vote", votes=topic.votes)))
    return view


class MinutesModal(RelaisModal):
    def __init__(
        self,
        t: Translate,
        session: Session,
        existing: Minutes | None,
        on_submit: Callable[[discord.Interaction, dict[str, str]], Awaitable[None]],
    ) -> None:
        super().__init__(title=t("intervisions.minutes.modal_title", id=session.id)[:45], timeout=1800)
        self._on_submit = on_submit

        def field(key: str, value: str, *, long: bool = True) -> discord.ui.TextInput[Any]:
            item: discord.ui.TextInput[Any] = discord.ui.TextInput(
                custom_id=key,
                label=t(f"intervisions.minutes.{key}")[:45],
                placeholder=t(f"intervisions.minutes.{key}_hint")[:100],
                style=discord.TextStyle.paragraph if long else discord.TextStyle.short,
                required=False,
                max_length=1000 if long else 200,
                default=value or None,
            )
            self.add_item(item)
            return item

        self.round = field("round", existing.round_notes if existing else "", long=False)
        self.thematic = field("thematic", existing.thematic if existing else "")
        self.network = field("network", existing.network if existing else "")
        self.later = field("later", existing.later_topics if existing else "")
        self.dates = field("dates", existing.next_dates if existing else "", long=False)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self._on_submit(
            interaction,
            {
                "round_notes": self.round.value,
                "thematic": self.thematic.value,
                "network": self.network.value,
                "later_topics": self.later.value,
                "next_dates": self.dates.value,
            },
        )


def minutes_text(t: Translate, session: Session, minutes: Minutes) -> str:
    parts = [t("intervisions.minutes.posted_title", title=session.title)]
    count = (
        t("intervisions.minutes.count", count=minutes.round_count) if minutes.round_count is not None else ""
    )
    sections = [
        (
            "round",
            (
                count
                + (
                    "\n" + minutes.round_notes
                    if minutes.round_notes and not minutes.round_notes.strip().isdigit()
                    else ""
                )
            ).strip(),
        ),
        ("thematic", minutes.thematic),
        ("network", minutes.network),
        ("later", minutes.later_topics),
        ("dates", minutes.next_dates),
    ]
    for key, value in sections:
        if value:
            parts.append(f"**{t(f'intervisions.minutes.{key}')}**\n{value}")
    return fit_content("\n\n".join(parts))
