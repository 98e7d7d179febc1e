"""/offre: submit, moderate, announce, alert, expire and import job offers (thin: rules in bot/jobs.py)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import jobs
from bot.client import RelaisBot
from bot.core import netguard, timeutil
from bot.core.errors import NotAllowed, NotFound, UserError
from bot.core.timers import Timer
from bot.jobs import feeds, ui
from bot.ui.base import NO_PINGS, send_ephemeral
from bot.ui.checks import has_configured_role, is_moderator, require_moderator

log = logging.getLogger(__name__)

RHYTHM_CHOICES = [
    app_commands.Choice(name="immédiat", value="immediat"),
    app_commands.Choice(name="quotidien", value="quotidien"),
]
DM_CONCURRENCY = 5


def _choices(names: tuple[str, ...]) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=n[:100], value=n[:100]) for n in names[:25]]


def _set_choices(group: app_commands.Group, command: str, param: str, names: tuple[str, ...]) -> None:
    """Region and contract choices come from config/jobs.yaml, read when the cog loads."""
    found = group.get_command(command)
    assert isinstance(found, app_commands.Command)
    found._params[param].choices = _choices(names)


@app_commands.guild_only()
class OffreGroup(app_commands.Group, name="offre", description="Offres d'emploi de pair-aidance"):
    def __init__(self, cog: Jobs) -> None:
        super().__init__()
        self.cog = cog
        regions, contracts = cog.config.region_names, cog.config.contracts
        for command in ("publier", "liste"):
            _set_choices(self, command, "region", regions)
            _set_choices(self, command, "contrat", contracts)
        _set_choices(self, "modifier", "region", regions)
        _set_choices(self, "modifier", "contrat", contracts)

    @app_commands.command(name="publier", description="Proposer une offre d'emploi (un formulaire suit)")
    @app_commands.describe(
        intitule="Intitulé du poste", employeur="Structure qui recrute", region="Région du poste",
        contrat="Type de contrat", date_limite="Date limite de candidature, par exemple 31/12 ou 15 mars 2026",
        lien="Lien vers l'offre complète, ou adresse e-mail de contact", lieu="Ville ou lieu de travail",
    )
    async def publish(
        self, interaction: discord.Interaction, intitule: app_commands.Range[str, 1, 256],
        employeur: app_commands.Range[str, 1, 256], region: str, contrat: str, date_limite: str | None = None,
        lien: str | None = None, lieu: app_commands.Range[str, 1, 256] | None = None,
    ) -> None:
        await self.cog.start_submission(interaction, intitule, employeur, region, contrat, date_limite, lien, lieu)

    @app_commands.command(name="liste", description="Les offres ouvertes, filtrées par région ou contrat")
    @app_commands.describe(region="Seulement cette région", contrat="Seulement ce contrat")
    async def list(self, interaction: discord.Interaction, region: str | None = None, contrat: str | None = None) -> None:
        await self.cog.list_offers(interaction, region, contrat)

    @app_commands.command(name="voir", description="Afficher une offre")
    @app_commands.describe(id="Numéro de l'offre")
    async def show(self, interaction: discord.Interaction, id: app_commands.Range[int, 1]) -> None:
        await self.cog.show_offer(interaction, id)

    @app_commands.command(name="modifier", description="Modifier une de vos offres (un formulaire suit)")
    @app_commands.describe(
        id="Numéro de l'offre", intitule="Nouvel intitulé", employeur="Nouvelle structure", region="Nouvelle région",
        contrat="Nouveau contrat", date_limite="Nouvelle date limite (« aucune » pour l'enlever)",
        lien="Nouveau lien ou e-mail (« aucun » pour l'enlever)", lieu="Nouveau lieu",
    )
    async def edit(
        self, interaction: discord.Interaction, id: app_commands.Range[int, 1],
        intitule: app_commands.Range[str, 1, 256] | None = None, employeur: app_commands.Range[str, 1, 256] | None = None,
        region: str | None = None, contrat: str | None = None, date_limite: str | None = None, lien: str | None = None,
        lieu: app_commands.Range[str, 1, 256] | None = None,
    ) -> None:
        changes = {"title": intitule, "employer": employeur, "region": region, "contract": contrat,
                   "deadline": date_limite, "link": lien, "place": lieu}
        await self.cog.start_edit(interaction, id, changes)

    @app_commands.command(name="retirer", description="Retirer une offre (la vôtre, ou en tant que modération)")
    @app_commands.describe(id="Numéro de l'offre")
    async def withdraw(self, interaction: discord.Interaction, id: app_commands.Range[int, 1]) -> None:
        await self.cog.close(interaction, id, "withdrawn")

    @app_commands.command(name="pourvue", description="Indiquer que le poste est pourvu")
    @app_commands.describe(id="Numéro de l'offre")
    async def filled(self, interaction: discord.Interaction, id: app_commands.Range[int, 1]) -> None:
        await self.cog.close(interaction, id, "filled")

    @app_commands.command(name="alertes", description="Recevoir les nouvelles offres en message privé")
    @app_commands.describe(
        regions="Régions séparées par des virgules (vide : toutes)", contrats="Contrats séparés par des virgules",
        mots_cles="Mots-clés séparés par des virgules, par exemple addiction, logement",
        rythme="À chaque offre, ou un résumé par jour",
    )
    @app_commands.choices(rythme=RHYTHM_CHOICES)
    async def alerts(
        self, interaction: discord.Interaction, regions: app_commands.Range[str, 0, 500] | None = None,
        contrats: app_commands.Range[str, 0, 300] | None = None, mots_cles: app_commands.Range[str, 0, 1000] | None = None,
        rythme: app_commands.Choice[str] | None = None,
    ) -> None:
        await self.cog.set_alerts(interaction, regions, contrats, mots_cles, rythme.value if rythme else None)

    @alerts.autocomplete("regions")
    async def regions_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return _complete_list(current, self.cog.config.region_names)

    @alerts.autocomplete("contrats")
    async def contracts_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return _complete_list(current, self.cog.config.contracts)

    @app_commands.command(name="alertes-off", description="Ne plus recevoir d'alertes d'offres")
    async def alerts_off(self, interaction: discord.Interaction) -> None:
        await self.cog.stop_alerts(interaction)


def _complete_list(current: str, names: tuple[str, ...]) -> list[app_commands.Choice[str]]:
    """Complete the last item of a comma-separated list."""
    head, _, last = current.rpartition(",")
    chosen = {jobs.fold(p) for p in head.split(",") if p.strip()}
    prefix = (head + ", ") if head.strip() else ""
    options = [n for n in names if jobs.fold(n).startswith(jobs.fold(last)) and jobs.fold(n) not in chosen]
    return [app_commands.Choice(name=(prefix + n)[:100], value=(prefix + n)[:100]) for n in options[:25]]


class Jobs(commands.Cog):
    def __init__(self, bot: RelaisBot) -> None:
        self.bot = bot
        self.config, problems = jobs.load_config(bot.settings.config_dir)
        for problem in problems:
            log.warning("config/jobs.yaml: %s", problem)
        self.settings = bot.settings.jobs
        self.alert_index = jobs.AlertIndexCache()
        self.group = OffreGroup(self)
        bot.tree.add_command(self.group)
        self._process_locks: dict[int, asyncio.Lock] = {}

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ui.QueueButton)
        timers = self.bot.timers
        timers.register(jobs.KIND_PROCESS, self.on_process_timer)
        timers.register(jobs.KIND_ALERTS, self.on_alerts_timer)
        timers.register(jobs.KIND_EXPIRE, self.on_expire_timer)
        timers.register(jobs.KIND_DIGEST, self.on_digest_timer)
        timers.register(feeds.KIND_FEEDS, self.on_feeds_timer)
        if self.config.feeds and not await timers.pending(feeds.FEEDS_TIMER_GUILD, feeds.KIND_FEEDS):
            await timers.schedule(feeds.FEEDS_TIMER_GUILD, feeds.KIND_FEEDS, timeutil.now() + dt.timedelta(seconds=60), {},
                                  key=feeds.FEEDS_TIMER_KEY)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.group.name)
        self.bot.remove_dynamic_items(ui.QueueButton)

    # -- helpers -----------------------------------------------------------------------------------
    def t_for(self, where: Any) -> ui.Translate:
        return ui.kwargs_t(self.bot, where)

    async def _member_rights(self, interaction: discord.Interaction) -> tuple[bool, bool]:
        """(is moderator, may publish without the queue)."""
        config = await self.bot.guild_config(interaction.guild_id)
        member = interaction.user
        moderator = isinstance(member, discord.Member) and is_moderator(member, config)
        trusted = moderator or (isinstance(member, discord.Member) and has_configured_role(member, config, "confiance"))
        return moderator, trusted or not self.settings.moderation_queue

    async def _timezone(self, guild_id: int) -> str:
        return self.bot.timezone_name(await self.bot.guild_config(guild_id))

    def _deadline(self, text: str | None, timezone: str) -> Any:
        if text is None or not text.strip():
            return None
        return jobs.parse_deadline(text, timezone, timeutil.now())

    # -- /offre publier ----------------------------------------------------------------------------
    async def start_submission(
        self, interaction: discord.Interaction, title: str, employer: str, region: str, contract: str,
        deadline_text: str | None, link: str | None, place: str | None,
    ) -> None:
        timezone = await self._timezone(interaction.guild_id)
        draft = jobs.OfferInput(title, employer, region, contract, self._deadline(deadline_text, timezone), link, place)
        # Everything but the long fields is checked before the form opens: nobody types five
        # paragraphs to learn that the date was wrong.
        draft = jobs.validate(draft, self.config, timeutil.now(), from_feed=True)
        await interaction.response.send_modal(self._offer_modal(interaction, draft))

    def _offer_modal(self, interaction: discord.Interaction, draft: jobs.OfferInput,
                     values: dict[str, str] | None = None, offer_id: int | None = None) -> ui.OfferModal:
        async def submitted(modal_interaction: discord.Interaction, fields: dict[str, str]) -> None:
            full = dataclasses.replace(draft, **fields)
            try:
                if offer_id is None:
                    await self._submit(modal_interaction, full)
                else:
                    await self._apply_edit(modal_interaction, offer_id, full)
            except UserError as error:
                await self._offer_retry(modal_interaction, error, draft, fields, offer_id)

        return ui.OfferModal(self.t_for(interaction), submitted, values=values,
                             pay_required=draft.contract != jobs.VOLUNTEER_CONTRACT)

    async def _offer_retry(self, interaction: discord.Interaction, error: UserError, draft: jobs.OfferInput,
                           fields: dict[str, str], offer_id: int | None) -> None:
        """A refused form keeps what was typed: the member fixes it with one click."""
        log.info("job offer form refused: %s %s (guild=%s user=%s)", error.key, error.params, interaction.guild_id,
                 interaction.user.id)
        t = self.t_for(interaction)

        async def reopen(button_interaction: discord.Interaction) -> None:
            await button_interaction.response.send_modal(self._offer_modal(button_interaction, draft, fields, offer_id))

        view = ui.ConfirmView(interaction.user.id, t("jobs.modal.retry"), None, reopen)
        text = self.bot.t(interaction, error.key, **error.params) + "\n" + t("jobs.modal.retry_hint")
        await send_ephemeral(interaction, text, view=view)

    async def _submit(self, interaction: discord.Interaction, inp: jobs.OfferInput, *, confirmed: bool = False) -> None:
        now = timeutil.now()
        clean = jobs.validate(inp, self.config, now)
        if not confirmed:
            duplicates = await jobs.find_duplicates(self.bot.db, interaction.guild_id, clean, now)
            if duplicates:
                await self._ask_duplicate(interaction, clean, duplicates)
                return
        _moderator, direct = await self._member_rights(interaction)
        offer = await jobs.submit_offer(
            self.bot.db, interaction.guild_id, clean, submitter_id=interaction.user.id, publish_now=direct, now=now,
            default_expiry_days=self.settings.default_expiry_days,
        )
        await send_ephemeral(interaction, self.bot.t(interaction, f"jobs.submit.done_{offer.status}", id=offer.id))
        await self.process_offer(offer.guild_id, offer.id)

    async def _ask_duplicate(self, interaction: discord.Interaction, clean: jobs.OfferInput,
                             duplicates: list[jobs.Offer]) -> None:
        t = self.t_for(interaction)
        lines = [t("jobs.submit.duplicate_intro")]
        lines += [t("jobs.queue.duplicate_line", id=d.id, title=d.title[:80], status=t(f"jobs.status.{d.status}"))
                  for d in duplicates]
        lines.append(t("jobs.submit.duplicate_question"))

        async def confirm(button_interaction: discord.Interaction) -> None:
            await self._submit(button_interaction, clean, confirmed=True)

        async def cancel(button_interaction: discord.Interaction) -> None:
            await button_interaction.response.edit_message(content=t("jobs.submit.cancelled"), view=None)

        view = ui.ConfirmView(interaction.user.id, t("jobs.submit.confirm_duplicate"), t("jobs.submit.cancel"),
                              confirm, cancel)
        await send_ephemeral(interaction, "\n".join(lines)[:2000], view=view)

    # -- posting: queue card or announcement (also the KIND_PROCESS timer) ------------------------------
    async def on_process_timer(self, timer: Timer) -> None:
        await self.process_offer(timer.guild_id, int(timer.payload["offer_id"]))

    async def process_offer(self, guild_id: int, offer_id: int) -> None:
        """Post what the offer's state calls for, once: the moderators' card while pending, the
        announcement (plus alerts and expiry) once published. Safe to call again."""
        lock = self._process_locks.setdefault(offer_id, asyncio.Lock())
        async with lock:
            offer = await jobs.get_offer(self.bot.db, guild_id, offer_id)
            if offer.status == "pending" and offer.queue_message_id is None:
                await self._post_queue_card(offer)
            elif offer.status == "published" and offer.announce_message_id is None:
                await self._announce(offer)
        self._process_locks.pop(offer_id, None)

    async def _post_queue_card(self, offer: jobs.Offer) -> None:
        config = await self.bot.guild_config(offer.guild_id)
        channel = await self.bot.channel_or_fetch(config.channel("offres_moderation") or config.channel("modlog"))
        if channel is None:
            log.warning("job offer %s waits but no moderation channel is configured (guild=%s)", offer.id,
                        offer.guild_id)
            return
        t = self.t_for(offer.guild_id)
        duplicates = await jobs.find_duplicates(self.bot.db, offer.guild_id, offer.as_input(), offer.created_at,
                                                exclude_id=offer.id)
        message = await channel.send(
            content=t("jobs.queue.new", id=offer.id), embed=ui.queue_embed(t, offer, duplicates),
            view=ui.queue_view(t, offer), allowed_mentions=NO_PINGS,
        )
        await jobs.set_queue_message(self.bot.db, offer.guild_id, offer.id, channel.id, message.id)

    async def _refresh_queue_card(self, offer: jobs.Offer) -> None:
        channel = await self.bot.channel_or_fetch(offer.queue_channel_id)
        if channel is None or offer.queue_message_id is None:
            return
        t = self.t_for(offer.guild_id)
        try:
            await channel.get_partial_message(offer.queue_message_id).edit(
                embed=ui.queue_embed(t, offer), view=ui.queue_view(t, offer), allowed_mentions=NO_PINGS,
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

    def _region_line(self, t: ui.Translate, offer: jobs.Offer) -> tuple[str | None, discord.Role | None]:
        """The announcement's « @rôle — nouvelle offre en … » line and its role, when the region has one."""
        role = self._ping_role(self.bot.get_guild(offer.guild_id), offer.region)
        return (t("jobs.announce.ping", role=role.mention, region=offer.region) if role else None), role

    def _forum_tags(self, forum: discord.ForumChannel, offer: jobs.Offer) -> list[discord.ForumTag]:
        wanted = {jobs.fold(offer.region), jobs.fold(offer.contract)}
        return [tag for tag in forum.available_tags if jobs.fold(tag.name) in wanted][:5]

    async def _refresh_post(self, thread: discord.Thread, offer: jobs.Offer) -> None:
        """Keep a forum post's title and region/contract tags in step with an edited offer; tags the
        moderators added by hand (not a region or contract name) stay."""
        changes: dict[str, Any] = {}
        name = _post_name(offer)
        if thread.name != name:
            changes["name"] = name
        forum = thread.parent
        if isinstance(forum, discord.ForumChannel):
            ours = {jobs.fold(n) for n in (*self.config.region_names, *self.config.contracts)}
            kept = [tag for tag in thread.applied_tags if jobs.fold(tag.name) not in ours]
            tags = (self._forum_tags(forum, offer) + kept)[:5]
            if {tag.id for tag in tags} != {tag.id for tag in thread.applied_tags}:
                changes["applied_tags"] = tags
        if changes:
            await thread.edit(**changes)

    async def _announce(self, offer: jobs.Offer) -> None:
        config = await self.bot.guild_config(offer.guild_id)
        channel = await self.bot.channel_or_fetch(config.channel("offres"))
        db = self.bot.db
        if channel is None:
            log.warning("job offer %s published but no jobs channel is configured (guild=%s)", offer.id, offer.guild_id)
        else:
            t = self.t_for(offer.guild_id)
            content, role = self._region_line(t, offer)
            mentions = discord.AllowedMentions(everyone=False, users=False, roles=[role]) if role else NO_PINGS
            embed = ui.offer_embed(t, offer)
            if isinstance(channel, discord.ForumChannel):
                created = await channel.create_thread(
                    name=_post_name(offer), content=content, embed=embed,
                    applied_tags=self._forum_tags(channel, offer), allowed_mentions=mentions,
                )
                await jobs.set_announcement(db, offer.guild_id, offer.id, channel.id, created.message.id,
                                            created.thread.id)
            else:
                message = await channel.send(content=content, embed=embed, allowed_mentions=mentions)
                await jobs.set_announcement(db, offer.guild_id, offer.id, channel.id, message.id, None)
        await jobs.schedule_expiry(self.bot.timers, offer, self.settings.default_expiry_days)
        index = await self.alert_index.get(db, offer.guild_id)
        grouped = await jobs.record_alerts(db, offer, index, timeutil.now())
        if grouped["immediat"]:
            await self.bot.timers.schedule(offer.guild_id, jobs.KIND_ALERTS, timeutil.now(), {"offer_id": offer.id},
                                           key=f"jobs:alerts:{offer.id}")
        if grouped["quotidien"]:
            await jobs.schedule_digest(self.bot.timers, offer.guild_id, timeutil.now(),
                                       await self._timezone(offer.guild_id), self.settings.digest_hour)

    async def _edit_announcement(self, offer: jobs.Offer) -> None:
        """Show the current state of a published or closed offer on its announcement."""
        channel = await self.bot.channel_or_fetch(offer.announce_thread_id or offer.announce_channel_id)
        if channel is None or offer.announce_message_id is None:
            return
        t = self.t_for(offer.guild_id)
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
                content=content, embed=ui.offer_embed(t, offer, closure=closure), allowed_mentions=NO_PINGS,
            )
            if thread is not None and not closure:
                await self._refresh_post(thread, offer)
            if thread is not None and closure:
                await thread.edit(archived=True, locked=True)
        except discord.NotFound:
            log.info("announcement of offer %s was deleted by hand; nothing to edit", offer.id)
        if closure:
            await jobs.mark_closure_shown(self.bot.db, offer.guild_id, offer.id)

    # -- queue buttons -----------------------------------------------------------------------------------
    async def on_queue_button(self, interaction: discord.Interaction, action: str, offer_id: int) -> None:
        config = await self.bot.guild_config(interaction.guild_id)
        require_moderator(interaction.user, config)
        if action == "publish":
            offer = await jobs.approve(
                self.bot.db, interaction.guild_id, offer_id, moderator_id=interaction.user.id, is_moderator=True,
                now=timeutil.now(), default_expiry_days=self.settings.default_expiry_days,
            )
            t = self.t_for(offer.guild_id)
            await interaction.response.edit_message(embed=ui.queue_embed(t, offer), view=ui.queue_view(t, offer))
            await self.process_offer(offer.guild_id, offer.id)
            await self._notify_submitter(offer, "jobs.queue.dm_published", id=offer.id, title=offer.title)
        elif action == "refuse":
            await jobs.get_offer(self.bot.db, interaction.guild_id, offer_id)  # NotFound before the form

            async def submitted(modal_interaction: discord.Interaction, reason: str) -> None:
                offer = await jobs.refuse(
                    self.bot.db, modal_interaction.guild_id, offer_id, moderator_id=modal_interaction.user.id,
                    is_moderator=True, reason=reason, now=timeutil.now(),
                )
                await send_ephemeral(modal_interaction, self.bot.t(modal_interaction, "jobs.queue.refused_ok", id=offer_id))
                await self._refresh_queue_card(offer)
                await self._notify_submitter(offer, "jobs.queue.dm_refused", id=offer.id, title=offer.title,
                                             reason=offer.refusal_reason)

            await interaction.response.send_modal(ui.RefuseModal(self.t_for(interaction), submitted))
        else:
            offer = await jobs.get_offer(self.bot.db, interaction.guild_id, offer_id)
            if not offer.is_open:
                raise UserError(f"jobs.errors.closed.{offer.status}", id=offer_id)
            await interaction.response.send_modal(self._offer_modal(interaction, offer.as_input(), _long_fields(offer),
                                                                    offer_id))

    async def _notify_submitter(self, offer: jobs.Offer, key: str, **params: Any) -> None:
        if not offer.submitter_id:
            return
        guild = self.bot.get_guild(offer.guild_id)
        text = self.bot.t(offer.guild_id, key, guild=guild.name if guild else "", **params)
        await self._dm(offer.guild_id, offer.submitter_id, content=text)

    # -- /offre modifier -----------------------------------------------------------------------------------
    async def start_edit(self, interaction: discord.Interaction, offer_id: int, changes: dict[str, str | None]) -> None:
        offer = await jobs.get_offer(self.bot.db, interaction.guild_id, offer_id)
        moderator, _ = await self._member_rights(interaction)
        if not moderator and offer.submitter_id != interaction.user.id:
            raise NotAllowed("jobs.errors.not_yours", id=offer_id)
        if not offer.is_open:
            raise UserError(f"jobs.errors.closed.{offer.status}", id=offer_id)
        draft = offer.as_input()
        timezone = await self._timezone(interaction.guild_id)
        updates: dict[str, Any] = {k: v for k, v in changes.items() if v is not None and k not in ("deadline", "link")}
        if changes["deadline"] is not None:
            removing = jobs.fold(changes["deadline"]) in ("aucune", "aucun", "none", "")
            updates["deadline"] = None if removing else self._deadline(changes["deadline"], timezone)
        if changes["link"] is not None:
            updates["link"] = None if jobs.fold(changes["link"]) in ("aucun", "aucune", "none", "") else changes["link"]
        draft = jobs.validate(dataclasses.replace(draft, **updates), self.config, timeutil.now(), from_feed=True)
        await interaction.response.send_modal(self._offer_modal(interaction, draft, _long_fields(offer), offer_id))

    async def _apply_edit(self, interaction: discord.Interaction, offer_id: int, inp: jobs.OfferInput) -> None:
        moderator, _ = await self._member_rights(interaction)
        offer = await jobs.update_offer(
            self.bot.db, interaction.guild_id, offer_id, inp, actor_id=interaction.user.id, is_moderator=moderator,
            config=self.config, now=timeutil.now(), default_expiry_days=self.settings.default_expiry_days,
        )
        await send_ephemeral(interaction, self.bot.t(interaction, "jobs.edit.done", id=offer.id))
        if offer.status == "published":
            await jobs.schedule_expiry(self.bot.timers, offer, self.settings.default_expiry_days)
            await self._edit_announcement(offer)
        await self._refresh_queue_card(offer)

    # -- /offre retirer, /offre pourvue --------------------------------------------------------------------
    async def close(self, interaction: discord.Interaction, offer_id: int, status: str) -> None:
        moderator, _ = await self._member_rights(interaction)
        offer = await jobs.close_offer(self.bot.db, interaction.guild_id, offer_id, status=status,
                                       actor_id=interaction.user.id, is_moderator=moderator, now=timeutil.now())
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.bot.timers.cancel(offer.guild_id, f"jobs:expire:{offer.id}")
        await self._edit_announcement(offer)
        await self._refresh_queue_card(offer)
        await interaction.followup.send(self.bot.t(interaction, f"jobs.close.done_{status}", id=offer.id),
                                        ephemeral=True, allowed_mentions=NO_PINGS)

    # -- /offre liste, /offre voir ----------------------------------------------------------------------------
    async def list_offers(self, interaction: discord.Interaction, region: str | None, contract: str | None) -> None:
        guild_id, t = interaction.guild_id, self.t_for(interaction)

        async def fetch(page: int) -> jobs.Page:
            return await jobs.list_open(self.bot.db, guild_id, region=region, contract=contract, page=page)

        page = await fetch(0)
        view = ui.ListView(interaction.user.id, t, fetch, page) if page.pages > 1 else None
        await send_ephemeral(interaction, ui.list_lines(t, page), **({"view": view} if view else {}))

    async def show_offer(self, interaction: discord.Interaction, offer_id: int) -> None:
        offer = await jobs.get_offer(self.bot.db, interaction.guild_id, offer_id)
        moderator, _ = await self._member_rights(interaction)
        if offer.status in ("pending", "refused", "withdrawn") and not moderator and offer.submitter_id != interaction.user.id:
            raise NotFound("jobs.errors.not_found", id=offer_id)
        t = self.t_for(interaction)
        closure = None if offer.status in ("published", "pending") else ui.closure_text(t, offer.status)
        embed = ui.queue_embed(t, offer) if moderator and offer.status == "pending" else ui.offer_embed(t, offer, closure=closure)
        await send_ephemeral(interaction, embed=embed)

    # -- alerts --------------------------------------------------------------------------------------------
    async def set_alerts(self, interaction: discord.Interaction, regions: str | None, contracts: str | None,
                         keywords: str | None, rhythm: str | None) -> None:
        db, guild_id, t = self.bot.db, interaction.guild_id, self.t_for(interaction)
        if regions is None and contracts is None and keywords is None and rhythm is None:
            current = await jobs.get_subscription(db, guild_id, interaction.user.id)
            await send_ephemeral(interaction, ui.subscription_text(t, current))
            return
        sub = await jobs.set_subscription(
            db, guild_id, interaction.user.id,
            regions=jobs.parse_names(regions, self.config.region_names, "region"),
            contracts=jobs.parse_names(contracts, self.config.contracts, "contract"),
            keywords=jobs.parse_keywords(keywords), rhythm=rhythm, now=timeutil.now(),
        )
        await send_ephemeral(interaction, t("jobs.alerts.saved") + "\n" + ui.subscription_text(t, sub))

    async def stop_alerts(self, interaction: discord.Interaction) -> None:
        removed = await jobs.delete_subscription(self.bot.db, interaction.guild_id, interaction.user.id)
        await send_ephemeral(interaction, self.bot.t(interaction, "jobs.alerts.off" if removed else "jobs.alerts.none"))

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
        offer = await jobs.get_offer(db, guild_id, offer_id)
        users = await jobs.pending_immediate(db, guild_id, offer_id)
        if offer.status != "published":
            for user in users:
                await jobs.mark_alerts(db, guild_id, user, [offer_id], "dropped", timeutil.now())
            return
        guild = self.bot.get_guild(guild_id)
        t = self.t_for(guild_id)
        embed = ui.alert_embed(t, offer, guild.name if guild else "")
        intro = t("jobs.alerts.dm_intro")
        limiter = asyncio.Semaphore(DM_CONCURRENCY)

        async def deliver(user_id: int) -> None:
            async with limiter:
                delivered = await self._dm(guild_id, user_id, content=intro, embed=embed)
            now = timeutil.now()
            await jobs.mark_alerts(db, guild_id, user_id, [offer_id], "sent" if delivered else "failed", now)
            await jobs.record_dm_result(db, guild_id, user_id, delivered=delivered, now=now)

        await asyncio.gather(*(deliver(u) for u in users))

    async def on_digest_timer(self, timer: Timer) -> None:
        guild_id, db = timer.guild_id, self.bot.db
        guild = self.bot.get_guild(guild_id)
        t = self.t_for(guild_id)
        for digest in await jobs.digest_batches(db, guild_id):
            delivered = await self._dm(guild_id, digest.user_id, content=ui.digest_text(t, digest.offers,
                                                                                       guild.name if guild else ""))
            now = timeutil.now()
            await jobs.mark_alerts(db, guild_id, digest.user_id, [o.id for o in digest.offers],
                                   "sent" if delivered else "failed", now)
            await jobs.record_dm_result(db, guild_id, digest.user_id, delivered=delivered, now=now)

    # -- expiry --------------------------------------------------------------------------------------------
    async def on_expire_timer(self, timer: Timer) -> None:
        guild_id, offer_id = timer.guild_id, int(timer.payload["offer_id"])
        await jobs.expire_offer(self.bot.db, guild_id, offer_id, timeutil.now())
        offer = await jobs.get_offer(self.bot.db, guild_id, offer_id)
        if offer.status in ("expired", "filled", "withdrawn") and not offer.closure_shown:
            await self._edit_announcement(offer)

    # -- feeds ---------------------------------------------------------------------------------------------
    async def poll_feeds_now(self) -> list[tuple[int, list[feeds.FeedReport]]]:
        results = []
        async with netguard.guarded_session(allow_loopback=self.bot.settings.features.allow_loopback_urls) as session:
            for guild_id in await feeds.guilds_with_jobs_channel(self.bot.db):
                if self.bot.get_guild(guild_id) is None:
                    continue
                reports = await feeds.poll_guild(
                    self.bot.db, guild_id, self.config, now=timeutil.now(), session=session,
                    timeout_seconds=self.settings.feed_timeout_seconds,
                    allow_loopback=self.bot.settings.features.allow_loopback_urls,
                    publish_now=not self.settings.moderation_queue,
                    default_expiry_days=self.settings.default_expiry_days,
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
        await channel.send(text[:2000], allowed_mentions=NO_PINGS, suppress_embeds=True)

    async def on_feeds_timer(self, timer: Timer) -> None:
        try:
            await self.poll_feeds_now()
        finally:
            await self.bot.timers.schedule(
                feeds.FEEDS_TIMER_GUILD, feeds.KIND_FEEDS, timeutil.now() + dt.timedelta(hours=self.settings.feed_poll_hours), {},
                key=feeds.FEEDS_TIMER_KEY,
            )


def _post_name(offer: jobs.Offer) -> str:
    return f"{offer.title} — {offer.employer}"[:100]


def _long_fields(offer: jobs.Offer) -> dict[str, str]:
    return {name: getattr(offer, name) for name in ui.OfferModal.FIELDS}


async def setup(bot: RelaisBot) -> None:
    await bot.add_cog(Jobs(bot))
