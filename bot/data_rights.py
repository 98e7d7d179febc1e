"""Members' data rights as the bot and the command line use them: every capability's hook, in the
order an export presents them, with the settings that govern them.

A capability that stores anything about members adds its hook to ``HOOKS``;
``tests/unit/privacy`` fails when a table holding a member's id is answered for by no hook.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.charter.privacy import HOOK as CHARTER
from bot.core.db import Database
from bot.core.member_data import ErasureChoices, MemberDataHook, RetentionPolicy
from bot.core.settings import Settings
from bot.core.timers import TimerService
from bot.intervisions.privacy import HOOK as INTERVISIONS
from bot.jobs.privacy import HOOK as JOBS
from bot.moderation.privacy import HOOK as MODERATION
from bot.moderation.reports import load_or_create_key
from bot.privacy import rights
from bot.privacy.timer_payloads import HOOK as TIMERS
from bot.resources.privacy import HOOK as RESOURCES

HOOKS: tuple[MemberDataHook, ...] = (RESOURCES, CHARTER, INTERVISIONS, JOBS, MODERATION, TIMERS)
ERASE_KIND = "privacy.erase_member"
RETENTION_KIND = "privacy.retention"


def leave_key(member_id: int) -> str:
    return f"privacy.leave:{member_id}"


def policy(settings: Settings) -> RetentionPolicy:
    days = settings.privacy
    return RetentionPolicy(
        closed_reports=dt.timedelta(days=days.closed_reports_days),
        automod_records=dt.timedelta(days=days.automod_records_days),
        finished_timers=dt.timedelta(days=days.finished_timers_days),
        cases=dt.timedelta(days=days.cases_days),
        delivered_alerts=dt.timedelta(days=days.delivered_alerts_days),
    )


def report_key(settings: Settings) -> bytes | None:
    """The anonymous-report key if it exists: without it no anonymous report was ever filed."""
    path = Path(settings.moderation.report_key_file)
    return load_or_create_key(path) if path.is_file() else None


async def export(
    db: Database, settings: Settings, guild_id: int, member_id: int, *, now: dt.datetime
) -> rights.MemberExport:
    return await rights.export_member(
        db, HOOKS, guild_id, member_id, now=now, report_key=report_key(settings)
    )


async def erase(
    db: Database,
    timers: TimerService,
    settings: Settings,
    guild_id: int,
    member_id: int,
    choices: ErasureChoices,
    *,
    now: dt.datetime,
) -> rights.ErasureReport:
    return await rights.erase_member(
        db,
        timers,
        HOOKS,
        guild_id,
        member_id,
        choices,
        now=now,
        policy=policy(settings),
        report_key=report_key(settings),
    )


async def apply_retention(db: Database, settings: Settings, *, now: dt.datetime) -> dict[str, int]:
    return await rights.apply_retention(db, HOOKS, now=now, policy=policy(settings))
