"""/intervision …: plan sessions and series, book with a waitlist, reminders, private thread,
scheduled events, calendar, topics, minutes and offers. Thin: rules live in bot/intervisions/."""

from __future__ import annotations

import datetime as dt
import io
import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import RelaisBot
from bot.core import timeutil
from bot.core.errors import NotAllowed, UserError
from bot.core.i18n import Translate
from bot.core.timers import Timer
from bot.intervisions import french_dates, ical, privacy, ui
from bot.intervisions import sessions as domain_module
from bot.intervisions.sessions import Intervisions, Session, SessionDraft
from bot.ui.base import NO_PINGS, send_ephemeral
from bot.ui.checks import for_moderators, has_configured_role, is_moderator
from bot.ui.confirm import ConfirmView
from bot.ui.limits import fit_content

log = logging.getLogger(__name__)


def _clock_time(text: str) -> dt.time:
    hour, minute = text.split(":")
    return dt.time(int(hour), int(minute))


class IntervisionsCog(commands.Cog):
    # Declared once: these methods are the handlers Discord calls (discord.py copies the groups
    # per cog instance). Python parameters are English; ``rename`` keeps the French names members see.
    intervision = app_commands.Group(
        name="intervision",
        description="Intervisions entre pair-aidant·es",
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
    )

    def __init__(self, bot: RelaisBot) -> None:
        self.bot = bot
        cfg = bot.settings.intervisions
        assert bot.db is not None
        self.domain = Intervisions(
            bot.db,
            bot.timers,
            reminder_hours=cfg.reminder_hours_before,
            archive_after=dt.timedelta(hours=cfg.archive_after_hours),
        )
        self._event_permission_warned: set[int] = set()

    async def cog_load(self) -> None:
        assert self.bot.timers is not None
        self.bot.timers.register(domain_module.REMINDER_KIND, self.on_reminder_timer)
        self.bot.timers.register(domain_module.ARCHIVE_KIND, self.on_archive_timer)
        self.bot.timers.register(privacy.SEATS_FREED_KIND, self.on_seats_freed_timer)
        self.bot.services.provide(ui.IntervisionButtonActions, self)

    async def cog_unload(self) -> None:
        self.bot.services.withdraw(ui.IntervisionButtonActions, self)

    # -- helpers -------------------------------------------------------------------------------
    async def tz_name(self, guild_id: int) -> str:
        return self.bot.timezone_name(await self.bot.guild_config(guild_id))

    async def _is_mod(self, interaction: discord.Interaction) -> bool:
        config = await self.bot.guild_config(interaction.guild_id)
        return isinstance(interaction.user, discord.Member) and is_moderator(interaction.user, config)

    async def _require_mod(self, interaction: discord.Interaction) -> None:
        if not await self._is_mod(interaction):
            raise UserError("intervisions.errors.moderators_plan")

    @staticmethod
    def _check_member(user: discord.User | None) -> int | None:
        if user is None:
            return None
        if not isinstance(user, discord.Member) or user.bot:
            raise UserError("intervisions.errors.unknown_member", member=str(user)[:40])
        return user.id

    def _draft(
        self,
        *,
        title: str,
        slot: french_dates.Slot,
        end_text: str | None,
        tz: str,
        place: str | None,
        places: int | None,
        facilitator_id: int | None,
        secretary_id: int | None,
        online: bool,
    ) -> SessionDraft:
        cfg = self.bot.settings.intervisions
        if end_text:
            end = french_dates.parse_end(end_text, slot.start, tz)
        elif slot.end is not None:
            end = slot.end
        else:
            end = (
                slot.start.astimezone(dt.UTC) + dt.timedelta(minutes=cfg.default_duration_minutes)
            ).astimezone(slot.start.tzinfo)
        return SessionDraft(
            title=title,
            start=slot.start,
            end=end,
            place=place,
            online=online,
            capacity=cfg.default_places if places is None else places,
            facilitator_id=facilitator_id,
            secretary_id=secretary_id,
        )

    # -- planning ------------------------------------------------------------------------------
    @intervision.command(
        name="planifier", description="Planifier une séance d'intervision", extras=for_moderators()
    )
    @app_commands.rename(
        title="titre",
        end="fin",
        place="lieu",
        facilitator="animation",
        secretary="secretaire",
        online="en_ligne",
    )
    @app_commands.describe(
        title="Titre de la séance",
        date="Par exemple « 3 décembre 14h » ou « 14/01 14h-16h30 »",
        end="Heure de fin (« 16h30 ») ou durée (« +2h30 ») ; 2 h 30 par défaut",
        place="Adresse ou lien",
        places="Nombre de places (1 à 500)",
        facilitator="Qui anime",
        secretary="Qui prend les notes",
        online="La séance a lieu en ligne",
    )
    async def plan(
        self,
        interaction: discord.Interaction,
        title: app_commands.Range[str, 1, 100],
        date: str,
        end: str | None = None,
        place: app_commands.Range[str, 1, 200] | None = None,
        places: int | None = None,
        facilitator: discord.User | None = None,
        secretary: discord.User | None = None,
        online: bool = False,
    ) -> None:
        await self._require_mod(interaction)
        tz = await self.tz_name(interaction.guild_id)
        slot = french_dates.parse_when(
            date,
            tz,
            timeutil.now(),
            default_time=_clock_time(self.bot.settings.intervisions.default_start_time),
        )
        draft = self._draft(
            title=title,
            slot=slot,
            end_text=end,
            tz=tz,
            place=place,
            places=places,
            facilitator_id=self._check_member(facilitator),
            secretary_id=self._check_member(secretary),
            online=online,
        )
        # Validated and stored before deferring, so a refusal is a plain ephemeral answer.
        session = await self.domain.create(interaction.guild_id, draft, created_by=interaction.user.id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        notes = await self.publish(interaction.guild, session)
        locale = self.bot.locale_for(interaction)
        text = self.bot.t(
            interaction,
            "intervisions.plan.done",
            id=session.id,
            title=session.title,
            when=ui.when_text(session, tz, locale),
        )
        await interaction.followup.send("\n".join([text, *notes]), ephemeral=True, allowed_mentions=NO_PINGS)

    @intervision.command(
        name="serie",
        description="Planifier une série de séances (aperçu puis confirmation)",
        extras=for_moderators(),
    )
    @app_commands.rename(
        title="titre",
        end="fin",
        place="lieu",
        facilitator="animation",
        secretary="secretaire",
        online="en_ligne",
    )
    @app_commands.describe(
        title="Titre commun",
        dates="« 3/12, 14/01, 18/02 de 14h à 16h30 » ou « le premier jeudi du mois à 14h »",
        end="Heure de fin ou durée",
        place="Adresse ou lien",
        places="Nombre de places (1 à 500)",
        facilitator="Qui anime",
        secretary="Qui prend les notes",
        online="Les séances ont lieu en ligne",
    )
    async def series(
        self,
        interaction: discord.Interaction,
        title: app_commands.Range[str, 1, 100],
        dates: str,
        end: str | None = None,
        place: app_commands.Range[str, 1, 200] | None = None,
        places: int | None = None,
        facilitator: discord.User | None = None,
        secretary: discord.User | None = None,
        online: bool = False,
    ) -> None:
        await self._require_mod(interaction)
        cfg = self.bot.settings.intervisions
        tz = await self.tz_name(interaction.guild_id)
        slots = french_dates.parse_series(
            dates,
            tz,
            timeutil.now(),
            default_time=_clock_time(cfg.default_start_time),
            default_count=cfg.series_default_count,
        )
        facilitator_id, secretary_id = self._check_member(facilitator), self._check_member(secretary)
        drafts = [
            self._draft(
                title=title,
                slot=slot,
                end_text=end,
                tz=tz,
                place=place,
                places=places,
                facilitator_id=facilitator_id,
                secretary_id=secretary_id,
                online=online,
            )
            for slot in slots
        ]
        locale = self.bot.locale_for(interaction)
        lines = [f"• {french_dates.format_range(d.start, d.end, locale)}" for d in drafts]
        preview = self.bot.t(
            interaction, "intervisions.series.preview", title=title, count=len(drafts), dates="\n".join(lines)
        )

        async def on_choice(inner: discord.Interaction, value: str) -> None:
            if value != "yes":
                await inner.response.edit_message(
                    content=self.bot.t(inner, "intervisions.series.aborted"), view=None
                )
                return
            await inner.response.edit_message(
                content=self.bot.t(inner, "intervisions.series.creating"), view=None
            )
            _, sessions = await self.domain.create_series(
                inner.guild_id, dates, drafts, created_by=inner.user.id
            )
            notes: list[str] = []
            for session in sessions:
                notes.extend(await self.publish(inner.guild, session))
            await inner.followup.send(
                self.bot.t(
                    inner,
                    "intervisions.series.done",
                    count=len(sessions),
                    ids=", ".join(self.bot.t(inner, "intervisions.series.id", id=s.id) for s in sessions),
                )
                + "".join(f"\n{n}" for n in dict.fromkeys(notes)),
                ephemeral=True,
            )

        view = ConfirmView.pick_one(
            interaction.user.id,
            [
                ("yes", self.bot.t(interaction, "intervisions.series.confirm"), discord.ButtonStyle.success),
                ("no", self.bot.t(interaction, "intervisions.series.abort"), discord.ButtonStyle.secondary),
            ],
            on_choice,
        )
        await interaction.response.send_message(preview[:2000], view=view, ephemeral=True)

    # -- publishing ----------------------------------------------------------------------------------
    async def publish(self, guild: discord.Guild, session: Session) -> list[str]:
        """Announcement with buttons, private thread, scheduled event. Returns notes for the organiser."""
        notes: list[str] = []
        t = self.bot.texts(guild.id)
        config = await self.bot.guild_config(guild.id)
        channel_id = config.channel("intervisions")
        channel = guild.get_channel(channel_id) if channel_id else None
        if not isinstance(channel, discord.TextChannel):
            notes.append(self.bot.t(guild.id, "intervisions.plan.no_channel"))
        else:
            tz = self.bot.timezone_name(config)
            locale = self.bot.locale_for(guild_id=guild.id)
            try:
                message = await channel.send(
                    embed=ui.announcement_embed(t, session, tz, locale),
                    view=ui.announcement_view(t, session),
                    allowed_mentions=NO_PINGS,
                )
                await self.domain.set_discord_ids(session.id, channel_id=channel.id, message_id=message.id)
                thread = await channel.create_thread(
                    name=t("intervisions.thread.name", id=session.id, title=session.title)[:100],
                    type=discord.ChannelType.private_thread,
                    invitable=False,
                )
                await self.domain.set_discord_ids(session.id, thread_id=thread.id)
                await thread.send(
                    t("intervisions.thread.welcome", title=session.title), allowed_mentions=NO_PINGS
                )
                for user_id in (session.facilitator_id, session.secretary_id):
                    if user_id:
                        await self._thread_add(thread.id, user_id)
            except discord.HTTPException as exc:
                log.warning("intervision %s: could not post announcement/thread: %s", session.id, exc)
                notes.append(self.bot.t(guild.id, "intervisions.plan.post_failed"))
        note = await self.sync_event(guild, await self.domain.get(guild.id, session.id))
        if note:
            notes.append(note)
        return notes

    async def sync_event(self, guild: discord.Guild, session: Session) -> str | None:
        """Create, move or cancel the Discord scheduled event; missing permission said once."""
        try:
            if session.event_id:
                event = guild.get_scheduled_event(session.event_id) or await guild.fetch_scheduled_event(
                    session.event_id
                )
                if session.status == "cancelled":
                    await event.cancel()
                else:
                    await event.edit(start_time=session.starts_at, end_time=session.ends_at)
                return None
            if session.status != "scheduled":
                return None
            voice = (
                next((c for c in guild.voice_channels if "intervision" in c.name.lower()), None)
                if session.online
                else None
            )
            if voice is not None:
                event = await guild.create_scheduled_event(
                    name=session.title,
                    start_time=session.starts_at,
                    end_time=session.ends_at,
                    channel=voice,
                    entity_type=discord.EntityType.voice,
                    privacy_level=discord.PrivacyLevel.guild_only,
                )
            else:
                location = session.place or self.bot.t(
                    guild.id,
                    "intervisions.announce.online" if session.online else "intervisions.announce.place_tbd",
                )
                event = await guild.create_scheduled_event(
                    name=session.title,
                    start_time=session.starts_at,
                    end_time=session.ends_at,
                    entity_type=discord.EntityType.external,
                    location=location[:100],
                    privacy_level=discord.PrivacyLevel.guild_only,
                )
            await self.domain.set_discord_ids(session.id, event_id=event.id)
        except discord.Forbidden:
            if guild.id not in self._event_permission_warned:
                self._event_permission_warned.add(guild.id)
                log.warning(
                    "guild %s: no permission to manage scheduled events; intervisions go on without", guild.id
                )
                return self.bot.t(guild.id, "intervisions.plan.no_event_permission")
        except discord.NotFound:
            await self.domain.forget_event(guild.id, session.event_id or 0)
        except discord.HTTPException as exc:
            log.warning("intervision %s: scheduled event not synced: %s", session.id, exc)
        return None

    async def refresh(self, guild_id: int, session_id: int) -> None:
        session = await self.domain.get(guild_id, session_id)
        if not (session.channel_id and session.message_id):
            return
        channel = self.bot.get_channel(session.channel_id)
        if not isinstance(channel, discord.TextChannel):
            return
        t = self.bot.texts(guild_id)
        tz = await self.tz_name(guild_id)
        try:
            await channel.get_partial_message(session.message_id).edit(
                embed=ui.announcement_embed(t, session, tz, self.bot.locale_for(guild_id=guild_id)),
                view=ui.announcement_view(t, session),
            )
        except discord.HTTPException as exc:
            log.info("intervision %s: announcement not updated: %s", session_id, exc)

    async def _thread_add(self, thread_id: int | None, user_id: int) -> None:
        if not thread_id:
            return
        thread = self.bot.get_channel(thread_id)
        if isinstance(thread, discord.Thread):
            try:
                await thread.add_user(discord.Object(user_id))
            except discord.HTTPException as exc:
                log.info("thread %s: could not add %s: %s", thread_id, user_id, exc)

    async def _thread_remove(self, thread_id: int | None, user_id: int) -> None:
        if not thread_id:
            return
        thread = self.bot.get_channel(thread_id)
        if isinstance(thread, discord.Thread):
            try:
                await thread.remove_user(discord.Object(user_id))
            except discord.HTTPException as exc:
                log.info("thread %s: could not remove %s: %s", thread_id, user_id, exc)

    async def dm(self, guild_id: int, user_id: int, text: str, **kwargs: Any) -> bool:
        """A private message; closed DMs are noted and logged once, never retried in a loop."""
        try:
            user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
            await user.send(text[:2000], allowed_mentions=NO_PINGS, **kwargs)
        except (discord.Forbidden, discord.NotFound):
            if await self.domain.note_dm_failure(guild_id, user_id):
                log.warning("guild %s: DMs closed for member %s; reminders will skip them", guild_id, user_id)
            return False
        except discord.HTTPException as exc:
            log.warning("guild %s: DM to %s failed: %s", guild_id, user_id, exc)
            return False
        await self.domain.clear_dm_failure(guild_id, user_id)
        return True

    async def announce_promotions(self, guild_id: int, session: Session, promoted: tuple[int, ...]) -> None:
        tz = await self.tz_name(guild_id)
        locale = self.bot.locale_for(guild_id=guild_id)
        for user_id in promoted:
            await self._thread_add(session.thread_id, user_id)
            await self.dm(
                guild_id,
                user_id,
                self.bot.t(
                    guild_id,
                    "intervisions.dm.promoted",
                    title=session.title,
                    when=ui.when_text(session, tz, locale),
                ),
            )

    # -- buttons ---------------------------------------------------------------------------------
    async def on_book_click(self, interaction: discord.Interaction, session_id: int) -> None:
        role_purpose = self.bot.settings.intervisions.booking_role
        if role_purpose:
            config = await self.bot.guild_config(interaction.guild_id)
            member = interaction.user
            if not (
                isinstance(member, discord.Member)
                and (has_configured_role(member, config, role_purpose) or is_moderator(member, config))
            ):
                log.info("booking refused: %s lacks role %s", member.id, role_purpose)
                raise UserError("intervisions.book.role_required")
        result = await self.domain.book(interaction.guild_id, session_id, interaction.user.id)
        session = await self.domain.get(interaction.guild_id, session_id)
        if result.status == "booked":
            key = "intervisions.book.already_booked" if result.already else "intervisions.book.booked"
        else:
            key = "intervisions.book.already_waiting" if result.already else "intervisions.book.waitlisted"
        await send_ephemeral(
            interaction, self.bot.t(interaction, key, title=session.title, position=result.position or 0)
        )
        if not result.already:
            if result.status == "booked":
                await self._thread_add(session.thread_id, interaction.user.id)
            await self.refresh(interaction.guild_id, session_id)

    async def on_withdraw_click(self, interaction: discord.Interaction, session_id: int) -> None:
        out = await self.domain.withdraw(interaction.guild_id, session_id, interaction.user.id)
        session = await self.domain.get(interaction.guild_id, session_id)
        key = {
            "booked": "intervisions.book.withdrawn",
            "waitlist": "intervisions.book.left_waitlist",
            None: "intervisions.book.not_registered",
        }[out.was]
        await send_ephemeral(interaction, self.bot.t(interaction, key, title=session.title))
        if out.was == "booked":
            await self._thread_remove(session.thread_id, interaction.user.id)
        if out.was:
            await self.announce_promotions(interaction.guild_id, session, out.promoted)
            await self.refresh(interaction.guild_id, session_id)

    async def on_ics_click(self, interaction: discord.Interaction, session_id: int) -> None:
        session = await self.domain.get(interaction.guild_id, session_id)
        tz = await self.tz_name(interaction.guild_id)
        data = ical.build_calendar(
            [session], tz, cancelled_word=self.bot.t(interaction, "intervisions.calendar.cancelled")
        )
        await send_ephemeral(
            interaction,
            self.bot.t(interaction, "intervisions.calendar.one", title=session.title),
            file=discord.File(io.BytesIO(data), filename=ical.filename(session.title, session.id)),
        )

    async def on_vote_click(self, interaction: discord.Interaction, topic_id: int) -> None:
        voted, topic = await self.domain.toggle_vote(interaction.guild_id, topic_id, interaction.user.id)
        t = self.bot.texts(interaction.guild_id)
        if interaction.message is not None and interaction.message.id == topic.message_id:
            await interaction.response.edit_message(view=ui.topic_view(t, topic))
        else:
            # A button of /intervision sujet liste: redraw the whole list (every topic keeps its
            # button), then the topic's public post, whose count changed too.
            content, view = await self._topic_list(interaction)
            await interaction.response.edit_message(content=content, view=view)
            await self._refresh_topic_post(interaction.guild, topic)
        await interaction.followup.send(
            self.bot.t(interaction, "intervisions.topics.voted" if voted else "intervisions.topics.unvoted"),
            ephemeral=True,
        )

    async def on_publish_topics_click(self, interaction: discord.Interaction, session_id: int) -> None:
        session = await self.domain.get(interaction.guild_id, session_id)
        if not (
            session.may_lead(interaction.user.id)
            or interaction.user.id == session.created_by
            or await self._is_mod(interaction)
        ):
            raise NotAllowed("intervisions.minutes.publish_leads_only")
        topics = await self.domain.unpublished_topics(interaction.guild_id, session_id)
        if not topics:
            await send_ephemeral(interaction, self.bot.t(interaction, "intervisions.minutes.publish_nothing"))
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        for topic in topics:
            await self._post_topic(interaction.guild, topic)
        await interaction.followup.send(
            self.bot.t(interaction, "intervisions.minutes.published", count=len(topics)), ephemeral=True
        )

    # -- reading ---------------------------------------------------------------------------------
    @intervision.command(name="liste", description="Les prochaines séances")
    async def list_sessions(self, interaction: discord.Interaction) -> None:
        sessions = await self.domain.upcoming(interaction.guild_id, limit=15)
        if not sessions:
            await send_ephemeral(interaction, self.bot.t(interaction, "intervisions.list.empty"))
            return
        tz = await self.tz_name(interaction.guild_id)
        locale = self.bot.locale_for(interaction)
        t = self.bot.texts(interaction)
        lines = [t("intervisions.list.title")] + [ui.session_line(t, s, tz, locale) for s in sessions]
        await send_ephemeral(interaction, fit_content("\n".join(lines)))

    @intervision.command(name="voir", description="Le détail d'une séance")
    @app_commands.rename(session_id="id")
    @app_commands.describe(session_id="Numéro de la séance")
    async def show(self, interaction: discord.Interaction, session_id: int) -> None:
        session = await self.domain.get(interaction.guild_id, session_id)
        tz = await self.tz_name(interaction.guild_id)
        t = self.bot.texts(interaction)
        embed = ui.announcement_embed(t, session, tz, self.bot.locale_for(interaction))
        mine = await self.domain.status_of(session.id, interaction.user.id)
        if mine is not None:
            embed.description = (
                (embed.description or "")
                + "\n"
                + (
                    t("intervisions.show.you_booked")
                    if mine.status == "booked"
                    else t("intervisions.show.you_wait", position=mine.position)
                )
            )
        await send_ephemeral(interaction, embed=embed, view=ui.announcement_view(t, session))

    # -- changing ---------------------------------------------------------------------------------
    @intervision.command(name="deplacer", description="Déplacer une séance (seulement celle-ci)")
    @app_commands.rename(session_id="id")
    @app_commands.describe(
        session_id="Numéro de la séance", date="Nouvelle date, par exemple « 17/12 14h-16h30 »"
    )
    async def move(self, interaction: discord.Interaction, session_id: int, date: str) -> None:
        session = await self.domain.get(interaction.guild_id, session_id)
        tz = await self.tz_name(interaction.guild_id)
        slot = french_dates.parse_when(
            date,
            tz,
            timeutil.now(),
            default_time=session.starts_at.astimezone(french_dates.ZoneInfo(tz)).time(),
        )
        moved = await self.domain.move(
            interaction.guild_id,
            session_id,
            slot.start,
            slot.end,
            actor_id=interaction.user.id,
            is_moderator=await self._is_mod(interaction),
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.refresh(interaction.guild_id, session_id)
        note = await self.sync_event(interaction.guild, moved)
        locale = self.bot.locale_for(guild_id=interaction.guild_id)
        when = ui.when_text(moved, tz, locale)
        people = await self.domain.participants(interaction.guild_id, session_id)
        for user_id in people.booked + people.waitlist:
            await self.dm(
                interaction.guild_id,
                user_id,
                self.bot.t(interaction.guild_id, "intervisions.dm.moved", title=moved.title, when=when),
            )
        text = self.bot.t(
            interaction,
            "intervisions.move.done",
            title=moved.title,
            when=ui.when_text(moved, tz, self.bot.locale_for(interaction)),
        )
        await interaction.followup.send(text + (f"\n{note}" if note else ""), ephemeral=True)

    @intervision.command(name="annuler", description="Annuler une séance (ou toute sa série)")
    @app_commands.rename(session_id="id", reason="raison")
    @app_commands.describe(session_id="Numéro de la séance", reason="Raison donnée aux inscrit·es")
    async def cancel(
        self, interaction: discord.Interaction, session_id: int, reason: app_commands.Range[str, 1, 300]
    ) -> None:
        session = await self.domain.get(interaction.guild_id, session_id)
        is_mod = await self._is_mod(interaction)
        # Refuse before asking « cette séance ou toute la série ? », not after the member chose.
        self.domain.require_can_change(session, interaction.user.id, is_mod)
        if session.series_id is None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            await self._do_cancel(interaction, session, reason, is_mod, whole_series=False)
            return

        async def on_choice(inner: discord.Interaction, value: str) -> None:
            await inner.response.edit_message(
                content=self.bot.t(inner, "intervisions.cancel.working"), view=None
            )
            await self._do_cancel(inner, session, reason, is_mod, whole_series=value == "series")

        view = ConfirmView.pick_one(
            interaction.user.id,
            [
                (
                    "one",
                    self.bot.t(interaction, "intervisions.cancel.this_one"),
                    discord.ButtonStyle.secondary,
                ),
                (
                    "series",
                    self.bot.t(interaction, "intervisions.cancel.whole_series"),
                    discord.ButtonStyle.danger,
                ),
            ],
            on_choice,
        )
        await interaction.response.send_message(
            self.bot.t(interaction, "intervisions.cancel.which", title=session.title),
            view=view,
            ephemeral=True,
        )

    async def _do_cancel(
        self,
        interaction: discord.Interaction,
        session: Session,
        reason: str,
        is_mod: bool,
        *,
        whole_series: bool,
    ) -> None:
        cancelled = await self.domain.cancel(
            interaction.guild_id,
            session.id,
            reason,
            actor_id=interaction.user.id,
            is_moderator=is_mod,
            whole_series=whole_series,
        )
        tz = await self.tz_name(interaction.guild_id)
        locale = self.bot.locale_for(guild_id=interaction.guild_id)
        for item in cancelled:
            await self.refresh(interaction.guild_id, item.id)
            await self.sync_event(interaction.guild, item)
            people = await self.domain.participants(interaction.guild_id, item.id)
            for user_id in people.booked + people.waitlist:
                await self.dm(
                    interaction.guild_id,
                    user_id,
                    self.bot.t(
                        interaction.guild_id,
                        "intervisions.dm.cancelled",
                        title=item.title,
                        when=ui.when_text(item, tz, locale),
                        reason=reason,
                    ),
                )
        await interaction.followup.send(
            self.bot.t(interaction, "intervisions.cancel.done", count=len(cancelled)), ephemeral=True
        )

    @intervision.command(name="places", description="Changer le nombre de places d'une séance")
    @app_commands.rename(session_id="id")
    @app_commands.describe(session_id="Numéro de la séance", places="Nouveau nombre de places (1 à 500)")
    async def set_places(self, interaction: discord.Interaction, session_id: int, places: int) -> None:
        session, promoted = await self.domain.set_capacity(
            interaction.guild_id,
            session_id,
            places,
            actor_id=interaction.user.id,
            is_moderator=await self._is_mod(interaction),
        )
        await send_ephemeral(
            interaction,
            self.bot.t(
                interaction,
                "intervisions.places.done",
                title=session.title,
                places=session.capacity,
                promoted=len(promoted),
            ),
        )
        await self.announce_promotions(interaction.guild_id, session, promoted)
        await self.refresh(interaction.guild_id, session_id)

    # -- participants, reminders, calendar ---------------------------------------------------------
    @intervision.command(
        name="participants", description="Qui est inscrit (animation, secrétariat, modération)"
    )
    @app_commands.rename(session_id="id")
    @app_commands.describe(session_id="Numéro de la séance")
    async def participants(self, interaction: discord.Interaction, session_id: int) -> None:
        session = await self.domain.get(interaction.guild_id, session_id)
        if not (session.may_lead(interaction.user.id) or await self._is_mod(interaction)):
            raise UserError("intervisions.errors.leads_or_mods")
        people = await self.domain.participants(interaction.guild_id, session_id)
        await send_ephemeral(
            interaction,
            self._participants_text(interaction.guild, session, people, self.bot.texts(interaction)),
        )

    def _participants_text(
        self, guild: discord.Guild | None, session: Session, people: domain_module.Participants, t: Translate
    ) -> str:
        def name(user_id: int) -> str:
            member = guild.get_member(user_id) if guild else None
            return member.display_name if member else f"<@{user_id}>"

        booked = "\n".join(f"{i}. {name(u)}" for i, u in enumerate(people.booked, 1)) or "—"
        waiting = "\n".join(f"{i}. {name(u)}" for i, u in enumerate(people.waitlist, 1)) or "—"
        return fit_content(
            t(
                "intervisions.participants.text",
                title=session.title,
                booked_count=len(people.booked),
                capacity=session.capacity,
                booked=booked,
                waiting_count=len(people.waitlist),
                waiting=waiting,
            )
        )

    @intervision.command(name="rappels", description="Recevoir ou non les rappels en message privé")
    @app_commands.rename(enabled="actif")
    @app_commands.describe(enabled="Oui pour recevoir les rappels")
    async def reminders(self, interaction: discord.Interaction, enabled: bool) -> None:
        dms_were_closed = await self.domain.set_reminders(interaction.guild_id, interaction.user.id, enabled)
        key = "intervisions.reminders.off"
        if enabled:
            key = "intervisions.reminders.on_again" if dms_were_closed else "intervisions.reminders.on"
        await send_ephemeral(interaction, self.bot.t(interaction, key))

    @intervision.command(name="calendrier", description="Les prochaines séances en fichier agenda (.ics)")
    async def calendar(self, interaction: discord.Interaction) -> None:
        sessions = await self.domain.upcoming(interaction.guild_id, limit=100)
        tz = await self.tz_name(interaction.guild_id)
        data = ical.build_calendar(
            sessions,
            tz,
            name=self.bot.t(interaction, "intervisions.calendar.name"),
            cancelled_word=self.bot.t(interaction, "intervisions.calendar.cancelled"),
        )
        await send_ephemeral(
            interaction,
            self.bot.t(interaction, "intervisions.calendar.all", count=len(sessions)),
            file=discord.File(io.BytesIO(data), filename="intervisions.ics"),
        )

    # -- minutes -------------------------------------------------------------------------------------
    @intervision.command(name="compte-rendu", description="Écrire le compte rendu d'une séance")
    @app_commands.rename(session_id="id")
    @app_commands.describe(session_id="Numéro de la séance")
    async def minutes(self, interaction: discord.Interaction, session_id: int) -> None:
        session = await self.domain.get(interaction.guild_id, session_id)
        if not session.may_lead(interaction.user.id):
            raise UserError("intervisions.errors.leads_only")
        existing = await self.domain.minutes(interaction.guild_id, session_id)

        async def on_submit(inner: discord.Interaction, fields: dict[str, str]) -> None:
            saved = await self.domain.save_minutes(inner.guild_id, session_id, inner.user.id, **fields)
            await inner.response.send_message(
                self.bot.t(inner, "intervisions.minutes.saved", topics=len(saved.new_topics)), ephemeral=True
            )
            text = ui.minutes_text(self.bot.texts(inner.guild_id), session, saved)
            thread = self.bot.get_channel(session.thread_id or 0)
            if isinstance(thread, discord.Thread):
                try:
                    if thread.archived:
                        await thread.edit(archived=False)
                    # Later topics of a confidential session stay here: the button lets the
                    # facilitator publish them in the public channel, or not.
                    if saved.new_topics:
                        view = ui.publish_topics_view(self.bot.texts(inner.guild_id), session_id)
                        await thread.send(text, view=view, allowed_mentions=NO_PINGS)
                    else:
                        await thread.send(text, allowed_mentions=NO_PINGS)
                except discord.HTTPException as exc:
                    log.warning("minutes of %s not posted in thread: %s", session_id, exc)

        await interaction.response.send_modal(
            ui.MinutesModal(self.bot.texts(interaction), session, existing, on_submit)
        )

    # -- topics ------------------------------------------------------------------------------------
    # Declared after the commands above: subgroups follow them in the order Discord shows.
    topic = app_commands.Group(
        name="sujet", description="Les sujets à traiter en intervision", parent=intervision
    )

    @topic.command(name="proposer", description="Proposer un sujet pour une prochaine intervision")
    @app_commands.rename(text="texte")
    @app_commands.describe(text="Le sujet, en une ou deux phrases")
    async def propose_topic(
        self, interaction: discord.Interaction, text: app_commands.Range[str, 3, 300]
    ) -> None:
        topic = await self.domain.propose_topic(
            interaction.guild_id,
            interaction.user.id,
            text,
            cooldown_seconds=domain_module.TOPIC_COOLDOWN_SECONDS,
        )
        await self._post_topic(interaction.guild, topic)
        await send_ephemeral(
            interaction, self.bot.t(interaction, "intervisions.topics.proposed", id=topic.id)
        )

    async def _post_topic(self, guild: discord.Guild | None, topic: domain_module.Topic) -> None:
        if guild is None:
            return
        config = await self.bot.guild_config(guild.id)
        channel = guild.get_channel(config.channel("intervisions") or 0)
        if isinstance(channel, discord.TextChannel):
            t = self.bot.texts(guild.id)
            try:
                message = await channel.send(
                    t("intervisions.topics.post", id=topic.id, text=topic.text),
                    view=ui.topic_view(t, topic),
                    allowed_mentions=NO_PINGS,
                )
                await self.domain.set_topic_message(topic.id, message.id)
            except discord.HTTPException as exc:
                log.info("topic %s not posted: %s", topic.id, exc)

    async def _refresh_topic_post(self, guild: discord.Guild | None, topic: domain_module.Topic) -> None:
        if guild is None or not topic.message_id:
            return
        config = await self.bot.guild_config(guild.id)
        channel = guild.get_channel(config.channel("intervisions") or 0)
        if isinstance(channel, discord.TextChannel):
            try:
                await channel.get_partial_message(topic.message_id).edit(
                    view=ui.topic_view(self.bot.texts(guild.id), topic)
                )
            except discord.HTTPException as exc:
                log.info("topic %s: post not updated: %s", topic.id, exc)

    async def _topic_list(self, interaction: discord.Interaction) -> tuple[str, discord.ui.View | None]:
        topics = await self.domain.topics(interaction.guild_id, limit=20)
        if not topics:
            return self.bot.t(interaction, "intervisions.topics.empty"), None
        t = self.bot.texts(interaction)
        lines = [t("intervisions.topics.title")] + [
            t("intervisions.topics.line", id=tp.id, text=tp.text, votes=tp.votes) for tp in topics
        ]
        view = discord.ui.View(timeout=None)
        for tp in topics[:25]:
            view.add_item(ui.TopicVoteButton(tp.id, f"#{tp.id} · 👍 {tp.votes}"))
        return fit_content("\n".join(lines)), view

    @topic.command(name="liste", description="Les sujets proposés, les plus demandés d'abord")
    async def list_topics(self, interaction: discord.Interaction) -> None:
        content, view = await self._topic_list(interaction)
        if view is None:
            await send_ephemeral(interaction, content)
        else:
            await send_ephemeral(interaction, content, view=view)

    @topic.command(name="retenir", description="Retenir un sujet pour une séance (animation)")
    @app_commands.rename(topic_id="id", session_id="session")
    @app_commands.describe(topic_id="Numéro du sujet", session_id="Numéro de la séance")
    async def retain_topic(self, interaction: discord.Interaction, topic_id: int, session_id: int) -> None:
        topic, session = await self.domain.retain_topic(
            interaction.guild_id,
            topic_id,
            session_id,
            actor_id=interaction.user.id,
            is_moderator=await self._is_mod(interaction),
        )
        await send_ephemeral(
            interaction,
            self.bot.t(interaction, "intervisions.topics.retained", text=topic.text, title=session.title),
        )
        thread = self.bot.get_channel(session.thread_id or 0)
        if isinstance(thread, discord.Thread):
            await thread.send(
                self.bot.t(interaction.guild_id, "intervisions.topics.retained_thread", text=topic.text),
                allowed_mentions=NO_PINGS,
            )

    # -- offers ------------------------------------------------------------------------------------
    offer_group = app_commands.Group(
        name="proposer", description="Proposer d'accueillir ou d'animer une séance", parent=intervision
    )

    @offer_group.command(name="accueil", description="Proposer d'accueillir une séance dans vos locaux")
    @app_commands.rename(session_id="id")
    @app_commands.describe(session_id="Numéro de la séance")
    async def offer_to_host(self, interaction: discord.Interaction, session_id: int) -> None:
        await self._offer(interaction, session_id, "accueil")

    @offer_group.command(name="animation", description="Proposer d'animer une séance")
    @app_commands.rename(session_id="id")
    @app_commands.describe(session_id="Numéro de la séance")
    async def offer_to_facilitate(self, interaction: discord.Interaction, session_id: int) -> None:
        await self._offer(interaction, session_id, "animation")

    async def _offer(self, interaction: discord.Interaction, session_id: int, kind: str) -> None:
        session, new = await self.domain.offer(interaction.guild_id, session_id, interaction.user.id, kind)
        await send_ephemeral(
            interaction,
            self.bot.t(
                interaction,
                f"intervisions.offer.{kind}" if new else "intervisions.offer.already",
                title=session.title,
            ),
        )
        if not new:
            return
        organisers = dict.fromkeys(u for u in (session.created_by, session.facilitator_id) if u)
        name = interaction.user.display_name
        for user_id in organisers:
            await self.dm(
                interaction.guild_id,
                user_id,
                self.bot.t(
                    interaction.guild_id,
                    f"intervisions.dm.offer_{kind}",
                    member=name,
                    title=session.title,
                    id=session.id,
                ),
            )

    # -- timers ------------------------------------------------------------------------------------
    async def on_reminder_timer(self, timer: Timer) -> None:
        guild_id = timer.guild_id
        try:
            session = await self.domain.get(guild_id, int(timer.payload["session_id"]))
        except UserError:
            return
        if not session.is_scheduled:
            return
        hours = float(timer.payload.get("hours", 0))
        tz = await self.tz_name(guild_id)
        locale = self.bot.locale_for(guild_id=guild_id)
        when = ui.when_text(session, tz, locale)
        for user_id in await self.domain.reminder_recipients(guild_id, session.id, f"{hours:g}h"):
            if await self.domain.dm_closed(guild_id, user_id):
                continue
            await self.dm(
                guild_id,
                user_id,
                self.bot.t(
                    guild_id,
                    "intervisions.dm.reminder",
                    title=session.title,
                    when=when,
                    stamp=ui.stamp(session),
                    place=session.place or "—",
                ),
            )
        if session.facilitator_id and await self.domain.claim_once(
            session.id, f"list:{hours:g}h", session.facilitator_id
        ):
            people = await self.domain.participants(guild_id, session.id)
            await self.dm(
                guild_id,
                session.facilitator_id,
                self._participants_text(
                    self.bot.get_guild(guild_id), session, people, self.bot.texts(guild_id)
                ),
            )

    async def on_archive_timer(self, timer: Timer) -> None:
        try:
            session = await self.domain.get(timer.guild_id, int(timer.payload["session_id"]))
        except UserError:
            return
        if session.status == "cancelled":
            return
        thread = self.bot.get_channel(session.thread_id or 0)
        if isinstance(thread, discord.Thread) and not thread.archived:
            try:
                await thread.edit(archived=True, locked=True)
            except discord.HTTPException as exc:
                log.warning("thread of %s not archived: %s", session.id, exc)
        await self.domain.mark_done(timer.guild_id, session.id)
        await self.refresh(timer.guild_id, session.id)

    async def on_seats_freed_timer(self, timer: Timer) -> None:
        """A member erased their data: their seat went to the waitlist; tell Discord as for a withdrawal."""
        session = await self.domain.get(timer.guild_id, int(timer.payload["session_id"]))
        await self._thread_remove(session.thread_id, int(timer.payload["removed"]))
        await self.announce_promotions(timer.guild_id, session, tuple(timer.payload["promoted"]))
        await self.refresh(timer.guild_id, session.id)

    # -- gateway events --------------------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        freed = await self.domain.member_left(payload.guild_id, payload.user.id)
        for session, promoted in freed:
            log.info("member %s left: seat freed in intervision %s", payload.user.id, session.id)
            await self.announce_promotions(payload.guild_id, session, promoted)
            await self.refresh(payload.guild_id, session.id)

    @commands.Cog.listener()
    async def on_scheduled_event_delete(self, event: discord.ScheduledEvent) -> None:
        session = await self.domain.forget_event(event.guild_id, event.id)
        if session is not None:
            log.info("scheduled event of intervision %s deleted on Discord; the session stays", session.id)


async def setup(bot: RelaisBot) -> None:
    await bot.add_cog(IntervisionsCog(bot))
