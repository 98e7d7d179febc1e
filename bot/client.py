"""The Relais bot: start-up in ``setup_hook``, one database, one timer service, one error handler."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import logging
import time
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

import discord
import yarl
from discord import app_commands
from discord.ext import commands

from bot.charter import ui as charter_ui
from bot.core import backups, events, guild_config, i18n, run_lock, timeutil
from bot.core.db import Database, is_locked
from bot.core.errors import UserError
from bot.core.registry import Registry
from bot.core.settings import DEFAULT_API_BASE_URL, DEFAULT_GATEWAY_URL, Settings
from bot.core.timers import TimerService
from bot.intervisions import ui as intervisions_ui
from bot.jobs import ui as jobs_ui
from bot.moderation import ui as moderation_ui
from bot.resources import ui as resources_ui
from bot.ui.base import NO_PINGS, send_ephemeral, set_log_context
from bot.ui.translator import RelaisTranslator

log = logging.getLogger(__name__)
TREE_HASH_KEY = "command_tree_hash"
# Every capability's persistent buttons, registered whether or not its cog runs: a button posted by a
# capability that is now disabled answers kindly that the feature is off (the handler's service is
# missing: CapabilityDisabled) instead of leaving Discord's « échec de l'interaction ».
PERSISTENT_ITEMS = (
    *charter_ui.DYNAMIC_ITEMS,
    *intervisions_ui.DYNAMIC_ITEMS,
    *jobs_ui.DYNAMIC_ITEMS,
    *moderation_ui.DYNAMIC_ITEMS,
    *resources_ui.DYNAMIC_ITEMS,
)


def build_intents() -> discord.Intents:
    """Only what the features use. Two are privileged and must be enabled in the developer portal:
    ``members`` (welcome newcomers, free an intervision seat when someone leaves, role checks on
    members not in cache) and ``message_content`` (the charter's automatic moderation reads text)."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.members = True
    intents.guild_messages = True
    intents.message_content = True
    intents.moderation = True  # ban and unban events keep case records true
    intents.guild_scheduled_events = True  # an intervision's event deleted by hand on Discord
    intents.dm_messages = True
    return intents


def apply_discord_endpoints(settings: Settings) -> None:
    """Point discord.py at another Discord-compatible server (the local double, Spacebar, …).

    discord.py keeps both endpoints as class attributes; they are touched only when they differ
    from Discord's own, so a normal run leaves the library exactly as shipped.
    """
    if settings.discord.api_base_url != DEFAULT_API_BASE_URL:
        discord.http.Route.BASE = settings.discord.api_base_url.rstrip("/")
    if settings.discord.gateway_url != DEFAULT_GATEWAY_URL:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord.gateway_url)


class ReconnectBackoff(discord.backoff.ExponentialBackoff):
    """discord.py's reconnect backoff with its random wait capped at 64 s instead of 1,024: after
    a ten-minute outage the stock one waits up to 17 minutes more (8 on average) before it even
    tries again, while Discord is long back. The wait stays random, so bots do not all come back
    at the same second."""

    MAX_EXPONENT = 6

    def __init__(self, base: int = 1, *, integral: bool = False) -> None:
        super().__init__(base, integral=integral)  # type: ignore[arg-type]
        self._max = self.MAX_EXPONENT


def cap_reconnect_backoff() -> None:
    """Used by the gateway reconnect loops of ``Client.connect`` and of each shard."""
    discord.client.ExponentialBackoff = ReconnectBackoff  # type: ignore[misc]
    discord.shard.ExponentialBackoff = ReconnectBackoff  # type: ignore[misc]


