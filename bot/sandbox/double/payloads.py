"""Model objects rendered as Discord API v10 JSON.

Shapes follow discord.py's `types/` TypedDicts and the fields its parsers
read unconditionally (e.g. `attachment_size_limit` on interactions,
`thread_metadata` on threads), so the real client never meets a KeyError.
"""

from __future__ import annotations

from typing import Any

from .state import (
    Channel,
    ChannelType,
    Command,
    Guild,
    Member,
    Message,
    Role,
    ScheduledEvent,
    User,
    World,
)


class Intents:
    GUILDS = 1 << 0
    GUILD_MEMBERS = 1 << 1
    GUILD_MODERATION = 1 << 2
    GUILD_EXPRESSIONS = 1 << 3
    GUILD_INTEGRATIONS = 1 << 4
    GUILD_WEBHOOKS = 1 << 5
    GUILD_INVITES = 1 << 6
    GUILD_VOICE_STATES = 1 << 7
    GUILD_PRESENCES = 1 << 8
    GUILD_MESSAGES = 1 << 9
    GUILD_MESSAGE_REACTIONS = 1 << 10
    GUILD_MESSAGE_TYPING = 1 << 11
    DIRECT_MESSAGES = 1 << 12
    DIRECT_MESSAGE_REACTIONS = 1 << 13
    DIRECT_MESSAGE_TYPING = 1 << 14
    MESSAGE_CONTENT = 1 << 15
    GUILD_SCHEDULED_EVENTS = 1 << 16
    AUTO_MODERATION_CONFIGURATION = 1 << 20
    AUTO_MODERATION_EXECUTION = 1 << 21

    PRIVILEGED = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT


def sid(value: int | None) -> str | None:
    return None if value is None else str(value)


def user(u: User) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(u.id),
        "username": u.username,
        "discriminator": "0",
        "global_name": u.global_name,
        "avatar": u.avatar,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
        "primary_guild": None,
        "collectibles": None,
    }
    if u.bot:
        data["bot"] = True
    if u.system:
        data["system"] = True
    return data


def member(world: World, m: Member, *, with_user: bool = True, guild_id: int | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "nick": m.nick,
        "avatar": None,
        "banner": None,
        "roles": [str(r) for r in m.roles],
        "joined_at": m.joined_at,
        "premium_since": None,
        "deaf": m.deaf,
        "mute": m.mute,
        "flags": m.flags,
        "pending": m.pending,
        "communication_disabled_until": m.communication_disabled_until,
        "avatar_decoration_data": None,
    }
    if with_user:
        data["user"] = user(world.users[m.user_id])
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    return data


def role(r: Role) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(r.id),
        "name": r.name,
        "color": r.color,
        "colors": {"primary_color": r.color, "secondary_color": None, "tertiary_color": None},
        "hoist": r.hoist,
        "icon": None,
        "unicode_emoji": None,
        "position": r.position,
        "permissions": str(r.permissions),
        "managed": r.managed,
        "mentionable": r.mentionable,
        "flags": r.flags,
    }
    if r.tags is not None:
        data["tags"] = dict(r.tags)
    return data


def overwrites(c: Channel) -> list[dict[str, Any]]:
    return [
        {"id": str(o.id), "type": o.type, "allow": str(o.allow), "deny": str(o.deny)} for o in c.overwrites
    ]


def thread_member(
    channel: Channel, user_id: int, world: World | None = None, guild: Guild | None = None
) -> dict:
    tm = channel.members[user_id]
    data: dict[str, Any] = {
        "id": str(channel.id),
        "user_id": str(user_id),
        "join_timestamp": tm.join_timestamp,
        "flags": tm.flags,
    }
    if world is not None and guild is not None and user_id in guild.members:
        data["member"] = member(world, guild.members[user_id])
    return data


