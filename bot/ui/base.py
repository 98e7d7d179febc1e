"""Replies, and base views/modals whose errors reach the tree-wide handler instead of vanishing."""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import discord

from bot.core import logs
from bot.core.errors import NotAllowed

log = logging.getLogger(__name__)
NO_PINGS = discord.AllowedMentions.none()
F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


async def send_ephemeral(interaction: discord.Interaction, content: str | None = None, **kwargs: Any) -> None:
    """Answer privately, whether or not the interaction was already answered or deferred."""
    kwargs.setdefault("allowed_mentions", NO_PINGS)
    try:
        if interaction.response.is_done():
            await interaction.followup.send(content, ephemeral=True, **kwargs)
        else:
            try:
                await interaction.response.send_message(content, ephemeral=True, **kwargs)
            except discord.HTTPException as exc:
                if exc.code != 40060:  # acknowledged elsewhere (another shard, a race): follow up
                    raise
                await interaction.followup.send(content, ephemeral=True, **kwargs)
    except discord.NotFound:
        # Unknown interaction (10062): the 3-second window passed; nothing left to answer.
        log.warning("interaction %s expired before it could be answered", interaction.id)
    except discord.HTTPException:
        log.warning("could not answer interaction %s", interaction.id, exc_info=True)


def set_log_context(interaction: discord.Interaction, what: str) -> None:
    logs.command_context.set(f"[guild={interaction.guild_id} user={interaction.user.id} cmd={what}] ")


async def report(interaction: discord.Interaction, error: BaseException) -> None:
    handler = getattr(interaction.client, "report_error", None)
    if handler is None:  # a bare client in a test: keep the traceback visible
        log.error("unhandled error in interaction %s", interaction.id, exc_info=error)
        return
    await handler(interaction, error)


def guarded(callback: F) -> F:
    """For DynamicItem callbacks, which discord.py only logs on failure: route errors to the handler."""

    @functools.wraps(callback)
    async def wrapper(self: Any, interaction: discord.Interaction, *args: Any, **kwargs: Any) -> Any:
        set_log_context(interaction, f"component:{getattr(self, 'custom_id', '?')}")
        try:
            return await callback(self, interaction, *args, **kwargs)
        except Exception as error:  # every failure must reach the user as a kind message
            await report(interaction, error)
            return None

    return wrapper  # type: ignore[return-value]


class RelaisView(discord.ui.View):
    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        set_log_context(interaction, f"view:{type(self).__name__}")
        return True

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await report(interaction, error)


class RelaisModal(discord.ui.Modal):
    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        set_log_context(interaction, f"modal:{type(self).__name__}")
        return True

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        await report(interaction, error)


MODAL_TIMEOUT = 900  # Discord's interaction token lasts 15 minutes: a form left open longer is dead anyway


class OwnedModal(RelaisModal):
    """A modal bound to one opening: its ``custom_id`` is unique, so discord.py (which stores modals
    by ``custom_id`` alone) never hands one person's submission to another person's modal, and
    only the person who opened it may submit it. The object it was opened for lives in the
    ``on_submit`` callback given by the opener, which re-checks permissions at submit time.

    ``kind`` names the form within its capability (``"moderation:warn_modal"``); ``not_yours_key``
    is the text shown to anyone else who submits it."""

    def __init__(
        self, *, title: str, kind: str, opener_id: int, not_yours_key: str, timeout: float = MODAL_TIMEOUT
    ) -> None:
        super().__init__(title=title, custom_id=f"relais:{kind}:{uuid.uuid4().hex}", timeout=timeout)
        self.opener_id = opener_id
        self.not_yours_key = not_yours_key

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        await super().interaction_check(interaction)
        if interaction.user.id != self.opener_id:
            raise NotAllowed(self.not_yours_key)
        return True