class OutageLog(logging.Filter):
    """discord.py logs every reconnect attempt as an error with a traceback: a long outage would
    flood the log with the same story. The first attempt of an outage becomes one warning; the
    others are dropped until ``back()`` (the bot says once when the connection returns)."""

    def __init__(self) -> None:
        super().__init__()
        self.reported = False

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith("Attempting a reconnect"):
            return True
        if self.reported:
            return False
        self.reported = True
        error = record.exc_info[1] if record.exc_info else None
        record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)
        record.msg = "connection to Discord lost (%s); reconnecting in the background, timers wait"
        record.args = (f"{type(error).__name__}: {error}"[:200] if error else "?",)
        record.exc_info, record.exc_text = None, None
        return True

    def back(self) -> bool:
        """The connection is back; whether an outage had been reported."""
        reported, self.reported = self.reported, False
        return reported


OUTAGE_LOG = OutageLog()


# A capability's look at every new message: called synchronously as the message arrives; returns
# None when it is done with it, or a coroutine for the rest (deleting, warning…) that the bot runs.
MessageHook = Callable[[discord.Message], Coroutine[Any, Any, object] | None]


class MessageHooks:
    """The capabilities' work on every new message, run by the bot without a task per listener.

    discord.py runs each ``on_message`` listener in an asyncio task of its own, for every message;
    on almost every message that work ends without awaiting anything (the automod finds nothing),
    and the task is most of its cost. A capability adds a hook here in ``cog_load`` (removes it in
    ``cog_unload``) instead of listening: the hooks look the message over in turn, at once, and only
    the follow-up work they return gets a task. A hook must not block: only in-memory work.
    """

    def __init__(self) -> None:
        self._hooks: list[MessageHook] = []

    def add(self, hook: MessageHook) -> None:
        if hook not in self._hooks:
            self._hooks.append(hook)

    def remove(self, hook: MessageHook) -> None:
        if hook in self._hooks:
            self._hooks.remove(hook)

    def __bool__(self) -> bool:
        return bool(self._hooks)

    def screen(self, message: discord.Message) -> list[Coroutine[Any, Any, object]]:
        """Every hook's look at ``message``; the follow-ups to run. A failing hook is logged like a
        failing listener and does not keep the next hooks from looking."""
        follow_ups = []
        for hook in tuple(self._hooks):  # a hook may remove itself (its cog unloading)
            try:
                follow_up = hook(message)
            except Exception:
                log.exception("error in event %s", "on_message")
                continue
            if follow_up is not None:
                follow_ups.append(follow_up)
        return follow_ups


async def _follow_up(pending: Coroutine[Any, Any, object]) -> None:
    await pending


class RelaisTree(app_commands.CommandTree["RelaisBot"]):
    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        command = interaction.command.qualified_name if interaction.command else "?"
        set_log_context(interaction, command)
        return True

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await self.client.report_error(interaction, error)