def channel(world: World, c: Channel, *, bot_member: bool = False) -> dict[str, Any]:
    if c.type == ChannelType.DM:
        return {
            "id": str(c.id),
            "type": c.type,
            "last_message_id": sid(c.last_message_id),
            "flags": c.flags,
            "recipients": [user(world.users[u]) for u in c.recipient_ids],
        }
    if c.is_thread:
        data: dict[str, Any] = {
            "id": str(c.id),
            "guild_id": str(c.guild_id),
            "parent_id": str(c.parent_id),
            "owner_id": str(c.owner_id),
            "type": c.type,
            "name": c.name,
            "last_message_id": sid(c.last_message_id),
            "rate_limit_per_user": c.rate_limit_per_user,
            "message_count": c.message_count,
            "member_count": len(c.members),
            "total_message_sent": c.total_message_sent,
            "flags": c.flags,
            "applied_tags": [str(t) for t in c.applied_tags],
            "thread_metadata": {
                "archived": c.archived,
                "auto_archive_duration": c.auto_archive_duration,
                "archive_timestamp": c.archive_timestamp,
                "locked": c.locked,
                "invitable": c.invitable,
                "create_timestamp": c.create_timestamp,
            },
        }
        if bot_member and world.bot_user_id in c.members:
            data["member"] = thread_member(c, world.bot_user_id)
        return data
    data = {
        "id": str(c.id),
        "type": c.type,
        "guild_id": sid(c.guild_id),
        "name": c.name,
        "position": c.position,
        "permission_overwrites": overwrites(c),
        "parent_id": sid(c.parent_id),
        "nsfw": c.nsfw,
        "flags": c.flags,
    }
    if c.type in (ChannelType.GUILD_TEXT, ChannelType.GUILD_ANNOUNCEMENT, ChannelType.GUILD_FORUM, 16):
        data["topic"] = c.topic
        data["rate_limit_per_user"] = c.rate_limit_per_user
        data["last_message_id"] = sid(c.last_message_id)
        data["default_auto_archive_duration"] = c.default_auto_archive_duration or 4320
        data["default_thread_rate_limit_per_user"] = c.default_thread_rate_limit_per_user
    if c.type in (ChannelType.GUILD_VOICE, ChannelType.GUILD_STAGE_VOICE):
        data.update(
            bitrate=c.bitrate,
            user_limit=c.user_limit,
            rtc_region=None,
            video_quality_mode=1,
            last_message_id=sid(c.last_message_id),
            rate_limit_per_user=c.rate_limit_per_user,
        )
    if c.type in (ChannelType.GUILD_FORUM, ChannelType.GUILD_MEDIA):
        data.update(
            available_tags=[dict(t) for t in c.available_tags],
            default_reaction_emoji=c.default_reaction_emoji,
            default_sort_order=c.default_sort_order,
            default_forum_layout=c.default_forum_layout,
        )
    return data


def resolved_channel(world: World, guild: Guild, c: Channel, for_user: int) -> dict[str, Any]:
    """The partial channel of an interaction's `resolved.channels` (permissions of the invoker)."""
    perms = str(guild.permissions_in(for_user, c))
    if c.is_thread:
        data = channel(world, c)
        data["permissions"] = perms
        return data
    return {
        "id": str(c.id),
        "name": c.name,
        "type": c.type,
        "permissions": perms,
        "parent_id": sid(c.parent_id),
    }


def reactions(world: World, m: Message, me: int) -> list[dict[str, Any]]:
    out = []
    for emoji, users in m.reactions.values():
        if not users:
            continue
        out.append(
            {
                "count": len(users),
                "count_details": {"burst": 0, "normal": len(users)},
                "me": me in users,
                "me_burst": False,
                "burst_me": False,
                "emoji": dict(emoji),
                "burst_colors": [],
            }
        )
    return out


