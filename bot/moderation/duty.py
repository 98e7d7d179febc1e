"""The rotating duty (permanence) of the moderators. Discord-free.

A rota is a list of moderators taking turns, one per period, from a start instant:
slot ``k`` covers ``[start + k·period, start + (k+1)·period)`` and belongs to
``moderators[k mod n]``. One durable timer (kind ``DUTY_TIMER``, one key per guild) fires at
each change of turn; its handler announces the new duty once (``announced_slot`` guards
against a second delivery) and schedules the next change.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass

from bot.core import timeutil
from bot.core.db import Database
from bot.core.errors import UserError
from bot.core.timers import TimerService

DUTY_TIMER = "moderation.duty"
DUTY_KEY = "moderation:duty"
MIN_PERIOD = dt.timedelta(hours=1)
MAX_PERIOD = dt.timedelta(weeks=8)
MAX_MODERATORS = 25

_MENTION = re.compile(r"<@!?(\d{15,21})>|\b(\d{15,21})\b")


@dataclass(frozen=True, slots=True)
class Rota:
    guild_id: int
    moderators: tuple[int, ...]
    period: dt.timedelta
    start: dt.datetime
    announced_slot: int | None = None

    def slot_at(self, at: dt.datetime) -> int | None:
        if at < self.start or not self.moderators:
            return None
        return int((at - self.start) // self.period)

    def on_duty(self, at: dt.datetime) -> list[int]:
        slot = self.slot_at(at)
        return [] if slot is None else [self.moderators[slot % len(self.moderators)]]

    def slot_start(self, slot: int) -> dt.datetime:
        return self.start + slot * self.period

    def next_change(self, at: dt.datetime) -> dt.datetime:
        slot = self.slot_at(at)
        return self.start if slot is None else self.slot_start(slot + 1)


def parse_moderators(text: str) -> list[int]:
    """User ids from mentions (``<@123…>``) or raw ids, in order, without repeats."""
    found = [int(a or b) for a, b in _MENTION.findall(text or "")]
    return list(dict.fromkeys(found))


_DATE = re.compile(
    r"^(?:(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})(?:[/.-](?P<y>\d{2,4}))?|(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2}))"
    r"(?:\s*(?:à|a|T)?\s*(?P<h>\d{1,2})\s*(?:[h:]\s*(?P<min>\d{2})?)?)?$"
)


def parse_start(text: str, zone_name: str, now: dt.datetime) -> dt.datetime:
    """``maintenant``, ``3/3 9h``, ``03/03/2025 09:00``, ``2025-03-03 9h`` in the guild's time zone."""
    raw = (text or "").strip().lower()
    if raw in ("", "maintenant", "now", "tout de suite"):
        return now
    match = _DATE.match(raw)
    if not match:
        raise UserError("moderation.duty.bad_start", value=raw[:40])
    tz = timeutil.zone(zone_name)
    local_now = now.astimezone(tz)
    try:
        if match.group("iy"):
            year, month, day = int(match.group("iy")), int(match.group("im")), int(match.group("id"))
        else:
            day, month = int(match.group("d")), int(match.group("m"))
            year_text = match.group("y")
            year = (
                local_now.year if year_text is None else int(year_text) + (2000 if len(year_text) == 2 else 0)
            )
        hour = int(match.group("h") or 0)
        minute = int(match.group("min") or 0)
        moment = dt.datetime(year, month, day, hour, minute, tzinfo=tz)
    except ValueError:
        raise UserError("moderation.duty.bad_start", value=raw[:40]) from None
    return moment.astimezone(timeutil.UTC)


def _rota(row) -> Rota:
    return Rota(
        guild_id=row["guild_id"],
        moderators=tuple(json.loads(row["moderators"])),
        period=dt.timedelta(seconds=row["period_seconds"]),
        start=timeutil.from_db(row["start_at"]),
        announced_slot=row["announced_slot"],
    )


async def get(db: Database, guild_id: int) -> Rota | None:
    row = await db.fetchone("SELECT * FROM mod_duty_rotas WHERE guild_id = ?", (guild_id,))
    return None if row is None else _rota(row)


async def all_rotas(db: Database) -> list[Rota]:
    return [_rota(r) for r in await db.fetchall("SELECT * FROM mod_duty_rotas")]


async def plan(
    db: Database,
    timers: TimerService,
    guild_id: int,
    *,
    moderators: list[int],
    period: dt.timedelta,
    start: dt.datetime,
    created_by: int,
    now: dt.datetime,
) -> Rota:
    """Set (or replace) the guild's rota and schedule the announcement of the next turn."""
    if not moderators:
        raise UserError("moderation.duty.no_moderators")
    if len(moderators) > MAX_MODERATORS:
        raise UserError("moderation.duty.too_many", limit=MAX_MODERATORS)
    if period < MIN_PERIOD or period > MAX_PERIOD:
        raise UserError("moderation.duty.bad_period")
    if start < now - MAX_PERIOD:
        raise UserError("moderation.duty.start_too_old")
    rota = Rota(guild_id, tuple(moderators), period, start)
    current = rota.slot_at(now)
    async with db.transaction():
        await db.execute(
            "INSERT INTO mod_duty_rotas (guild_id, moderators, period_seconds, start_at, announced_slot, "
            "created_by,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET"
            " moderators = excluded.moderators, period_seconds = excluded.period_seconds,"
            " start_at = excluded.start_at, announced_slot = excluded.announced_slot,"
            " created_by = excluded.created_by, created_at = excluded.created_at",
            (
                guild_id,
                json.dumps(list(moderators)),
                period.total_seconds(),
                timeutil.to_db(start),
                current,
                created_by,
                timeutil.to_db(now),
            ),
        )
        await timers.schedule(guild_id, DUTY_TIMER, rota.next_change(now), {}, key=DUTY_KEY)
    return Rota(guild_id, tuple(moderators), period, start, current)


@dataclass(frozen=True, slots=True)
class Rotation:
    rota: Rota
    slot: int
    on_duty: tuple[int, ...]
    until: dt.datetime


async def rotate(db: Database, timers: TimerService, guild_id: int, now: dt.datetime) -> Rotation | None:
    """Timer handler body: the turn that starts now, if not announced yet; schedules the next one."""
    rota = await get(db, guild_id)
    if rota is None:
        return None
    slot = rota.slot_at(now)
    async with db.transaction():
        await timers.schedule(guild_id, DUTY_TIMER, rota.next_change(now), {}, key=DUTY_KEY)
        if slot is None:
            return None
        claimed = await db.execute(
            "UPDATE mod_duty_rotas SET announced_slot = ? WHERE guild_id = ?"
            " AND (announced_slot IS NULL OR announced_slot < ?)",
            (slot, guild_id, slot),
        )
    if claimed.rowcount == 0:
        return None  # already announced (a second delivery of the same timer)
    return Rotation(rota, slot, tuple(rota.on_duty(now)), rota.slot_start(slot + 1))


async def clear(db: Database, timers: TimerService, guild_id: int) -> bool:
    async with db.transaction():
        result = await db.execute("DELETE FROM mod_duty_rotas WHERE guild_id = ?", (guild_id,))
        await timers.cancel(guild_id, DUTY_KEY)
    return result.rowcount > 0
