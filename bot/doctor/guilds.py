"""What Discord reports for each guild, asked over REST only: no gateway session is opened, so a
running bot is not disturbed (and no identify is spent). The guild is checked by the same
``diagnose`` as ``/config diagnostic``; only the snapshot is built from fetched objects instead of
discord.py's cache.
"""

from __future__ import annotations

import contextlib

import aiohttp
import discord

from bot import invite
from bot.charter import charter as charter_domain
from bot.client import apply_discord_endpoints
from bot.core import guild_config, i18n
from bot.core import settings as settings_module
from bot.core.db import Database
from bot.core.yamlfile import ConfigError
from bot.doctor.report import Check, Level, error, ok, warning
from bot.server_setup import diagnostic, layout
from bot.server_setup.ui import snapshot_from_guild
from bot.services import CharterStatus

# Findings about the installation rather than the guild, said once by the host checks (the
# configuration check lists the crisis lines to verify), not repeated for every guild.
SAID_ONCE = frozenset({"crisis_lines"})
LEVELS = {
    diagnostic.Level.OK: Level.OK,
    diagnostic.Level.WARNING: Level.WARNING,
    diagnostic.Level.ERROR: Level.ERROR,
}


class GuildFacts:
    """What the diagnostic needs beside Discord, read once: the database and the configuration."""

    def __init__(self, settings: settings_module.Settings, db: Database | None) -> None:
        self.settings = settings
        self.db = db
        self.enabled = layout.enabled_capabilities(settings.cogs.enabled)
        # A charter that does not load is already a ❌ of the configuration check: here it only
        # leaves the charter's state unknown (a ⚠️ per guild).
        self.charter_version: str | None = None
        with contextlib.suppress(ConfigError):
            self.charter_version = charter_domain.load_charter(settings.config_dir).version
        catalog = i18n.Catalog.load(settings.config_dir)
        locale = settings.general.locale
        self.t: i18n.Translate = lambda key, /, **params: catalog.t(locale, key, **params)

    async def extra(self, guild_id: int) -> diagnostic.ExtraFacts:
        charter = None
        if self.db is not None and "charter" in self.enabled and self.charter_version is not None:
            charter = CharterStatus(
                current_version=self.charter_version,
                published_version=await charter_domain.last_published_version(self.db, guild_id),
                crisis_lines_to_verify=(),  # SAID_ONCE: the configuration check lists them
            )
        # Timers are checked once for the whole database by the host checks; job feeds are global
        # and polled by the bot, which reports them in /config diagnostic.
        return diagnostic.ExtraFacts(enabled_capabilities=self.enabled, charter=charter)

    async def config(self, guild_id: int) -> guild_config.GuildConfig:
        if self.db is None:
            return guild_config.GuildConfig(guild_id)
        return await guild_config.get(self.db, guild_id)


async def check_guild(client: discord.Client, guild_id: int, facts: GuildFacts) -> list[Check]:
    assert client.user is not None
    guild = await client.fetch_guild(guild_id)
    channels = await guild.fetch_channels()
    me = await guild.fetch_member(client.user.id)
    name = guild.name
    checks: list[Check] = []
    missing = [p for p in invite.PERMISSIONS if not getattr(me.guild_permissions, p)]
    if missing:
        labels = ", ".join(
            facts.t("diagnostic.quoted", text=facts.t(f"diagnostic.permissions.{p}")) for p in missing
        )
        checks.append(
            warning(
                f"{name} : permissions demandées à l'invitation absentes : {labels}",
                "donnez-les au rôle du bot (Paramètres du serveur → Rôles), "
                "ou réinvitez-le avec l'adresse de relais invite-url",
            )
        )
    if facts.db is None:
        return checks or [ok(f"{name} : le bot a toutes les permissions demandées à l'invitation")]
    snapshot = snapshot_from_guild(guild, await facts.config(guild_id), me=me, channels=channels)
    report = diagnostic.diagnose(snapshot, await facts.extra(guild_id))
    fine = 0
    for _, findings in report.by_capability():
        for finding in findings:
            if finding.subject in SAID_ONCE:
                continue
            if finding.level is diagnostic.Level.OK:
                fine += 1
                continue
            params = diagnostic.finding_params(finding, facts.t, channel_names=report.channel_names)
            text = facts.t(f"diagnostic.check.{finding.key}", **params)
            todo = facts.t(f"diagnostic.fix.{finding.fix}", **params) if finding.fix else ""
            checks.append(Check(LEVELS[finding.level], f"{name} : {text}", todo))
    if fine:
        checks.insert(0, ok(f"{name} : {fine} point(s) de la configuration vérifiés et corrects"))
    return checks


async def check_discord(settings: settings_module.Settings, token: str, db: Database | None) -> list[Check]:
    apply_discord_endpoints(settings)  # the endpoints relais run would use (the double, Spacebar…)
    facts = GuildFacts(settings, db)
    client = discord.Client(intents=discord.Intents.none())
    try:
        try:
            await client.login(token)
        except discord.LoginFailure:
            return [
                error(
                    "Discord refuse le jeton du bot",
                    "créez-en un nouveau (portail des développeurs, Bot → Reset Token) et remplacez l'ancien",
                )
            ]
        except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
            return [error(f"Discord injoignable ({type(exc).__name__})", "vérifiez le réseau de la machine")]
        assert client.user is not None
        checks = [ok(f"Discord accepte le jeton (bot {client.user.name}, id {client.user.id})")]
        guilds = [guild async for guild in client.fetch_guilds(limit=None)]
        if not guilds:
            checks.append(
                warning("le bot n'est sur aucun serveur", "invitez-le avec l'adresse de relais invite-url")
            )
        for guild in guilds:
            try:
                checks += await check_guild(client, guild.id, facts)
            except (discord.HTTPException, aiohttp.ClientError) as exc:
                status = getattr(exc, "status", type(exc).__name__)
                checks.append(
                    error(
                        f"{guild.name} : Discord n'a pas répondu ({status})",
                        "relancez relais doctor ; si cela dure, le bot a-t-il été retiré du serveur ?",
                    )
                )
        return checks
    finally:
        await client.close()
