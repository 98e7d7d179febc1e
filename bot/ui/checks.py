"""Who may do what: shared role and hierarchy checks for the cogs (they raise UserError)."""

from __future__ import annotations

import discord

from bot.core.errors import NotAllowed
from bot.core.guild_config import GuildConfig


def has_configured_role(member: discord.Member, config: GuildConfig, purpose: str) -> bool:
    role_id = config.role(purpose)
    return role_id is not None and member.get_role(role_id) is not None


def is_moderator(member: discord.Member, config: GuildConfig) -> bool:
    """The configured moderator role, or Discord's own moderation permission, makes a moderator."""
    perms = member.guild_permissions
    return perms.administrator or perms.manage_messages or has_configured_role(member, config, "moderation")


def require_moderator(member: discord.Member, config: GuildConfig) -> None:
    if not is_moderator(member, config):
        raise NotAllowed("core.errors.moderators_only")


def require_can_act_on(actor: discord.Member, target: discord.Member, me: discord.Member) -> None:
    """Refuse actions on the owner, the bot, or anyone at or above the actor's or the bot's top role."""
    guild = actor.guild
    if target.id == guild.owner_id:
        raise NotAllowed("core.errors.target_is_owner")
    if target.id == me.id:
        raise NotAllowed("core.errors.target_is_bot")
    if target.id == actor.id:
        raise NotAllowed("core.errors.target_is_self")
    if actor.id != guild.owner_id and target.top_role >= actor.top_role:
        raise NotAllowed("core.errors.target_above_actor", member=target.display_name)
    if target.top_role >= me.top_role:
        raise NotAllowed("core.errors.target_above_bot", member=target.display_name)


MODERATOR_AUDIENCE = "moderators"


def for_moderators() -> dict[str, str]:
    """``extras`` of a command Discord shows to everyone but whose handler lets only moderators act
    (``require_moderator``): /aide then lists it to moderators only."""
    return {"audience": MODERATOR_AUDIENCE}


def for_moderators_only(command: object) -> bool:
    return (getattr(command, "extras", None) or {}).get("audience") == MODERATOR_AUDIENCE
