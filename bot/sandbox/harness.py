"""Run the real Relais bot against the local Discord double: for tests, benchmarks and the tour.

The bot is not modified in any way: it reads settings whose ``discord.api_base_url`` and
``discord.gateway_url`` point at the double, exactly as a community would point it at a
self-hosted Discord-compatible server.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import discord
import discord.gateway
import discord.http

from bot.client import RelaisBot, create_bot
from bot.core import guild_config
from bot.core import settings as settings_module
from bot.core.db import Database
from bot.sandbox.double import DiscordDouble, SeedSpec

# The seeded guild's channels and roles (by the double's keys) for each configuration purpose.
SEED_CHANNELS = {
    "ressources": "ressources",
    "offres": "offres-emploi",
    "offres_moderation": "mod-log",
    "intervisions": "intervisions",
    "modlog": "mod-log",
    "signalements": "signalements",
    "charte": "charte",
    "accueil": "accueil",
}
SEED_ROLES = {"moderation": "moderation", "pair_aidant": "pair-aidant", "membre": "membre"}
READY_TIMEOUT = 20.0


def sandbox_environment(
    double: DiscordDouble, db_path: Path, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    return {
        # A throwaway sandbox keeps its anonymous reports' key beside its database (same lifetime,
        # same across restarts), which a real deployment must not do: hence the explicit flag.
        "RELAIS_MODERATION__REPORT_KEY_FILE": str(db_path.with_name(f"{db_path.stem}-report-hmac.key")),
        "RELAIS_MODERATION__REPORT_KEY_IN_DATABASE_FOLDER": "true",
        **(extra or {}),
        "RELAIS_DATABASE__PATH": str(db_path),
        "RELAIS_DISCORD__API_BASE_URL": double.api_base_url,
        "RELAIS_DISCORD__GATEWAY_URL": double.gateway_url,
        "RELAIS_FEATURES__ALLOW_LOOPBACK_URLS": "true",
        # The double sends every GUILD_CREATE at once: no need to wait Discord's usual 2 s.
        "RELAIS_DISCORD__GUILD_READY_TIMEOUT": "0.1",
    }


@dataclass
class Sandbox:
    double: DiscordDouble
    settings: settings_module.Settings
    bot: RelaisBot | None = None
    _runner: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def driver(self):
        return self.double.driver

    @property
    def guild_id(self) -> int:
        return self.double.guild.id

    async def configure_guild(self) -> None:
        """What an administrator does with /config on day one, written straight to the database."""
        db = await Database.open(self.settings.database.path)
        try:
            for purpose, key in SEED_CHANNELS.items():
                await guild_config.set_channel(db, self.guild_id, purpose, self.driver.channel(key).id)
            for purpose, key in SEED_ROLES.items():
                await guild_config.set_role(db, self.guild_id, purpose, self.driver.role_id(key))
        finally:
            await db.close()

    async def start_bot(self) -> RelaisBot:
        bot = create_bot(self.settings)
        runner = asyncio.create_task(bot.start(self.double.token), name="relais-sandbox-bot")
        ready = asyncio.create_task(bot.wait_until_ready())
        done, _ = await asyncio.wait(
            {runner, ready}, timeout=READY_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
        )
        if ready not in done:
            ready.cancel()
            if runner in done:
                await bot.close()
                runner.result()  # raises the start-up failure
            await bot.close()
            runner.cancel()
            raise TimeoutError(f"the bot was not ready after {READY_TIMEOUT} s")
        self.bot, self._runner = bot, runner
        return bot

    async def stop_bot(self) -> None:
        if self.bot is None:
            return
        await self.bot.close()
        if self._runner is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self._runner, 10)
        self.bot, self._runner = None, None

    async def restart_bot(self) -> RelaisBot:
        await self.stop_bot()
        return await self.start_bot()


@contextlib.asynccontextmanager
async def running_sandbox(
    db_path: Path,
    *,
    config_dir: Path | None = None,
    seed: SeedSpec | None = None,
    environ: Mapping[str, str] | None = None,
    configure: bool = True,
    start: bool = True,
) -> AsyncIterator[Sandbox]:
    """Start the double, then the bot on ``db_path``; stop both and restore discord.py on exit."""
    saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    double = DiscordDouble(seed)
    await double.start()
    try:
        base_env = {k: v for k, v in (environ if environ is not None else os.environ).items()}
        settings = settings_module.load(config_dir, sandbox_environment(double, db_path, base_env))
        sandbox = Sandbox(double, settings)
        if configure:
            await sandbox.configure_guild()
        if start:
            await sandbox.start_bot()
        try:
            yield sandbox
        finally:
            await sandbox.stop_bot()
    finally:
        await double.stop()
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved
