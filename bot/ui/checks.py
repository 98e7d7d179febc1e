"""Who may do what: shared role and hierarchy checks for the cogs (they raise UserError)."""

from __future__ import annotations

import discord

from bot.core.errors import NotAllowed, UserError
from bot.core.guild_config import (
    DANGEROUS_PERMISSIONS,
    MODERATION_POWERS,
    PRIVATE_CHANNEL_PURPOSES,
    GuildConfig,
)


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


# -- what /config and the setup assistant may map -------------------------------------------------


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


def _code_names(names: list[str]) -> str:
    return ", ".join(f"`{n}`" for n in names)


def has_moderation_powers(member: discord.Member) -> bool:
    perms = member.guild_permissions
    return perms.administrator or all(getattr(perms, p) for p in MODERATION_POWERS)


def require_moderation_powers(caller: discord.Member, key: str) -> None:
    """Refuse with ``key`` (whose ``{permissions}`` lists what is missing) unless the caller holds every
    moderation power Relais exercises."""
    if not has_moderation_powers(caller):
        missing = [p for p in MODERATION_POWERS if not getattr(caller.guild_permissions, p)]
        raise UserError(key, permissions=_code_names(missing))


def check_role_grant(caller: discord.Member, role: discord.Role, purpose: str) -> None:
    """Refuse a mapping that would hand the caller (or members) more than the caller already holds.

    Judged on the caller's permissions in this interaction, so a role removed a second ago counts.
    """
    if purpose == "moderation":
        require_moderation_powers(caller, "core.config.moderation_role_needs_powers")
        return
    dangerous = [p for p in DANGEROUS_PERMISSIONS if getattr(role.permissions, p)]
    if dangerous:
        raise UserError("core.config.role_too_powerful", role=role.name, permissions=_code_names(dangerous))


def check_channel_grant(caller: discord.Member, channel: discord.abc.GuildChannel, purpose: str) -> None:
    """Reports and the moderation log reveal what only moderators may read: same powers, private channel."""
    if purpose not in PRIVATE_CHANNEL_PURPOSES:
        return
    require_moderation_powers(caller, "core.config.private_channel_needs_powers")
    if channel.permissions_for(channel.guild.default_role).view_channel:
        raise UserError("core.config.private_channel_is_public", channel=channel.mention)


MODERATOR_AUDIENCE = "moderators"


def for_moderators() -> dict[str, str]:
    """``extras`` of a command Discord shows to everyone but whose handler lets only moderators act
    (``require_moderator``): /aide then lists it to moderators only."""
    return {"audience": MODERATOR_AUDIENCE}


def for_moderators_only(command: object) -> bool:
    return (getattr(command, "extras", None) or {}).get("audience") == MODERATOR_AUDIENCE
