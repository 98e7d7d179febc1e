"""The services capabilities offer each other, declared once as Protocols.

A cog provides an implementation through ``bot.services`` (a ``bot.core.registry.Registry``) when
it loads; another capability asks for it by type. When the providing capability is disabled
(``cogs.enabled`` without it), ``bot.services.get(...)`` is ``None`` and the caller's documented
fallback applies — see each Protocol below.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol, runtime_checkable

import discord


@runtime_checkable
class ModerationService(Protocol):
    """Offered by the moderation capability.

    Without it: the charter's « who is on duty » lists the members of the configured moderation
    role; automatic warnings and timeouts become a moderators' card (nothing is applied to the
    member); a reported resource becomes a card in the mod-log channel.
    """

    def on_duty(self, guild_id: int) -> list[int]:
        """User ids of the moderators on duty now (empty when no rota is planned)."""
        ...

    async def is_recused(self, guild_id: int, moderator_id: int, member_id: int) -> bool:
        """True when this moderator declared a conflict of interest with this member (``/mod recusation``)."""
        ...

    async def sanction(
        self,
        guild: discord.Guild,
        member: discord.Member,
        actor: discord.Member,
        action: str,
        article_id: str,
        reason: str,
        duration: dt.timedelta | None = None,
        *,
        delete_seconds: int = 0,
        parent_number: int | None = None,
        escalate: bool = True,
    ) -> object:
        """Check, act on Discord, record the numbered case; raises ``UserError`` when refused."""
        ...

    async def report_from_feature(
        self,
        guild: discord.Guild,
        reporter_id: int,
        description: str,
        *,
        channel_id: int | None,
        message_id: int | None,
        target_id: int | None,
        excerpt: str = "",
    ) -> object:
        """File a report raised by another capability's button into the moderation queue."""
        ...
