"""Reports to the moderators: merged per message, anonymous reporters as keyed hashes. Discord-free.

A report of a message merges into the live report of that message (one card, a count of
distinct reporters). The reporter's identity is kept for the moderators only; when they ask
for anonymity, only ``HMAC(key, guild:user)`` is stored, with the key in a file outside the
database (``moderation.report_key_file``): a leaked database does not reveal who reported, yet
the same person reporting again still merges and is rate-limited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.core import timeutil
from bot.core.db import Database
from bot.core.errors import NotFound, UserError

MAX_DESCRIPTION = 1000
MAX_EXCERPT = 500
RATE_WINDOW = dt.timedelta(hours=1)
LIVE = ("open", "claimed")

_REPORT_COLUMNS = (
    "id, guild_id, message_id, channel_id, target_id, excerpt, description, article, status, handler_id,"
    " resolution, count, card_channel_id, card_message_id, created_at, updated_at, closed_at"
)


# -- the key ------------------------------------------------------------------------------------
def load_or_create_key(path: str | os.PathLike[str]) -> bytes:
    """The HMAC key, created with mode 0600 on first use. Never stored in the database."""
    path = Path(path).expanduser()
    try:
        raw = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # e.g. ~/.config/relais
        key = secrets.token_hex(32)
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:  # another process created it meanwhile
            return load_or_create_key(path)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key + "\n")
        return bytes.fromhex(key)
    try:
        key_bytes = bytes.fromhex(raw)
    except ValueError:
        raise ValueError(f"{path} does not hold a hex key; delete it to create a new one") from None
    if len(key_bytes) < 16:
        raise ValueError(f"{path} holds a key too short to be safe; delete it to create a new one")
    return key_bytes


def reporter_hash(key: bytes, guild_id: int, user_id: int) -> str:
    return hmac.new(key, f"{guild_id}:{user_id}".encode(), hashlib.sha256).hexdigest()


# -- reports ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Report:
    id: int
    guild_id: int
    message_id: int | None
    channel_id: int | None
    target_id: int | None
    excerpt: str
    description: str
    article: str | None
    status: str
    handler_id: int | None
    resolution: str | None
    count: int
    card_channel_id: int | None
    card_message_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    closed_at: dt.datetime | None

    @property
    def is_live(self) -> bool:
        return self.status in LIVE


@dataclass(frozen=True, slots=True)
class Filed:
    report: Report
    merged: bool  # joined an existing report of the same message
    duplicate: bool  # the same person had already reported it: nothing changed


@dataclass(frozen=True, slots=True)
class Reporters:
    """Who reported, as moderators may see it: named ids and a count of anonymous ones."""

    named: tuple[int, ...]
    anonymous: int
    descriptions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Closed:
    report: Report
    notify: tuple[int, ...]  # reporters who asked to be told (never anonymous ones: we do not know them)


def _report(row: Sequence[Any]) -> Report:
    return Report(
        id=row[0],
        guild_id=row[1],
        message_id=row[2],
        channel_id=row[3],
        target_id=row[4],
        excerpt=row[5],
        description=row[6],
        article=row[7],
        status=row[8],
        handler_id=row[9],
        resolution=row[10],
        count=row[11],
        card_channel_id=row[12],
        card_message_id=row[13],
        created_at=timeutil.from_db(row[14]),
        updated_at=timeutil.from_db(row[15]),
        closed_at=timeutil.from_db(row[16]),
    )


async def file_report(
    db: Database,
    key: bytes,
    guild_id: int,
    *,
    reporter_id: int,
    description: str,
    now: dt.datetime,
    anonymous: bool = False,
    notify: bool = True,
    message_id: int | None = None,
    channel_id: int | None = None,
    target_id: int | None = None,
    excerpt: str = "",
    article: str | None = None,
    per_hour: int = 6,
) -> Filed:
    """Record a report, merging it into the live report of the same message; all in one transaction."""
    description = (description or "").strip()
    if not description:
        raise UserError("moderation.reports.description_empty")
    if len(description) > MAX_DESCRIPTION:
        raise UserError("moderation.reports.description_too_long", limit=MAX_DESCRIPTION)
    if target_id is not None and target_id == reporter_id:
        raise UserError("moderation.reports.self_report")
    digest = reporter_hash(key, guild_id, reporter_id)
    stored_id = None if anonymous else reporter_id
    notify = notify and not anonymous
    at = timeutil.to_db(now)
    excerpt = (excerpt or "")[:MAX_EXCERPT]
    return await db.run(
        _file,
        guild_id=guild_id,
        message_id=message_id,
        channel_id=channel_id,
        target_id=target_id,
        excerpt=excerpt,
        description=description,
        article=article,
        stored_id=stored_id,
        digest=digest,
        notify=notify,
        at=at,
        window_start=timeutil.to_db(now - RATE_WINDOW),
        per_hour=per_hour,
    )


def _file(
    conn: sqlite3.Connection,
    *,
    guild_id: int,
    message_id: int | None,
    channel_id: int | None,
    target_id: int | None,
    excerpt: str,
    description: str,
    article: str | None,
    stored_id: int | None,
    digest: str,
    notify: bool,
    at: str,
    window_start: str,
    per_hour: int,
) -> Filed:
    """``file_report``'s statements, in ONE hop to the database thread and one transaction."""
    recent = conn.execute(
        "SELECT COUNT(*) FROM mod_report_entries WHERE guild_id = ? AND reporter_hash = ? AND created_at > ?",
        (guild_id, digest, window_start),
    ).fetchone()[0]
    if recent >= per_hour:
        raise UserError("moderation.reports.rate_limited")
    row = None
    if message_id is not None:
        row = conn.execute(
            f"SELECT {_REPORT_COLUMNS} FROM mod_reports WHERE guild_id = ? AND message_id = ?"
            " AND status IN ('open', 'claimed')",
            (guild_id, message_id),
        ).fetchone()
    if row is None:
        row = conn.execute(
            "INSERT INTO mod_reports (guild_id, message_id, channel_id, target_id, excerpt, description,"
            " article, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            f" RETURNING {_REPORT_COLUMNS}",
            (guild_id, message_id, channel_id, target_id, excerpt, description, article, at, at),
        ).fetchone()
        merged = False
    else:
        merged = True
    report = _report(row)
    entry = conn.execute(
        "INSERT INTO mod_report_entries (guild_id, report_id, reporter_id, reporter_hash, description,"
        " notify, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (report_id, reporter_hash) DO NOTHING",
        (guild_id, report.id, stored_id, digest, description, int(notify), at),
    )
    duplicate = entry.rowcount == 0
    if merged and not duplicate:
        row = conn.execute(
            "UPDATE mod_reports SET count = count + 1, updated_at = ?,"
            " article = COALESCE(article, ?) WHERE id = ?"
            f" RETURNING {_REPORT_COLUMNS}",
            (at, article, report.id),
        ).fetchone()
        report = _report(row)
    return Filed(report, merged, duplicate)


