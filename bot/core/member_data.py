"""What each capability says about one member's data: their export, their erasure, and retention.

Every capability that stores something about members offers one ``MemberDataHook`` (in its own
``privacy.py``, SQL only). ``bot/privacy`` runs them all, so a new table is covered the day its
capability's hook lists it — and ``tests/unit/privacy`` fails when a table holding a member id is
listed by no hook.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.core.db import Database

# The follow-up that deletes a post on Discord (a deleted resource's card, an unreviewed offer's).
DELETE_MESSAGE_KIND = "privacy.delete_message"
# Stands for « a member who left » where a column cannot be NULL (minutes' author, …).
FORMER_MEMBER = 0


@dataclass(frozen=True)
class ErasureChoices:
    """What the member chose when asking for erasure (or what applies when they left)."""

    keep_resources: bool = True  # kept as « membre parti·e », or deleted


@dataclass(frozen=True)
class RetentionPolicy:
    """How long each kind of record is kept (``privacy`` settings)."""

    closed_reports: dt.timedelta = dt.timedelta(days=365)
    automod_records: dt.timedelta = dt.timedelta(days=365)
    finished_timers: dt.timedelta = dt.timedelta(days=365)
    cases: dt.timedelta = dt.timedelta(days=365)
    delivered_alerts: dt.timedelta = dt.timedelta(days=90)


@dataclass
class Export:
    area: str
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Text keys naming what is withheld from the member, each saying why.
    withheld: list[str] = field(default_factory=list)

    def add(self, name: str, rows: list[Any]) -> None:
        self.records[name] = [dict(row) for row in rows]


@dataclass
class Erasure:
    area: str
    erased: dict[str, int] = field(default_factory=dict)  # what -> how many rows
    # what is kept -> the moment it will be pseudonymised or purged (None: kept without a name)
    kept: dict[str, dt.datetime | None] = field(default_factory=dict)
    # Texts to make unreadable in the file: checked by the tests, used by nobody else.
    forgotten_texts: list[str] = field(default_factory=list)

    def count(self, what: str, rows: int) -> None:
        if rows:
            self.erased[what] = self.erased.get(what, 0) + rows


@dataclass(frozen=True)
class Subject:
    """Whose data, where, and what a hook may need to find it."""

    db: Database
    guild_id: int
    member_id: int
    now: dt.datetime
    policy: RetentionPolicy = RetentionPolicy()
    # The anonymous-report key: the only way to find the reports a member filed anonymously.
    report_key: bytes | None = None


@dataclass(frozen=True)
class Followup:
    """Something to do on Discord after an erasure (a card to refresh, a post to delete): scheduled
    as a durable timer, so the erasure can run from the command line while the bot is away."""

    kind: str
    payload: dict[str, Any]


class MemberDataHook(Protocol):
    area: str
    # The tables this hook answers for, each with the columns that hold a member's id.
    tables: dict[str, tuple[str, ...]]

    async def export(self, subject: Subject) -> Export: ...

    async def erase(self, subject: Subject, choices: ErasureChoices) -> tuple[Erasure, list[Followup]]: ...

    async def apply_retention(
        self, db: Database, now: dt.datetime, policy: RetentionPolicy
    ) -> dict[str, int]: ...
