"""/offre: submit, moderate, announce, alert, expire and import job offers (thin: rules in bot/jobs/)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import RelaisBot
from bot.core import netguard, timeutil
from bot.core.errors import NotAllowed, NotFound, UserError
from bot.core.i18n import Translate
from bot.core.timers import Timer
from bot.jobs import alerts, feeds, offers, ui
from bot.jobs.config import load_config
from bot.jobs.text import fold
from bot.services import FeedHealth, JobFeedsService
from bot.ui import pager
from bot.ui.base import NO_PINGS, send_ephemeral
from bot.ui.checks import has_configured_role, is_moderator, require_moderator
from bot.ui.confirm import ConfirmView
from bot.ui.limits import fit_content

log = logging.getLogger(__name__)
# The diagnostic waits for every feed before answering: a slow feed is reported, not waited for.
FEED_PROBE_TIMEOUT_SECONDS = 5.0

RHYTHM_CHOICES = [
    app_commands.Choice(name="immédiat", value="immediat"),
    app_commands.Choice(name="quotidien", value="quotidien"),
]
DM_CONCURRENCY = 5
CONFIRM_IDS = "relais:jobs"  # relais:jobs:confirm / relais:jobs:cancel
LIST_IDS = "relais:jobs:list"  # relais:jobs:list:prev / relais:jobs:list:next
CONFIRM_TIMEOUT = 900


def _choices(names: tuple[str, ...]) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=n[:100], value=n[:100]) for n in names[:25]]


def _complete_list(current: str, names: tuple[str, ...]) -> list[app_commands.Choice[str]]:
    """Complete the last item of a comma-separated list."""
    head, _, last = current.rpartition(",")
    chosen = {fold(p) for p in head.split(",") if p.strip()}
    prefix = (head + ", ") if head.strip() else ""
    options = [n for n in names if fold(n).startswith(fold(last)) and fold(n) not in chosen]
    return [app_commands.Choice(name=(prefix + n)[:100], value=(prefix + n)[:100]) for n in options[:25]]


class Jobs(commands.Cog):
    offre = app_commands.Group(
        name="offre",
        description="Offres d'emploi de pair-aidance",
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
    )

    def __init__(self, bot: RelaisBot) -> None:
        self.bot = bot
        self.config, problems = load_config(bot.settings.config_dir)
        for problem in problems:
            log.warning("config/offers.yaml: %s", problem)
        self.settings = bot.settings.jobs
        self.alert_index = alerts.AlertIndexCache()
        self._process_locks: dict[int, asyncio.Lock] = {}
        # Region and contract choices come from config/offers.yaml, known only now: discord.py's
        # choices decorator also applies to an already declared command.
        regions, contracts = _choices(self.config.region_names), _choices(self.config.contracts)
        for command in (self.publish, self.list_offers, self.edit):
            app_commands.choices(region=regions, contract=contracts)(command)

    async def cog_load(self) -> None:
        self.bot.services.provide(ui.JobQueueActions, self)
        self.bot.services.provide(JobFeedsService, self)
        timers = self.bot.timers
        timers.register(offers.KIND_PROCESS, self.on_process_timer)
        timers.register(alerts.KIND_ALERTS, self.on_alerts_timer)
        timers.register(offers.KIND_EXPIRE, self.on_expire_timer)
        timers.register(alerts.KIND_DIGEST, self.on_digest_timer)
        timers.register(feeds.KIND_FEEDS, self.on_feeds_timer)
        if self.config.feeds and not await timers.pending(feeds.FEEDS_TIMER_GUILD, feeds.KIND_FEEDS):
            await timers.schedule(
                feeds.FEEDS_TIMER_GUILD,
                feeds.KIND_FEEDS,
                timeutil.now() + dt.timedelta(seconds=60),
                {},
                key=feeds.FEEDS_TIMER_KEY,
            )

    async def cog_unload(self) -> None:
        self.bot.services.withdraw(ui.JobQueueActions, self)
        self.bot.services.withdraw(JobFeedsService, self)

    # -- helpers -----------------------------------------------------------------------------------
    async def _member_rights(self, interaction: discord.Interaction) -> tuple[bool, bool]:
        """(is moderator, may publish without the queue)."""
        config = await self.bot.guild_config(interaction.guild_id)
        member = interaction.user
        moderator = isinstance(member, discord.Member) and is_moderator(member, config)
        trusted = moderator or (
            isinstance(member, discord.Member) and has_configured_role(member, config, "confiance")
        )
        return moderator, trusted or not self.settings.moderation_queue

    async def _timezone(self, guild_id: int) -> str:
        return self.bot.timezone_name(await self.bot.guild_config(guild_id))

    async def _check_cooldown(self, interaction: discord.Interaction) -> None:
        moderator, _ = await self._member_rights(interaction)
        if not moderator:
            await offers.check_submit_cooldown(
                self.bot.db,
                interaction.guild_id,
                interaction.user.id,
                timeutil.now(),
                self.settings.submit_cooldown_seconds,
            )

    def _deadline(self, text: str | None, timezone: str) -> Any:
        if text is None or not text.strip():
            return None
        return offers.parse_deadline(text, timezone, timeutil.now())

    # -- /offre publier ----------------------------------------------------------------------------
    @offre.command(name="publier", description="Proposer une offre d'emploi (un formulaire suit)")
    @app_commands.rename(
        title="intitule",
        employer="employeur",
        contract="contrat",
        deadline="date_limite",
        link="lien",
        place="lieu",
    )
    @app_commands.describe(
        title="Intitulé du poste",
        employer="Structure qui recrute",
        region="Région du poste",
        contract="Type de contrat",
        deadline="Date limite de candidature, par exemple 31/12 ou 15 mars 2026",
        link="Lien vers l'offre complète, ou adresse e-mail de contact",
        place="Ville ou lieu de travail",
    )
    async def publish(
        self,
        interaction: discord.Interaction,
        title: app_commands.Range[str, 1, 256],
        employer: app_commands.Range[str, 1, 256],
        region: str,
        contract: str,
        deadline: str | None = None,
        link: str | None = None,
        place: app_commands.Range[str, 1, 256] | None = None,
    ) -> None:
        await self._check_cooldown(interaction)  # before the form: nobody types five paragraphs for nothing
        timezone = await self._timezone(interaction.guild_id)
        draft = offers.OfferInput(
            title=title,
            employer=employer,
            region=region,
            contract=contract,
            deadline=self._deadline(deadline, timezone),
            link=link,
            place=place,
        )
        # Everything but the long fields is checked before the form opens: nobody types five
        # paragraphs to learn that the date was wrong.
        draft = offers.validate(draft, self.config, timeutil.now(), from_feed=True)
        await interaction.response.send_modal(self._offer_modal(interaction, draft))

    # -- /offre liste, /offre voir ------------------------------------------------------------------
    @offre.command(name="liste", description="Les offres ouvertes, filtrées par région ou contrat")
    @app_commands.rename(contract="contrat")
    @app_commands.describe(region="Seulement cette région", contract="Seulement ce contrat")
    async def list_offers(
        self, interaction: discord.Interaction, region: str | None = None, contract: str | None = None
    ) -> None:
        guild_id, t = interaction.guild_id, self.bot.texts(interaction)

        async def fetch(number: int) -> pager.Page:
            page = await offers.list_open(
                self.bot.db, guild_id, region=region, contract=contract, page=number
            )
            return pager.Page(page.page, page.pages, content=ui.list_lines(t, page))

        first = await fetch(0)
        view = pager.Pager(
            interaction.user.id,
            first,
            fetch,
            previous_label=t("jobs.list.previous"),
            next_label=t("jobs.list.next"),
            id_prefix=LIST_IDS,
        )
        await send_ephemeral(interaction, first.content, **({"view": view} if view.needed else {}))

    @offre.command(name="voir", description="Afficher une offre")
    @app_commands.rename(offer_id="id")
    @app_commands.describe(offer_id="Numéro de l'offre")
    async def show(self, interaction: discord.Interaction, offer_id: app_commands.Range[int, 1]) -> None:
        offer = await offers.get_offer(self.bot.db, interaction.guild_id, offer_id)
        moderator, _ = await self._member_rights(interaction)
        hidden = offer.status in ("pending", "refused", "withdrawn")
        if hidden and not moderator and offer.submitter_id != interaction.user.id:
            raise NotFound("jobs.errors.not_found", id=offer_id)
        t = self.bot.texts(interaction)
        closure = None if offer.status in ("published", "pending") else ui.closure_text(t, offer.status)
        if moderator and offer.status == "pending":
            embed = ui.queue_embed(t, offer)
        else:
            embed = ui.offer_embed(t, offer, closure=closure)
        await send_ephemeral(interaction, embed=embed)

    # -- the offer form -----------------------------------------------------------------------------------
    def _offer_modal(
        self,
        interaction: discord.Interaction,
        draft: offers.OfferInput,
        values: dict[str, str] | None = None,
        offer_id: int | None = None,
    ) -> ui.OfferModal:
        async def submitted(modal_interaction: discord.Interaction, fields: dict[str, str]) -> None:
            full = dataclasses.replace(draft, **fields)
            try:
                if offer_id is None:
                    await self._submit(modal_interaction, full)
                else:
                    await self._apply_edit(modal_interaction, offer_id, full)
            except UserError as error:
                await self._offer_retry(modal_interaction, error, draft, fields, offer_id)

        return ui.OfferModal(
            self.bot.texts(interaction),
            submitted,
            opener_id=interaction.user.id,
            values=values,
            pay_required=draft.contract != offers.VOLUNTEER_CONTRACT,
        )

    async def _offer_retry(
        self,
        interaction: discord.Interaction,
        error: UserError,
        draft: offers.OfferInput,
        fields: dict[str, str],
        offer_id: int | None,
    ) -> None:
        """A refused form keeps what was typed: the member fixes it with one click."""
        log.info(
            "job offer form refused: %s %s (guild=%s user=%s)",
            error.key,
            error.params,
            interaction.guild_id,
            interaction.user.id,
        )
        t = self.bot.texts(interaction)

        async def reopen(button_interaction: discord.Interaction) -> None:
            await button_interaction.response.send_modal(
                self._offer_modal(button_interaction, draft, fields, offer_id)
            )

        view = ConfirmView.confirm_cancel(
            interaction.user.id, t("jobs.modal.retry"), reopen, id_prefix=CONFIRM_IDS, timeout=CONFIRM_TIMEOUT
        )
        text = self.bot.t(interaction, error.key, **error.params) + "\n" + t("jobs.modal.retry_hint")
        await send_ephemeral(interaction, text, view=view)

    async def _submit(
        self, interaction: discord.Interaction, inp: offers.OfferInput, *, confirmed: bool = False
    ) -> None:
        now = timeutil.now()
        clean = offers.validate(inp, self.config, now)
        await self._check_cooldown(interaction)  # again: several forms may have been opened at once
        if not confirmed:
            duplicates = await offers.find_duplicates(self.bot.db, interaction.guild_id, clean, now)
            if duplicates:
                await self._ask_duplicate(interaction, clean, duplicates)
                return
        _moderator, direct = await self._member_rights(interaction)
        offer = await offers.submit_offer(
            self.bot.db,
            interaction.guild_id,
            clean,
            submitter_id=interaction.user.id,
            publish_now=direct,
            now=now,
            default_expiry_days=self.settings.default_expiry_days,
        )
        await send_ephemeral(
            interaction, self.bot.t(interaction, f"jobs.submit.done_{offer.status}", id=offer.id)
        )
        await self.process_offer(offer.guild_id, offer.id)

    async def _ask_duplicate(
        self, interaction: discord.Interaction, clean: offers.OfferInput, duplicates: list[offers.Offer]
    ) -> None:
        t = self.bot.texts(interaction)
        lines = [t("jobs.submit.duplicate_intro")]
        lines += [
            t("jobs.queue.duplicate_line", id=d.id, title=d.title[:80], status=t(f"jobs.status.{d.status}"))
            for d in duplicates
        ]
        lines.append(t("jobs.submit.duplicate_question"))

        async def confirm(button_interaction: discord.Interaction) -> None:
            await self._submit(button_interaction, clean, confirmed=True)

        async def cancel(button_interaction: discord.Interaction) -> None:
            await button_interaction.response.edit_message(content=t("jobs.submit.cancelled"), view=None)

        view = ConfirmView.confirm_cancel(
            interaction.user.id,
            t("jobs.submit.confirm_duplicate"),
            confirm,
            cancel_label=t("jobs.submit.cancel"),
            on_cancel=cancel,
            id_prefix=CONFIRM_IDS,
            timeout=CONFIRM_TIMEOUT,
        )
        await send_ephemeral(interaction, fit_content("\n".join(lines)), view=view)

    # -- posting: queue card or announcement (also the KIND_PROCESS timer) ------------------------------
    async def on_process_timer(self, timer: Timer) -> None:
        await self.process_offer(timer.guild_id, int(timer.payload["offer_id"]))

    async def process_offer(self, guild_id: int, offer_id: int) -> None:
        """Post what the offer's state calls for, once: the moderators' card while pending, the
        announcement (plus alerts and expiry) once published. Safe to call again."""
        lock = self._process_locks.setdefault(offer_id, asyncio.Lock())
        async with lock:
            offer = await offers.get_offer(self.bot.db, guild_id, offer_id)
            if offer.status == "pending" and offer.queue_message_id is None:
                await self._post_queue_card(offer)
            elif offer.status == "published" and offer.announce_message_id is None:
                await self._announce(offer)
        self._process_locks.pop(offer_id, None)

    async def _post_queue_card(self, offer: offers.Offer) -> None:
        config = await self.bot.guild_config(offer.guild_id)
        channel = await self.bot.channel_or_fetch(
            config.channel("offres_moderation") or config.channel("modlog")
        )
        if channel is None:
            log.warning(
                "job offer %s waits but no moderation channel is configured (guild=%s)",
                offer.id,
                offer.guild_id,
            )
            return
        t = self.bot.texts(offer.guild_id)
        duplicates = await offers.find_duplicates(
            self.bot.db, offer.guild_id, offer.as_input(), offer.created_at, exclude_id=offer.id
        )
        message = await channel.send(
            content=t("jobs.queue.new", id=offer.id),
            embed=ui.queue_embed(t, offer, duplicates),
            view=ui.queue_view(t, offer),
            allowed_mentions=NO_PINGS,
        )
        await offers.set_queue_message(self.bot.db, offer.guild_id, offer.id, channel.id, message.id)

    async def _refresh_queue_card(self, offer: offers.Offer) -> None:
        channel = await self.bot.channel_or_fetch(offer.queue_channel_id)
        if channel is None or offer.queue_message_id is None:
            return
        t = self.bot.texts(offer.guild_id)
        try:
            await channel.get_partial_message(offer.queue_message_id).edit(
                embed=ui.queue_embed(t, offer),
                view=ui.queue_view(t, offer),
                allowed_mentions=NO_PINGS,
            )
        except discord.HTTPException as exc:
            log.warning("could not update the queue card of offer %s: %s", offer.id, exc)

    def _ping_role(self, guild: discord.Guild | None, region: str) -> discord.Role | None:
        region_config = self.config.region(region)
        if guild is None or region_config is None or region_config.ping_role is None:
            return None
        wanted = region_config.ping_role
        if isinstance(wanted, int) or str(wanted).isdigit():
            return guild.get_role(int(wanted))
        return discord.utils.get(guild.roles, name=str(wanted))

    def _region_line(self, t: Translate, offer: offers.Offer) -> tuple[str | None, discord.Role | None]:
        """The announcement's « @rôle — nouvelle offre en … » line and its role, when the region has one."""
        role = self._ping_role(self.bot.get_guild(offer.guild_id), offer.region)
        return (t("jobs.announce.ping", role=role.mention, region=offer.region) if role else None), role

    def _forum_tags(self, forum: discord.ForumChannel, offer: offers.Offer) -> list[discord.ForumTag]:
        wanted = {fold(offer.region), fold(offer.contract)}
        return [tag for tag in forum.available_tags if fold(tag.name) in wanted][:5]

    async def _refresh_post(self, thread: discord.Thread, offer: offers.Offer) -> None:
        """Keep a forum post's title and region/contract tags in step with an edited offer; tags the
        moderators added by hand (not a region or contract name) stay."""
        changes: dict[str, Any] = {}
        name = _post_name(offer)
        if thread.name != name:
            changes["name"] = name
        forum = thread.parent
        if isinstance(forum, discord.ForumChannel):
            ours = {fold(n) for n in (*self.config.region_names, *self.config.contracts)}
            kept = [tag for tag in thread.applied_tags if fold(tag.name) not in ours]
            tags = (self._forum_tags(forum, offer) + kept)[:5]
            if {tag.id for tag in tags} != {tag.id for tag in thread.applied_tags}:
                changes["applied_tags"] = tags
        if changes:
            await thread.edit(**changes)

    async def _announce(self, offer: offers.Offer) -> None:
        config = await self.bot.guild_config(offer.guild_id)
        channel = await self.bot.channel_or_fetch(config.channel("offres"))
        db = self.bot.db
        if channel is None:
            log.warning(
                "job offer %s published but no jobs channel is configured (guild=%s)",
                offer.id,
                offer.guild_id,
            )
        else:
            t = self.bot.texts(offer.guild_id)
            content, role = self._region_line(t, offer)
            mentions = (
                discord.AllowedMentions(everyone=False, users=False, roles=[role]) if role else NO_PINGS
            )
            embed = ui.offer_embed(t, offer)
            if isinstance(channel, discord.ForumChannel):
                created = await channel.create_thread(
                    name=_post_name(offer),
                    content=content,
                    embed=embed,
                    applied_tags=self._forum_tags(channel, offer),
                    allowed_mentions=mentions,
                )
                await offers.set_announcement(
                    db, offer.guild_id, offer.id, channel.id, created.message.id, created.thread.id
                )
            else:
                message = await channel.send(content=content, embed=embed, allowed_mentions=mentions)
                await offers.set_announcement(db, offer.guild_id, offer.id, channel.id, message.id, None)
        await offers.schedule_expiry(self.bot.timers, offer, self.settings.default_expiry_days)
        index = await self.alert_index.get(db, offer.guild_id)
        grouped = await alerts.record_alerts(db, offer, index, timeutil.now())
        if grouped["immediat"]:
            await self.bot.timers.schedule(
                offer.guild_id,
                alerts.KIND_ALERTS,
                timeutil.now(),
                {"offer_id": offer.id},
                key=f"jobs:alerts:{offer.id}",
            )
        if grouped["quotidien"]:
            await alerts.schedule_digest(
                self.bot.timers,
                offer.guild_id,
                timeutil.now(),
                await self._timezone(offer.guild_id),
                self.settings.digest_hour,
            )

    async def _edit_announcement(self, offer: offers.Offer) -> None:
        """Show the current state of a published or closed offer on its announcement."""
        channel = await self.bot.channel_or_fetch(offer.announce_thread_id or offer.announce_channel_id)
        if channel is None or offer.announce_message_id is None:
            return
        t = self.bot.texts(offer.guild_id)
        closure = None if offer.status == "published" else ui.closure_text(t, offer.status)
        thread = channel if isinstance(channel, discord.Thread) else None
        try:
            if thread is not None and thread.archived:
                await thread.edit(archived=False)
            if closure:
                content = f"**{closure}**"
            else:  # keep the region line of the announcement; an edit never notifies the role again
                content, _ = self._region_line(t, offer)
            await channel.get_partial_message(offer.announce_message_id).edit(
                content=content,
                embed=ui.offer_embed(t, offer, closure=closure),
                allowed_mentions=NO_PINGS,
            )
            if thread is not None and not closure:
                await self._refresh_post(thread, offer)
            if thread is not None and closure:
                await thread.edit(archived=True, locked=True)
        except discord.NotFound:
            log.info("announcement of offer %s was deleted by hand; nothing to edit", offer.id)
        if closure:
            await offers.mark_closure_shown(self.bot.db, offer.guild_id, offer.id)

    # -- queue buttons -----------------------------------------------------------------------------------
    async def on_queue_button(self, interaction: discord.Interaction, action: str, offer_id: int) -> None:
        config = await self.bot.guild_config(interaction.guild_id)
        require_moderator(interaction.user, config)
        if action == "publish":
            offer = await offers.approve(
                self.bot.db,
                interaction.guild_id,
                offer_id,
                moderator_id=interaction.user.id,
                is_moderator=True,
                now=timeutil.now(),
                default_expiry_days=self.settings.default_expiry_days,
            )
            t = self.bot.texts(offer.guild_id)
            await interaction.response.edit_message(
                embed=ui.queue_embed(t, offer), view=ui.queue_view(t, offer)
            )
            await self.process_offer(offer.guild_id, offer.id)
            await self._notify_submitter(offer, "jobs.queue.dm_published", id=offer.id, title=offer.title)
        elif action == "refuse":
            await offers.get_offer(self.bot.db, interaction.guild_id, offer_id)  # NotFound before the form

            async def submitted(modal_interaction: discord.Interaction, reason: str) -> None:
                # The form was open for up to fifteen minutes: the role may have gone meanwhile.
                require_moderator(
                    modal_interaction.user, await self.bot.guild_config(modal_interaction.guild_id)
                )
                offer = await offers.refuse(
                    self.bot.db,
                    modal_interaction.guild_id,
                    offer_id,
                    moderator_id=modal_interaction.user.id,
                    is_moderator=True,
                    reason=reason,
                    now=timeutil.now(),
                )
                await send_ephemeral(
                    modal_interaction, self.bot.t(modal_interaction, "jobs.queue.refused_ok", id=offer_id)
                )
                await self._refresh_queue_card(offer)
                await self._notify_submitter(
                    offer,
                    "jobs.queue.dm_refused",
                    id=offer.id,
                    title=offer.title,
                    reason=offer.refusal_reason,
                )

            await interaction.response.send_modal(
                ui.RefuseModal(self.bot.texts(interaction), submitted, opener_id=interaction.user.id)
            )
        else:
            offer = await offers.get_offer(self.bot.db, interaction.guild_id, offer_id)
            if not offer.is_open:
                raise UserError(f"jobs.errors.closed.{offer.status}", id=offer_id)
            await interaction.response.send_modal(
                self._offer_modal(interaction, offer.as_input(), _long_fields(offer), offer_id)
            )

    async def _notify_submitter(self, offer: offers.Offer, key: str, **params: Any) -> None:
        if not offer.submitter_id:
            return
        guild = self.bot.get_guild(offer.guild_id)
        text = self.bot.t(offer.guild_id, key, guild=guild.name if guild else "", **params)
        await self._dm(offer.guild_id, offer.submitter_id, content=text)

    # -- /offre modifier -----------------------------------------------------------------------------------
    @offre.command(name="modifier", description="Modifier une de vos offres (un formulaire suit)")
    @app_commands.rename(
        offer_id="id",
        title="intitule",
        employer="employeur",
        contract="contrat",
        deadline="date_limite",
        link="lien",
        place="lieu",
    )
    @app_commands.describe(
        offer_id="Numéro de l'offre",
        title="Nouvel intitulé",
        employer="Nouvelle structure",
        region="Nouvelle région",
        contract="Nouveau contrat",
        deadline="Nouvelle date limite (« aucune » pour l'enlever)",
        link="Nouveau lien ou e-mail (« aucun » pour l'enlever)",
        place="Nouveau lieu",
    )
    async def edit(
        self,
        interaction: discord.Interaction,
        offer_id: app_commands.Range[int, 1],
        title: app_commands.Range[str, 1, 256] | None = None,
        employer: app_commands.Range[str, 1, 256] | None = None,
        region: str | None = None,
        contract: str | None = None,
        deadline: str | None = None,
        link: str | None = None,
        place: app_commands.Range[str, 1, 256] | None = None,
    ) -> None:
        offer = await offers.get_offer(self.bot.db, interaction.guild_id, offer_id)
        moderator, _ = await self._member_rights(interaction)
        if not moderator and offer.submitter_id != interaction.user.id:
            raise NotAllowed("jobs.errors.not_yours", id=offer_id)
        if not offer.is_open:
            raise UserError(f"jobs.errors.closed.{offer.status}", id=offer_id)
        timezone = await self._timezone(interaction.guild_id)
        kept = {"title": title, "employer": employer, "region": region, "contract": contract, "place": place}
        updates: dict[str, Any] = {name: value for name, value in kept.items() if value is not None}
        if deadline is not None:
            removing = fold(deadline) in ("aucune", "aucun", "none", "")
            updates["deadline"] = None if removing else self._deadline(deadline, timezone)
        if link is not None:
            updates["link"] = None if fold(link) in ("aucun", "aucune", "none", "") else link
        draft = dataclasses.replace(offer.as_input(), **updates)
        draft = offers.validate(draft, self.config, timeutil.now(), from_feed=True)
        await interaction.response.send_modal(
            self._offer_modal(interaction, draft, _long_fields(offer), offer_id)
        )

    async def _apply_edit(
        self, interaction: discord.Interaction, offer_id: int, inp: offers.OfferInput
    ) -> None:
        moderator, direct = await self._member_rights(interaction)
        current = await offers.get_offer(self.bot.db, interaction.guild_id, offer_id)
        if current.status == "published" and not direct:
            # The announcement was approved as it reads: a change by a member without the trusted
            # role is reviewed first, and the approved version stays up meanwhile.
            await self._propose_revision(interaction, current, inp)
            return
        offer = await offers.update_offer(
            self.bot.db,
            interaction.guild_id,
            offer_id,
            inp,
            actor_id=interaction.user.id,
            is_moderator=moderator,
            config=self.config,
            now=timeutil.now(),
            default_expiry_days=self.settings.default_expiry_days,
        )
        await send_ephemeral(interaction, self.bot.t(interaction, "jobs.edit.done", id=offer.id))
        if offer.status == "published":
            await offers.schedule_expiry(self.bot.timers, offer, self.settings.default_expiry_days)
            await self._edit_announcement(offer)
        await self._refresh_queue_card(offer)

    async def _propose_revision(
        self, interaction: discord.Interaction, offer: offers.Offer, inp: offers.OfferInput
    ) -> None:
        revision = await offers.propose_revision(
            self.bot.db,
            offer.guild_id,
            offer.id,
            inp,
            actor_id=interaction.user.id,
            config=self.config,
            now=timeutil.now(),
        )
        await send_ephemeral(interaction, self.bot.t(interaction, "jobs.revision.sent", id=offer.id))
        await self._post_revision_card(offer, revision)

    async def _post_revision_card(self, offer: offers.Offer, revision: offers.Revision) -> None:
        """Post the revision's card, or update the card of the revision it replaces."""
        t = self.bot.texts(offer.guild_id)
        embed, view = ui.revision_embed(t, offer, revision), ui.revision_view(t, offer.id)
        if revision.queue_message_id is not None:
            channel = await self.bot.channel_or_fetch(revision.queue_channel_id)
            if channel is not None:
                try:
                    await channel.get_partial_message(revision.queue_message_id).edit(
                        embed=embed, view=view, allowed_mentions=NO_PINGS
                    )
                    return
                except discord.NotFound:
                    pass  # deleted by hand: post a new one
        config = await self.bot.guild_config(offer.guild_id)
        channel = await self.bot.channel_or_fetch(
            config.channel("offres_moderation") or config.channel("modlog")
        )
        if channel is None:
            log.warning(
                "revision of job offer %s waits but no moderation channel is configured (guild=%s)",
                offer.id,
                offer.guild_id,
            )
            return
        message = await channel.send(
            content=t("jobs.revision.new", id=offer.id), embed=embed, view=view, allowed_mentions=NO_PINGS
        )
        await offers.set_revision_queue_message(self.bot.db, offer.guild_id, offer.id, channel.id, message.id)

    async def on_revision_button(self, interaction: discord.Interaction, action: str, offer_id: int) -> None:
        config = await self.bot.guild_config(interaction.guild_id)
        require_moderator(interaction.user, config)
        guild_id, t = interaction.guild_id, self.bot.texts(interaction)
        moderator = f"<@{interaction.user.id}>"
        if action == "publish":
            revision, offer = await offers.approve_revision(
                self.bot.db,
                guild_id,
                offer_id,
                moderator_id=interaction.user.id,
                is_moderator=True,
                config=self.config,
                now=timeutil.now(),
                default_expiry_days=self.settings.default_expiry_days,
            )
            await interaction.response.edit_message(
                embed=ui.revision_embed(
                    t, offer, revision, t("jobs.revision.published", moderator=moderator)
                ),
                view=ui.revision_view(t, offer_id, closed=True),
            )
            await offers.schedule_expiry(self.bot.timers, offer, self.settings.default_expiry_days)
            await self._edit_announcement(offer)
            await self._notify_submitter(offer, "jobs.revision.dm_published", id=offer.id, title=offer.title)
            return
        if await offers.get_revision(self.bot.db, guild_id, offer_id) is None:  # before the form
            await offers.get_offer(self.bot.db, guild_id, offer_id)
            raise UserError("jobs.revision.already", id=offer_id)

        async def submitted(modal_interaction: discord.Interaction, reason: str) -> None:
            require_moderator(modal_interaction.user, await self.bot.guild_config(modal_interaction.guild_id))
            revision = await offers.refuse_revision(
                self.bot.db,
                guild_id,
                offer_id,
                moderator_id=modal_interaction.user.id,
                is_moderator=True,
                reason=reason,
            )
            offer = await offers.get_offer(self.bot.db, guild_id, offer_id)
            await send_ephemeral(
                modal_interaction, self.bot.t(modal_interaction, "jobs.revision.refused_ok", id=offer_id)
            )
            channel = await self.bot.channel_or_fetch(revision.queue_channel_id)
            if channel is not None and revision.queue_message_id is not None:
                state = (
                    t("jobs.revision.refused", moderator=f"<@{modal_interaction.user.id}>")
                    + f"\n> {reason[:500]}"
                )
                try:
                    await channel.get_partial_message(revision.queue_message_id).edit(
                        embed=ui.revision_embed(t, offer, revision, state),
                        view=ui.revision_view(t, offer_id, closed=True),
                        allowed_mentions=NO_PINGS,
                    )
                except discord.HTTPException as exc:
                    log.warning("could not update the revision card of offer %s: %s", offer_id, exc)
            await self._notify_submitter(
                offer, "jobs.revision.dm_refused", id=offer.id, title=offer.title, reason=reason.strip()
            )

        await interaction.response.send_modal(ui.RefuseModal(t, submitted, opener_id=interaction.user.id))

    # -- /offre retirer, /offre pourvue --------------------------------------------------------------------
    @offre.command(name="retirer", description="Retirer une offre (la vôtre, ou en tant que modération)")
    @app_commands.rename(offer_id="id")
    @app_commands.describe(offer_id="Numéro de l'offre")
    async def withdraw(self, interaction: discord.Interaction, offer_id: app_commands.Range[int, 1]) -> None:
        await self._close(interaction, offer_id, "withdrawn")

    @offre.command(name="pourvue", description="Indiquer que le poste est pourvu")
    @app_commands.rename(offer_id="id")
    @app_commands.describe(offer_id="Numéro de l'offre")
    async def filled(self, interaction: discord.Interaction, offer_id: app_commands.Range[int, 1]) -> None:
        await self._close(interaction, offer_id, "filled")

    async def _close(self, interaction: discord.Interaction, offer_id: int, status: str) -> None:
        moderator, _ = await self._member_rights(interaction)
        offer = await offers.close_offer(
            self.bot.db,
            interaction.guild_id,
            offer_id,
            status=status,
            actor_id=interaction.user.id,
            is_moderator=moderator,
            now=timeutil.now(),
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.bot.timers.cancel(offer.guild_id, f"jobs:expire:{offer.id}")
        await self._edit_announcement(offer)
        await self._refresh_queue_card(offer)
        await interaction.followup.send(
            self.bot.t(interaction, f"jobs.close.done_{status}", id=offer.id),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    # -- alerts --------------------------------------------------------------------------------------------
    @offre.command(name="alertes", description="Recevoir les nouvelles offres en message privé")
    @app_commands.rename(contracts="contrats", keywords="mots_cles", rhythm="rythme")
    @app_commands.describe(
        regions="Régions séparées par des virgules (vide : toutes)",
        contracts="Contrats séparés par des virgules",
        keywords="Mots-clés séparés par des virgules, par exemple addiction, logement",
        rhythm="À chaque offre, ou un résumé par jour",
    )
    @app_commands.choices(rhythm=RHYTHM_CHOICES)
    async def subscribe(
        self,
        interaction: discord.Interaction,
        regions: app_commands.Range[str, 0, 500] | None = None,
        contracts: app_commands.Range[str, 0, 300] | None = None,
        keywords: app_commands.Range[str, 0, 1000] | None = None,
        rhythm: app_commands.Choice[str] | None = None,
    ) -> None:
        db, guild_id, t = self.bot.db, interaction.guild_id, self.bot.texts(interaction)
        if regions is None and contracts is None and keywords is None and rhythm is None:
            current = await alerts.get_subscription(db, guild_id, interaction.user.id)
            await send_ephemeral(interaction, ui.subscription_text(t, current))
            return
        sub = await alerts.set_subscription(
            db,
            guild_id,
            interaction.user.id,
            regions=alerts.parse_names(regions, self.config.region_names, "region"),
            contracts=alerts.parse_names(contracts, self.config.contracts, "contract"),
            keywords=alerts.parse_keywords(keywords),
            rhythm=rhythm.value if rhythm else None,
            now=timeutil.now(),
        )
        await send_ephemeral(interaction, t("jobs.alerts.saved") + "\n" + ui.subscription_text(t, sub))

    @subscribe.autocomplete("regions")
    async def _complete_regions(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return _complete_list(current, self.config.region_names)

    @subscribe.autocomplete("contracts")
    async def _complete_contracts(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return _complete_list(current, self.config.contracts)

    @offre.command(name="alertes-off", description="Ne plus recevoir d'alertes d'offres")
    async def unsubscribe(self, interaction: discord.Interaction) -> None:
        removed = await alerts.delete_subscription(self.bot.db, interaction.guild_id, interaction.user.id)
        await send_ephemeral(
            interaction, self.bot.t(interaction, "jobs.alerts.off" if removed else "jobs.alerts.none")
        )

    async def _dm(self, guild_id: int, user_id: int, **kwargs: Any) -> bool:
        """Send a DM; False when the member's DMs are closed (or the member is gone)."""
        try:
            user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
            await user.send(allowed_mentions=NO_PINGS, **kwargs)
        except (discord.Forbidden, discord.NotFound):
            return False
        except discord.HTTPException as exc:
            if exc.code == 50007:  # Cannot send messages to this user
                return False
            raise
        return True

    async def on_alerts_timer(self, timer: Timer) -> None:
        guild_id, offer_id = timer.guild_id, int(timer.payload["offer_id"])
        db = self.bot.db
        offer = await offers.get_offer(db, guild_id, offer_id)
        users = await alerts.pending_immediate(db, guild_id, offer_id)
        if offer.status != "published":
            for user in users:
                await alerts.mark_alerts(db, guild_id, user, [offer_id], "dropped", timeutil.now())
            return
        guild = self.bot.get_guild(guild_id)
        t = self.bot.texts(guild_id)
        embed = ui.alert_embed(t, offer, guild.name if guild else "")
        intro = t("jobs.alerts.dm_intro")
        limiter = asyncio.Semaphore(DM_CONCURRENCY)

        async def deliver(user_id: int) -> None:
            async with limiter:
                delivered = await self._dm(guild_id, user_id, content=intro, embed=embed)
            now = timeutil.now()
            await alerts.mark_alerts(
                db, guild_id, user_id, [offer_id], "sent" if delivered else "failed", now
            )
            await alerts.record_dm_result(db, guild_id, user_id, delivered=delivered, now=now)

        await asyncio.gather(*(deliver(u) for u in users))

    async def on_digest_timer(self, timer: Timer) -> None:
        guild_id, db = timer.guild_id, self.bot.db
        guild = self.bot.get_guild(guild_id)
        t = self.bot.texts(guild_id)
        for digest in await alerts.digest_batches(db, guild_id):
            delivered = await self._dm(
                guild_id,
                digest.user_id,
                content=ui.digest_text(t, digest.offers, guild.name if guild else ""),
            )
            now = timeutil.now()
            await alerts.mark_alerts(
                db,
                guild_id,
                digest.user_id,
                [o.id for o in digest.offers],
                "sent" if delivered else "failed",
                now,
            )
            await alerts.record_dm_result(db, guild_id, digest.user_id, delivered=delivered, now=now)

    # -- expiry --------------------------------------------------------------------------------------------
    async def on_expire_timer(self, timer: Timer) -> None:
        guild_id, offer_id = timer.guild_id, int(timer.payload["offer_id"])
        await offers.expire_offer(self.bot.db, guild_id, offer_id, timeutil.now())
        offer = await offers.get_offer(self.bot.db, guild_id, offer_id)
        if offer.status in ("expired", "filled", "withdrawn") and not offer.closure_shown:
            await self._edit_announcement(offer)

    # -- feeds ---------------------------------------------------------------------------------------------
    async def poll_feeds_now(self) -> list[tuple[int, list[feeds.FeedReport]]]:
        results = []
        async with netguard.guarded_session(
            allow_loopback=self.bot.settings.features.allow_loopback_urls
        ) as session:
            for guild_id in await feeds.guilds_with_jobs_channel(self.bot.db):
                if self.bot.get_guild(guild_id) is None:
                    continue
                reports = await feeds.poll_guild(
                    self.bot.db,
                    guild_id,
                    self.config,
                    now=timeutil.now(),
                    session=session,
                    timeout_seconds=self.settings.feed_timeout_seconds,
                    allow_loopback=self.bot.settings.features.allow_loopback_urls,
                    publish_now=not self.settings.moderation_queue,
                    default_expiry_days=self.settings.default_expiry_days,
                    max_new_per_poll=self.settings.feed_max_new_per_poll,
                )
                for report in reports:
                    for offer in report.new_offers:
                        await self.process_offer(guild_id, offer.id)
                    await self._report_feed_health(guild_id, report)
                results.append((guild_id, reports))
        return results

    async def _report_feed_health(self, guild_id: int, report: feeds.FeedReport) -> None:
        if not (report.became_broken or report.recovered):
            return
        config = await self.bot.guild_config(guild_id)
        channel = await self.bot.channel_or_fetch(config.channel("modlog"))
        key = "jobs.feeds.broken" if report.became_broken else "jobs.feeds.recovered"
        text = self.bot.t(guild_id, key, name=report.feed.name, url=report.feed.url, error=report.error or "")
        if channel is None:
            log.warning("feed health (no mod-log channel, guild=%s): %s", guild_id, text)
            return
        await channel.send(fit_content(text), allowed_mentions=NO_PINGS, suppress_embeds=True)

    # -- JobFeedsService (the diagnostic) -------------------------------------------------------------
    async def feed_health(self, guild_id: int) -> list[FeedHealth]:
        """Each configured feed fetched once now, all at once, with a short timeout."""
        if not self.config.feeds:
            return []
        allow_loopback = self.bot.settings.features.allow_loopback_urls
        timeout = min(FEED_PROBE_TIMEOUT_SECONDS, self.settings.feed_timeout_seconds)
        async with netguard.guarded_session(allow_loopback=allow_loopback) as session:
            probes = await asyncio.gather(
                *(
                    feeds.probe(session, feed, timeout_seconds=timeout, allow_loopback=allow_loopback)
                    for feed in self.config.feeds
                )
            )
        health = []
        for probe in probes:
            if probe.error is not None:
                log.info("feed %s unreachable for the diagnostic: %s", probe.feed.url, probe.error)
            detail = (
                self.bot.t(guild_id, "diagnostic.feed_entries", count=probe.entries)
                if probe.entries is not None
                else probe.error or ""
            )
            health.append(FeedHealth(probe.feed.name, probe.feed.url, probe.entries is not None, detail))
        return health

    async def on_feeds_timer(self, timer: Timer) -> None:
        try:
            await self.poll_feeds_now()
        finally:
            await self.bot.timers.schedule(
                feeds.FEEDS_TIMER_GUILD,
                feeds.KIND_FEEDS,
                timeutil.now() + dt.timedelta(hours=self.settings.feed_poll_hours),
                {},
                key=feeds.FEEDS_TIMER_KEY,
            )


def _post_name(offer: offers.Offer) -> str:
    return f"{offer.title} — {offer.employer}"[:100]


def _long_fields(offer: offers.Offer) -> dict[str, str]:
    return {name: getattr(offer, name) for name in ui.OfferModal.FIELDS}


async def setup(bot: RelaisBot) -> None:
    await bot.add_cog(Jobs(bot))