async def get(db: Database, guild_id: int, report_id: int) -> Report:
    row = await db.fetchone(
        f"SELECT {_REPORT_COLUMNS} FROM mod_reports WHERE guild_id = ? AND id = ?", (guild_id, report_id)
    )
    if row is None:
        raise NotFound("moderation.reports.unknown")
    return _report(row)


async def reporters(db: Database, report_id: int) -> Reporters:
    rows = await db.fetchall(
        "SELECT reporter_id, description FROM mod_report_entries WHERE report_id = ? ORDER BY id",
        (report_id,),
    )
    named = tuple(r[0] for r in rows if r[0] is not None)
    return Reporters(named, sum(1 for r in rows if r[0] is None), tuple(r[1] for r in rows))


async def set_card(db: Database, report_id: int, channel_id: int, message_id: int) -> None:
    await db.execute(
        "UPDATE mod_reports SET card_channel_id = ?, card_message_id = ? WHERE id = ?",
        (channel_id, message_id, report_id),
    )


async def claim(db: Database, guild_id: int, report_id: int, moderator_id: int, now: dt.datetime) -> Report:
    """« Je m'en occupe »: the moderator takes the report (taking it over from someone else is allowed)."""
    row = await db.fetchone(
        "UPDATE mod_reports SET status = 'claimed', handler_id = ?, updated_at = ?"
        f" WHERE guild_id = ? AND id = ? AND status IN ('open', 'claimed') RETURNING {_REPORT_COLUMNS}",
        (moderator_id, timeutil.to_db(now), guild_id, report_id),
    )
    if row is None:
        report = await get(db, guild_id, report_id)
        raise UserError("moderation.reports.already_closed", handler=report.handler_id or 0)
    return _report(row)


async def close(
    db: Database,
    guild_id: int,
    report_id: int,
    moderator_id: int,
    *,
    status: str,
    resolution: str,
    now: dt.datetime,
) -> Closed:
    """Close a report as ``resolved`` or ``dismissed``; returns who asked to be told. Once only."""
    if status not in ("resolved", "dismissed"):
        raise ValueError(f"bad closing status {status!r}")
    at = timeutil.to_db(now)
    async with db.transaction():
        row = await db.fetchone(
            "UPDATE mod_reports SET status = ?, handler_id = ?, resolution = ?, updated_at = ?, closed_at = ?"
            f" WHERE guild_id = ? AND id = ? AND status IN ('open', 'claimed') RETURNING {_REPORT_COLUMNS}",
            (status, moderator_id, resolution[:200], at, at, guild_id, report_id),
        )
        if row is None:
            report = await get(db, guild_id, report_id)
            raise UserError("moderation.reports.already_closed", handler=report.handler_id or 0)
        rows = await db.fetchall(
            "SELECT reporter_id FROM mod_report_entries WHERE report_id = ? AND notify = 1 AND reporter_id "
            "IS NOT NULL",
            (report_id,),
        )
    return Closed(_report(row), tuple(r[0] for r in rows))


async def open_reports(db: Database, guild_id: int) -> list[Report]:
    rows = await db.fetchall(
        f"SELECT {_REPORT_COLUMNS} FROM mod_reports WHERE guild_id = ? AND status IN ('open', 'claimed')"
        " ORDER BY id",
        (guild_id,),
    )
    return [_report(r) for r in rows]
