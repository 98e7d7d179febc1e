"""/config (per-guild setup), /aide and /a-propos."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

import bot as relais
from bot.client import RelaisBot
from bot.core import guild_config, i18n, timers, timeutil
from bot.core.errors import UserError
from bot.core.keyed_lock import KeyedLock
from bot.core.settings import KNOWN_COGS
from bot.server_setup import assistant_ui, diagnostic, layout, summaries
from bot.server_setup import ui as setup_ui
from bot.services import CharterService, JobFeedsService
from bot.ui.base import NO_PINGS
from bot.ui.checks import (
    check_channel_grant,
    check_channel_postable,
    check_role_assignable,
    check_role_grant,
    for_moderators_only,
    is_moderator,
)
from bot.ui.help import Section, help_embeds
from bot.ui.limits import fit_content
from bot.ui.pager import Pager

log = logging.getLogger(__name__)

CHANNEL_CHOICES = [
    app_commands.Choice(name=label, value=key) for key, label in guild_config.CHANNEL_PURPOSES.items()
]
ROLE_CHOICES = [
    app_commands.Choice(name=label, value=key) for key, label in guild_config.ROLE_PURPOSES.items()
]


# default_permissions only hides /config; server admins can override it, so each sub-command re-checks.
manage_guild_rechecked = app_commands.checks.has_permissions(manage_guild=True)


AnyCommand = app_commands.Command | app_commands.ContextMenu


def visible_commands(
    tree: app_commands.CommandTree, permissions: discord.Permissions, *, moderator: bool = False
) -> list[AnyCommand]:
    """Leaf slash commands and message menus the caller may use: judged by their default
    permissions, and commands meant for moderators (``for_moderators``) only when ``moderator``."""
    found: list[AnyCommand] = []

    def allowed(item: app_commands.Command | app_commands.Group | app_commands.ContextMenu) -> bool:
        if for_moderators_only(item) and not moderator:
            return False
        required = item.default_permissions
        while required is None and getattr(item, "parent", None) is not None:
            item = item.parent
            required = item.default_permissions
        return required is None or permissions >= required

    def walk(item: app_commands.Command | app_commands.Group) -> None:
        if isinstance(item, app_commands.Group):
            if allowed(item):
                for child in item.commands:
                    walk(child)
        elif allowed(item):
            found.append(item)

    for command in tree.get_commands(type=discord.AppCommandType.chat_input):
        walk(command)
    found += [m for m in tree.get_commands(type=discord.AppCommandType.message) if allowed(m)]
    return sorted(found, key=lambda c: c.qualified_name)


# Sections of /aide, in the order a member meets them; settings and Relais itself come last.
HELP_ORDER = (*(c for c in KNOWN_COGS if c != "admin"), "admin")


def capability_of(command: AnyCommand) -> str:
    """The extension that declared ``command`` (``cogs.jobs`` → ``jobs``)."""
    module = command.module or type(command.binding).__module__
    return module.rsplit(".", 1)[-1]


class Admin(commands.Cog):
    config = app_commands.Group(
        name="config",
        description="Réglages de Relais pour ce serveur",
        # What @app_commands.guild_only() sets: both the flag and the contexts Discord is sent.
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, bot: RelaisBot) -> None:
        self.bot = bot
        self._tasks: set[asyncio.Task[None]] = set()
        self._summary_lock = KeyedLock()
        # Guilds diagnosed since this process started: READY comes again after a reconnect.
        self._diagnosed_at_start: set[int] = set()

    async def cog_unload(self) -> None:
        for task in self._tasks:
            task.cancel()

    # -- /config … ----------------------------------------------------------------------------------
    @config.command(name="voir", description="Afficher les réglages de ce serveur")
    @manage_guild_rechecked
    async def config_show(self, interaction: discord.Interaction) -> None:
        config = await self.bot.guild_config(interaction.guild_id)
        t = self.bot.texts(interaction)
        lines = [t("core.config.show_title")]
        unset = t("core.config.unset")
        for key in guild_config.CHANNEL_PURPOSES:
            channel_id = config.channel(key)
            value = f"<#{channel_id}>" if channel_id else unset
            lines.append(t("core.config.show_line", purpose=t(f"core.config.purposes.{key}"), value=value))
        for key in guild_config.ROLE_PURPOSES:
            role_id = config.role(key)
            value = f"<@&{role_id}>" if role_id else unset
            lines.append(t("core.config.show_line", purpose=t(f"core.config.purposes.{key}"), value=value))
        lines.append(t("core.config.show_timezone", timezone=self.bot.timezone_name(config)))
        lines.append(t("core.config.show_locale", locale=config.locale or self.bot.settings.general.locale))
        await interaction.response.send_message("\n".join(lines), ephemeral=True, allowed_mentions=NO_PINGS)

    @config.command(name="salon", description="Choisir le salon utilisé pour un usage")
    @manage_guild_rechecked
    @app_commands.rename(channel="salon")
    @app_commands.describe(usage="À quoi sert ce salon", channel="Le salon")
    @app_commands.choices(usage=CHANNEL_CHOICES)
    async def config_channel(
        self,
        interaction: discord.Interaction,
        usage: app_commands.Choice[str],
        channel: discord.TextChannel | discord.ForumChannel,
    ) -> None:
        if isinstance(channel, discord.ForumChannel) and usage.value not in guild_config.FORUM_PURPOSES:
            raise UserError(
                "core.config.channel_not_forum",
                channel=channel.mention,
                purpose=self.bot.t(interaction, f"core.config.purposes.{usage.value}"),
            )
        check_channel_postable(channel, interaction.guild.me)
        check_channel_grant(interaction.user, channel, usage.value)
        await guild_config.set_channel(self.bot.db, interaction.guild_id, usage.value, channel.id)
        t = self.bot.texts(interaction)
        await interaction.response.send_message(
            t(
                "core.config.channel_set",
                purpose=t(f"core.config.purposes.{usage.value}"),
                channel=channel.mention,
            ),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )
        self._rediagnose_soon(interaction.guild)

    @config.command(name="role", description="Choisir le rôle utilisé pour un usage")
    @manage_guild_rechecked
    @app_commands.describe(usage="À quoi sert ce rôle", role="Le rôle")
    @app_commands.choices(usage=ROLE_CHOICES)
    async def config_role(
        self, interaction: discord.Interaction, usage: app_commands.Choice[str], role: discord.Role
    ) -> None:
        check_role_assignable(role, interaction.guild.me)
        check_role_grant(interaction.user, role, usage.value)
        await guild_config.set_role(self.bot.db, interaction.guild_id, usage.value, role.id)
        t = self.bot.texts(interaction)
        await interaction.response.send_message(
            t("core.config.role_set", purpose=t(f"core.config.purposes.{usage.value}"), role=role.mention),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )
        self._rediagnose_soon(interaction.guild)

    @config.command(name="fuseau", description="Choisir le fuseau horaire du serveur")
    @manage_guild_rechecked
    @app_commands.rename(timezone="fuseau")
    @app_commands.describe(timezone="Par exemple Europe/Brussels ou Europe/Paris")
    async def config_timezone(
        self, interaction: discord.Interaction, timezone: app_commands.Range[str, 1, 64]
    ) -> None:
        name = await guild_config.set_timezone(self.bot.db, interaction.guild_id, timezone)
        await interaction.response.send_message(
            self.bot.texts(interaction)("core.config.timezone_set", timezone=name), ephemeral=True
        )

    @config_timezone.autocomplete("timezone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        current = current.lower()
        names = [n for n in timeutil.zone_names() if current in n.lower()]
        names.sort(key=lambda n: (not n.startswith("Europe/"), n))
        return [app_commands.Choice(name=n, value=n) for n in names[:25]]

    @config.command(name="langue", description="Choisir la langue des annonces du serveur")
    @manage_guild_rechecked
    @app_commands.rename(language="langue")
    @app_commands.describe(language="Langue des messages publics et des rappels")
    @app_commands.choices(
        language=[
            app_commands.Choice(name="Français", value="fr"),
            app_commands.Choice(name="English", value="en"),
        ]
    )
    async def config_language(
        self, interaction: discord.Interaction, language: app_commands.Choice[str]
    ) -> None:
        await guild_config.set_locale(self.bot.db, interaction.guild_id, language.value)
        self.bot.remember_guild_locale(interaction.guild_id, language.value)
        await interaction.response.send_message(
            self.bot.texts(interaction)("core.config.locale_set", locale=language.name), ephemeral=True
        )

    # -- /config diagnostic -------------------------------------------------------------------------
    @config.command(name="diagnostic", description="Vérifier que le serveur est prêt pour Relais")
    @manage_guild_rechecked
    async def config_diagnostic(self, interaction: discord.Interaction) -> None:
        # Reading the feeds takes a few seconds: answer « thinking » first.
        await interaction.response.defer(ephemeral=True, thinking=True)
        _, report = await self.diagnose(interaction.guild, read_feeds=True)
        t = self.bot.texts(interaction)
        embeds = setup_ui.report_embeds(report, t)
        if setup_ui.fits_one_message(embeds):
            await interaction.followup.send(embeds=embeds, ephemeral=True, allowed_mentions=NO_PINGS)
            return
        view = Pager.over_embeds(
            interaction.user.id,
            embeds,
            previous_label=t("diagnostic.previous"),
            next_label=t("diagnostic.next"),
        )
        await interaction.followup.send(embed=embeds[0], view=view, ephemeral=True, allowed_mentions=NO_PINGS)

    async def diagnose(
        self, guild: discord.Guild, *, read_feeds: bool
    ) -> tuple[diagnostic.GuildSnapshot, diagnostic.Report]:
        """The snapshot and its report; feeds are fetched only when asked (a person waits for them)."""
        config = await self.bot.guild_config(guild.id)
        snapshot = setup_ui.snapshot_from_guild(guild, config)
        charter_service = self.bot.services.get(CharterService)
        feeds_service = self.bot.services.get(JobFeedsService) if read_feeds else None
        extra = diagnostic.ExtraFacts(
            enabled_capabilities=layout.enabled_capabilities(self.bot.settings.cogs.enabled),
            charter=await charter_service.status(guild.id) if charter_service else None,
            timers=await timers.health(self.bot.db, timeutil.now(), guild_id=guild.id),
            feeds=tuple(await feeds_service.feed_health(guild.id)) if feeds_service else None,
        )
        return snapshot, diagnostic.diagnose(snapshot, extra)

    def _rediagnose_soon(self, guild: discord.Guild) -> None:
        task = asyncio.create_task(self.summarise_problems(guild))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        for guild in self.bot.guilds:
            if guild.id not in self._diagnosed_at_start:
                self._diagnosed_at_start.add(guild.id)
                self._rediagnose_soon(guild)

    async def summarise_problems(self, guild: discord.Guild) -> bool:
        """Run the diagnostic and, when its ❌ changed since the last summary, post a short one in the
        mod-log; True when posted. Never raises: a diagnostic must not break what triggered it."""
        if not self.bot.settings.features.diagnostic_summary or self.bot.db is None:
            return False
        try:
            async with self._summary_lock.hold(guild.id):
                return await self._summarise(guild)
        except Exception:
            log.exception("automatic diagnostic failed (guild=%s)", guild.id)
            return False

    async def _summarise(self, guild: discord.Guild) -> bool:
        db = self.bot.db
        snapshot, report = await self.diagnose(guild, read_feeds=False)
        errors = report.error_signature
        if not errors:
            await summaries.forget(db, guild.id)
            return False
        if not summaries.should_post(errors, await summaries.last_posted(db, guild.id)):
            return False
        modlog = snapshot.channels.get("modlog")
        channel = guild.get_channel(modlog.channel_id) if modlog else None
        if not diagnostic.private_channel_sound(report) or not isinstance(channel, discord.TextChannel):
            # A public (or missing) mod-log must not learn more about the server's weak points.
            log.warning(
                "diagnostic (guild=%s): %d problem(s) and no private mod-log to say so: %s",
                guild.id,
                len(errors),
                ", ".join(sorted(errors)),
            )
            return False
        text = diagnostic.render_summary(report, self.bot.texts(guild.id))
        try:
            await channel.send(fit_content(text), allowed_mentions=NO_PINGS, suppress_embeds=True)
        except discord.HTTPException as exc:
            log.warning("diagnostic summary not posted (guild=%s, channel=%s): %s", guild.id, channel.id, exc)
            return False
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            # Discord unreachable: the outage is already said once by the client; try again at the
            # next READY instead of adding a traceback per guild.
            log.info("diagnostic summary postponed (guild=%s): Discord unreachable (%s)", guild.id, exc)
            self._diagnosed_at_start.discard(guild.id)
            return False
        await summaries.remember_posted(db, guild.id, errors, timeutil.now())
        log.info("diagnostic summary posted (guild=%s): %s", guild.id, ", ".join(sorted(errors)))
        return True

    # -- /config assistant --------------------------------------------------------------------------
    @config.command(
        name="assistant", description="Mettre Relais en place pas à pas : salons, rôles et charte"
    )
    @manage_guild_rechecked
    async def config_assistant(self, interaction: discord.Interaction) -> None:
        enabled = layout.enabled_capabilities(self.bot.settings.cogs.enabled)
        context = assistant_ui.Context(
            self.bot.db,
            self.bot.services.get(CharterService),
            enabled,
            self.bot.texts(interaction),
            on_changed=self._rediagnose_soon,
        )
        await assistant_ui.start(interaction, context)

    # -- /aide, /a-propos ---------------------------------------------------------------------------
    @app_commands.command(name="aide", description="Les commandes de Relais que vous pouvez utiliser")
    async def help(self, interaction: discord.Interaction) -> None:
        t = self.bot.texts(interaction)
        moderator = isinstance(interaction.user, discord.Member) and is_moderator(
            interaction.user, await self.bot.guild_config(interaction.guild_id)
        )
        commands_ = visible_commands(self.bot.tree, interaction.permissions, moderator=moderator)
        embeds = help_embeds(
            self.help_sections(commands_, self.bot.locale_for(interaction), t),
            title=t("core.help.title"),
            footer=t("core.help.footer"),
            page_label=lambda number, count: t("core.help.page", number=number, count=count),
            continued=lambda section: t("core.help.continued", section=section),
            empty=t("core.help.empty"),
            colour=0x5865F2,
        )
        if len(embeds) == 1:
            await interaction.response.send_message(
                embed=embeds[0], ephemeral=True, allowed_mentions=NO_PINGS
            )
            return
        pager = Pager.over_embeds(interaction.user.id, embeds)
        await interaction.response.send_message(
            embed=embeds[0], view=pager, ephemeral=True, allowed_mentions=NO_PINGS
        )

    def help_sections(self, found: list[AnyCommand], locale: str, t: i18n.Translate) -> list[Section]:
        """One section per capability, its lines in the caller's language (English through the
        same catalog the Translator gives Discord)."""

        def translated(french: str) -> str:
            return self.bot.catalog.command_text(locale, french) or french

        lines: dict[str, list[str]] = {}
        for command in found:
            if isinstance(command, app_commands.ContextMenu):
                line = t("core.help.message_menu", name=translated(command.name))
            else:
                name = " ".join(translated(part) for part in command.qualified_name.split())
                line = t("core.help.line", command=name, description=translated(command.description))
            lines.setdefault(capability_of(command), []).append(line)
        order = [c for c in HELP_ORDER if c in lines] + sorted(c for c in lines if c not in HELP_ORDER)
        return [
            Section(
                t(f"core.help.sections.{c}") if self.bot.catalog.has(f"core.help.sections.{c}") else c,
                tuple(sorted(lines[c], key=str.casefold)),
            )
            for c in order
        ]

    @app_commands.command(name="a-propos", description="Version, disponibilité et latence de Relais")
    async def about(self, interaction: discord.Interaction) -> None:
        uptime = int(self.bot.uptime())
        hours, rest = divmod(uptime, 3600)
        latency = self.bot.latency
        latency_ms = "?" if latency != latency or latency == float("inf") else str(round(latency * 1000))
        await interaction.response.send_message(
            self.bot.texts(interaction)(
                "core.about",
                version=relais.__version__,
                uptime=f"{hours} h {rest // 60:02d} min",
                latency=latency_ms,
            ),
            ephemeral=True,
        )


async def setup(bot: RelaisBot) -> None:
    await bot.add_cog(Admin(bot))
