"""/config (per-guild setup), /aide and /a-propos."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

import bot as relais
from bot.client import RelaisBot
from bot.core import guild_config, i18n, timeutil
from bot.core.errors import UserError
from bot.core.settings import KNOWN_COGS
from bot.ui.base import NO_PINGS
from bot.ui.checks import for_moderators_only, is_moderator
from bot.ui.help import Section, help_embeds
from bot.ui.pager import Pager

CHANNEL_CHOICES = [
    app_commands.Choice(name=label, value=key) for key, label in guild_config.CHANNEL_PURPOSES.items()
]
ROLE_CHOICES = [
    app_commands.Choice(name=label, value=key) for key, label in guild_config.ROLE_PURPOSES.items()
]


def check_channel_postable(channel: discord.abc.GuildChannel, me: discord.Member) -> None:
    perms = channel.permissions_for(me)
    needed = ["view_channel", "send_messages", "embed_links"]
    if isinstance(channel, discord.ForumChannel):
        needed = ["view_channel", "send_messages", "create_public_threads"]
    missing = [p for p in needed if not getattr(perms, p)]
    if missing:
        raise UserError(
            "core.config.channel_not_postable", channel=channel.mention, permissions=", ".join(missing)
        )


def check_role_assignable(role: discord.Role, me: discord.Member) -> None:
    if role.is_default() or role.managed:
        raise UserError("core.config.role_not_assignable", role=role.name)
    if role >= me.top_role:
        raise UserError("core.config.role_above_bot", role=role.name, bot_role=me.top_role.name)


# Discord permissions a role must not carry when Relais hands it out (« J'accepte ») or when it only
# marks members: whoever maps it would give them powers over the server.
DANGEROUS_PERMISSIONS = (
    "administrator",
    "manage_guild",
    "manage_roles",
    "manage_channels",
    "kick_members",
    "ban_members",
    "moderate_members",
    "manage_messages",
    "manage_webhooks",
    "mention_everyone",
)
# What Relais does on a moderator's behalf (warn, timeout, kick, ban, delete): only someone who already
# holds these may say which role makes a moderator, or where reports and the moderation log go.
MODERATION_POWERS = ("kick_members", "ban_members", "moderate_members", "manage_messages")
PRIVATE_CHANNEL_PURPOSES = ("modlog", "signalements", "offres_moderation")


def _code_names(names: list[str]) -> str:
    return ", ".join(f"`{n}`" for n in names)


def has_moderation_powers(member: discord.Member) -> bool:
    perms = member.guild_permissions
    return perms.administrator or all(getattr(perms, p) for p in MODERATION_POWERS)


def check_role_grant(caller: discord.Member, role: discord.Role, purpose: str) -> None:
    """Refuse a mapping that would hand the caller (or members) more than the caller already holds.

    Judged on the caller's permissions in this interaction, so a role removed a second ago counts.
    """
    if purpose == "moderation":
        if not has_moderation_powers(caller):
            missing = [p for p in MODERATION_POWERS if not getattr(caller.guild_permissions, p)]
            raise UserError("core.config.moderation_role_needs_powers", permissions=_code_names(missing))
        return
    dangerous = [p for p in DANGEROUS_PERMISSIONS if getattr(role.permissions, p)]
    if dangerous:
        raise UserError("core.config.role_too_powerful", role=role.name, permissions=_code_names(dangerous))


def check_channel_grant(caller: discord.Member, channel: discord.abc.GuildChannel, purpose: str) -> None:
    """Reports and the moderation log reveal what only moderators may read: same powers, private channel."""
    if purpose not in PRIVATE_CHANNEL_PURPOSES:
        return
    if not has_moderation_powers(caller):
        missing = [p for p in MODERATION_POWERS if not getattr(caller.guild_permissions, p)]
        raise UserError("core.config.private_channel_needs_powers", permissions=_code_names(missing))
    if channel.permissions_for(channel.guild.default_role).view_channel:
        raise UserError("core.config.private_channel_is_public", channel=channel.mention)


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
