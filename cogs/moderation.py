"""Moderation: /mod sanctions and cases, /recours, reports (/signaler, message menu, card buttons),
and the rotating duty (/permanence). Thin: rules and SQL live in bot/moderation/cases.py, reports.py
and duty.py; texts in config/locales/*/moderation.yaml; embeds and views in bot/moderation/ui.py.

It offers ``ModerationService`` (and the report cards' ``ReportCardActions``) through ``bot.services``."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

# Sanctions name the articles of the charter file, read here where capabilities are composed: the
# moderation package itself never imports the charter, and this works with the charter cog switched off.
from bot.charter.charter import load_charter
from bot.client import RelaisBot
from bot.core import logs, timeutil
from bot.core.errors import NotAllowed, NotFound, UserError
from bot.core.guild_config import GuildConfig
from bot.core.timers import Timer
from bot.moderation import cases as moderation
from bot.moderation import duty, reports, ui
from bot.moderation.cases import ArticleBook, Case, Party
from bot.moderation.cases import CharterArticle as Article
from bot.services import ModerationService
from bot.ui.base import NO_PINGS, send_ephemeral
from bot.ui.checks import for_moderators, has_configured_role, is_moderator
from bot.ui.limits import fit_content
from bot.ui.pager import Pager

log = logging.getLogger(__name__)

ACTION_PERMISSION = {"timeout": "moderate_members", "kick": "kick_members", "ban": "ban_members"}
DELETE_CHOICES = [
    app_commands.Choice(name="Ne rien supprimer", value=0),
    app_commands.Choice(name="La dernière heure", value=3600),
    app_commands.Choice(name="Les dernières 24 heures", value=86400),
    app_commands.Choice(name="Les 7 derniers jours", value=604800),
]
PERIOD_SUGGESTIONS = ["1 sem", "2 sem", "1j", "12h"]


def party(member: discord.Member | discord.User | None, config: GuildConfig) -> Party | None:
    if not isinstance(member, discord.Member):
        return None
    permissions = frozenset(name for name, value in member.guild_permissions if value)
    return Party(
        member.id, member.top_role.position, permissions, has_configured_role(member, config, "moderation")
    )


def require_guild_member(interaction: discord.Interaction) -> discord.Member:
    if interaction.guild is None or not isinstance(interaction.user, discord.Member):
        raise UserError("core.errors.guild_only")
    return interaction.user


class Moderation(commands.Cog):
    mod_group = app_commands.Group(
        name="mod",
        description="Actions de modération (équipe de modération)",
        guild_only=True,
        default_permissions=discord.Permissions(moderate_members=True),
    )
    duty_group = app_commands.Group(
        name="permanence",
        description="La permanence tournante de l'équipe de modération",
        guild_only=True,
    )

    def __init__(self, bot: RelaisBot) -> None:
        self.bot = bot
        self.charter: ArticleBook | None = None
        self.ladder = moderation.DEFAULT_LADDER
        self._rotas: dict[int, duty.Rota] = {}
        self._settling: asyncio.Task[None] | None = None
        self._key: bytes | None = None
        self.report_menu = app_commands.ContextMenu(
            name="Signaler à la modération", callback=self.report_message
        )
        self.report_menu.guild_only = True

    # -- life cycle ---------------------------------------------------------------------------
    async def cog_load(self) -> None:
        self.reload_config()
        self.bot.tree.add_command(self.report_menu)
        self.bot.services.provide(ModerationService, self)
        self.bot.services.provide(ui.ReportCardActions, self)
        self.bot.timers.register(moderation.CASE_TIMER, self._on_case_timer)
        self.bot.timers.register(moderation.CASE_ENDED_LOG, self._on_case_ended_log)
        self.bot.timers.register(duty.DUTY_TIMER, self._on_duty_timer)
        self._rotas = {r.guild_id: r for r in await duty.all_rotas(self.bot.db)}
        # Discord can only be asked once the guilds are in: wait for ready in the background. Only
        # cases written before now are a crash's leftovers (a supervisor restarts within seconds).
        self._settling = asyncio.create_task(
            self.settle_pending_cases(timeutil.now()), name="relais-settle-pending-cases"
        )

    async def cog_unload(self) -> None:
        if self._settling is not None:
            self._settling.cancel()
        self.bot.tree.remove_command(self.report_menu.name, type=discord.AppCommandType.message)
        self.bot.services.withdraw(ModerationService, self)
        self.bot.services.withdraw(ui.ReportCardActions, self)

    def reload_config(self) -> None:
        config_dir = self.bot.settings.config_dir
        try:
            self.charter = load_charter(config_dir)
        except Exception:
            log.exception("charter unreadable: moderation will name articles by their id only")
            self.charter = None
        self.ladder = moderation.load_ladder(config_dir)

    @property
    def key(self) -> bytes:
        if self._key is None:
            self._key = reports.load_or_create_key(self.bot.settings.moderation.report_key_file)
        return self._key

    # -- shared helpers -----------------------------------------------------------------------
    def article(self, article_id: str | None) -> Article | None:
        """The charter article by id or number; ``UserError`` when the charter does not have it."""
        if not article_id:
            return None
        if self.charter is None:
            return None
        wanted = article_id.strip()
        found = moderation.find_article(self.charter, wanted)
        if found is None:
            raise UserError("moderation.errors.unknown_article", value=wanted[:40])
        return found

    def article_choices(self, current: str) -> list[app_commands.Choice[str]]:
        if self.charter is None:
            return []
        current = current.lower().strip()
        choices = []
        for article in self.charter.articles:
            label = f"{article.number}. {article.title}"
            if not current or current in label.lower() or current in article.id:
                choices.append(app_commands.Choice(name=label[:100], value=article.id))
        return choices[:25]

    def on_duty(self, guild_id: int) -> list[int]:
        """User ids of the moderators on duty now (empty when no rota is planned)."""
        rota = self._rotas.get(guild_id)
        return rota.on_duty(timeutil.now()) if rota else []

    async def is_recused(self, guild_id: int, moderator_id: int, member_id: int) -> bool:
        return await moderation.is_recused(self.bot.db, guild_id, moderator_id, member_id)

    def moderators(self, guild: discord.Guild, config: GuildConfig) -> list[int]:
        role = guild.get_role(config.role("moderation") or 0)
        members = role.members if role is not None else []
        return [m.id for m in members if not m.bot]

    @staticmethod
    def reads(channel: discord.abc.GuildChannel | None, user_id: int) -> bool:
        """Whether this person can read the channel (unknown channel: assume they can)."""
        if channel is None:
            return True
        member = channel.guild.get_member(user_id)
        return member is not None and channel.permissions_for(member).view_channel

    @staticmethod
    def reads_private_threads(channel: discord.abc.GuildChannel, user_id: int) -> bool:
        """Private threads of a channel are open to Manage Threads holders, not only to their members."""
        member = channel.guild.get_member(user_id)
        if member is None:
            return False
        perms = channel.permissions_for(member)
        return perms.view_channel and (perms.manage_threads or perms.administrator)

    async def send_privately(
        self,
        guild: discord.Guild,
        channel: discord.abc.GuildChannel | None,
        *,
        recipients: list[int],
        excluded: set[int],
        thread_name: str,
        content: str,
        embed: discord.Embed | None = None,
        view: discord.ui.View | None = None,
    ) -> discord.Message | None:
        """Reach ``recipients`` and nobody in ``excluded``: a private thread of ``channel`` with only
        the recipients when none of the excluded can open its private threads (Manage Threads),
        otherwise one DM each (without buttons: they only work on the server). Returns the thread's
        message, or None when DMs were used."""
        mentions = discord.AllowedMentions(
            users=[discord.Object(r) for r in recipients], roles=False, everyone=False, replied_user=False
        )
        if (
            isinstance(channel, discord.TextChannel)
            and recipients
            and not any(self.reads_private_threads(channel, e) for e in excluded)
        ):
            try:
                thread = await channel.create_thread(
                    name=thread_name[:100], type=discord.ChannelType.private_thread, invitable=False
                )
                for recipient in recipients:
                    await thread.add_user(discord.Object(recipient))
                return await thread.send(content, embed=embed, view=view, allowed_mentions=mentions)
            except discord.HTTPException:
                log.warning("private thread %r in guild %s failed; sending DMs", thread_name, guild.id)
        for recipient in recipients:
            await self.dm(recipient, content, embed=embed)
        return None

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        # /mod's default_permissions only hides it: each of its commands is checked for real.
        command = interaction.command
        if command is not None and command.root_parent is self.mod_group:
            require_guild_member(interaction)
        return True

    async def post_log(
        self, guild_id: int, config: GuildConfig, *, retry_later: bool = False, **kwargs: Any
    ) -> discord.Message | None:
        """Post in the mod-log. With ``retry_later`` (a timer's post), a failure Discord may recover
        from is raised so that the timer tries again; a mod-log gone or closed to the bot is not."""
        channel_id = config.channel("modlog")
        if channel_id is None:
            log.warning("no mod-log channel configured for guild %s", guild_id)
            return None
        kwargs.setdefault("allowed_mentions", NO_PINGS)
        try:
            return await self.bot.get_partial_messageable(channel_id, guild_id=guild_id).send(**kwargs)
        except discord.HTTPException as error:
            if retry_later and not isinstance(error, discord.Forbidden | discord.NotFound):
                raise
            log.exception("could not post to the mod-log of guild %s", guild_id)
            return None

    async def dm(
        self, user: discord.abc.User | int, content: str, *, embed: discord.Embed | None = None
    ) -> bool:
        try:
            target = user if isinstance(user, discord.abc.User) else await self.bot.fetch_user(user)
            await target.send(content, embed=embed, allowed_mentions=NO_PINGS)
        except discord.HTTPException:
            return False
        return True

    def case_dm(self, guild: discord.Guild, case: Case, article: Article | None) -> str:
        t = self.bot.texts(guild.id)
        if case.expires_at is not None and case.action in ("timeout", "ban"):
            end = t("moderation.dm.until", when=ui.stamp(case.expires_at))
        elif case.action == "warn" and case.expires_at is not None:
            end = t("moderation.dm.warn_until", when=ui.stamp(case.expires_at, "D"))
        elif case.action == "ban":
            end = t("moderation.dm.no_end")
        else:
            end = ""
        parts = [t(f"moderation.dm.intro_{case.action}", guild=guild.name, number=case.number)]
        if article is not None:
            parts.append(
                t(
                    "moderation.dm.article",
                    number=article.number,
                    title=article.title,
                    text=article.text.strip(),
                )
            )
        elif case.article:
            parts.append(t("moderation.dm.article_id", article=case.article))
        parts.append(t("moderation.dm.reason", reason=case.reason))
        if end:
            parts.append(end)
        parts.append(t("moderation.dm.contest", number=case.number))
        return fit_content("\n\n".join(parts))

    # -- the one sanction path (slash commands, report cards, automod, the ladder) -------------
    async def sanction(
        self,
        guild: discord.Guild,
        member: discord.Member,
        actor: discord.Member,
        action: str,
        article_id: str,
        reason: str,
        duration: dt.timedelta | None = None,
        *,
        delete_seconds: int = 0,
        parent_number: int | None = None,
        escalate: bool = True,
    ) -> Case:
        """Check, act on Discord, record the case, post it to the mod-log and DM the member.

        ``action`` is ``warn``, ``timeout``, ``kick`` or ``ban``; ``actor`` is a moderator, or the
        bot itself (automatic moderation). Raises ``UserError`` (nothing recorded) when a check
        fails or Discord refuses.
        """
        if action not in moderation.SANCTIONS:
            raise ValueError(f"unknown sanction {action!r}")
        db, now, me = self.bot.db, timeutil.now(), guild.me
        article, config = await self.check_sanction(guild, member, actor, action, article_id, duration)
        if action == "warn":
            days = article.warning_expiry_days if article is not None else None
            expires = moderation.warning_expiry(now, days, self.bot.settings.moderation.warning_expiry_days)
        else:
            expires = now + duration if duration is not None else None
        case = await moderation.begin_case(
            db,
            guild.id,
            member_id=member.id,
            moderator_id=actor.id,
            action=action,
            article=article.id if article else article_id,
            reason=reason,
            now=now,
            expires_at=expires,
            automatic=actor.id == me.id,
            parent_number=parent_number,
        )
        audit = f"Cas n°{case.number} ({case.article}) par {actor} : {case.reason}"[:500]
        dm_sent = None
        try:
            if action in ("kick", "ban"):  # afterwards the bot can no longer reach them
                dm_sent = await self.dm(member, self.case_dm(guild, case, article))
            if action == "timeout":
                await member.timeout(duration, reason=audit)
            elif action == "kick":
                await member.kick(reason=audit)
            elif action == "ban":
                await guild.ban(member, reason=audit, delete_message_seconds=delete_seconds)
        except discord.HTTPException as exc:
            await moderation.abandon_case(db, case)
            log.warning("Discord refused %s on %s in guild %s: %s", action, member.id, guild.id, exc)
            if dm_sent:  # they were told before the action: tell them it did not happen
                await self.dm(
                    member,
                    self.bot.t(guild.id, "moderation.dm.not_applied", guild=guild.name, number=case.number),
                )
            raise UserError("moderation.errors.discord_refused") from exc
        except BaseException:
            await moderation.abandon_case(db, case)
            raise
        case = await moderation.confirm_case(db, self.bot.timers, case)
        if dm_sent is None:
            dm_sent = await self.dm(member, self.case_dm(guild, case, article))
        t = self.bot.texts(guild.id)
        next_step = None
        if action == "warn" and escalate:
            next_step = await self._escalate(guild, member, case, article)
        embed = ui.case_embed(t, case, article, next_step=next_step)
        if not dm_sent:
            embed.set_footer(text=t("moderation.log.dm_closed"))
        await self.post_log(guild.id, config, embed=embed)
        log.info("case %s: %s on %s by %s in guild %s", case.number, action, member.id, actor.id, guild.id)
        return case

    # -- recovery after a crash ---------------------------------------------------------------
    async def settle_pending_cases(self, started_at: dt.datetime) -> None:
        """Confirm the cases a crash left pending whose action Discord shows as done; drop the rest.
        A case Discord cannot be asked about now stays pending for the next start."""
        try:
            await self.bot.wait_until_ready()
        except RuntimeError:  # never logged in: the cogs were loaded without Discord (checks, tests)
            return
        for case in await moderation.pending_cases(self.bot.db, started_at):
            guild = self.bot.get_guild(case.guild_id)
            if guild is None:
                continue
            try:
                await self._settle(guild, case, timeutil.now())
            except Exception:  # a background task: nobody else would see it
                log.exception(
                    "pending case %s in guild %s not settled; left for the next start", case.number, guild.id
                )

    async def _settle(self, guild: discord.Guild, case: Case, now: dt.datetime) -> None:
        try:
            member = guild.get_member(case.member_id) or await guild.fetch_member(case.member_id)
        except discord.NotFound:
            member = None
        banned = False
        if case.action in ("ban", "kick"):
            try:
                await guild.fetch_ban(discord.Object(case.member_id))
                banned = True
            except discord.NotFound:
                pass
        applied = moderation.applied_on_discord(
            case,
            now=now,
            present=member is not None,
            banned=banned,
            timed_out_until=member.timed_out_until if member is not None else None,
        )
        if not applied:
            await moderation.abandon_case(self.bot.db, case)
            log.info(
                "pending case %s (%s) in guild %s dropped: not applied on Discord",
                case.number,
                case.action,
                guild.id,
            )
            return
        case = await moderation.confirm_case(self.bot.db, self.bot.timers, case)
        try:
            article = self.article(case.article)
        except UserError:  # the charter changed since
            article = None
        # Kicked and banned members were told before the action; a timeout's DM comes after it.
        dm_sent = (
            await self.dm(case.member_id, self.case_dm(guild, case, article))
            if case.action == "timeout"
            else True
        )
        t = self.bot.texts(guild.id)
        embed = ui.case_embed(t, case, article)
        embed.set_footer(
            text=t("moderation.log.restored") + ("" if dm_sent else " " + t("moderation.log.dm_closed"))
        )
        await self.post_log(guild.id, await self.bot.guild_config(guild.id), embed=embed)
        log.info(
            "pending case %s (%s) in guild %s confirmed after a restart", case.number, case.action, guild.id
        )

    async def check_sanction(
        self,
        guild: discord.Guild,
        member: discord.Member,
        actor: discord.Member,
        action: str,
        article_id: str,
        duration: dt.timedelta | None,
    ) -> tuple[Article | None, GuildConfig]:
        """Every check of a sanction, without side effects: article, duration, permissions, hierarchy,
        recusal."""
        article = self.article(article_id)
        moderation.check_sanction_duration(action, duration)
        config = await self.bot.guild_config(guild.id)
        me = guild.me
        recused = actor.id != me.id and await moderation.is_recused(
            self.bot.db, guild.id, actor.id, member.id
        )
        moderation.authorize(
            moderation.ACTION_COMMANDS[action],
            party(actor, config),
            party(me, config),
            owner_id=guild.owner_id,
            target=party(member, config),
            recused=recused,
        )
        return article, config

    async def _escalate(
        self, guild: discord.Guild, member: discord.Member, case: Case, article: Article | None
    ) -> str | None:
        """Apply the ladder's rung reached by this warning, as the bot's own case; return the next
        human step."""
        db, now = self.bot.db, timeutil.now()
        t = self.bot.texts(guild.id)
        count = await moderation.active_warnings(db, guild.id, member.id, now)
        rung = self.ladder.rung_for(count)
        upcoming = self.ladder.next_after(count)
        next_step = t(f"moderation.ladder.step_{upcoming.action}") if upcoming else None
        if rung is None:
            return next_step
        reason = t(f"moderation.ladder.reason_{rung.action}", count=count, number=case.number)
        config = await self.bot.guild_config(guild.id)
        try:
            if rung.action == "timeout":
                await self.sanction(
                    guild,
                    member,
                    guild.me,
                    "timeout",
                    case.article,
                    reason,
                    rung.duration,
                    parent_number=case.number,
                    escalate=False,
                )
            else:
                action = "conversation" if rung.action == "conversation" else "proposal"
                step = await moderation.record_case(
                    db,
                    self.bot.timers,
                    guild.id,
                    member_id=member.id,
                    moderator_id=guild.me.id,
                    action=action,
                    article=case.article,
                    reason=reason,
                    now=now,
                    automatic=True,
                    parent_number=case.number,
                )
                if action == "conversation":
                    await self.dm(
                        member, t("moderation.ladder.conversation_dm", guild=guild.name, number=step.number)
                    )
                await self.post_log(
                    guild.id, config, embed=ui.case_embed(t, step, article, next_step=next_step)
                )
        except UserError as refused:
            log.warning("ladder step %s for %s not applied: %s", rung.action, member.id, refused.key)
            await self.post_log(
                guild.id,
                config,
                content=t(
                    "moderation.ladder.not_applied",
                    member=f"<@{member.id}>",
                    step=t(f"moderation.ladder.step_{rung.action}"),
                ),
            )
        return next_step

    # -- /mod ---------------------------------------------------------------------------------
    @mod_group.command(name="avertir", description="Avertir un membre en nommant l'article de la charte")
    @app_commands.rename(member="membre", reason="raison")
    @app_commands.describe(
        member="La personne concernée",
        article="L'article de la charte",
        reason="Ce qui s'est passé, en quelques mots",
    )
    async def warn(
        self,
        interaction: discord.Interaction,
        member: discord.Member,
        article: str,
        reason: app_commands.Range[str, 1, 500],
    ) -> None:
        await self.run_sanction(interaction, member=member, action="warn", article_id=article, reason=reason)

    @mod_group.command(name="suspendre", description="Suspendre temporairement un membre (28 jours au plus)")
    @app_commands.rename(member="membre", duration="duree", reason="raison")
    @app_commands.describe(
        member="La personne concernée",
        duration="Par exemple 10m, 2h, 3j ou 1 sem",
        article="L'article de la charte",
        reason="Ce qui s'est passé, en quelques mots",
    )
    async def timeout(
        self,
        interaction: discord.Interaction,
        member: discord.Member,
        duration: app_commands.Range[str, 1, 30],
        article: str,
        reason: app_commands.Range[str, 1, 500],
    ) -> None:
        await self.run_sanction(
            interaction,
            member=member,
            action="timeout",
            article_id=article,
            reason=reason,
            duration=moderation.parse_duration(duration),
        )

    @mod_group.command(name="expulser", description="Expulser un membre du serveur (il pourra revenir)")
    @app_commands.rename(member="membre", reason="raison")
    @app_commands.describe(
        member="La personne concernée",
        article="L'article de la charte",
        reason="Ce qui s'est passé, en quelques mots",
    )
    async def kick(
        self,
        interaction: discord.Interaction,
        member: discord.Member,
        article: str,
        reason: app_commands.Range[str, 1, 500],
    ) -> None:
        await self.run_sanction(interaction, member=member, action="kick", article_id=article, reason=reason)

    @mod_group.command(name="bannir", description="Bannir un membre, pour une durée ou sans limite")
    @app_commands.rename(
        member="membre", reason="raison", delete_messages="supprimer_messages", duration="duree"
    )
    @app_commands.describe(
        member="La personne concernée",
        article="L'article de la charte",
        reason="Ce qui s'est passé, en quelques mots",
        delete_messages="Supprimer aussi ses messages récents",
        duration="Facultatif : par exemple 7j ou 2 sem",
    )
    @app_commands.choices(delete_messages=DELETE_CHOICES)
    async def ban(
        self,
        interaction: discord.Interaction,
        member: discord.Member,
        article: str,
        reason: app_commands.Range[str, 1, 500],
        delete_messages: app_commands.Choice[int] | None = None,
        duration: app_commands.Range[str, 1, 30] | None = None,
    ) -> None:
        await self.run_sanction(
            interaction,
            member=member,
            action="ban",
            article_id=article,
            reason=reason,
            duration=moderation.parse_duration(duration) if duration else None,
            delete_seconds=delete_messages.value if delete_messages else 0,
        )

    @warn.autocomplete("article")
    @timeout.autocomplete("article")
    @kick.autocomplete("article")
    @ban.autocomplete("article")
    async def article_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return self.article_choices(current)

    async def run_sanction(
        self,
        interaction: discord.Interaction,
        *,
        member: discord.Member,
        action: str,
        article_id: str,
        reason: str,
        duration: dt.timedelta | None = None,
        delete_seconds: int = 0,
    ) -> None:
        actor = require_guild_member(interaction)
        # Checks first (they are quick), so that a refusal is answered straight away.
        await self.check_sanction(interaction.guild, member, actor, action, article_id, duration)
        await interaction.response.defer(ephemeral=True, thinking=True)
        case = await self.sanction(
            interaction.guild,
            member,
            actor,
            action,
            article_id,
            reason,
            duration,
            delete_seconds=delete_seconds,
        )
        await send_ephemeral(
            interaction,
            self.bot.t(
                interaction,
                f"moderation.done.{action}",
                number=case.number,
                member=member.mention,
                until=ui.stamp(case.expires_at),
            ),
        )

    async def _authorize(
        self,
        interaction: discord.Interaction,
        command: str,
        target_id: int | None = None,
        bot_permission: str | None = None,
    ) -> GuildConfig:
        actor = require_guild_member(interaction)
        guild = interaction.guild
        config = await self.bot.guild_config(guild.id)
        recused = target_id is not None and await moderation.is_recused(
            self.bot.db, guild.id, actor.id, target_id
        )
        target_party = Party(target_id, -1) if target_id is not None else None
        moderation.authorize(
            command,
            party(actor, config),
            party(guild.me, config),
            owner_id=guild.owner_id,
            target=target_party,
            recused=recused,
            bot_permission=bot_permission,
        )
        return config

    @mod_group.command(name="debannir", description="Lever le bannissement d'une personne")
    @app_commands.rename(user="utilisateur", reason="raison")
    @app_commands.describe(user="La personne bannie (son identifiant fonctionne aussi)", reason="Pourquoi")
    async def unban(
        self, interaction: discord.Interaction, user: discord.User, reason: app_commands.Range[str, 1, 500]
    ) -> None:
        config = await self._authorize(interaction, "debannir", user.id)
        guild, db, now = interaction.guild, self.bot.db, timeutil.now()
        await interaction.response.defer(ephemeral=True, thinking=True)
        case = await moderation.begin_case(
            db,
            guild.id,
            member_id=user.id,
            moderator_id=interaction.user.id,
            action="unban",
            article=None,
            reason=reason,
            now=now,
        )
        try:
            await guild.unban(user, reason=f"Cas n°{case.number} par {interaction.user} : {reason}"[:500])
        except discord.NotFound:
            await moderation.abandon_case(db, case)
            raise UserError("moderation.errors.not_banned", member=str(user)) from None
        except discord.HTTPException as exc:
            await moderation.abandon_case(db, case)
            raise UserError("moderation.errors.discord_refused") from exc
        case = await moderation.confirm_case(db, self.bot.timers, case)
        ban = await moderation.active_case(db, guild.id, user.id, "ban", now)
        if ban is not None:
            await moderation.end_case(db, ban.id, now)
            await self.bot.timers.cancel(guild.id, ban.timer_key)
        await self.post_log(guild.id, config, embed=ui.case_embed(self.bot.texts(guild.id), case, None))
        await send_ephemeral(
            interaction,
            self.bot.t(interaction, "moderation.done.unban", number=case.number, member=str(user)),
        )

    @mod_group.command(
        name="lever", description="Révoquer un cas (lève la suspension ou le bannissement en cours)"
    )
    @app_commands.rename(number="cas", reason="raison")
    @app_commands.describe(number="Le numéro du cas", reason="Pourquoi il est levé")
    async def revoke(
        self,
        interaction: discord.Interaction,
        number: app_commands.Range[int, 1, 10_000_000],
        reason: app_commands.Range[str, 1, 500],
    ) -> None:
        guild, db, now = interaction.guild, self.bot.db, timeutil.now()
        case = await moderation.get_case(db, guild.id, number)
        lift = moderation.needs_lift(case, now)
        config = await self._authorize(
            interaction,
            "lever",
            case.member_id,
            bot_permission=moderation.LIFTABLE.get(lift) if lift else None,
        )
        if case.revoked_at is not None:
            raise UserError("moderation.errors.already_revoked", number=number)
        await interaction.response.defer(ephemeral=True, thinking=True)
        audit = f"Cas n°{number} levé par {interaction.user} : {reason}"[:500]
        try:
            if lift == "timeout":
                member = guild.get_member(case.member_id)
                if member is None:
                    try:
                        member = await guild.fetch_member(case.member_id)
                    except discord.NotFound:
                        member = None
                if member is not None:
                    await member.timeout(None, reason=audit)
            elif lift == "ban":
                try:
                    await guild.unban(discord.Object(case.member_id), reason=audit)
                except discord.NotFound:
                    pass  # already unbanned by hand
        except discord.HTTPException as exc:
            raise UserError("moderation.errors.discord_refused") from exc
        revoked = await moderation.revoke_case(
            db, self.bot.timers, guild.id, number, moderator_id=interaction.user.id, reason=reason, now=now
        )
        t = self.bot.texts(guild.id)
        await self.post_log(
            guild.id,
            config,
            content=t(
                "moderation.log.revoked",
                number=number,
                moderator=interaction.user.mention,
                reason=revoked.revoke_reason,
            ),
        )
        if case.action in moderation.SANCTIONS:
            await self.dm(case.member_id, t("moderation.dm.revoked", guild=guild.name, number=number))
        await send_ephemeral(interaction, self.bot.t(interaction, "moderation.done.revoked", number=number))

    @mod_group.command(
        name="dossier", description="L'historique de modération d'un membre (visible par vous seul·e)"
    )
    @app_commands.rename(user="membre")
    @app_commands.describe(user="La personne concernée")
    async def dossier(self, interaction: discord.Interaction, user: discord.User) -> None:
        await self._authorize(interaction, "dossier", user.id)
        guild, db, now = interaction.guild, self.bot.db, timeutil.now()
        cases = await moderation.member_cases(db, guild.id, user.id)
        active = await moderation.active_warnings(db, guild.id, user.id, now)
        pages = ui.dossier_pages(self.bot.texts(interaction), str(user), cases, active, now)
        if len(pages) == 1:
            await send_ephemeral(interaction, embed=pages[0])
        else:
            await send_ephemeral(
                interaction, embed=pages[0], view=Pager.over_embeds(interaction.user.id, pages)
            )

    @mod_group.command(
        name="note", description="Ajouter une note privée au dossier (le membre n'est pas prévenu)"
    )
    @app_commands.rename(user="membre", text="texte")
    @app_commands.describe(user="La personne concernée", text="La note, visible par l'équipe seulement")
    async def note(
        self, interaction: discord.Interaction, user: discord.User, text: app_commands.Range[str, 1, 1000]
    ) -> None:
        config = await self._authorize(interaction, "note", user.id)
        guild = interaction.guild
        case = await moderation.record_case(
            self.bot.db,
            self.bot.timers,
            guild.id,
            member_id=user.id,
            moderator_id=interaction.user.id,
            action="note",
            article=None,
            reason=text,
            now=timeutil.now(),
        )
        await self.post_log(guild.id, config, embed=ui.case_embed(self.bot.texts(guild.id), case, None))
        await send_ephemeral(
            interaction, self.bot.t(interaction, "moderation.done.note", number=case.number, member=str(user))
        )

    @mod_group.command(name="recusation", description="Se déclarer en conflit d'intérêts avec un membre")
    @app_commands.rename(user="membre", withdraw="retirer")
    @app_commands.describe(
        user="La personne concernée", withdraw="Retirer une récusation déclarée auparavant"
    )
    async def recuse(
        self, interaction: discord.Interaction, user: discord.User, withdraw: bool = False
    ) -> None:
        on = not withdraw
        actor = require_guild_member(interaction)
        config = await self.bot.guild_config(interaction.guild_id)
        moderation.authorize(
            "recusation",
            party(actor, config),
            party(interaction.guild.me, config),
            owner_id=interaction.guild.owner_id,
        )
        changed = await moderation.set_recusal(
            self.bot.db, interaction.guild_id, actor.id, user.id, on=on, now=timeutil.now()
        )
        key = (
            ("moderation.recusal.added" if on else "moderation.recusal.removed")
            if changed
            else ("moderation.recusal.already" if on else "moderation.recusal.none")
        )
        if changed:
            await self.post_log(
                interaction.guild_id,
                config,
                content=self.bot.t(
                    interaction.guild_id,
                    "moderation.log.recusal_on" if on else "moderation.log.recusal_off",
                    moderator=actor.mention,
                    member=f"<@{user.id}>",
                ),
            )
        await send_ephemeral(interaction, self.bot.t(interaction, key, member=str(user)))

    # -- appeals ------------------------------------------------------------------------------
    @app_commands.command(name="recours", description="Contester une décision de modération")
    @app_commands.rename(number="cas", text="texte")
    @app_commands.describe(
        number="Le numéro du cas, indiqué dans le message reçu", text="Ce que vous souhaitez dire à l'équipe"
    )
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)
    async def appeal(
        self,
        interaction: discord.Interaction,
        number: app_commands.Range[int, 1, 10_000_000],
        text: app_commands.Range[str, 1, 1500],
    ) -> None:
        db, now = self.bot.db, timeutil.now()
        guild_id = interaction.guild_id
        if guild_id is None:  # from DMs (after an exclusion): the case says which guild
            rows = await db.fetchall(
                "SELECT guild_id FROM mod_cases WHERE member_id = ? AND number = ? AND state = 'confirmed'",
                (interaction.user.id, number),
            )
            if len(rows) != 1:
                raise NotFound("moderation.errors.appeal_not_yours", number=number)
            guild_id = rows[0][0]
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            raise NotFound("moderation.errors.appeal_not_yours", number=number)
        config = await self.bot.guild_config(guild_id)
        appeal = await moderation.file_appeal(
            db,
            guild_id,
            number,
            member_id=interaction.user.id,
            text=text,
            on_duty=self.on_duty(guild_id),
            moderators=self.moderators(guild, config),
            now=now,
        )
        await self._route_appeal(guild, config, appeal)
        await send_ephemeral(interaction, self.bot.t(interaction, "moderation.appeal.sent", number=number))

    async def _route_appeal(
        self, guild: discord.Guild, config: GuildConfig, appeal: moderation.Appeal
    ) -> None:
        """To the recipients only: never the moderator who decided, nor anyone recused from the member
        (a private thread when none of them holds Manage Threads there, DMs otherwise)."""
        t = self.bot.texts(guild.id)
        body = fit_content(
            t(
                "moderation.appeal.card",
                number=appeal.case.number,
                member=f"<@{appeal.member_id}>",
                action=t(f"moderation.actions.{appeal.case.action}"),
                reason=appeal.case.reason[:300],
                text=appeal.text,
                recipients=" ".join(f"<@{r}>" for r in appeal.recipients) or "—",
            )
        )
        channel = guild.get_channel(config.channel("signalements") or config.channel("modlog") or 0)
        excluded = {appeal.case.moderator_id} | await moderation.recused_from(
            self.bot.db, guild.id, appeal.member_id
        )
        await self.send_privately(
            guild,
            channel,
            recipients=list(appeal.recipients),
            excluded=excluded,
            thread_name=t("moderation.appeal.thread", number=appeal.case.number),
            content=body,
        )
        if not appeal.recipients:
            await self.post_log(
                guild.id, config, content=t("moderation.appeal.nobody", number=appeal.case.number)
            )

    # -- reports ------------------------------------------------------------------------------
    @app_commands.command(
        name="signaler", description="Signaler discrètement une situation à l'équipe de modération"
    )
    @app_commands.rename(member="membre")
    @app_commands.describe(
        description="Ce qui s'est passé", member="La personne concernée, si vous le souhaitez"
    )
    @app_commands.guild_only()
    async def report_command(
        self,
        interaction: discord.Interaction,
        description: app_commands.Range[str, 1, 1000],
        member: discord.Member | None = None,
    ) -> None:
        async def submit(
            inner: discord.Interaction, what: str, article: str | None, anonymous: bool, notify: bool
        ) -> None:
            await self.file_report(inner, what, article, anonymous, notify, message=None, target=member)

        modal = ui.ReportModal(
            self.bot.texts(interaction), submit, opener_id=interaction.user.id, description=description
        )
        await interaction.response.send_modal(modal)

    async def report_message(self, interaction: discord.Interaction, message: discord.Message) -> None:
        async def submit(
            inner: discord.Interaction, what: str, article: str | None, anonymous: bool, notify: bool
        ) -> None:
            await self.file_report(
                inner, what, article, anonymous, notify, message=message, target=message.author
            )

        await interaction.response.send_modal(
            ui.ReportModal(self.bot.texts(interaction), submit, opener_id=interaction.user.id)
        )

    async def file_report(
        self,
        interaction: discord.Interaction,
        what: str,
        article_text: str | None,
        anonymous: bool,
        notify: bool,
        *,
        message: discord.Message | None,
        target: discord.abc.User | None,
    ) -> None:
        guild = interaction.guild
        # The reporter may have asked for anonymity: from here on, no log line names who reports
        # (the usual context, set when the form was submitted, carries the user id).
        logs.command_context.set(f"[guild={guild.id} cmd=report] ")
        article = self.article(article_text) if article_text else None
        await interaction.response.defer(ephemeral=True, thinking=True)
        filed = await reports.file_report(
            self.bot.db,
            self.key,
            guild.id,
            reporter_id=interaction.user.id,
            description=what,
            now=timeutil.now(),
            anonymous=anonymous,
            notify=notify,
            message_id=message.id if message else None,
            channel_id=message.channel.id if message else interaction.channel_id,
            target_id=target.id if target else None,
            excerpt=message.content if message else "",
            article=article.id if article else None,
            per_hour=self.bot.settings.moderation.reports_per_hour,
        )
        log.info(
            "report %s filed (merged=%s, duplicate=%s) in guild %s",
            filed.report.id,
            filed.merged,
            filed.duplicate,
            guild.id,
        )
        if not filed.duplicate:
            await self.show_card(guild, filed.report, new=not filed.merged)
        key = (
            "moderation.reports.duplicate"
            if filed.duplicate
            else ("moderation.reports.thanks_anonymous" if anonymous else "moderation.reports.thanks")
        )
        await send_ephemeral(interaction, self.bot.t(interaction, key))

    async def report_from_feature(
        self,
        guild: discord.Guild,
        reporter_id: int,
        description: str,
        *,
        channel_id: int | None,
        message_id: int | None,
        target_id: int | None,
        excerpt: str = "",
    ) -> reports.Filed:
        """A report raised by another feature's button (a shared resource, …): same queue, same card,
        same merging per message and the same secrecy about who reported as a member's own report."""
        filed = await reports.file_report(
            self.bot.db,
            self.key,
            guild.id,
            reporter_id=reporter_id,
            description=description,
            now=timeutil.now(),
            anonymous=False,
            notify=True,
            message_id=message_id,
            channel_id=channel_id,
            target_id=target_id,
            excerpt=excerpt,
            article=None,
            per_hour=self.bot.settings.moderation.reports_per_hour,
        )
        if not filed.duplicate:
            await self.show_card(guild, filed.report, new=not filed.merged)
        return filed

    async def show_card(self, guild: discord.Guild, report: reports.Report, *, new: bool) -> None:
        """Post the card (mentioning only the moderators on duty who may handle it) or update it."""
        config = await self.bot.guild_config(guild.id)
        t = self.bot.texts(guild.id)
        who = await reports.reporters(self.bot.db, report.id)
        link = None
        if report.message_id and report.channel_id:
            link = f"https://discord.com/channels/{guild.id}/{report.channel_id}/{report.message_id}"
        embed = ui.report_embed(t, report, who, link)
        view = ui.report_view(t, report)
        if not new and report.card_message_id and report.card_channel_id:
            try:
                card = self.bot.get_partial_messageable(
                    report.card_channel_id, guild_id=guild.id
                ).get_partial_message(report.card_message_id)
                await card.edit(embed=embed, view=view, allowed_mentions=NO_PINGS)
                return
            except discord.HTTPException:
                log.warning("report card %s could not be edited; posting a new one", report.card_message_id)
        channel_id = config.channel("signalements") or config.channel("modlog")
        if channel_id is None:
            log.warning("report %s: no reports channel configured in guild %s", report.id, guild.id)
            return
        if report.target_id is not None and self.reads(guild.get_channel(channel_id), report.target_id):
            await self._show_private_card(guild, config, report, embed, view, guild.get_channel(channel_id))
            return
        blocked = await moderation.recused_from(self.bot.db, guild.id, report.target_id)
        blocked |= set(who.named)
        pinged = [m for m in self.on_duty(guild.id) if m not in blocked]
        content = (
            t("moderation.card.duty", mentions=" ".join(f"<@{m}>" for m in pinged))
            if pinged
            else t("moderation.card.no_duty")
        )
        mentions = discord.AllowedMentions(
            users=[discord.Object(m) for m in pinged], roles=False, everyone=False, replied_user=False
        )
        posted = await self.bot.get_partial_messageable(channel_id, guild_id=guild.id).send(
            content, embed=embed, view=view, allowed_mentions=mentions
        )
        await reports.set_card(self.bot.db, report.id, channel_id, posted.id)

    async def _show_private_card(
        self,
        guild: discord.Guild,
        config: GuildConfig,
        report: reports.Report,
        embed: discord.Embed,
        view: discord.ui.View,
        channel: discord.abc.GuildChannel | None,
    ) -> None:
        """A report about someone who can read the reports channel (a moderator, most often) goes to
        the other moderators only, never to the shared channel the person concerned reads."""
        t = self.bot.texts(guild.id)
        excluded = await moderation.recused_from(self.bot.db, guild.id, report.target_id)
        recipients = [m for m in self.moderators(guild, config) if m not in excluded]
        if not recipients and guild.owner_id not in excluded:
            recipients = [guild.owner_id]  # the last people who can still read it privately
        if not recipients:
            log.warning(
                "report %s in guild %s: nobody but the person concerned could read it", report.id, guild.id
            )
            return
        content = t("moderation.card.private", mentions=" ".join(f"<@{r}>" for r in recipients))
        posted = await self.send_privately(
            guild,
            channel,
            recipients=recipients,
            excluded=excluded,
            thread_name=t("moderation.card.private_thread", id=report.id),
            content=content,
            embed=embed,
            view=view,
        )
        if posted is not None:
            await reports.set_card(self.bot.db, report.id, posted.channel.id, posted.id)

    async def on_report_button(self, interaction: discord.Interaction, action: str, report_id: int) -> None:
        actor = require_guild_member(interaction)
        guild, db = interaction.guild, self.bot.db
        config = await self.bot.guild_config(guild.id)
        if not is_moderator(actor, config):
            raise NotAllowed("core.errors.moderators_only")
        report = await reports.get(db, guild.id, report_id)
        if await moderation.is_recused(db, guild.id, actor.id, report.target_id):
            raise NotAllowed("moderation.errors.recused")
        if not report.is_live:
            raise UserError("moderation.reports.already_closed", handler=report.handler_id or 0)
        guild_texts = self.bot.texts(guild.id)
        if action == "warn":
            if report.target_id is None:
                raise UserError("moderation.reports.no_target")

            async def submit(inner: discord.Interaction, article: str, reason: str) -> None:
                # Checked again at submission: the form may have stayed open while things changed.
                moderator = require_guild_member(inner)
                if not is_moderator(moderator, await self.bot.guild_config(guild.id)):
                    raise NotAllowed("core.errors.moderators_only")
                current = await reports.get(db, guild.id, report_id)
                if not current.is_live:
                    raise UserError("moderation.reports.already_closed", handler=current.handler_id or 0)
                member = guild.get_member(report.target_id) or await guild.fetch_member(report.target_id)
                await inner.response.defer(ephemeral=True, thinking=True)
                case = await self.sanction(guild, member, moderator, "warn", article, reason)
                resolution = guild_texts("moderation.reports.resolution_warned", number=case.number)
                await self._close_report(inner, guild, report_id, "resolved", resolution)

            modal = ui.WarnModal(
                self.bot.texts(interaction), submit, opener_id=actor.id, article=report.article
            )
            await interaction.response.send_modal(modal)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        if action == "claim":
            report = await reports.claim(db, guild.id, report_id, actor.id, timeutil.now())
            await self.show_card(guild, report, new=False)
            await send_ephemeral(interaction, self.bot.t(interaction, "moderation.reports.claimed"))
        elif action == "dismiss":
            await self._close_report(
                interaction,
                guild,
                report_id,
                "dismissed",
                guild_texts("moderation.reports.resolution_dismissed"),
            )
        elif action == "delete":
            if not report.message_id or not report.channel_id:
                raise UserError("moderation.reports.no_message")
            channel = self.bot.get_partial_messageable(report.channel_id, guild_id=guild.id)
            try:
                await channel.get_partial_message(report.message_id).delete()
            except discord.NotFound:
                pass  # already gone: the report can still be closed
            except discord.HTTPException as exc:
                raise UserError("moderation.errors.discord_refused") from exc
            await self._close_report(
                interaction,
                guild,
                report_id,
                "resolved",
                guild_texts("moderation.reports.resolution_deleted"),
            )

    async def _close_report(
        self,
        interaction: discord.Interaction,
        guild: discord.Guild,
        report_id: int,
        status: str,
        resolution: str,
    ) -> None:
        closed = await reports.close(
            self.bot.db,
            guild.id,
            report_id,
            interaction.user.id,
            status=status,
            resolution=resolution,
            now=timeutil.now(),
        )
        await self.show_card(guild, closed.report, new=False)
        for reporter in closed.notify:
            await self.dm(
                reporter, self.bot.t(guild.id, f"moderation.reports.notice_{status}", guild=guild.name)
            )
        await send_ephemeral(
            interaction, self.bot.t(interaction, "moderation.reports.closed", resolution=resolution)
        )

    # -- /permanence ---------------------------------------------------------------------------
    @duty_group.command(
        name="planifier",
        description="Organiser la permanence tournante (équipe de modération)",
        extras=for_moderators(),
    )
    @app_commands.rename(moderators="moderateurs", period="periode", start="debut")
    @app_commands.describe(
        moderators="Les personnes, dans l'ordre des tours (mentionnez-les)",
        period="Durée d'un tour, par exemple 1 sem ou 1j",
        start="Par exemple 3/3 9h, ou maintenant",
    )
    async def plan_duty(
        self,
        interaction: discord.Interaction,
        moderators: app_commands.Range[str, 1, 1000],
        period: app_commands.Range[str, 1, 30],
        start: app_commands.Range[str, 1, 40] = "maintenant",
    ) -> None:
        actor = require_guild_member(interaction)
        guild = interaction.guild
        config = await self.bot.guild_config(guild.id)
        if not is_moderator(actor, config):
            raise NotAllowed("core.errors.moderators_only")
        ids = duty.parse_moderators(moderators)
        if not ids:
            raise UserError("moderation.duty.no_moderators")
        for user_id in ids:
            member = guild.get_member(user_id)
            if member is None or member.bot or not is_moderator(member, config):
                raise UserError("moderation.duty.not_a_moderator", member=f"<@{user_id}>")
        now = timeutil.now()
        period_length = moderation.parse_duration(period)
        start_at = duty.parse_start(start, self.bot.timezone_name(config), now)
        rota = await duty.plan(
            self.bot.db,
            self.bot.timers,
            guild.id,
            moderators=ids,
            period=period_length,
            start=start_at,
            created_by=actor.id,
            now=now,
        )
        self._rotas[guild.id] = rota
        order = ", ".join(f"<@{i}>" for i in ids)
        await self.post_log(
            guild.id,
            config,
            content=self.bot.t(
                guild.id,
                "moderation.duty.planned_log",
                moderator=actor.mention,
                order=order,
                start=ui.stamp(start_at),
            ),
        )
        await send_ephemeral(
            interaction,
            self.bot.t(
                interaction,
                "moderation.duty.planned",
                order=order,
                start=ui.stamp(start_at),
                next=ui.stamp(rota.next_change(now)),
            ),
        )

    @plan_duty.autocomplete("period")
    async def period_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=p, value=p) for p in PERIOD_SUGGESTIONS if current.lower() in p]

    @duty_group.command(name="qui", description="Qui est de permanence en ce moment")
    async def who_is_on_duty(self, interaction: discord.Interaction) -> None:
        rota = self._rotas.get(interaction.guild_id)
        now = timeutil.now()
        on_duty = rota.on_duty(now) if rota else []
        if not on_duty:
            await send_ephemeral(interaction, self.bot.t(interaction, "moderation.duty.nobody"))
            return
        await send_ephemeral(
            interaction,
            self.bot.t(
                interaction,
                "moderation.duty.now",
                members=", ".join(f"<@{i}>" for i in on_duty),
                until=ui.stamp(rota.next_change(now)),
            ),
        )

    # -- timers -------------------------------------------------------------------------------
    async def _on_case_timer(self, timer: Timer) -> None:
        async def lift(case: Case) -> None:
            try:  # HTTP only: works before the gateway is ready, and twice without harm
                await self.bot.http.unban(case.member_id, case.guild_id, reason=f"Fin du cas n°{case.number}")
            except discord.NotFound:
                pass

        now = timeutil.now()
        case = await moderation.run_case_timer(self.bot.db, int(timer.payload["case_id"]), now, lift)
        if case is not None and case.action in ("timeout", "ban"):
            await moderation.schedule_ended_log(self.bot.timers, case, now)

    async def _on_case_ended_log(self, timer: Timer) -> None:
        """Post that a sanction is over; a failed post is tried again by the timer."""
        case = await moderation.case_by_id(self.bot.db, int(timer.payload["case_id"]))
        if case is None or case.ended_at is None or case.revoked_at is not None:
            return
        await self.post_log(
            case.guild_id,
            await self.bot.guild_config(case.guild_id),
            retry_later=True,
            content=self.bot.t(
                case.guild_id,
                f"moderation.log.ended_{case.action}",
                number=case.number,
                member=f"<@{case.member_id}>",
            ),
        )

    async def _on_duty_timer(self, timer: Timer) -> None:
        rotation = await duty.rotate(self.bot.db, self.bot.timers, timer.guild_id, timeutil.now())
        rota = await duty.get(self.bot.db, timer.guild_id)
        if rota is not None:
            self._rotas[timer.guild_id] = rota
        if rotation is None:
            return
        config = await self.bot.guild_config(timer.guild_id)
        mentions = discord.AllowedMentions(
            users=[discord.Object(i) for i in rotation.on_duty],
            roles=False,
            everyone=False,
            replied_user=False,
        )
        await self.post_log(
            timer.guild_id,
            config,
            content=self.bot.t(
                timer.guild_id,
                "moderation.duty.rotation",
                members=", ".join(f"<@{i}>" for i in rotation.on_duty),
                until=ui.stamp(rotation.until),
            ),
            allowed_mentions=mentions,
        )


async def setup(bot: RelaisBot) -> None:
    await bot.add_cog(Moderation(bot))
