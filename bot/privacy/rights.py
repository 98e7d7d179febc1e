"""Export, erasure and retention across every capability, each through its ``MemberDataHook``.

The hooks are handed in (``bot/data_rights.py`` lists them), so this package depends on no
capability. An erasure is one transaction: it happens whole or not at all. What must then happen on
Discord (a card refreshed, a post deleted, a promotion announced) is scheduled as durable timers,
so the same code path serves ``/mes-donnees supprimer``, a member who left, and ``relais data erase``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.core import timeutil
from bot.core.db import Database
from bot.core.member_data import Erasure, ErasureChoices, MemberDataHook, RetentionPolicy, Subject
from bot.core.timers import FORGET_WHEN_DONE, TimerService

FORMAT_VERSION = 1


@dataclass
class MemberExport:
    guild_id: int
    member_id: int
    made_at: dt.datetime
    areas: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    withheld: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            f"{area}.{name}": len(rows)
            for area, records in self.areas.items()
            for name, rows in records.items()
            if rows
        }

    def to_json(self) -> str:
        document = {
            "format": FORMAT_VERSION,
            "guild_id": str(self.guild_id),
            "member_id": str(self.member_id),
            "made_at": self.made_at.isoformat(),
            "data": self.areas,
            "withheld": self.withheld,
        }
        return json.dumps(document, ensure_ascii=False, indent=1, default=str) + "\n"


@dataclass
class ErasureReport:
    erased: dict[str, int] = field(default_factory=dict)
    kept: dict[str, dt.datetime | None] = field(default_factory=dict)
    followups_scheduled: int = 0
    forgotten_texts: list[str] = field(default_factory=list)


def _readable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Times stored as epoch seconds become ISO dates in UTC; ids become strings (JSON loses big ints)."""
    out = []
    for row in rows:
        clean = {}
        for key, value in row.items():
            if key.endswith("_at") and isinstance(value, int | float):
                value = timeutil.from_db(value).isoformat()
            elif key.endswith("_id") and isinstance(value, int):
                value = str(value)
            clean[key] = value
        out.append(clean)
    return out


async def export_member(
    db: Database,
    hooks: Sequence[MemberDataHook],
    guild_id: int,
    member_id: int,
    *,
    now: dt.datetime,
    report_key: bytes | None = None,
) -> MemberExport:
    subject = Subject(db, guild_id, member_id, now, report_key=report_key)
    result = MemberExport(guild_id, member_id, now)
    for hook in hooks:
        section = await hook.export(subject)
        result.areas[section.area] = {name: _readable(rows) for name, rows in section.records.items()}
        result.withheld += [key for key in section.withheld if key not in result.withheld]
    return result


async def erase_member(
    db: Database,
    timers: TimerService,
    hooks: Sequence[MemberDataHook],
    guild_id: int,
    member_id: int,
    choices: ErasureChoices,
    *,
    now: dt.datetime,
    policy: RetentionPolicy,
    report_key: bytes | None = None,
) -> ErasureReport:
    subject = Subject(db, guild_id, member_id, now, policy, report_key)
    report = ErasureReport()
    async with db.transaction():
        for hook in hooks:
            erasure, followups = await hook.erase(subject, choices)
            _merge(report, erasure)
            for followup in followups:
                await timers.schedule(
                    guild_id, followup.kind, now, {**followup.payload, FORGET_WHEN_DONE: True}
                )
            report.followups_scheduled += len(followups)
    await db.checkpoint()
    return report


def _merge(report: ErasureReport, erasure: Erasure) -> None:
    for what, count in erasure.erased.items():
        report.erased[f"{erasure.area}.{what}"] = count
    for what, until in erasure.kept.items():
        report.kept[f"{erasure.area}.{what}"] = until
    report.forgotten_texts += erasure.forgotten_texts


async def apply_retention(
    db: Database, hooks: Sequence[MemberDataHook], *, now: dt.datetime, policy: RetentionPolicy
) -> dict[str, int]:
    purged: dict[str, int] = {}
    async with db.transaction():
        for hook in hooks:
            for what, count in (await hook.apply_retention(db, now, policy)).items():
                purged[f"{hook.area}.{what}"] = count
    await db.checkpoint()
    return purged
