"""In-memory model of the slice of Discord the double serves.

The model stores plain Python objects, never JSON: `payloads.py` renders them
exactly as Discord would, so the same object can be rendered for a gateway
event, a REST answer or an interaction's `resolved` block without drift.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

DISCORD_EPOCH_MS = 1420070400000


class P:
    """Permission bits (Discord's documented values) used by the double's checks."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_AUDIT_LOG = 1 << 7
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    CONNECT = 1 << 20
    SPEAK = 1 << 21
    CHANGE_NICKNAME = 1 << 26
    MANAGE_NICKNAMES = 1 << 27
    MANAGE_ROLES = 1 << 28
    MANAGE_WEBHOOKS = 1 << 29
    USE_APPLICATION_COMMANDS = 1 << 31
    MANAGE_EVENTS = 1 << 33
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    SEND_MESSAGES_IN_THREADS = 1 << 38
    MODERATE_MEMBERS = 1 << 40

    ALL = (1 << 51) - 1
    # What a freshly created @everyone role gets on a real guild.
    EVERYONE_DEFAULT = (
        CREATE_INSTANT_INVITE
        | ADD_REACTIONS
        | VIEW_CHANNEL
        | SEND_MESSAGES
        | EMBED_LINKS
        | ATTACH_FILES
        | READ_MESSAGE_HISTORY
        | USE_EXTERNAL_EMOJIS
        | CONNECT
        | SPEAK
        | CHANGE_NICKNAME
        | USE_APPLICATION_COMMANDS
        | CREATE_PUBLIC_THREADS
        | CREATE_PRIVATE_THREADS
        | SEND_MESSAGES_IN_THREADS
    )


class ChannelType:
    GUILD_TEXT = 0
    DM = 1
    GUILD_VOICE = 2
    GUILD_CATEGORY = 4
    GUILD_ANNOUNCEMENT = 5
    ANNOUNCEMENT_THREAD = 10
    PUBLIC_THREAD = 11
    PRIVATE_THREAD = 12
    GUILD_STAGE_VOICE = 13
    GUILD_FORUM = 15
    GUILD_MEDIA = 16

    THREADS = (10, 11, 12)


def iso(ts: dt.datetime | None = None) -> str:
    """Discord's timestamp format (ISO 8601 with microseconds and +00:00)."""
    ts = ts or dt.datetime.now(dt.UTC)
    return ts.astimezone(dt.UTC).isoformat()


def parse_iso(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def snowflake_time(snowflake: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, dt.UTC)


class SnowflakeFactory:
    """Time-based, strictly increasing ids.

    Real ids encode their creation time and discord.py relies on it (history
    pagination, `purge` refusing messages older than 14 days), so new objects
    get genuine snowflakes rather than a plain counter.
    """

    def __init__(self) -> None:
        self._last = 0
        self._worker = itertools.count()

    def __call__(self) -> int:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        candidate = (ms << 22) | (1 << 17) | (next(self._worker) & 0xFFF)
        if candidate <= self._last:
            candidate = self._last + 1
        self._last = candidate
        return candidate


@dataclass
class User:
    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    avatar: str | None = None
    system: bool = False
    # Mirrors a user's "allow DMs from server members" privacy switch.
    accepts_dms: bool = True
    short_name: str | None = None


@dataclass
class Member:
    user_id: int
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = field(default_factory=iso)
    communication_disabled_until: str | None = None
    pending: bool = False
    flags: int = 0
    deaf: bool = False
    mute: bool = False
    status: str = "online"

    def timed_out(self) -> bool:
        until = self.communication_disabled_until
        return until is not None and parse_iso(until) > dt.datetime.now(dt.UTC)


@dataclass
class Role:
    id: int
    name: str
    permissions: int = 0
    position: int = 0
    color: int = 0
    hoist: bool = False
    managed: bool = False
    mentionable: bool = False
    tags: dict[str, Any] | None = None
    flags: int = 0


@dataclass
class Overwrite:
    id: int
    type: int  # 0 role, 1 member
    allow: int = 0
    deny: int = 0


@dataclass
class ThreadMember:
    user_id: int
    join_timestamp: str = field(default_factory=iso)
    flags: int = 0


@dataclass
class Channel:
    id: int
    type: int
    name: str | None = None
    guild_id: int | None = None
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    nsfw: bool = False
    overwrites: list[Overwrite] = field(default_factory=list)
    rate_limit_per_user: int = 0
    bitrate: int = 64000
    user_limit: int = 0
    last_message_id: int | None = None
    last_pin_timestamp: str | None = None
    flags: int = 0
    # DM only
    recipient_ids: list[int] = field(default_factory=list)
    # threads only
    owner_id: int | None = None
    archived: bool = False
    locked: bool = False
    invitable: bool = True
    auto_archive_duration: int = 4320
    archive_timestamp: str = field(default_factory=iso)
    create_timestamp: str | None = None
    members: dict[int, ThreadMember] = field(default_factory=dict)
    message_count: int = 0
    total_message_sent: int = 0
    applied_tags: list[int] = field(default_factory=list)
    # forum only
    available_tags: list[dict[str, Any]] = field(default_factory=list)
    default_auto_archive_duration: int | None = None
    default_reaction_emoji: dict[str, Any] | None = None
    default_sort_order: int | None = None
    default_forum_layout: int = 0
    default_thread_rate_limit_per_user: int = 0

    @property
    def is_thread(self) -> bool:
        return self.type in ChannelType.THREADS


@dataclass
class Message:
    id: int
    channel_id: int
    author_id: int
    content: str = ""
    guild_id: int | None = None
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    mentions: list[int] = field(default_factory=list)
    mention_roles: list[int] = field(default_factory=list)
    mention_everyone: bool = False
    pinned: bool = False
    tts: bool = False
    type: int = 0
    flags: int = 0
    timestamp: str = field(default_factory=iso)
    edited_timestamp: str | None = None
    # emoji key -> (emoji payload, ordered list of user ids)
    reactions: dict[str, tuple[dict[str, Any], list[int]]] = field(default_factory=dict)
    message_reference: dict[str, Any] | None = None
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_metadata: dict[str, Any] | None = None
    thread_id: int | None = None
    nonce: Any = None
    sticker_ids: list[int] = field(default_factory=list)
    poll: dict[str, Any] | None = None
    # Ephemeral messages exist only for this user; never dispatched to the channel.
    ephemeral_for: int | None = None
    deleted: bool = False

    @property
    def ephemeral(self) -> bool:
        return self.ephemeral_for is not None


@dataclass
class ScheduledEvent:
    id: int
    guild_id: int
    name: str
    scheduled_start_time: str
    privacy_level: int = 2
    entity_type: int = 3
    description: str | None = None
    channel_id: int | None = None
    creator_id: int | None = None
    scheduled_end_time: str | None = None
    status: int = 1
    entity_id: int | None = None
    entity_metadata: dict[str, Any] | None = None
    image: str | None = None
    recurrence_rule: dict[str, Any] | None = None
    user_ids: list[int] = field(default_factory=list)


@dataclass
class Ban:
    user_id: int
    reason: str | None = None


@dataclass
class AuditEntry:
    id: int
    action_type: int
    user_id: int
    target_id: int | None
    reason: str | None
    changes: list[dict[str, Any]] = field(default_factory=list)
    options: dict[str, Any] | None = None


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    bans: dict[int, Ban] = field(default_factory=dict)
    scheduled_events: dict[int, ScheduledEvent] = field(default_factory=dict)
    audit_log: list[AuditEntry] = field(default_factory=list)
    description: str | None = None
    preferred_locale: str = "fr"
    features: list[str] = field(default_factory=lambda: ["COMMUNITY"])
    system_channel_id: int | None = None
    rules_channel_id: int | None = None
    verification_level: int = 1

    @property
    def everyone(self) -> Role:
        return self.roles[self.id]

    def threads(self) -> list[Channel]:
        return [c for c in self.channels.values() if c.is_thread]

    def top_position(self, user_id: int) -> int:
        member = self.members.get(user_id)
        if member is None:
            return -1
        if user_id == self.owner_id:
            return 1 << 30
        return max((self.roles[r].position for r in member.roles if r in self.roles), default=0)

    def base_permissions(self, user_id: int) -> int:
        if user_id == self.owner_id:
            return P.ALL
        member = self.members.get(user_id)
        perms = self.everyone.permissions
        if member is not None:
            for role_id in member.roles:
                role = self.roles.get(role_id)
                if role is not None:
                    perms |= role.permissions
        if perms & P.ADMINISTRATOR:
            return P.ALL
        return perms

    def permissions_in(self, user_id: int, channel: Channel | None) -> int:
        """Discord's documented overwrite algorithm (everyone, roles, member)."""
        perms = self.base_permissions(user_id)
        if perms & P.ADMINISTRATOR or channel is None:
            return perms
        if channel.is_thread:
            parent = self.channels.get(channel.parent_id or 0)
            return self.permissions_in(user_id, parent)
        member = self.members.get(user_id)
        role_ids = set(member.roles) if member else set()
        by_id = {o.id: o for o in channel.overwrites}
        everyone = by_id.get(self.id)
        if everyone:
            perms = (perms & ~everyone.deny) | everyone.allow
        allow = deny = 0
        for o in channel.overwrites:
            if o.type == 0 and o.id in role_ids:
                allow |= o.allow
                deny |= o.deny
        perms = (perms & ~deny) | allow
        mine = by_id.get(user_id)
        if mine and mine.type == 1:
            perms = (perms & ~mine.deny) | mine.allow
        if member is not None and member.timed_out():
            perms &= P.VIEW_CHANNEL | P.READ_MESSAGE_HISTORY
        if not perms & P.VIEW_CHANNEL:
            return 0
        return perms


@dataclass
class Command:
    id: int
    application_id: int
    name: str
    type: int = 1
    description: str = ""
    options: list[dict[str, Any]] = field(default_factory=list)
    guild_id: int | None = None
    default_member_permissions: str | None = None
    dm_permission: bool | None = True
    nsfw: bool = False
    name_localizations: dict[str, str] | None = None
    description_localizations: dict[str, str] | None = None
    contexts: list[int] | None = None
    integration_types: list[int] | None = None
    version: int = 1
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class InteractionRecord:
    """Server-side memory of one interaction: who, where, and what was answered."""

    id: int
    token: str
    type: int
    user_id: int
    channel_id: int
    guild_id: int | None
    payload: dict[str, Any]
    # The message a component lives on (for UPDATE_MESSAGE) if any.
    source_message_id: int | None = None
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    original_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    ephemeral_original: bool = False
    created: float = field(default_factory=time.monotonic)

    @property
    def acknowledged(self) -> bool:
        return bool(self.callbacks)


@dataclass
class World:
    """Everything the double knows; one instance per `DiscordDouble`."""

    application_id: int
    bot_user_id: int
    users: dict[int, User] = field(default_factory=dict)
    guilds: dict[int, Guild] = field(default_factory=dict)
    dm_channels: dict[int, Channel] = field(default_factory=dict)
    messages: dict[int, Message] = field(default_factory=dict)
    global_commands: dict[int, Command] = field(default_factory=dict)
    guild_commands: dict[int, dict[int, Command]] = field(default_factory=dict)
    interactions: dict[int, InteractionRecord] = field(default_factory=dict)
    interactions_by_token: dict[str, InteractionRecord] = field(default_factory=dict)
    next_id: SnowflakeFactory = field(default_factory=SnowflakeFactory)

    @property
    def bot(self) -> User:
        return self.users[self.bot_user_id]

    def channel(self, channel_id: int) -> Channel | None:
        if channel_id in self.dm_channels:
            return self.dm_channels[channel_id]
        for guild in self.guilds.values():
            if channel_id in guild.channels:
                return guild.channels[channel_id]
        return None

    def guild_of(self, channel: Channel) -> Guild | None:
        return self.guilds.get(channel.guild_id or 0)

    def channel_messages(self, channel_id: int, *, include_ephemeral: bool = False) -> list[Message]:
        return sorted(
            (
                m
                for m in self.messages.values()
                if m.channel_id == channel_id and not m.deleted and (include_ephemeral or not m.ephemeral)
            ),
            key=lambda m: m.id,
        )

    def dm_channel_with(self, user_id: int) -> Channel | None:
        for channel in self.dm_channels.values():
            if channel.recipient_ids == [user_id]:
                return channel
        return None