class RelaisBot(commands.Bot):
    def __init__(self, settings: Settings, *, catalog: i18n.Catalog | None = None) -> None:
        apply_discord_endpoints(settings)
        cap_reconnect_backoff()
        options: dict[str, Any] = {}
        if settings.discord.shard_count is not None:
            # 0 lets Discord recommend the count (GET /gateway/bot).
            options["shard_count"] = settings.discord.shard_count or None
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=build_intents(),
            allowed_mentions=NO_PINGS,
            tree_cls=RelaisTree,
            guild_ready_timeout=settings.discord.guild_ready_timeout,
            **options,
        )
        self.settings = settings
        self._heap_frozen = False
        self.catalog = catalog or i18n.Catalog.load(settings.config_dir)
        self.started_at = time.monotonic()
        self.db: Database | None = None
        self.timers: TimerService | None = None
        self._run_lock: run_lock.RunLock | None = None
        self._guild_locales: dict[int, str | None] = {}
        self.commands_synced = False
        # What capabilities offer each other and their buttons (see bot/services.py).
        self.services = Registry()
        # What capabilities do with every new message (see MessageHooks): no task per listener.
        self.message_hooks = MessageHooks()
        self._offline_since: float | None = None
        client_log = logging.getLogger("discord.client")
        if OUTAGE_LOG not in client_log.filters:
            client_log.addFilter(OUTAGE_LOG)
        self._handle_interaction_once()

    def _handle_interaction_once(self) -> None:
        """Discord delivers events at least once: a RESUME may replay an INTERACTION_CREATE already
        handled. Acting on it again would take back the « Utile » vote just given or answer « already
        shared » to the member who shared, and the second answer fails (40060, already acknowledged).
        One process sees every delivery of its sessions, so a memory of recent ids is enough; the
        parser table is discord.py's own, the one place every interaction (command, button, modal)
        passes through."""
        seen = events.RecentIds()
        parsers = self._connection.parsers
        parse = parsers["INTERACTION_CREATE"]

        def parse_first_delivery(data: Any) -> None:
            if seen.first_time(int(data["id"])):
                parse(data)
            else:
                log.info("interaction %s delivered twice: the repeat is ignored", data["id"])

        parsers["INTERACTION_CREATE"] = parse_first_delivery

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        if event_name == "message" and self.message_hooks:
            for pending in self.message_hooks.screen(args[0]):
                # Named and reported like a listener's task ("discord.py: on_message", on_error).
                self._schedule_event(_follow_up, "on_message", pending)
        super().dispatch(event_name, *args, **kwargs)

    # -- start-up and shutdown ----------------------------------------------------------------
    def _schedule_event(self, coro: Any, event_name: str, /, *args: Any, **kwargs: Any) -> Any:
        # Relais has slash commands only: discord.py's own on_message would look every message over
        # for a prefix command that does not exist (a task and a context per message for nothing,
        # and a CommandNotFound traceback when someone mentions the bot). The cogs' listeners still run.
        if (
            event_name == "on_message"
            and getattr(coro, "__func__", None) is commands.Bot.on_message
            and not self.all_commands
        ):
            return None
        return super()._schedule_event(coro, event_name, *args, **kwargs)

    async def setup_hook(self) -> None:
        await self.prepare()
        assert self.timers is not None
        # Handlers are registered by the cogs: only now may overdue timers be caught up.
        await self.timers.start()
        await self.sync_commands_if_changed()

    async def prepare(self) -> None:
        """Everything before the network: database, translator, extensions (and their views)."""
        # Held for the bot's whole life: ``relais db restore`` refuses to replace the file under it.
        self._run_lock = await asyncio.to_thread(run_lock.RunLock.acquire, self.settings.database.path)
        self.db = await Database.open(self.settings.database.path)
        self.timers = TimerService(self.db)
        self.timers.register(backups.BACKUP_KIND, backups.timer_handler(self.db, self.timers, self.settings))
        await backups.ensure_scheduled(self.timers, self.settings, timeutil.now())
        await self.tree.set_translator(RelaisTranslator(self.catalog))
        rows = await self.db.fetchall("SELECT guild_id, locale FROM guild_settings")
        self._guild_locales = {r["guild_id"]: r["locale"] for r in rows}
        self.add_dynamic_items(*PERSISTENT_ITEMS)
        for name in self.settings.cogs.enabled:
            await self.load_extension(f"cogs.{name}")

    async def close(self) -> None:
        # Order matters: no new timer fires, in-flight handlers finish, then the file is closed.
        if self.timers is not None:
            await self.timers.stop()
        await super().close()
        if self.db is not None:
            await self.db.close()
            self.db = None
        if self._run_lock is not None:
            self._run_lock.release()
            self._run_lock = None

    async def tree_payload(self) -> list[dict[str, Any]]:
        translator = self.tree.translator
        payload = []
        for command in self.tree.get_commands():
            if translator is not None:
                payload.append(await command.get_translated_payload(self.tree, translator))
            else:
                payload.append(command.to_dict(self.tree))
        return payload

    async def sync_commands_if_changed(self) -> bool:
        """Sync the command tree only when its payload changed: syncing is rate-limited and slow."""
        assert self.db is not None
        target = self.settings.discord.sync_guild_id
        payload = await self.tree_payload()
        digest = hashlib.sha256(
            json.dumps([target, payload], sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()
        if await self.db.get_meta(TREE_HASH_KEY) == digest:
            log.info("command tree unchanged, no sync")
            return False
        if target:
            guild = discord.Object(target)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)
        else:
            await self.tree.sync()
        await self.db.set_meta(TREE_HASH_KEY, digest)
        self.commands_synced = True
        log.info("command tree synced (%d commands)", len(payload))
        return True

    # -- language --------------------------------------------------------------------------------
    def locale_for(self, interaction: discord.Interaction | None = None, guild_id: int | None = None) -> str:
        user_locale = str(interaction.locale) if interaction is not None else None
        guild_id = guild_id if guild_id is not None else (interaction.guild_id if interaction else None)
        return i18n.pick_locale(user_locale, self._guild_locales.get(guild_id), self.settings.general.locale)

    def t(self, where: discord.Interaction | int | None, key: str, /, **params: Any) -> str:
        """Text for an interaction (its member's language) or a guild id (the guild's language)."""
        if isinstance(where, discord.Interaction):
            locale = self.locale_for(where)
        else:
            locale = self.locale_for(guild_id=where)
        return self.catalog.t(locale, key, **params)

    def texts(self, where: discord.Interaction | int | None) -> i18n.Translate:
        """The text lookup for an interaction (its member's language) or a guild id (the guild's)."""
        return lambda key, /, **params: self.t(where, key, **params)

    async def channel_or_fetch(self, channel_id: int | None) -> Any:
        """A channel or thread by id, asked of Discord when not cached (discord.py drops archived
        threads from its cache); ``None`` when it is gone or hidden from the bot."""
        if not channel_id:
            return None
        channel = self.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self.fetch_channel(channel_id)
            except (discord.NotFound, discord.Forbidden):
                return None
        return channel

    async def guild_config(self, guild_id: int) -> guild_config.GuildConfig:
        assert self.db is not None
        return await guild_config.get(self.db, guild_id)

    def remember_guild_locale(self, guild_id: int, locale: str | None) -> None:
        self._guild_locales[guild_id] = locale

    def timezone_name(self, config: guild_config.GuildConfig) -> str:
        return config.timezone_or(self.settings.general.timezone)

    # -- errors ----------------------------------------------------------------------------------
    async def report_error(self, interaction: discord.Interaction, error: BaseException) -> None:
        """Tell the member what happened and what to do next; log the unexpected with an incident id."""
        if self.is_closed():
            # Stopping (SIGTERM): the connection to Discord is closed, so whatever failed cannot be
            # answered; the member's next try reaches the restarted bot.
            log.info("interaction %s left unanswered: Relais is stopping", interaction.id)
            return
        original = getattr(error, "original", None) or error
        key, params = self._known_error(original)
        if key is None:
            incident = uuid.uuid4().hex[:8]
            command = (
                interaction.command.qualified_name
                if interaction.command
                else interaction.data and interaction.data.get("custom_id")
            )
            log.error(
                "incident %s: unexpected error (guild=%s user=%s command=%s)",
                incident,
                interaction.guild_id,
                interaction.user.id,
                command,
                exc_info=original,
            )
            key, params = "core.errors.unexpected", {"incident": incident}
        elif key == "core.errors.busy":
            log.warning("database locked by another process: nothing saved, the member was told")
        else:
            log.info("refused: %s %s", key, params)
        await send_ephemeral(interaction, self.t(interaction, key, **params))

    @staticmethod
    def _known_error(error: BaseException) -> tuple[str | None, dict[str, Any]]:
        if isinstance(error, UserError):
            return error.key, error.params
        if isinstance(error, app_commands.CommandOnCooldown):
            return "core.errors.cooldown", {"seconds": max(1, round(error.retry_after))}
        if isinstance(
            error, app_commands.MissingPermissions | app_commands.MissingRole | app_commands.MissingAnyRole
        ):
            return "core.errors.not_allowed", {}
        if isinstance(error, app_commands.BotMissingPermissions):
            return "core.errors.bot_missing_permissions", {
                "permissions": ", ".join(error.missing_permissions)
            }
        if isinstance(error, app_commands.NoPrivateMessage):
            return "core.errors.guild_only", {}
        if isinstance(error, app_commands.TransformerError):
            return "core.errors.bad_value", {"value": str(error.value)[:100]}
        if isinstance(error, app_commands.CheckFailure):
            return "core.errors.not_allowed", {}
        if isinstance(error, discord.Forbidden):
            return "core.errors.discord_forbidden", {}
        if is_locked(error):
            # Another process holds the file longer than the busy timeout: the statement was not
            # applied, the transaction was rolled back; the next try usually works.
            return "core.errors.busy", {}
        return None, {}

    # -- connection ------------------------------------------------------------------------------
    async def on_disconnect(self) -> None:
        if self._offline_since is None:
            self._offline_since = time.monotonic()
        if self.timers is not None:
            self.timers.pause()

    async def on_ready(self) -> None:
        self._back_online()
        if not self._heap_frozen:
            # Start-up leaves a large heap that lives as long as the bot (modules, charter, catalogs,
            # views, the guild and member caches). Frozen, it is no longer rescanned by every older-
            # generation collection, which under a burst of messages cost more than the automod
            # itself (bench/e2e.py). Garbage first, so only what is alive is frozen; once per process
            # life of this bot, not at every reconnection.
            self._heap_frozen = True
            gc.collect()
            gc.freeze()

    async def on_resumed(self) -> None:
        self._back_online()

    def _back_online(self) -> None:
        ws = getattr(self, "ws", None)
        if ws is not None and not ws.open:
            return  # a READY handled late, after its connection was already lost again
        if self.timers is not None:
            self.timers.resume()
        since, self._offline_since = self._offline_since, None
        if OUTAGE_LOG.back() and since is not None:
            log.info(
                "connection to Discord back after %.0f s; timers due meanwhile run now",
                time.monotonic() - since,
            )

    # -- events ----------------------------------------------------------------------------------
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        if self.db is not None:
            await guild_config.forget_channel(self.db, channel.guild.id, channel.id)

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        log.exception("error in event %s", event_method)

    def log_stats(self) -> None:
        """``kill -USR1 <pid>``: the figures a long run must keep flat (a leak shows here first)."""
        log.info(
            "stats: %d asyncio tasks, %d cached messages, %d guilds, up %.0f s",
            len(asyncio.all_tasks()),
            len(self.cached_messages),
            len(self.guilds),
            self.uptime(),
        )

    def uptime(self) -> float:
        return time.monotonic() - self.started_at


class ShardedRelaisBot(RelaisBot, commands.AutoShardedBot):
    """Relais split into shards in one process: how a Discord bot outgrows a single connection.

    Everything else stays single-node: the SQLite file is written by this one process.
    """


def create_bot(settings: Settings) -> RelaisBot:
    """The bot class the settings ask for: sharded only when ``discord.shard_count`` is set."""
    if settings.discord.shard_count is not None:
        return ShardedRelaisBot(settings)
    return RelaisBot(settings)


async def run_until_stopped(bot: RelaisBot, token: str) -> None:
    """Run the bot; SIGINT and SIGTERM close it cleanly (discord.py installs no SIGTERM handler)."""
    import signal

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, bot.log_stats)
    async with bot:
        runner = asyncio.create_task(bot.start(token, reconnect=True))
        waiter = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({runner, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if waiter in done:
            log.info("stop signal received, closing")
            await bot.close()
        waiter.cancel()
        await runner  # re-raises a login or intents failure for the caller
