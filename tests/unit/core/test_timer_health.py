"""Timer health as the diagnostic and ``relais doctor`` report it."""

from __future__ import annotations

import datetime as dt

from bot.core import timers, timeutil

NOW = dt.datetime(2026, 12, 3, 12, 0, tzinfo=timeutil.UTC)


async def _insert(db, *, guild_id=1, status="pending", due=NOW, error=None, kind="reminder"):
    await db.execute(
        "INSERT INTO timers (guild_id, kind, due_at, status, last_error, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (guild_id, kind, due.timestamp(), status, error, NOW.timestamp()),
    )


async def test_a_quiet_table_is_healthy(db):
    await _insert(db, due=NOW + dt.timedelta(hours=1))
    await _insert(db, status="done", due=NOW - dt.timedelta(days=1))
    report = await timers.health(db, NOW)
    assert report.healthy
    assert report.pending == 1


async def test_overdue_and_failed_timers_are_counted_per_guild(db):
    await _insert(db, due=NOW - dt.timedelta(minutes=5))
    await _insert(db, due=NOW - dt.timedelta(seconds=30))  # late, but within the minute
    await _insert(
        db, status="failed", due=NOW - dt.timedelta(hours=2), error="HTTPException: 500", kind="digest"
    )
    await _insert(db, status="failed", due=NOW - dt.timedelta(days=30))  # too old to matter
    await _insert(db, guild_id=2, due=NOW - dt.timedelta(hours=1))
    report = await timers.health(db, NOW, guild_id=1)
    assert not report.healthy
    assert report.overdue == 1
    assert report.oldest_overdue_seconds == 300
    assert report.failed_recently == 1
    assert report.last_errors == ("digest: HTTPException: 500",)
    everyone = await timers.health(db, NOW)
    assert everyone.overdue == 2
