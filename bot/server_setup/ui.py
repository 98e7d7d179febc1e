"""The diagnostic on Discord: a ``GuildSnapshot`` read from discord.py's cache, and the report as embeds.

``snapshot_from_guild`` asks discord.py what each one may do in each configured channel
(``channel.permissions_for`` takes a member or a role: for a role it folds @everyone's permissions,
the role's, then the channel's overwrites for both), so the setup assistant can reuse it as is.
"""

from __future__ import annotations

from collections.abc import Iterable

import discord

from bot.core.guild_config import GuildConfig
from bot.core.i18n import Translate
from bot.server_setup.diagnostic import (
    AUDIENCE_ROLES,
    ChannelFacts,
    GuildSnapshot,
    Level,
    Report,
    RoleFacts,
    finding_lines,
)
from bot.ui import limits

COLOURS = {Level.ERROR: 0xE74C3C, Level.WARNING: 0xF1C40F, Level.OK: 0x2ECC71}
# Embeds sent together in one message; Discord allows 10, and 6,000 characters for all of them.
EMBEDS_PER_MESSAGE = 10


def allowed(permissions: discord.Permissions) -> frozenset[str]:
    # VALID_FLAGS, not iteration: iterating skips aliases, and layout says ``view_channel`` where
    # discord.py's canonical name is ``read_messages``.
    return frozenset(name for name in discord.Permissions.VALID_FLAGS if getattr(permissions, name))


def channel_kind(channel: object) -> str:
    if isinstance(channel, discord.ForumChannel):
        return "forum"
    if isinstance(channel, discord.TextChannel):
        return "text"
    return "other"


def snapshot_from_guild(
    guild: discord.Guild,
    config: GuildConfig,
    *,
    me: discord.Member | None = None,
    channels: Iterable[discord.abc.GuildChannel] | None = None,
) -> GuildSnapshot:
    """From discord.py's cache; ``relais doctor`` passes the bot member and the channels it fetched over
    REST instead (a fetched guild carries its roles, so permissions are computed the same way)."""
    me = me if me is not None else guild.me
    get_channel = guild.get_channel if channels is None else {c.id: c for c in channels}.get
    audience_roles = {
        purpose: role
        for purpose in AUDIENCE_ROLES
        if (role_id := config.role(purpose)) and (role := guild.get_role(role_id)) is not None
    }
    facts = {}
    for purpose, channel_id in config.channels.items():
        channel = get_channel(channel_id)
        if channel is None:
            facts[purpose] = ChannelFacts(channel_id, exists=False)
            continue
        facts[purpose] = ChannelFacts(
            channel_id,
            True,
            channel.name,
            channel_kind(channel),
            allowed(channel.permissions_for(me)),
            allowed(channel.permissions_for(guild.default_role)),
            {purpose: allowed(channel.permissions_for(role)) for purpose, role in audience_roles.items()},
        )
    roles = {}
    for purpose, role_id in config.roles.items():
        role = guild.get_role(role_id)
        roles[purpose] = (
            RoleFacts(role_id, exists=False)
            if role is None
            else RoleFacts(role_id, True, role.name, role.position, role.managed)
        )
    return GuildSnapshot(
        guild_id=guild.id,
        channels=facts,
        roles=roles,
        bot_top_role_position=me.top_role.position,
        bot_top_role_name=me.top_role.name,
        bot_guild_permissions=allowed(me.guild_permissions),
    )


def _worst(levels: list[Level]) -> Level:
    for level in (Level.ERROR, Level.WARNING):
        if level in levels:
            return level
    return Level.OK


def report_embeds(report: Report, t: Translate) -> list[discord.Embed]:
    """One embed per capability (more when one overflows a description), each within Discord's limits;
    the totals in every footer, so each page of a long report says how it stands."""
    footer = t("diagnostic.totals", errors=len(report.errors), warnings=len(report.warnings))
    embeds: list[discord.Embed] = []
    for capability, findings in report.by_capability():
        worst = _worst([f.level for f in findings])
        title = f"{worst.icon} {t(f'diagnostic.capabilities.{capability}')}"
        blocks = []
        for finding in findings:
            line, todo = finding_lines(finding, t, mention_channels=True)
            blocks.append(f"{line}\n↳ {todo}" if todo else line)
        chunk: list[str] = []
        for block in blocks:
            block = limits.shorten(block, limits.DESCRIPTION)
            if chunk and len("\n\n".join([*chunk, block])) > limits.DESCRIPTION:
                embeds.append(_embed(title, chunk, worst, footer))
                chunk = []
            chunk.append(block)
        if chunk:
            embeds.append(_embed(title, chunk, worst, footer))
    return embeds


def _embed(title: str, blocks: list[str], worst: Level, footer: str) -> discord.Embed:
    embed = discord.Embed(title=title, description="\n\n".join(blocks), colour=COLOURS[worst])
    embed.set_footer(text=footer)
    return limits.fit_embed(embed)


def fits_one_message(embeds: list[discord.Embed]) -> bool:
    return len(embeds) <= EMBEDS_PER_MESSAGE and sum(len(e) for e in embeds) <= limits.TOTAL
