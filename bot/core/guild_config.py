"""Per-guild configuration stored in the database: channels and roles by purpose, locale, time zone.

Administrators set it with ``/config``; features read it through ``get``. Discord-free: the cog
checks that a channel is postable and a role is below the bot before calling ``set_channel``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from bot.core import timeutil
from bot.core.db import Database
from bot.core.errors import UserError

# Purpose → French label shown in /config; the keys are stable identifiers stored in the database.
CHANNEL_PURPOSES = {
    "ressources": "Ressources partagées",
    "offres": "Offres d'emploi",
    "offres_moderation": "File des offres à valider",
    "intervisions": "Intervisions",
    "modlog": "Journal de modération",
    "signalements": "Signalements",
    "charte": "Charte",
    "accueil": "Accueil",
}
# Only cards can live in a forum (each one a post); logs, reports, the charter, welcomes and
# intervisions (whose private threads start from a message) need a text channel.
FORUM_PURPOSES = frozenset({"ressources", "offres"})
ROLE_PURPOSES = {
    "moderation": "Modération",
    "pair_aidant": "Pair-aidant·e",
    "membre": "Membre",
    "confiance": "Membre de confiance (publie sans validation)",
    # Peers who accept to be reached by a member who asks for someone (care handoff) when nobody is on duty.
    "ecoute": "Écoute (pairs joignables quand personne n'est de permanence)",
}

# Discord permissions a role must not carry when Relais hands it out (« J'accepte ») or when it only
# marks members: whoever maps it would give them powers over the server.
DANGEROUS_PERMISSIONS = (
    "administrator",
    "manage_guild",
    "manage_roles",
    "manage_channels",
    "kick_members",
    "ban_members",
    "moderate_members",
    "manage_messages",
    "manage_webhooks",
    "mention_everyone",
)
# What Relais does on a moderator's behalf (warn, timeout, kick, ban, delete): only someone who already
# holds these may say which role makes a moderator, or where reports and the moderation log go.
MODERATION_POWERS = ("kick_members", "ban_members", "moderate_members", "manage_messages")
PRIVATE_CHANNEL_PURPOSES = ("modlog", "signalements", "offres_moderation")


@dataclass(frozen=True, slots=True)
class GuildConfig:
    guild_id: int
    locale: str | None = None
    timezone: str | None = None
    channels: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    roles: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    def channel(self, purpose: str) -> int | None:
        return self.channels.get(purpose)

    def role(self, purpose: str) -> int | None:
        return self.roles.get(purpose)

    def timezone_or(self, default: str) -> str:
        return self.timezone or default


async def get(db: Database, guild_id: int) -> GuildConfig:
    settings = await db.fetchone(
        "SELECT locale, timezone FROM guild_settings WHERE guild_id = ?", (guild_id,)
    )
    channels = await db.fetchall(
        "SELECT purpose, channel_id FROM guild_channels WHERE guild_id = ?", (guild_id,)
    )
    roles = await db.fetchall("SELECT purpose, role_id FROM guild_roles WHERE guild_id = ?", (guild_id,))
    return GuildConfig(
        guild_id,
        settings["locale"] if settings else None,
        settings["timezone"] if settings else None,
        MappingProxyType({r["purpose"]: r["channel_id"] for r in channels}),
        MappingProxyType({r["purpose"]: r["role_id"] for r in roles}),
    )


async def configured_guilds(db: Database) -> list[int]:
    """The guilds something was set for through /config (settings, channels or roles)."""
    rows = await db.fetchall(
        "SELECT guild_id FROM guild_settings UNION SELECT guild_id FROM guild_channels"
        " UNION SELECT guild_id FROM guild_roles"
    )
    return [r[0] for r in rows]


async def set_channel(db: Database, guild_id: int, purpose: str, channel_id: int) -> None:
    if purpose not in CHANNEL_PURPOSES:
        raise UserError("core.config.unknown_purpose", purpose=purpose)
    await db.execute(
        "INSERT INTO guild_channels (guild_id, purpose, channel_id) VALUES (?, ?, ?) "
        "ON CONFLICT (guild_id, purpose) DO UPDATE SET channel_id = excluded.channel_id",
        (guild_id, purpose, channel_id),
    )


async def set_role(db: Database, guild_id: int, purpose: str, role_id: int) -> None:
    if purpose not in ROLE_PURPOSES:
        raise UserError("core.config.unknown_purpose", purpose=purpose)
    await db.execute(
        "INSERT INTO guild_roles (guild_id, purpose, role_id) VALUES (?, ?, ?) "
        "ON CONFLICT (guild_id, purpose) DO UPDATE SET role_id = excluded.role_id",
        (guild_id, purpose, role_id),
    )


async def set_timezone(db: Database, guild_id: int, name: str) -> str:
    name = name.strip()
    if not timeutil.is_valid_zone(name):
        raise UserError("core.config.bad_timezone", value=name[:64])
    await _upsert_settings(db, guild_id, "timezone", name)
    return name


async def set_locale(db: Database, guild_id: int, locale: str) -> None:
    if locale not in ("fr", "en"):
        raise UserError("core.config.bad_locale", value=locale[:16])
    await _upsert_settings(db, guild_id, "locale", locale)


async def _upsert_settings(db: Database, guild_id: int, column: str, value: str) -> None:
    assert column in ("timezone", "locale")
    await db.execute(
        f"INSERT INTO guild_settings (guild_id, {column}, updated_at) VALUES (?, ?, ?) "
        f"ON CONFLICT (guild_id) DO UPDATE SET {column} = excluded.{column}, updated_at = "
        f"excluded.updated_at",
        (guild_id, value, timeutil.to_db(timeutil.now())),
    )


async def forget_channel(db: Database, guild_id: int, channel_id: int) -> int:
    """A configured channel was deleted on Discord: stop pointing at it."""
    result = await db.execute(
        "DELETE FROM guild_channels WHERE guild_id = ? AND channel_id = ?", (guild_id, channel_id)
    )
    return result.rowcount