def message(world: World, m: Message, *, with_member: bool = True) -> dict[str, Any]:
    author = world.users.get(m.author_id)
    guild = world.guilds.get(m.guild_id or 0)
    data: dict[str, Any] = {
        "id": str(m.id),
        "channel_id": str(m.channel_id),
        "author": user(author) if author else {"id": str(m.author_id), "username": "?", "discriminator": "0"},
        "content": m.content,
        "timestamp": m.timestamp,
        "edited_timestamp": m.edited_timestamp,
        "tts": m.tts,
        "mention_everyone": m.mention_everyone,
        "mentions": [],
        "mention_roles": [str(r) for r in m.mention_roles],
        "attachments": [dict(a) for a in m.attachments],
        "embeds": [dict(e) for e in m.embeds],
        "pinned": m.pinned,
        "type": m.type,
        "flags": m.flags,
        "components": [dict(c) for c in m.components],
    }
    if m.reactions:
        data["reactions"] = reactions(world, m, world.bot_user_id)
    for uid in m.mentions:
        u = world.users.get(uid)
        if u is None:
            continue
        mention = user(u)
        if guild is not None and uid in guild.members:
            mention["member"] = member(world, guild.members[uid], with_user=False)
        data["mentions"].append(mention)
    if guild is not None:
        data["guild_id"] = str(guild.id)
        if with_member and m.author_id in guild.members and m.webhook_id is None:
            data["member"] = member(world, guild.members[m.author_id], with_user=False)
    if m.webhook_id is not None:
        data["webhook_id"] = str(m.webhook_id)
    if m.application_id is not None:
        data["application_id"] = str(m.application_id)
    if m.interaction_metadata is not None:
        data["interaction_metadata"] = dict(m.interaction_metadata)
    if m.message_reference is not None:
        data["message_reference"] = dict(m.message_reference)
        ref_id = int(m.message_reference.get("message_id") or 0)
        ref = world.messages.get(ref_id)
        if m.type == 19:
            data["referenced_message"] = (
                message(world, ref, with_member=False) if ref is not None and not ref.deleted else None
            )
    if m.nonce is not None:
        data["nonce"] = m.nonce
    if m.poll is not None:
        data["poll"] = m.poll
    if m.thread_id is not None and guild is not None and m.thread_id in guild.channels:
        data["thread"] = channel(world, guild.channels[m.thread_id])
    channel_obj = world.channel(m.channel_id)
    if channel_obj is not None and channel_obj.is_thread:
        data["position"] = max(0, channel_obj.total_message_sent - 1)
    return data


def strip_content(data: dict[str, Any]) -> dict[str, Any]:
    """What a bot without the MESSAGE_CONTENT intent receives (Discord empties these fields)."""
    data = dict(data)
    data.update(content="", embeds=[], attachments=[], components=[])
    data.pop("poll", None)
    return data


def scheduled_event(world: World, e: ScheduledEvent, *, with_count: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(e.id),
        "guild_id": str(e.guild_id),
        "channel_id": sid(e.channel_id),
        "creator_id": sid(e.creator_id),
        "name": e.name,
        "description": e.description,
        "scheduled_start_time": e.scheduled_start_time,
        "scheduled_end_time": e.scheduled_end_time,
        "privacy_level": e.privacy_level,
        "status": e.status,
        "entity_type": e.entity_type,
        "entity_id": sid(e.entity_id),
        "entity_metadata": e.entity_metadata,
        "image": e.image,
        "recurrence_rule": e.recurrence_rule,
    }
    if e.creator_id is not None and e.creator_id in world.users:
        data["creator"] = user(world.users[e.creator_id])
    if with_count:
        data["user_count"] = len(e.user_ids)
    return data


def command(c: Command) -> dict[str, Any]:
    data = dict(c.raw)
    data.update(
        id=str(c.id),
        application_id=str(c.application_id),
        version=str(c.version),
        type=c.type,
        name=c.name,
        description=c.description,
        options=c.options,
        default_member_permissions=c.default_member_permissions,
        nsfw=c.nsfw,
    )
    data.setdefault("dm_permission", c.dm_permission if c.dm_permission is not None else True)
    data.setdefault("contexts", c.contexts)
    data.setdefault("integration_types", c.integration_types or [0])
    if c.guild_id is not None:
        data["guild_id"] = str(c.guild_id)
    return data


