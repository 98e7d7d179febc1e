"""The services capabilities offer each other, declared once as Protocols.

A cog provides an implementation through ``bot.services`` (a ``bot.core.registry.Registry``) when
it loads; another capability asks for it by type. When the providing capability is disabled
(``cogs.enabled`` without it), ``bot.services.get(...)`` is ``None`` and the caller's documented
fallback applies — see each Protocol below.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class CharterStatus:
    current_version: str  # the version in config/charter.yaml
    published_version: str | None  # the last one published in this guild (None: never)
    # Names of the crisis lines not verified within a year (or whose source still says to verify).
    crisis_lines_to_verify: tuple[str, ...]


@runtime_checkable
class CharterService(Protocol):
    """Offered by the charter capability, for the diagnostic and the setup assistant.

    Without it: the diagnostic says the charter capability is disabled and the assistant skips
    publishing.
    """

    async def status(self, guild_id: int) -> CharterStatus: ...

    async def publish(self, guild: discord.Guild) -> discord.Message:
        """Post the charter and its « J'accepte » button in the configured charter channel and record
        the publication, as ``/charte publier`` does; raises ``UserError`` when it cannot."""
        ...


@dataclass(frozen=True, slots=True)
class FeedHealth:
    name: str
    url: str
    reachable: bool
    detail: str  # French, short: « 12 offres lues », « délai dépassé »…


@runtime_checkable
class JobFeedsService(Protocol):
    """Offered by the jobs capability: can each configured feed be read now? Without it: no feed check."""

    async def feed_health(self, guild_id: int) -> list[FeedHealth]: ...
