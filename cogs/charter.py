"""/charte voir|publier|tester, the acceptance button, welcome and version notices, automod, /urgence.

Thin: rules, SQL and matching live in ``bot/charter/charter.py``, ``automod.py`` and ``care.py``.
Moderation, when enabled, is reached through ``bot.services`` (``ModerationService``); without it
the documented fallback applies (the moderation role is « on duty », sanctions become a flag card).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time

import discord
from discord import app_commands
from discord.ext import commands

from bot.charter import automod, care, handoff, ui
from bot.charter import charter as charter_domain
from bot.client import RelaisBot
from bot.core import guild_config, logs, timeutil
from bot.core.errors import NotAllowed, UserError
from bot.core.guild_config import GuildConfig
from bot.core.i18n import Translate
from bot.core.keyed_lock import KeyedLock
from bot.services import CharterService, CharterStatus, ModerationService
from bot.ui.base import NO_PINGS, send_ephemeral
from bot.ui.checks import is_moderator, require_moderator
from bot.ui.limits import fit_content
from bot.ui.pager import Pager

log = logging.getLogger(__name__)
GRANT_MEMORY_SECONDS = 60.0

# Automod reads /config (exempt roles and channels) from this cache; a change applies within this delay.
CONFIG_TTL = 30.0
COUNTRY_CHOICES = [
    app_commands.Choice(name="Belgique", value="be"),
    app_commands.Choice(name="France", value="fr"),
    app_commands.Choice(name="Suisse", value="ch"),
    app_commands.Choice(name="Québec", value="qc"),
]


class Charter(commands.Cog):
    charter_group = app_commands.Group(
        name="charte",
        description="La charte de fonctionnement de la communauté",
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
    )

    def __init__(self, bot: RelaisBot) -> None:
        self.bot = bot
        config_dir = bot.settings.config_dir
        self.charter = charter_domain.load_charter(config_dir)
        self.engine = automod.Engine(self.charter)
        self.lines = care.load_crisis_lines(config_dir)
        self.care_cooldown = care.CareCooldown()
        self._notified_guilds: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._configs: dict[int, tuple[float, GuildConfig]] = {}
        self._exemptions: dict[int, tuple[GuildConfig, automod.Exemption]] = {}
        self._config_loads: dict[int, asyncio.Future[GuildConfig | None]] = {}
        self._accepting = KeyedLock()
        self._granted: dict[tuple[int, int, int], float] = {}
        # (guild, member) whose member role the bot itself is removing (charter version change): that
        # removal is not a moderator's, and must not hold the role back.
        self._own_removals: set[tuple[int, int]] = set()

    async def cog_load(self) -> None:
        if self.bot.db is not None and self.bot.settings.moderation.automod_enabled:
            # Read before the gateway connects what the automod needs, so that from the first message
            # on it checks each one at once (see screen) instead of making a first burst wait.
            for guild_id in await guild_config.configured_guilds(self.bot.db):
                await self._cached_config(guild_id)
        self.bot.message_hooks.add(self.screen)
        self.bot.services.provide(ui.CharterAcceptance, self)
        self.bot.services.provide(ui.CareHandoff, self)
        self.bot.services.provide(CharterService, self)

    async def cog_unload(self) -> None:
        self.bot.message_hooks.remove(self.screen)
        self.bot.services.withdraw(ui.CharterAcceptance, self)
        self.bot.services.withdraw(ui.CareHandoff, self)
        self.bot.services.withdraw(CharterService, self)
        for task in self._tasks:
            task.cancel()

    def _spawn(self, coro) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- /charte voir ------------------------------------------------------------------------------
    @charter_group.command(name="voir", description="Lire la charte, ou un seul de ses articles")
    @app_commands.rename(article_query="article")
    @app_commands.describe(article_query="Numéro, identifiant ou titre d'un article (facultatif)")
    async def show(self, interaction: discord.Interaction, article_query: str | None = None) -> None:
        t = self.bot.texts(interaction)
        if article_query:
            article = self.charter.article(article_query.strip())
            if article is None:
                found = charter_domain.find_articles(self.charter, article_query)
                article = found[0] if len(found) == 1 else None
            if article is None:
                raise UserError(
                    "charter.view.unknown_article",
                    query=article_query[:60],
                    ids=", ".join(str(a.number) for a in self.charter.articles),
                )
            await interaction.response.send_message(
                embed=ui.article_embed(self.charter, article, t), ephemeral=True
            )
            return
        embeds = ui.charter_embeds(self.charter, t)
        if len(embeds) == 1:
            await interaction.response.send_message(embed=embeds[0], ephemeral=True)
            return
        view = Pager.over_embeds(
            interaction.user.id,
            embeds,
            previous_label=t("charter.view.previous"),
            next_label=t("charter.view.next"),
        )
        await interaction.response.send_message(embed=embeds[0], view=view, ephemeral=True)

    @show.autocomplete("article_query")
    async def article_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        found = charter_domain.find_articles(self.charter, current)
        return [app_commands.Choice(name=f"{a.number}. {a.title}"[:100], value=a.id) for a in found[:25]]

    # -- /charte publier ---------------------------------------------------------------------------
    @charter_group.command(
        name="publier",
        description="Publier la charte et son bouton d'acceptation dans le salon de la charte",
    )
    @app_commands.default_permissions(manage_guild=True)
    async def publish_command(self, interaction: discord.Interaction) -> None:
        if not interaction.permissions.manage_guild:
            raise NotAllowed("charter.publish.admins_only")
        # Refused before deferring, so that the reason arrives as the command's own reply.
        channel = await self._charter_channel(interaction.guild)
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.publish(interaction.guild)
        await interaction.followup.send(
            self.bot.t(
                interaction, "charter.publish.done", channel=channel.mention, version=self.charter.version
            ),
            ephemeral=True,
        )

    async def _charter_channel(self, guild: discord.Guild) -> discord.TextChannel:
        config = await self.bot.guild_config(guild.id)
        channel_id = config.channel("charte")
        channel = guild.get_channel(channel_id) if channel_id else None
        if channel is None or not isinstance(channel, discord.TextChannel):
            raise UserError("charter.publish.no_channel")
        perms = channel.permissions_for(guild.me)
        if not (perms.send_messages and perms.embed_links and perms.view_channel):
            raise UserError("charter.publish.cannot_post", channel=channel.mention)
        return channel

    # -- CharterService (the diagnostic, the setup assistant) ----------------------------------------
    async def publish(self, guild: discord.Guild) -> discord.Message:
        """Post the charter and its button in the configured channel, record the publication."""
        channel = await self._charter_channel(guild)
        gid = guild.id
        t = self.bot.texts(gid)
        embeds = ui.charter_embeds(self.charter, t)
        for embed in embeds[:-1]:
            await channel.send(embed=embed, allowed_mentions=NO_PINGS)
        message = await channel.send(
            content=t("charter.publish.call_to_action"),
            embed=embeds[-1],
            view=ui.accept_view(gid, t("charter.accept.button")),
            allowed_mentions=NO_PINGS,
        )
        await charter_domain.record_publication(
            self.bot.db, gid, self.charter.version, channel.id, message.id
        )
        await charter_domain.observe_version(self.bot.db, gid, self.charter.version)
        log.info("charter %s published in guild %s channel %s", self.charter.version, gid, channel.id)
        return message

    async def status(self, guild_id: int) -> CharterStatus:
        published = await charter_domain.last_published_version(self.bot.db, guild_id)
        return CharterStatus(
            current_version=self.charter.version,
            published_version=published,
            crisis_lines_to_verify=care.lines_to_verify(self.lines, timeutil.now().date()),
        )

    # -- the button ----------------------------------------------------------------------------------
    async def accept(self, interaction: discord.Interaction, guild_id: int) -> None:
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            raise UserError("charter.accept.unknown_guild")
        member = guild.get_member(interaction.user.id)
        if member is None:
            try:
                member = await guild.fetch_member(interaction.user.id)
            except discord.NotFound:
                raise UserError("charter.accept.not_member") from None
        config = await self.bot.guild_config(guild_id)
        role_id = config.role("membre")
        if (
            role_id
            and member.get_role(role_id) is None
            and await charter_domain.member_role_held(self.bot.db, guild_id, member.id)
        ):
            # Moderators removed the role (after a sanction, say): the button must not undo that.
            log.info("charter acceptance in guild %s: member role held back by the moderators", guild_id)
            raise UserError("charter.accept.role_held")
        version = self.charter.version
        # A hundred clicks in a second: one at a time per member, and the role is asked for once.
        async with self._accepting.hold((guild_id, member.id)):
            new = await charter_domain.record_acceptance(self.bot.db, guild_id, member.id, version)
            role_note = await self._grant_member_role(guild, member, config)
        key = "charter.accept.done" if new else "charter.accept.already"
        log.info("charter %s accepted by %s in guild %s (new=%s)", version, member.id, guild_id, new)
        await send_ephemeral(interaction, self.bot.t(interaction, key, version=version) + role_note)

    async def _grant_member_role(
        self, guild: discord.Guild, member: discord.Member, config: GuildConfig
    ) -> str:
        role_id = config.role("membre")
        role = guild.get_role(role_id) if role_id else None
        if role is None:
            return ""
        granted = (guild.id, member.id, role.id)
        if member.get_role(role.id) is not None or self._recently_granted(granted):
            return ""
        me = guild.me
        if not me.guild_permissions.manage_roles or role >= me.top_role:
            log.warning(
                "cannot grant member role %s in guild %s (permission or hierarchy)", role.id, guild.id
            )
            return "\n" + self.bot.t(guild.id, "charter.accept.role_failed")
        await member.add_roles(role, reason=f"Charte {self.charter.version} acceptée")
        # Discord's member update may arrive after the next click: remember the grant meanwhile.
        self._granted[granted] = time.monotonic()
        return "\n" + self.bot.t(guild.id, "charter.accept.role_granted", role=role.name)

    def _recently_granted(self, granted: tuple[int, int, int]) -> bool:
        now = time.monotonic()
        for key in [k for k, at in self._granted.items() if now - at > GRANT_MEMORY_SECONDS]:
            del self._granted[key]
        return granted in self._granted

    # -- /charte tester --------------------------------------------------------------------------------
    @charter_group.command(
        name="tester", description="Voir quelles règles automatiques un texte déclencherait, et pourquoi"
    )
    @app_commands.rename(text="texte")
    @app_commands.describe(text="Le texte à tester (rien n'est publié)")
    @app_commands.default_permissions(manage_messages=True)
    async def test(self, interaction: discord.Interaction, text: app_commands.Range[str, 1, 2000]) -> None:
        config = await self.bot.guild_config(interaction.guild_id)
        require_moderator(interaction.user, config)
        hits = self.engine.check(text)
        t = self.bot.texts(interaction)
        lines = [t("charter.test.normalised", text=automod.fold(text)[:300])]
        if not hits:
            lines.append(t("charter.test.none"))
        for hit in hits:
            article = self.charter.article(hit.rule.article)
            lines.append(
                t(
                    "charter.test.hit",
                    rule=hit.rule.id,
                    kind=hit.rule.kind,
                    matched=hit.matched[:100],
                    how=t(f"charter.test.via_{hit.via}")
                    if hit.via in ("text", "spelled", "repeated", "quoted")
                    else hit.via,
                    article=f"{article.number}. {article.title}" if article else hit.rule.article,
                    action=t(f"charter.actions.{automod.effective_action(hit)}"),
                )
            )
        chosen = automod.strongest(hits)
        if chosen is not None and sum(1 for h in hits if h.rule.action != "care") > 1:
            lines.append(t("charter.test.one_action", rule=chosen.rule.id))
        lines.append(t("charter.test.stateful"))
        await send_ephemeral(interaction, fit_content("\n".join(lines)))

    # -- /urgence ---------------------------------------------------------------------------------------
    @app_commands.command(
        name="urgence", description="Lignes d'écoute et d'urgence, et comment joindre la modération"
    )
    @app_commands.rename(country="pays")
    @app_commands.describe(country="Votre pays (par défaut : tous)")
    @app_commands.choices(country=COUNTRY_CHOICES)
    async def emergency(
        self, interaction: discord.Interaction, country: app_commands.Choice[str] | None = None
    ) -> None:
        t = self.bot.texts(interaction)
        countries = [self.lines.country(country.value)] if country else self.lines.ordered()
        duty = ""
        if interaction.guild is not None:
            duty = await self._duty_text(interaction.guild, t)
        embed = ui.crisis_embed(
            countries, t, title_key="charter.care.title", intro_key="charter.care.emergency_intro", duty=duty
        )
        if interaction.guild is not None:
            await interaction.response.send_message(
                embed=embed, view=self._handoff_view(interaction.guild.id, t), ephemeral=True
            )
        else:
            await interaction.response.send_message(embed=embed, ephemeral=True)

    # -- the consented handoff ---------------------------------------------------------------------------
    def _handoff_view(self, guild_id: int, t: Translate) -> discord.ui.View:
        return ui.handoff_view(guild_id, t("charter.handoff.button"))

    async def handoff(self, interaction: discord.Interaction, guild_id: int) -> None:
        """« Parler à un·e pair de permanence », pressed by the member: a private thread with the people
        on duty (or the listening role), pinged there and nowhere else. Nothing is logged that names
        anyone."""
        token = logs.command_context.set("")
        try:
            await self._handoff(interaction, guild_id)
        finally:
            logs.command_context.reset(token)

    async def _handoff(self, interaction: discord.Interaction, guild_id: int) -> None:
        t = self.bot.texts(interaction)
        guild = self.bot.get_guild(guild_id)
        member = guild.get_member(interaction.user.id) if guild is not None else None
        if guild is None or member is None:
            raise UserError("charter.handoff.not_member")
        await interaction.response.defer(ephemeral=True, thinking=True)
        db = self.bot.db
        async with self._accepting.hold(("handoff", guild_id, member.id)):
            existing = await handoff.open_thread(db, guild_id, member.id)
            if existing is not None:
                if guild.get_thread(existing) is not None:
                    await interaction.followup.send(
                        t("charter.handoff.already", thread=f"<#{existing}>"), ephemeral=True
                    )
                    return
                await handoff.forget(db, existing)
            helpers = await self._helpers(guild, member)
            if not helpers:
                await interaction.followup.send(t("charter.handoff.nobody"), ephemeral=True)
                return
            config = await self.bot.guild_config(guild_id)
            parent = guild.get_channel(config.channel("accueil") or 0)
            perms = parent.permissions_for(guild.me) if isinstance(parent, discord.TextChannel) else None
            if perms is None or not (perms.create_private_threads and perms.send_messages_in_threads):
                log.warning(
                    "care handoff in guild %s: no welcome channel or missing thread permissions", guild_id
                )
                await interaction.followup.send(t("charter.handoff.no_channel"), ephemeral=True)
                return
            gt = self.bot.texts(guild_id)
            thread = await parent.create_thread(
                name=gt("charter.handoff.thread_name"),
                type=discord.ChannelType.private_thread,
                invitable=False,
                auto_archive_duration=10080,
            )
            await handoff.record(db, guild_id, member.id, thread.id, timeutil.now())
        for user_id in (member.id, *helpers):
            try:
                await thread.add_user(discord.Object(user_id))
            except discord.HTTPException:
                log.info("care handoff in guild %s: a person could not be added to the thread", guild_id)
        welcome = gt(
            "charter.handoff.welcome", member=member.mention, helpers=", ".join(f"<@{i}>" for i in helpers)
        )
        await thread.send(
            welcome[:2000],
            view=ui.close_handoff_view(thread.id, gt("charter.handoff.close_button")),
            allowed_mentions=discord.AllowedMentions(
                everyone=False, roles=False, users=[discord.Object(i) for i in helpers]
            ),
        )
        log.info("care handoff thread opened in guild %s", guild_id)
        await interaction.followup.send(t("charter.handoff.opened", thread=thread.mention), ephemeral=True)

    async def _helpers(self, guild: discord.Guild, member: discord.Member) -> list[int]:
        moderation = self.bot.services.get(ModerationService)
        on_duty = [
            i for i in (moderation.on_duty(guild.id) if moderation is not None else []) if guild.get_member(i)
        ]
        config = await self.bot.guild_config(guild.id)
        role = guild.get_role(config.role("ecoute") or 0)
        listeners = [m.id for m in role.members if not m.bot] if role is not None else []
        recused: set[int] = set()
        if moderation is not None:
            for user_id in {*on_duty, *listeners}:
                if await moderation.is_recused(guild.id, user_id, member.id):
                    recused.add(user_id)
        return handoff.choose_helpers(on_duty, listeners, member.id, recused)

    async def close_handoff(self, interaction: discord.Interaction, thread_id: int) -> None:
        owner = await handoff.owner(self.bot.db, thread_id)
        if owner is None:
            raise UserError("charter.handoff.gone")
        if interaction.user.id != owner:
            raise NotAllowed("charter.handoff.close_refused")
        await handoff.close(self.bot.db, thread_id, timeutil.now())
        await interaction.response.send_message(self.bot.t(interaction, "charter.handoff.closed"))
        thread = interaction.channel if isinstance(interaction.channel, discord.Thread) else None
        if thread is not None and thread.id == thread_id:
            try:
                await thread.edit(archived=True, locked=True)
            except discord.HTTPException:
                log.warning("care handoff thread could not be archived in guild %s", interaction.guild_id)

    async def _duty_ids(self, guild: discord.Guild) -> list[int]:
        """The moderators on duty; the moderation role's members when no rota says otherwise or when
        moderation is switched off."""
        moderation = self.bot.services.get(ModerationService)
        ids = list(moderation.on_duty(guild.id)) if moderation is not None else []
        if ids:
            return ids
        config = await self.bot.guild_config(guild.id)
        role = guild.get_role(config.role("moderation") or 0)
        return [m.id for m in role.members if not m.bot] if role else []

    async def _duty_text(self, guild: discord.Guild, t: Translate) -> str:
        ids = await self._duty_ids(guild)
        if not ids:
            return t("charter.care.duty_none")
        return t("charter.care.duty", moderators=", ".join(f"<@{i}>" for i in ids[:10]))

    # -- newcomers and version changes -------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        settings = self.bot.settings
        if member.bot or not settings.moderation.welcome_newcomers or not settings.features.welcome_message:
            return
        if not await charter_domain.claim_welcome(self.bot.db, member.guild.id, member.id):
            return
        config = await self.bot.guild_config(member.guild.id)
        charter_channel = config.channel("charte")
        text = self.bot.t(
            member.guild.id,
            "charter.welcome.text",
            server=member.guild.name,
            charter=f"<#{charter_channel}>" if charter_channel else "/charte voir",
        )
        try:
            await member.send(text, allowed_mentions=NO_PINGS)
            return
        except discord.HTTPException:
            pass
        welcome_id = config.channel("accueil")
        channel = member.guild.get_channel(welcome_id) if welcome_id else None
        if isinstance(channel, discord.TextChannel):
            await channel.send(
                f"{member.mention} " + text, allowed_mentions=discord.AllowedMentions(users=[member])
            )

    @commands.Cog.listener()
    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        """Remember when someone other than the bot removes the member role (a moderator, after a
        sanction): the acceptance button will not give it back until somebody restores it by hand."""
        if after.bot or self.bot.db is None:
            return
        config = await self._cached_config(after.guild.id)
        role_id = config.role("membre") if config is not None else None
        if not role_id:
            return
        had, has = before.get_role(role_id) is not None, after.get_role(role_id) is not None
        key = (after.guild.id, after.id)
        if had and not has:
            if key in self._own_removals:
                self._own_removals.discard(key)
                return
            await charter_domain.hold_member_role(self.bot.db, after.guild.id, after.id)
            log.info(
                "member role removed by someone other than Relais in guild %s: held back", after.guild.id
            )
        elif has and not had:
            await charter_domain.release_member_role(self.bot.db, after.guild.id, after.id)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        for guild in self.bot.guilds:
            # The same for a guild nothing was configured for yet (or a cached config gone stale).
            self._spawn(self._cached_config(guild.id))
            if guild.id not in self._notified_guilds:
                self._notified_guilds.add(guild.id)
                self._spawn(self.notify_version_change(guild))

    async def notify_version_change(self, guild: discord.Guild) -> int:
        """Tell, once, the members who accepted an older charter; returns how many were told."""
        try:
            previous = await charter_domain.observe_version(self.bot.db, guild.id, self.charter.version)
            if previous is None:
                return 0
            version = self.charter.version
            pending = await charter_domain.pending_notices(self.bot.db, guild.id, version)
            config = await self.bot.guild_config(guild.id)
            channel = guild.get_channel(config.channel("charte") or 0)
            role = guild.get_role(config.role("membre") or 0)
            told = 0
            for user_id in pending:
                if not await charter_domain.claim_notice(self.bot.db, guild.id, user_id, version):
                    continue
                member = guild.get_member(user_id)
                if member is None:
                    await charter_domain.set_notice_channel(self.bot.db, guild.id, user_id, version, "gone")
                    continue
                via = await self._send_notice(guild, member, channel, previous)
                await charter_domain.set_notice_channel(self.bot.db, guild.id, user_id, version, via)
                told += via != "failed"
                if (
                    self.bot.settings.moderation.remove_on_charter_change
                    and role
                    and member.get_role(role.id)
                ):
                    self._own_removals.add((guild.id, member.id))
                    try:
                        await member.remove_roles(role, reason=f"Charte {version} pas encore acceptée")
                    except discord.HTTPException:
                        self._own_removals.discard((guild.id, member.id))
                        log.warning("could not remove member role from %s in guild %s", member.id, guild.id)
            log.info("charter %s → %s in guild %s: %d member(s) told", previous, version, guild.id, told)
            return told
        except Exception:
            log.exception("charter version notices failed in guild %s", guild.id)
            return 0

    async def _send_notice(self, guild: discord.Guild, member: discord.Member, channel, previous: str) -> str:
        text = self.bot.t(
            guild.id,
            "charter.notice.text",
            server=guild.name,
            version=self.charter.version,
            previous=previous,
        )
        view = ui.accept_view(guild.id, self.bot.t(guild.id, "charter.accept.button"))
        try:
            await member.send(text, view=view, allowed_mentions=NO_PINGS)
            return "dm"
        except discord.HTTPException:
            pass
        if isinstance(channel, discord.TextChannel):
            try:
                await channel.send(
                    f"{member.mention} " + text,
                    view=view,
                    allowed_mentions=discord.AllowedMentions(users=[member]),
                )
                return "channel"
            except discord.HTTPException:
                log.warning("charter notice for %s could not be posted in %s", member.id, channel.id)
        return "failed"

    # -- automod -----------------------------------------------------------------------------------------
    def screen(self, message: discord.Message):
        """The automod's look at a new message (a ``bot.message_hooks`` hook, not a listener: no task
        per message). With the guild's config in memory, the whole check runs here and now; only a
        message that needs acting on, or a config to read first, returns a coroutine to run."""
        member = self._author_to_check(message)
        if member is None:
            return None
        cached = self._configs.get(message.guild.id)
        if cached is None or time.monotonic() - cached[0] >= CONFIG_TTL:
            return self._unless_closing(self.moderate(message))
        config = cached[1]
        if config is None:
            return None
        hits = self._hits(message, member, config, edited=False)
        if not hits:
            return None
        return self._unless_closing(self._respond(message, member, config, hits))

    async def _unless_closing(self, pending) -> None:
        try:
            await pending
        except Exception:
            if self.bot.is_closed():  # shutting down: the database may already be closed
                return
            raise

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        message = getattr(payload, "message", None)
        if message is None or payload.guild_id is None:
            return
        if "content" not in payload.data:
            return  # an embed appearing, a pin: not an edit of the text
        await self.moderate(message, edited=True)

    async def moderate(self, message: discord.Message, *, edited: bool = False) -> list[automod.Hit]:
        member = self._author_to_check(message)
        if member is None:
            return []
        config = await self._cached_config(message.guild.id)
        if config is None:
            return []
        hits = self._hits(message, member, config, edited=edited)
        if hits:
            await self._respond(message, member, config, hits)
        return hits

    def _author_to_check(self, message: discord.Message) -> discord.Member | None:
        """The member whose message the automod looks at; None for what it never checks."""
        if (
            message.guild is None
            or message.author.bot
            or message.webhook_id is not None
            or not self.bot.settings.moderation.automod_enabled
            or self.bot.db is None
        ):
            return None
        if isinstance(message.author, discord.Member):
            return message.author
        return message.guild.get_member(message.author.id)

    def _hits(
        self, message: discord.Message, member: discord.Member, config: GuildConfig, *, edited: bool
    ) -> list[automod.Hit]:
        mention_count = 0
        if message.mentions or message.raw_role_mentions:
            mention_count = len(
                {u.id for u in message.mentions if u.id != member.id} | {r.id for r in message.role_mentions}
            )
        item = automod.MessageInput(
            guild_id=message.guild.id,
            channel_id=message.channel.id,
            author_id=member.id,
            content=message.content or "",
            message_id=message.id,
            mention_count=mention_count,
            mentions_everyone=message.mention_everyone,
            standing=lambda: automod.Standing(
                frozenset(r.id for r in member.roles), is_moderator(member, config)
            ),
        )
        if edited:  # an edit is checked for its text, not counted again for flood or repeats
            exemption = self._exemption(config)
            hits = [
                h for h in self.engine.check(item.content) if self.engine.applies(h.rule, item, exemption)
            ]
        else:
            hits = self.engine.evaluate(item, exempt=self._exemption(config))
        if _private_thread(message.channel):
            # A private thread (an intervision among peers, a handoff): only care acts there, and
            # nothing of it is copied to a card or a log.
            hits = [h for h in hits if h.rule.action == "care"]
        return hits

    async def _respond(
        self, message: discord.Message, member: discord.Member, config: GuildConfig, hits: list[automod.Hit]
    ) -> None:
        care_hit = next((h for h in hits if h.rule.action == "care"), None)
        if care_hit is not None:
            # Care wins over sanction: a message that sounds like distress is neither deleted, nor
            # flagged, nor sanctioned; its author gets the care message, and that is all.
            await self._care(message, member, care_hit)
            return
        chosen = automod.strongest(hits)
        if chosen is not None and not is_moderator(member, config):
            if await charter_domain.claim_automod_action(
                self.bot.db,
                message.guild.id,
                message.id,
                chosen.rule.id,
                member.id,
                message.channel.id,
                chosen.rule.action,
            ):
                await self._act(message, member, config, chosen)

    async def _cached_config(self, guild_id: int) -> GuildConfig | None:
        """Every message is checked: read the guild's channels and roles at most every CONFIG_TTL seconds,
        once for all the messages arriving meanwhile. They all await that one read and wake together
        (a lock would hand the result on one waiter per event-loop turn, and a burst of messages
        arriving on a cold cache would queue its automod behind that chain)."""
        cached = self._configs.get(guild_id)
        if cached is not None and time.monotonic() - cached[0] < CONFIG_TTL:
            return cached[1]
        loading = self._config_loads.get(guild_id)
        if loading is None:
            loading = asyncio.ensure_future(self._load_config(guild_id))
            self._config_loads[guild_id] = loading
            loading.add_done_callback(lambda _: self._config_loads.pop(guild_id, None))
        return await asyncio.shield(loading)  # one impatient caller must not cancel the others' read

    async def _load_config(self, guild_id: int) -> GuildConfig | None:
        if self.bot.db is None or self.bot.is_closed():
            return None
        config = await self.bot.guild_config(guild_id)
        self._configs[guild_id] = (time.monotonic(), config)
        return config

    def _exemption(self, config: GuildConfig) -> automod.Exemption:
        """Resolved once per guild config read (the charter is fixed for the cog's life), not per message."""
        resolved = self._exemptions.get(config.guild_id)
        if resolved is None or resolved[0] is not config:
            resolved = (config, automod.resolve_exemption(self.charter, config.roles, config.channels))
            self._exemptions[config.guild_id] = resolved
        return resolved[1]

    async def _act(
        self, message: discord.Message, member: discord.Member, config: GuildConfig, hit: automod.Hit
    ) -> None:
        rule = hit.rule
        article = self.charter.article(rule.article)
        gid = message.guild.id
        action = automod.effective_action(hit)  # a quoted or discussed word: a card, never a deletion
        log.info("automod %s: rule %s on message %s by %s", action, rule.id, message.id, member.id)
        if action == "remind":
            await self._remind(message, member, rule, article)
        elif action == "flag":
            await self._flag(message, config, hit, article)
        elif action == "delete":
            try:
                await message.delete()
            except discord.NotFound:
                pass
            except discord.HTTPException:
                log.warning(
                    "automod could not delete message %s in guild %s: flagging instead", message.id, gid
                )
                await self._flag(message, config, hit, article)
                return
            await self._private_notice(message, member, rule, article, deleted=True)
        elif action in ("warn", "timeout"):
            moderation = self.bot.services.get(ModerationService)
            if moderation is None:  # moderation switched off: the moderators decide from a card
                await self._flag(message, config, hit, article)
                return
            duration = (
                dt.timedelta(seconds=rule.duration_seconds)
                if rule.action == "timeout" and rule.duration_seconds
                else None
            )
            try:
                await moderation.sanction(
                    message.guild,
                    member,
                    actor=message.guild.me,
                    action=rule.action,
                    article_id=rule.article,
                    reason=rule.notice,
                    duration=duration,
                )
            except (UserError, discord.HTTPException) as exc:
                log.warning(
                    "automod %s refused for %s in guild %s (%r): flagging instead",
                    rule.action,
                    member.id,
                    gid,
                    exc,
                )
                await self._flag(message, config, hit, article)

    async def _remind(self, message: discord.Message, member: discord.Member, rule, article) -> None:
        gid = message.guild.id
        text = self.bot.t(
            gid,
            "charter.remind.text",
            notice=rule.notice,
            article=f"{article.number}. {article.title}" if article else rule.article,
        )
        if rule.reminder == "private":
            try:
                await member.send(
                    text + "\n" + self.bot.t(gid, "charter.remind.where", link=message.jump_url),
                    allowed_mentions=NO_PINGS,
                )
                return
            except discord.HTTPException:
                # DMs closed: a short line in public, naming the article and nothing of the message.
                text = self.bot.t(
                    gid,
                    "charter.remind.public_short",
                    article=f"{article.number}. {article.title}" if article else rule.article,
                )
        try:
            await message.reply(text, mention_author=False, allowed_mentions=NO_PINGS)
        except discord.HTTPException:
            log.warning("automod reminder could not be posted for message %s", message.id)

    async def _private_notice(
        self, message: discord.Message, member: discord.Member, rule, article, *, deleted: bool
    ) -> None:
        gid = message.guild.id
        text = self.bot.t(
            gid,
            "charter.deleted.text",
            channel=message.channel.mention,
            notice=rule.notice,
            number=article.number if article else "?",
            title=article.title if article else rule.article,
            article_text=article.text if article else "",
            content=(message.content or "")[:1500],
        )
        try:
            await member.send(text[:2000], allowed_mentions=NO_PINGS)
        except discord.HTTPException:
            try:
                await message.channel.send(
                    self.bot.t(
                        gid,
                        "charter.deleted.public",
                        number=article.number if article else "?",
                        title=article.title if article else rule.article,
                    ),
                    allowed_mentions=NO_PINGS,
                )
            except discord.HTTPException:
                log.warning("automod notice for %s could not be delivered", member.id)

    async def _flag(self, message: discord.Message, config: GuildConfig, hit: automod.Hit, article) -> None:
        gid = message.guild.id
        channel_id = config.channel("signalements") or config.channel("modlog")
        channel = message.guild.get_channel(channel_id) if channel_id else None
        if not isinstance(channel, discord.TextChannel):
            log.warning("automod flag in guild %s: no reports or mod-log channel configured", gid)
            return
        embed = ui.flag_card(hit.rule, article, message, hit.matched, self.bot.texts(gid))
        await channel.send(embed=embed, allowed_mentions=NO_PINGS)

    async def _care(self, message: discord.Message, member: discord.Member, hit: automod.Hit) -> None:
        # Care lines never name anyone: a user id next to « care message » is a health inference.
        # Nor do they carry a context prefix ([guild= user= …]) that would name the member for them.
        token = logs.command_context.set("")
        try:
            await self._care_unlogged(message, member, hit)
        finally:
            logs.command_context.reset(token)

    async def _care_unlogged(
        self, message: discord.Message, member: discord.Member, hit: automod.Hit
    ) -> None:
        gid = message.guild.id
        if not self.care_cooldown.should_send(gid, member.id, time.time()):
            return
        t = self.bot.texts(gid)
        duty = await self._duty_text(message.guild, t)
        alerting = self.bot.settings.moderation.distress_alert_moderators
        # The text must be true in both settings: it says whether the duty team was told.
        intro = "charter.care.dm_intro_alerted" if alerting else "charter.care.dm_intro"
        embed = ui.crisis_embed(
            self.lines.ordered(), t, title_key="charter.care.dm_title", intro_key=intro, duty=duty
        )
        try:
            await member.send(embed=embed, view=self._handoff_view(gid, t), allowed_mentions=NO_PINGS)
        except discord.HTTPException:
            log.info("a care message could not be sent privately (DMs closed) in guild %s", gid)
        if self.bot.settings.moderation.distress_alert_moderators:
            for user_id in await self._duty_ids(message.guild):
                if user_id == member.id:
                    continue
                moderator = message.guild.get_member(user_id)
                if moderator is None:
                    continue
                try:
                    await moderator.send(
                        t("charter.care.alert", member=member.display_name, link=message.jump_url),
                        allowed_mentions=NO_PINGS,
                    )
                except discord.HTTPException:
                    log.info("a distress alert could not be delivered to a moderator in guild %s", gid)
        log.info("care message for a distress hit (rule %s) in guild %s", hit.rule.id, gid)


def _private_thread(channel: object) -> bool:
    return isinstance(channel, discord.Thread) and channel.type == discord.ChannelType.private_thread


async def setup(bot: RelaisBot) -> None:
    await bot.add_cog(Charter(bot))
