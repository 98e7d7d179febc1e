"""The seeded guild the double starts with.

Ids are fixed and readable (all of them valid 2024-era snowflakes) so a test,
a fixture file or a log line can name `1200000000000000302` and mean "Sami"
across runs. Pass another `SeedSpec` to `DiscordDouble(seed=...)` to change it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from .state import (
    Channel,
    ChannelType,
    Guild,
    Member,
    Overwrite,
    P,
    Role,
    User,
    World,
)

BASE = 1200000000000000000
APPLICATION_ID = BASE + 1
GUILD_ID = BASE + 100
BOT_TOKEN = "sandbox.relais.token"

BOT_PERMISSIONS = (
    P.VIEW_CHANNEL
    | P.SEND_MESSAGES
    | P.SEND_MESSAGES_IN_THREADS
    | P.EMBED_LINKS
    | P.ATTACH_FILES
    | P.READ_MESSAGE_HISTORY
    | P.ADD_REACTIONS
    | P.USE_EXTERNAL_EMOJIS
    | P.MANAGE_MESSAGES
    | P.MANAGE_THREADS
    | P.CREATE_PUBLIC_THREADS
    | P.CREATE_PRIVATE_THREADS
    | P.MANAGE_CHANNELS
    | P.MANAGE_ROLES
    | P.MANAGE_EVENTS
    | P.MANAGE_NICKNAMES
    | P.KICK_MEMBERS
    | P.BAN_MEMBERS
    | P.MODERATE_MEMBERS
    | P.VIEW_AUDIT_LOG
    | P.MENTION_EVERYONE
)
MODERATOR_PERMISSIONS = (
    P.KICK_MEMBERS
    | P.BAN_MEMBERS
    | P.MANAGE_MESSAGES
    | P.MANAGE_THREADS
    | P.MODERATE_MEMBERS
    | P.VIEW_AUDIT_LOG
    | P.MANAGE_NICKNAMES
    | P.MANAGE_EVENTS
    | P.MENTION_EVERYONE
)


@dataclass
class RoleSpec:
    key: str
    id: int
    name: str
    position: int
    permissions: int = 0
    color: int = 0
    hoist: bool = False
    mentionable: bool = False
    managed_by_bot: bool = False


@dataclass
class MemberSpec:
    key: str
    id: int
    username: str
    global_name: str | None
    roles: list[str] = field(default_factory=list)
    owner: bool = False
    bot: bool = False
    joined_at: str = "2024-03-01T10:00:00+00:00"


@dataclass
class ChannelSpec:
    key: str
    id: int
    name: str
    type: int = ChannelType.GUILD_TEXT
    parent: str | None = None
    topic: str | None = None
    # When set, only these role keys (plus the owner) may view the channel.
    private_to: list[str] | None = None
    available_tags: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class SeedSpec:
    guild_id: int
    guild_name: str
    application_id: int
    token: str
    bot_username: str
    roles: list[RoleSpec]
    members: list[MemberSpec]
    channels: list[ChannelSpec]
    everyone_permissions: int = P.EVERYONE_DEFAULT
    system_channel: str | None = None
    rules_channel: str | None = None


def seed_guild() -> SeedSpec:
    """A fresh copy of the default seed, safe to mutate before passing it on."""
    return copy.deepcopy(_DEFAULT)


def _u(n: int) -> int:
    return BASE + 300 + n


def _r(n: int) -> int:
    return BASE + 200 + n


def _c(n: int) -> int:
    return BASE + 400 + n


_DEFAULT = SeedSpec(
    guild_id=GUILD_ID,
    guild_name="Relais — bac à sable",
    application_id=APPLICATION_ID,
    token=BOT_TOKEN,
    bot_username="Relais",
    roles=[
        RoleSpec("relais", _r(1), "Relais", 4, BOT_PERMISSIONS, 0x5865F2, managed_by_bot=True),
        RoleSpec(
            "moderation",
            _r(2),
            "Modération",
            3,
            MODERATOR_PERMISSIONS,
            0xE67E22,
            hoist=True,
            mentionable=True,
        ),
        RoleSpec("pair-aidant", _r(3), "Pair-aidant", 2, 0, 0x2ECC71, hoist=True, mentionable=True),
        RoleSpec("membre", _r(4), "Membre", 1, 0, 0x95A5A6),
    ],
    members=[
        MemberSpec("camille", _u(1), "camille", "Camille", ["membre"], owner=True),
        MemberSpec("sami", _u(2), "sami", "Sami", ["moderation", "membre"]),
        MemberSpec("ines", _u(3), "ines", "Inès", ["pair-aidant", "membre"]),
        MemberSpec("noah", _u(4), "noah", "Noah", ["pair-aidant", "membre"]),
        MemberSpec("lea", _u(5), "lea", "Léa", [], joined_at="2024-06-01T09:00:00+00:00"),
        MemberSpec("relais", APPLICATION_ID, "Relais", None, ["relais"], bot=True),
    ],
    channels=[
        ChannelSpec("communaute", _c(1), "Communauté", ChannelType.GUILD_CATEGORY),
        ChannelSpec("accueil", _c(2), "accueil", parent="communaute", topic="Bienvenue !"),
        ChannelSpec("charte", _c(3), "charte", parent="communaute", topic="La charte de la communauté"),
        ChannelSpec("ressources", _c(4), "ressources", parent="communaute"),
        ChannelSpec("offres-emploi", _c(5), "offres-emploi", parent="communaute"),
        ChannelSpec("intervisions", _c(6), "intervisions", parent="communaute"),
        ChannelSpec("mod-log", _c(7), "mod-log", private_to=["moderation", "relais"]),
        ChannelSpec("signalements", _c(8), "signalements", private_to=["moderation", "relais"]),
        ChannelSpec("salon-vocal", _c(9), "Salon vocal", ChannelType.GUILD_VOICE, parent="communaute"),
        ChannelSpec(
            "entraide",
            _c(10),
            "entraide",
            ChannelType.GUILD_FORUM,
            parent="communaute",
            available_tags=[
                {
                    "id": str(_c(90)),
                    "name": "question",
                    "moderated": False,
                    "emoji_id": None,
                    "emoji_name": "❓",
                },
                {
                    "id": str(_c(91)),
                    "name": "résolu",
                    "moderated": False,
                    "emoji_id": None,
                    "emoji_name": "✅",
                },
            ],
        ),
    ],
    system_channel="accueil",
    rules_channel="charte",
)


@dataclass
class SeedIndex:
    """Short names to ids, so the driver can say `"sami"` and `"ressources"`."""

    members: dict[str, int] = field(default_factory=dict)
    channels: dict[str, int] = field(default_factory=dict)
    roles: dict[str, int] = field(default_factory=dict)


def build_world(spec: SeedSpec) -> tuple[World, SeedIndex]:
    bot_spec = next(m for m in spec.members if m.bot)
    world = World(application_id=spec.application_id, bot_user_id=bot_spec.id)
    index = SeedIndex()
    owner = next(m for m in spec.members if m.owner)
    guild = Guild(id=spec.guild_id, name=spec.guild_name, owner_id=owner.id)
    guild.roles[guild.id] = Role(
        id=guild.id, name="@everyone", permissions=spec.everyone_permissions, position=0
    )
    for rs in spec.roles:
        guild.roles[rs.id] = Role(
            id=rs.id,
            name=rs.name,
            permissions=rs.permissions,
            position=rs.position,
            color=rs.color,
            hoist=rs.hoist,
            mentionable=rs.mentionable,
            managed=rs.managed_by_bot,
            tags={"bot_id": str(bot_spec.id)} if rs.managed_by_bot else None,
        )
        index.roles[rs.key] = rs.id
    for ms in spec.members:
        world.users[ms.id] = User(
            id=ms.id, username=ms.username, global_name=ms.global_name, bot=ms.bot, short_name=ms.key
        )
        guild.members[ms.id] = Member(
            user_id=ms.id, roles=[index.roles[k] for k in ms.roles], joined_at=ms.joined_at
        )
        index.members[ms.key] = ms.id
    for cs in spec.channels:
        index.channels[cs.key] = cs.id
    for position, cs in enumerate(spec.channels):
        overwrites = []
        if cs.private_to is not None:
            overwrites.append(Overwrite(id=guild.id, type=0, deny=P.VIEW_CHANNEL))
            overwrites += [
                Overwrite(id=index.roles[k], type=0, allow=P.VIEW_CHANNEL | P.SEND_MESSAGES)
                for k in cs.private_to
            ]
        guild.channels[cs.id] = Channel(
            id=cs.id,
            type=cs.type,
            name=cs.name,
            guild_id=guild.id,
            position=position,
            parent_id=index.channels[cs.parent] if cs.parent else None,
            topic=cs.topic,
            overwrites=overwrites,
            available_tags=copy.deepcopy(cs.available_tags),
        )
    guild.system_channel_id = index.channels.get(spec.system_channel or "")
    guild.rules_channel_id = index.channels.get(spec.rules_channel or "")
    world.guilds[guild.id] = guild
    return world, index