def presence(world: World, guild: Guild, m: Member) -> dict[str, Any]:
    return {
        "user": {"id": str(m.user_id)},
        "guild_id": str(guild.id),
        "status": m.status,
        "activities": [],
        "client_status": {"desktop": m.status} if m.status != "offline" else {},
    }


def guild_create(world: World, guild: Guild, intents: int) -> dict[str, Any]:
    """GUILD_CREATE as a bot with these intents receives it.

    Without GUILD_MEMBERS Discord only sends the bot's own member, and
    without GUILD_PRESENCES no presences: mirroring that keeps a bot that
    forgot an intent failing here the way it would in production.
    """
    if intents & Intents.GUILD_MEMBERS:
        members = list(guild.members.values())
    else:
        members = [m for m in guild.members.values() if m.user_id == world.bot_user_id]
    data: dict[str, Any] = {
        "id": str(guild.id),
        "name": guild.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "owner_id": str(guild.owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": guild.verification_level,
        "default_message_notifications": 1,
        "explicit_content_filter": 2,
        "roles": [role(r) for r in guild.roles.values()],
        "emojis": [],
        "stickers": [],
        "features": list(guild.features),
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": sid(guild.system_channel_id),
        "system_channel_flags": 0,
        "rules_channel_id": sid(guild.rules_channel_id),
        "public_updates_channel_id": sid(guild.rules_channel_id),
        "safety_alerts_channel_id": None,
        "max_members": 500000,
        "max_video_channel_users": 25,
        "vanity_url_code": None,
        "description": guild.description,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": guild.preferred_locale,
        "nsfw_level": 0,
        "nsfw": False,
        "premium_progress_bar_enabled": False,
        "incidents_data": None,
        "joined_at": guild.members[world.bot_user_id].joined_at
        if world.bot_user_id in guild.members
        else None,
        "large": len(guild.members) > 250,
        "unavailable": False,
        "lazy": True,
        "member_count": len(guild.members),
        "voice_states": [],
        "members": [member(world, m) for m in members],
        "channels": [channel(world, c) for c in guild.channels.values() if not c.is_thread],
        "threads": [channel(world, c, bot_member=True) for c in guild.threads() if not c.archived],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [scheduled_event(world, e) for e in guild.scheduled_events.values()],
        "soundboard_sounds": [],
    }
    if intents & Intents.GUILD_PRESENCES:
        data["presences"] = [presence(world, guild, m) for m in members if m.status != "offline"]
    return data


def guild_rest(world: World, guild: Guild, *, with_counts: bool = False) -> dict[str, Any]:
    """GET /guilds/{id}: the guild object without gateway-only fields."""
    data = guild_create(world, guild, 0)
    for key in (
        "joined_at",
        "large",
        "unavailable",
        "lazy",
        "member_count",
        "voice_states",
        "members",
        "channels",
        "threads",
        "presences",
        "stage_instances",
        "guild_scheduled_events",
        "soundboard_sounds",
    ):
        data.pop(key, None)
    if with_counts:
        data["approximate_member_count"] = len(guild.members)
        data["approximate_presence_count"] = sum(1 for m in guild.members.values() if m.status != "offline")
    return data


def application(world: World) -> dict[str, Any]:
    bot = world.bot
    return {
        "id": str(world.application_id),
        "name": bot.username,
        "icon": None,
        "description": "Relais (bac à sable)",
        "summary": "",
        "type": None,
        "rpc_origins": [],
        "bot_public": False,
        "bot_require_code_grant": False,
        "bot": user(bot),
        "verify_key": "0" * 64,
        "flags": (1 << 13) | (1 << 15) | (1 << 19),  # gateway members/presence/content "limited"
        "owner": user(world.users[next(iter(world.guilds.values())).owner_id]) if world.guilds else user(bot),
        "team": None,
        "terms_of_service_url": None,
        "privacy_policy_url": None,
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "tags": [],
        "install_params": None,
        "custom_install_url": None,
        "integration_types_config": {"0": {}},
        "approximate_guild_count": len(world.guilds),
        "approximate_user_install_count": 0,
        "redirect_uris": [],
    }
