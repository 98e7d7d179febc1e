"""What a healthy server looks like for Relais: each configured channel's audience, the bot's
permissions there, and which roles the bot hands out. The diagnostic checks a guild against it and
the assistant creates what is missing from it, so the two never disagree.

Permission names are discord.py's ``Permissions`` attribute names (``view_channel``…), kept as plain
strings so this module stays free of discord.py.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from bot.core import guild_config


class Audience(enum.Enum):
    # Only the moderation role (and the bot) may read: reports, the moderation log, the job queue.
    MODERATORS = "moderators"
    # Members who accepted the charter; hidden from @everyone when the guild uses the ``membre`` gate.
    MEMBERS = "members"
    # Pair-aidants only: intervisions are peer supervision among them.
    PAIR_AIDANTS = "pair_aidants"
    # Everyone reads, nobody but the bot writes: the charter must not drown in replies.
    EVERYONE_READ_ONLY = "everyone_read_only"
    # Everyone, newcomers included: the welcome channel, where care handoff threads start.
    EVERYONE = "everyone"


BASE_BOT_PERMISSIONS = ("view_channel", "send_messages", "embed_links", "read_message_history")


@dataclass(frozen=True, slots=True)
class ChannelNeed:
    purpose: str  # key of guild_config.CHANNEL_PURPOSES
    capability: str  # resources, jobs, intervisions, moderation, charter
    audience: Audience
    bot_permissions: tuple[str, ...]
    default_name: str  # lowercase, dashes: what the assistant creates when asked
    forum_allowed: bool = False


@dataclass(frozen=True, slots=True)
class RoleNeed:
    purpose: str  # key of guild_config.ROLE_PURPOSES
    capability: str
    default_name: str
    # The bot adds and removes this role itself, so Discord requires it below the bot's highest role.
    granted_by_bot: bool = False


CHANNELS: tuple[ChannelNeed, ...] = (
    ChannelNeed(
        "ressources",
        "resources",
        Audience.MEMBERS,
        BASE_BOT_PERMISSIONS + ("create_public_threads",),
        "ressources",
        forum_allowed=True,
    ),
    ChannelNeed(
        "offres",
        "jobs",
        Audience.MEMBERS,
        BASE_BOT_PERMISSIONS + ("create_public_threads",),
        "offres-emploi",
        forum_allowed=True,
    ),
    ChannelNeed("offres_moderation", "jobs", Audience.MODERATORS, BASE_BOT_PERMISSIONS, "offres-a-valider"),
    ChannelNeed(
        "intervisions",
        "intervisions",
        Audience.PAIR_AIDANTS,
        BASE_BOT_PERMISSIONS + ("create_private_threads", "send_messages_in_threads", "manage_threads"),
        "intervisions",
    ),
    ChannelNeed("modlog", "moderation", Audience.MODERATORS, BASE_BOT_PERMISSIONS, "journal-moderation"),
    ChannelNeed(
        "signalements",
        "moderation",
        Audience.MODERATORS,
        BASE_BOT_PERMISSIONS + ("add_reactions",),
        "signalements",
    ),
    ChannelNeed(
        "charte",
        "charter",
        Audience.EVERYONE_READ_ONLY,
        BASE_BOT_PERMISSIONS,
        "charte",
    ),
    ChannelNeed(
        "accueil",
        "charter",
        Audience.EVERYONE,
        BASE_BOT_PERMISSIONS + ("create_private_threads", "send_messages_in_threads"),
        "accueil",
    ),
)

ROLES: tuple[RoleNeed, ...] = (
    RoleNeed("moderation", "moderation", "Modération"),
    RoleNeed("membre", "charter", "Membre", granted_by_bot=True),
    RoleNeed("pair_aidant", "intervisions", "Pair-aidant·e"),
    RoleNeed("confiance", "resources", "Membre de confiance"),
    RoleNeed("ecoute", "charter", "Écoute"),
)

CAPABILITIES = ("charter", "moderation", "resources", "intervisions", "jobs")


def enabled_capabilities(enabled_cogs: Iterable[str]) -> frozenset[str]:
    """The capabilities a setup concerns among the extensions ``cogs.enabled`` loads."""
    return frozenset(enabled_cogs) & frozenset(CAPABILITIES)


CHANNEL_BY_PURPOSE = {need.purpose: need for need in CHANNELS}
ROLE_BY_PURPOSE = {need.purpose: need for need in ROLES}

# Every purpose /config knows has a need here, and nothing else: a new purpose must say its audience.
assert set(CHANNEL_BY_PURPOSE) == set(guild_config.CHANNEL_PURPOSES)
assert set(ROLE_BY_PURPOSE) == set(guild_config.ROLE_PURPOSES)
assert guild_config.FORUM_PURPOSES == {n.purpose for n in CHANNELS if n.forum_allowed}
