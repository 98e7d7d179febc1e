"""The scripted tour of ``relais sandbox``: scenes played by seeded members, told in French.

Each capability adds one module here with ``async def play(tour: Tour) -> None`` and lists it in
``SCENES``. A scene acts through the driver exactly as members would (slash commands, buttons,
modals, messages) and the tour prints what they did and what the bot answered or posted.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import re
import textwrap
from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo

from bot.sandbox.harness import Sandbox

# Modules played in this order; each defines ``async def play(tour)``.
SCENES: tuple[str, ...] = (
    "bot.sandbox.tour.foundation",
    "bot.sandbox.tour.charter",
    "bot.sandbox.tour.moderation",
    "bot.sandbox.tour.intervisions",
    "bot.sandbox.tour.jobs",
    "bot.sandbox.tour.resources",
)

SETTLE_SECONDS = 0.3
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


class Tour:
    def __init__(self, sandbox: Sandbox, write: Callable[[str], None] = print) -> None:
        self.sandbox = sandbox
        self.driver = sandbox.driver
        self.write = write
        self._seen: set[int] = set(self.driver.world.messages)

    def enabled(self, capability: str) -> bool:
        """Whether the bot runs that capability (``cogs.enabled``): its scene is skipped otherwise."""
        bot = self.sandbox.bot
        return bot is not None and f"cogs.{capability}" in bot.extensions

    # -- narration ---------------------------------------------------------------------------
    def scene(self, title: str) -> None:
        self.write("")
        self.write(f"━━ {title} ━━")

    def narrate(self, text: str) -> None:
        self.write(textwrap.fill(text, width=100, initial_indent="  ", subsequent_indent="  "))

    def name(self, who: Any) -> str:
        user = self.driver.user(who)
        return user.global_name or user.username

    async def act(self, who: Any, what: str, action: Callable[[], Awaitable[Any]]) -> Any:
        """Perform ``action`` as ``who``, then tell everything the bot answered or posted."""
        self.write(f"▶ {self.name(who)} {what}")
        result = await action()
        if hasattr(result, "wait"):
            try:
                await result.wait(timeout=10)
            except Exception as exc:  # the transcript must say so, not crash
                self.write(f"  ⚠ pas de réponse : {exc}")
        await asyncio.sleep(SETTLE_SECONDS)
        self.show_new_messages()
        return result

    async def settle(self, seconds: float = SETTLE_SECONDS) -> None:
        await asyncio.sleep(seconds)
        self.show_new_messages()

    # -- rendering ---------------------------------------------------------------------------
    def show_new_messages(self) -> None:
        world = self.driver.world
        bot_id = world.bot_user_id
        for message_id in sorted(set(world.messages) - self._seen):
            self._seen.add(message_id)
            message = world.messages[message_id]
            if message.author_id != bot_id or message.deleted:
                continue
            self.write(f"  ◀ Relais {self.where(message)} :")
            for line in render_message(message):
                self.write("     " + self.humanize(line))

    def humanize(self, text: str) -> str:
        """Mentions as a member would read them in Discord: #salon, @Rôle, @Personne."""
        world, guild = self.driver.world, self.sandbox.double.guild

        def channel(match: re.Match[str]) -> str:
            found = world.channel(int(match.group(1)))
            return f"#{found.name}" if found else match.group(0)

        def role(match: re.Match[str]) -> str:
            found = guild.roles.get(int(match.group(1)))
            return f"@{found.name}" if found else match.group(0)

        def user(match: re.Match[str]) -> str:
            found = world.users.get(int(match.group(1)))
            return f"@{found.global_name or found.username}" if found else match.group(0)

        def timestamp(match: re.Match[str]) -> str:
            moment = dt.datetime.fromtimestamp(int(match.group(1)), ZoneInfo("Europe/Brussels"))
            if match.group(2) == "R":
                days = (moment - dt.datetime.now(moment.tzinfo)).days
                return f"dans {days} jours" if days >= 0 else f"il y a {-days} jours"
            return (
                f"{moment.day} {MONTHS[moment.month - 1]} {moment.year} à {moment.hour}h{moment.minute:02d}"
            )

        text = re.sub(r"<t:(\d+)(?::(\w))?>", timestamp, text)
        text = re.sub(r"<#(\d+)>", channel, text)
        text = re.sub(r"<@&(\d+)>", role, text)
        return re.sub(r"<@!?(\d+)>", user, text)

    def where(self, message: Any) -> str:
        world = self.driver.world
        if message.ephemeral_for:
            return f"(visible seulement par {self.name(message.ephemeral_for)})"
        channel = world.channel(message.channel_id)
        if channel is None:
            return "(salon inconnu)"
        if channel.recipient_ids:
            others = [uid for uid in channel.recipient_ids if uid != world.bot_user_id]
            return f"en message privé à {self.name(others[0])}" if others else "en message privé"
        if channel.parent_id and channel.type in (10, 11, 12):
            return f"dans le fil « {channel.name} »"
        return f"dans #{channel.name}"


def render_message(message: Any) -> list[str]:
    lines: list[str] = []
    for paragraph in (message.content or "").splitlines():
        lines += textwrap.wrap(paragraph, width=95) or [""]
    for embed in message.embeds:
        if embed.get("title"):
            lines.append(f"┃ {embed['title']}")
        if embed.get("description"):
            wrapped = [
                w for p in embed["description"].splitlines() for w in (textwrap.wrap(p, width=92) or [""])
            ]
            lines += ["┃ " + line for line in wrapped[:8]]
        for fld in embed.get("fields", [])[:10]:
            value = [
                w for p in str(fld.get("value")).splitlines() for w in (textwrap.wrap(p, width=88) or [""])
            ]
            lines.append(f"┃ {fld.get('name')} :")
            lines += ["┃   " + line for line in value[:6]]
    buttons = [
        component.get("label") or component.get("placeholder") or component.get("custom_id")
        for row in message.components
        for component in row.get("components", [])
    ]
    if buttons:
        lines.append("  " + "  ".join(f"[{label}]" for label in buttons))
    for attachment in message.attachments:
        lines.append(f"📎 {attachment.get('filename')}")
    return lines


async def play_all(sandbox: Sandbox, write: Callable[[str], None] = print) -> Tour:
    tour = Tour(sandbox, write)
    for name in SCENES:
        await importlib.import_module(name).play(tour)
    return tour
