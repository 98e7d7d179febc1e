"""Intervisions: sessions, series, bookings with a waitlist, topics, minutes, offers, reminders.

Discord-free: ids and values in, frozen dataclasses out. The cog renders and talks to Discord.

Concurrency: a booking is ONE ``INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING`` statement.
The seat count, the arrival number and the booked/waitlist decision are computed inside it,
and SQLite runs one writer at a time, so hundreds of simultaneous clicks give exactly
``capacity`` booked rows; the ``(session_id, user_id)`` primary key makes a double booking
impossible. A withdrawal and the promotion it triggers are one transaction.

Timers (``bot/timers.py``), keyed per session so that moving re-keys and cancelling removes them:
``intervision:<id>:reminder:<hours>`` (kind ``intervision.reminder``) and
``intervision:<id>:archive`` (kind ``intervision.archive``, after the end + archive delay).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core import timeutil
from bot.core.db import Database
from bot.core.errors import NotAllowed, NotFound, UserError
from bot.core.timers import TimerService

log = logging.getLogger(__name__)

REMINDER_KIND = "intervision.reminder"
ARCHIVE_KIND = "intervision.archive"
MIN_PLACES, MAX_PLACES = 1, 500
MAX_TITLE = 100
MAX_PLACE = 200
MAX_TOPIC = 300
# A member proposes one topic at a time: each proposal posts a card in the public channel.
TOPIC_COOLDOWN_SECONDS = 120
MAX_SECTION = 1000
OFFER_KINDS = ("accueil", "animation")

_SESSION_COLUMNS = (
    "s.id, s.guild_id, s.series_id, s.title, s.starts_at, s.ends_at, s.place, s.online, s.capacity,"
    " s.facilitator_id, s.secretary_id, s.created_by, s.status, s.cancel_reason, s.channel_id,"
    " s.message_id, s.thread_id, s.event_id,"
    " (SELECT COUNT(*) FROM intervision_bookings b WHERE b.session_id = s.id AND b.status = 'booked') AS "
    "booked,"
    " (SELECT COUNT(*) FROM intervision_bookings b WHERE b.session_id = s.id AND b.status = 'waitlist') AS "
    "waiting"
)


@dataclass(frozen=True, slots=True)
class Session:
    id: int
    guild_id: int
    series_id: int | None
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str | None
    online: bool
    capacity: int
    facilitator_id: int | None
    secretary_id: int | None
    created_by: int
    status: str
    cancel_reason: str | None
    channel_id: int | None
    message_id: int | None
    thread_id: int | None
    event_id: int | None
    booked: int
    waiting: int

    @property
    def places_left(self) -> int:
        return max(0, self.capacity - self.booked)

    @property
    def is_scheduled(self) -> bool:
        return self.status == "scheduled"

    def may_lead(self, user_id: int) -> bool:
        return user_id in (self.facilitator_id, self.secretary_id)


def _session(row: Any) -> Session:
    return Session(
        id=row["id"],
        guild_id=row["guild_id"],
        series_id=row["series_id"],
        title=row["title"],
        starts_at=timeutil.from_db(row["starts_at"]),
        ends_at=timeutil.from_db(row["ends_at"]),
        place=row["place"],
        online=bool(row["online"]),
        capacity=row["capacity"],
        facilitator_id=row["facilitator_id"],
        secretary_id=row["secretary_id"],
        created_by=row["created_by"],
        status=row["status"],
        cancel_reason=row["cancel_reason"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        thread_id=row["thread_id"],
        event_id=row["event_id"],
        booked=row["booked"],
        waiting=row["waiting"],
    )


_SESSION_SQL = f"SELECT {_SESSION_COLUMNS} FROM intervision_sessions s WHERE s.id = ? AND s.guild_id = ?"


def _found(row: Any, session_id: int) -> Session:
    if row is None:
        raise NotFound("intervisions.errors.not_found", id=session_id)
    return _session(row)


@dataclass(frozen=True, slots=True)
class Booking:
    """The outcome of a click on « Je participe »."""

    status: str  # booked | waitlist
    position: int | None  # place in the waitlist (1 = next), None when booked
    already: bool  # the member was already booked or waiting: nothing changed


_STATUS_OF_SQL = (
    "SELECT b.status, (SELECT COUNT(*) FROM intervision_bookings w WHERE w.session_id = b.session_id"
    " AND w.status = 'waitlist' AND w.seq <= b.seq) AS position"
    " FROM intervision_bookings b WHERE b.session_id = ? AND b.user_id = ?"
)


def _existing_booking(row: Any) -> Booking | None:
    if row is None:
        return None
    return Booking(row["status"], row["position"] if row["status"] == "waitlist" else None, True)


@dataclass(frozen=True, slots=True)
class Withdrawal:
    was: str | None  # booked | waitlist | None (was not registered)
    promoted: tuple[int, ...]  # members moved from the waitlist to a seat


@dataclass(frozen=True, slots=True)
class Participants:
    booked: tuple[int, ...]
    waitlist: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Topic:
    id: int
    guild_id: int
    text: str
    proposed_by: int | None
    source_session_id: int | None
    session_id: int | None
    status: str
    votes: int
    message_id: int | None


@dataclass(frozen=True, slots=True)
class Minutes:
    session_id: int
    author_id: int
    round_count: int | None
    round_notes: str
    thematic: str
    network: str
    later_topics: str
    next_dates: str
    new_topics: tuple[Topic, ...] = ()


@dataclass(frozen=True, slots=True)
class SessionDraft:
    """What the cog parsed; validated here before anything is written."""

    title: str
    start: dt.datetime
    end: dt.datetime
    place: str | None = None
    online: bool = False
    capacity: int = 12
    facilitator_id: int | None = None
    secretary_id: int | None = None


def _clean(text: str | None, limit: int) -> str | None:
    if text is None:
        return None
    text = " ".join(text.split())
    return text[:limit] if text else None


def reminder_key(session_id: int, hours: float) -> str:
    return f"intervision:{session_id}:reminder:{hours:g}"


def archive_key(session_id: int) -> str:
    return f"intervision:{session_id}:archive"


def session_key_prefix(session_id: int) -> str:
    return f"intervision:{session_id}:"


def parse_round_count(text: str) -> int | None:
    """« 9 personnes présentes » → 9: the round of introductions is kept as a count."""
    match = re.search(r"\d{1,3}", text or "")
    return int(match.group(0)) if match else None


def split_topics(text: str) -> list[str]:
    """One topic per line (leading dashes and bullets removed)."""
    topics = []
    for line in (text or "").splitlines():
        line = re.sub(r"^\s*(?:[-*•·]|\d+[.)])\s*", "", line).strip()
        if line:
            topics.append(line[:MAX_TOPIC])
    return topics


class Intervisions:
    def __init__(
        self,
        db: Database,
        timers: TimerService | None,
        *,
        reminder_hours: Sequence[float] = (24.0, 1.0),
        archive_after: dt.timedelta = dt.timedelta(hours=2),
        clock: Callable[[], dt.datetime] = timeutil.now,
    ) -> None:
        self.db = db
        self.timers = timers
        self.reminder_hours = tuple(sorted({float(h) for h in reminder_hours if h > 0}, reverse=True))
        self.archive_after = archive_after
        self.clock = clock

    # -- reading ---------------------------------------------------------------------------
    async def get(self, guild_id: int, session_id: int) -> Session:
        return _found(await self.db.fetchone(_SESSION_SQL, (session_id, guild_id)), session_id)

    async def upcoming(self, guild_id: int, *, limit: int = 25) -> list[Session]:
        rows = await self.db.fetchall(
            f"SELECT {_SESSION_COLUMNS} FROM intervision_sessions s"
            " WHERE s.guild_id = ? AND s.status = 'scheduled' AND s.ends_at > ?"
            " ORDER BY s.starts_at, s.id LIMIT ?",
            (guild_id, timeutil.to_db(self.clock()), limit),
        )
        return [_session(r) for r in rows]

    async def series_sessions(self, guild_id: int, series_id: int) -> list[Session]:
        rows = await self.db.fetchall(
            f"SELECT {_SESSION_COLUMNS} FROM intervision_sessions s WHERE s.guild_id = ? AND s.series_id = ?"
            " ORDER BY s.starts_at",
            (guild_id, series_id),
        )
        return [_session(r) for r in rows]

    async def by_event(self, guild_id: int, event_id: int) -> Session | None:
        row = await self.db.fetchone(
            f"SELECT {_SESSION_COLUMNS} FROM intervision_sessions s WHERE s.guild_id = ? AND s.event_id = ?",
            (guild_id, event_id),
        )
        return None if row is None else _session(row)

    async def participants(self, guild_id: int, session_id: int) -> Participants:
        rows = await self.db.fetchall(
            "SELECT user_id, status FROM intervision_bookings WHERE guild_id = ? AND session_id = ? ORDER BY "
            "seq",
            (guild_id, session_id),
        )
        return Participants(
            tuple(r["user_id"] for r in rows if r["status"] == "booked"),
            tuple(r["user_id"] for r in rows if r["status"] == "waitlist"),
        )

    async def status_of(self, session_id: int, user_id: int) -> Booking | None:
        return _existing_booking(await self.db.fetchone(_STATUS_OF_SQL, (session_id, user_id)))

    # -- creating --------------------------------------------------------------------------
    def _validate(self, draft: SessionDraft) -> SessionDraft:
        title = _clean(draft.title, MAX_TITLE)
        if not title:
            raise UserError("intervisions.errors.title_empty")
        if not MIN_PLACES <= draft.capacity <= MAX_PLACES:
            raise UserError(
                "intervisions.errors.bad_places", value=draft.capacity, low=MIN_PLACES, high=MAX_PLACES
            )
        if draft.start <= self.clock():
            from bot.intervisions.french_dates import format_when

            raise UserError("intervisions.dates.past", when=format_when(draft.start))
        if draft.end <= draft.start:
            raise UserError("intervisions.errors.end_before_start")
        return SessionDraft(
            title,
            draft.start,
            draft.end,
            _clean(draft.place, MAX_PLACE),
            draft.online,
            draft.capacity,
            draft.facilitator_id,
            draft.secretary_id,
        )

    async def create(
        self, guild_id: int, draft: SessionDraft, *, created_by: int, series_id: int | None = None
    ) -> Session:
        draft = self._validate(draft)
        async with self.db.transaction():
            session_id = await self._insert(guild_id, draft, created_by, series_id)
        session = await self.get(guild_id, session_id)
        await self._schedule_timers(session)
        return session

    async def _insert(
        self, guild_id: int, draft: SessionDraft, created_by: int, series_id: int | None
    ) -> int:
        now = timeutil.to_db(self.clock())
        result = await self.db.execute(
            "INSERT INTO intervision_sessions (guild_id, series_id, title, starts_at, ends_at, place, online,"
            " capacity, facilitator_id, secretary_id, created_by, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                guild_id,
                series_id,
                draft.title,
                timeutil.to_db(draft.start),
                timeutil.to_db(draft.end),
                draft.place,
                int(draft.online),
                draft.capacity,
                draft.facilitator_id,
                draft.secretary_id,
                created_by,
                now,
                now,
            ),
        )
        assert result.lastrowid is not None
        return result.lastrowid

    async def create_series(
        self, guild_id: int, rule_text: str, drafts: Sequence[SessionDraft], *, created_by: int
    ) -> tuple[int, list[Session]]:
        """Every occurrence in one transaction: a series is written whole or not at all."""
        if not drafts:
            raise UserError("intervisions.dates.no_date", value=rule_text[:100])
        checked = [self._validate(d) for d in drafts]
        async with self.db.transaction():
            result = await self.db.execute(
                "INSERT INTO intervision_series (guild_id, title, rule_text, created_by, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (guild_id, checked[0].title, rule_text[:300], created_by, timeutil.to_db(self.clock())),
            )
            series_id = result.lastrowid
            assert series_id is not None
            for draft in checked:
                await self._insert(guild_id, draft, created_by, series_id)
        sessions = await self.series_sessions(guild_id, series_id)
        for session in sessions:
            await self._schedule_timers(session)
        return series_id, sessions

    async def set_discord_ids(self, session_id: int, **ids: int | None) -> None:
        allowed = {"channel_id", "message_id", "thread_id", "event_id"}
        if not ids or not set(ids) <= allowed:
            raise ValueError(f"unknown columns {set(ids) - allowed}")
        assignments = ", ".join(f"{name} = ?" for name in ids)
        await self.db.execute(
            f"UPDATE intervision_sessions SET {assignments} WHERE id = ?", (*ids.values(), session_id)
        )

    # -- timers ----------------------------------------------------------------------------
    async def _schedule_timers(self, session: Session) -> None:
        if self.timers is None:
            return
        now = self.clock()
        for hours in self.reminder_hours:
            key = reminder_key(session.id, hours)
            due = session.starts_at - dt.timedelta(hours=hours)
            if due > now:
                await self.timers.schedule(
                    session.guild_id, REMINDER_KIND, due, {"session_id": session.id, "hours": hours}, key=key
                )
            else:
                await self.timers.cancel(session.guild_id, key)  # a move closer than the reminder
        await self.timers.schedule(
            session.guild_id,
            ARCHIVE_KIND,
            session.ends_at + self.archive_after,
            {"session_id": session.id},
            key=archive_key(session.id),
        )

    # -- booking ---------------------------------------------------------------------------
    # Each user action below is ONE hop to the database thread (``db.run``): its statements run
    # back to back there, in one transaction, instead of waiting for the event loop in between.
    async def book(self, guild_id: int, session_id: int, user_id: int) -> Booking:
        """ONE statement: seat or waitlist decided inside SQLite, never read-then-write."""
        return await self.db.run(
            _book, guild_id=guild_id, session_id=session_id, user_id=user_id, now=timeutil.to_db(self.clock())
        )

    async def withdraw(self, guild_id: int, session_id: int, user_id: int) -> Withdrawal:
        return await self.db.run(
            _withdraw,
            guild_id=guild_id,
            session_id=session_id,
            user_id=user_id,
            now=timeutil.to_db(self.clock()),
        )

    async def member_left(self, guild_id: int, user_id: int) -> list[tuple[Session, tuple[int, ...]]]:
        """A member left the server: free their seats in upcoming sessions, promote the next ones."""
        freed = await self.db.run(
            _free_member_seats, guild_id=guild_id, user_id=user_id, now=timeutil.to_db(self.clock())
        )
        return [(await self.get(guild_id, session_id), promoted) for session_id, promoted in freed]

    async def set_capacity(
        self, guild_id: int, session_id: int, capacity: int, *, actor_id: int, is_moderator: bool
    ) -> tuple[Session, tuple[int, ...]]:
        """Fewer places than members booked is refused (nobody loses a seat they were given);
        more places promote the waitlist at once."""
        session = await self.get(guild_id, session_id)
        self._require_organiser(session, actor_id, is_moderator)
        self._require_scheduled(session)
        if not MIN_PLACES <= capacity <= MAX_PLACES:
            raise UserError("intervisions.errors.bad_places", value=capacity, low=MIN_PLACES, high=MAX_PLACES)
        promoted = await self.db.run(
            _resize, session=session, capacity=capacity, now=timeutil.to_db(self.clock())
        )
        return await self.get(guild_id, session_id), promoted

    # -- moving and cancelling ---------------------------------------------------------------
    @staticmethod
    def _require_organiser(session: Session, actor_id: int, is_moderator: bool) -> None:
        if not (is_moderator or actor_id in (session.created_by, session.facilitator_id)):
            raise NotAllowed("intervisions.errors.organisers_only")

    def require_can_change(self, session: Session, actor_id: int, is_moderator: bool) -> None:
        """What move/cancel/places check first, for the cog to run before asking a question
        (« cette séance ou toute la série ? ») that the member could not usefully answer."""
        self._require_organiser(session, actor_id, is_moderator)
        self._require_scheduled(session)

    @staticmethod
    def _require_scheduled(session: Session) -> None:
        if session.status == "cancelled":
            raise UserError("intervisions.errors.cancelled", title=session.title)
        if session.status == "done":
            raise UserError("intervisions.errors.already_done", title=session.title)

    async def move(
        self,
        guild_id: int,
        session_id: int,
        start: dt.datetime,
        end: dt.datetime | None,
        *,
        actor_id: int,
        is_moderator: bool,
    ) -> Session:
        """Move one session (never its series siblings); its reminders and archive timer follow.
        A cancelled session cannot be moved: plan a new one instead."""
        session = await self.get(guild_id, session_id)
        self._require_organiser(session, actor_id, is_moderator)
        self._require_scheduled(session)
        if end is None:
            end = start + (session.ends_at - session.starts_at)
        self._validate(SessionDraft(session.title, start, end, capacity=session.capacity))
        await self.db.execute(
            "UPDATE intervision_sessions SET starts_at = ?, ends_at = ?, updated_at = ? WHERE id = ?",
            (timeutil.to_db(start), timeutil.to_db(end), timeutil.to_db(self.clock()), session_id),
        )
        # Reminders already sent for the old time may be sent again for the new one.
        await self.db.execute("DELETE FROM intervision_reminders_sent WHERE session_id = ?", (session_id,))
        moved = await self.get(guild_id, session_id)
        await self._schedule_timers(moved)
        return moved

    async def cancel(
        self,
        guild_id: int,
        session_id: int,
        reason: str,
        *,
        actor_id: int,
        is_moderator: bool,
        whole_series: bool = False,
    ) -> list[Session]:
        """Cancel one session, or every upcoming one of its series; their timers vanish."""
        session = await self.get(guild_id, session_id)
        self._require_organiser(session, actor_id, is_moderator)
        self._require_scheduled(session)
        reason = _clean(reason, 300) or ""
        now = timeutil.to_db(self.clock())
        if whole_series and session.series_id is not None:
            rows = await self.db.fetchall(
                "UPDATE intervision_sessions SET status = 'cancelled', cancel_reason = ?, updated_at = ?"
                " WHERE guild_id = ? AND series_id = ? AND status = 'scheduled' AND starts_at >= ? RETURNING "
                "id",
                (reason, now, guild_id, session.series_id, timeutil.to_db(session.starts_at)),
            )
            ids = [r["id"] for r in rows]
        else:
            await self.db.execute(
                "UPDATE intervision_sessions SET status = 'cancelled', cancel_reason = ?, updated_at = ?"
                " WHERE id = ? AND status = 'scheduled'",
                (reason, now, session_id),
            )
            ids = [session_id]
        if self.timers is not None:
            for sid in ids:
                await self.timers.cancel_where(guild_id, session_key_prefix(sid))
        return [await self.get(guild_id, sid) for sid in ids]

    async def mark_done(self, guild_id: int, session_id: int) -> Session:
        await self.db.execute(
            "UPDATE intervision_sessions SET status = 'done', updated_at = ? WHERE id = ? AND status = "
            "'scheduled'",
            (timeutil.to_db(self.clock()), session_id),
        )
        return await self.get(guild_id, session_id)

    async def forget_event(self, guild_id: int, event_id: int) -> Session | None:
        """The scheduled event was deleted by hand on Discord: the session itself stays (the
        announcement is the reference); we only stop editing an event that no longer exists."""
        session = await self.by_event(guild_id, event_id)
        if session is not None:
            await self.db.execute(
                "UPDATE intervision_sessions SET event_id = NULL WHERE id = ?", (session.id,)
            )
        return session

    # -- reminders ---------------------------------------------------------------------------
    async def set_reminders(self, guild_id: int, user_id: int, enabled: bool) -> bool:
        """Turning reminders on also forgets that this member's DMs were found closed: asking for
        them is the sign they may have reopened. True when they had been found closed."""
        async with self.db.transaction():
            await self.db.execute(
                "INSERT INTO intervision_reminder_prefs (guild_id, user_id, enabled) VALUES (?, ?, ?)"
                " ON CONFLICT (guild_id, user_id) DO UPDATE SET enabled = excluded.enabled",
                (guild_id, user_id, int(enabled)),
            )
            if not enabled:
                return False
            result = await self.db.execute(
                "DELETE FROM intervision_dm_failures WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
            )
            return result.rowcount > 0

    async def reminder_recipients(self, guild_id: int, session_id: int, label: str) -> list[int]:
        """Booked members who keep reminders on and have not had this one yet; claimed in the same
        transaction so that a timer delivered twice sends nothing twice."""
        async with self.db.transaction():
            rows = await self.db.fetchall(
                "SELECT b.user_id FROM intervision_bookings b"
                " LEFT JOIN intervision_reminder_prefs p ON p.guild_id = b.guild_id AND p.user_id = b.user_id"
                " WHERE b.session_id = ? AND b.guild_id = ? AND b.status = 'booked' AND COALESCE(p.enabled, "
                "1) = 1"
                " AND NOT EXISTS (SELECT 1 FROM intervision_reminders_sent r WHERE r.session_id = "
                "b.session_id"
                " AND r.label = ? AND r.user_id = b.user_id) ORDER BY b.seq",
                (session_id, guild_id, label),
            )
            users = [r["user_id"] for r in rows]
            await self.db.executemany(
                "INSERT OR IGNORE INTO intervision_reminders_sent (session_id, label, user_id) VALUES (?, ?, "
                "?)",
                [(session_id, label, u) for u in users],
            )
        return users

    async def claim_once(self, session_id: int, label: str, user_id: int) -> bool:
        """True the first time (session, label, user) is claimed: a message sent once per key."""
        result = await self.db.execute(
            "INSERT OR IGNORE INTO intervision_reminders_sent (session_id, label, user_id) VALUES (?, ?, ?)",
            (session_id, label, user_id),
        )
        return result.rowcount > 0

    async def note_dm_failure(self, guild_id: int, user_id: int) -> bool:
        """True the first time a member's DMs are found closed (log it then, not every time)."""
        result = await self.db.execute(
            "INSERT OR IGNORE INTO intervision_dm_failures (guild_id, user_id, failed_at) VALUES (?, ?, ?)",
            (guild_id, user_id, timeutil.to_db(self.clock())),
        )
        return result.rowcount > 0

    async def dm_closed(self, guild_id: int, user_id: int) -> bool:
        return bool(
            await self.db.fetchval(
                "SELECT 1 FROM intervision_dm_failures WHERE guild_id = ? AND user_id = ?",
                (guild_id, user_id),
            )
        )

    async def clear_dm_failure(self, guild_id: int, user_id: int) -> None:
        await self.db.execute(
            "DELETE FROM intervision_dm_failures WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )

    # -- offers ------------------------------------------------------------------------------
    async def offer(self, guild_id: int, session_id: int, user_id: int, kind: str) -> tuple[Session, bool]:
        if kind not in OFFER_KINDS:
            raise UserError("intervisions.errors.bad_offer", value=kind[:20])
        session = await self.get(guild_id, session_id)
        self._require_scheduled(session)
        result = await self.db.execute(
            "INSERT OR IGNORE INTO intervision_offers (session_id, guild_id, user_id, kind, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (session_id, guild_id, user_id, kind, timeutil.to_db(self.clock())),
        )
        return session, result.rowcount > 0

    # -- topics ------------------------------------------------------------------------------
    async def propose_topic(
        self,
        guild_id: int,
        user_id: int | None,
        text: str,
        source_session_id: int | None = None,
        cooldown_seconds: int = 0,
    ) -> Topic:
        """A new topic. ``cooldown_seconds``: refused (« Doucement 🙂 ») when the same member proposed
        one that recently with ``/intervision sujet proposer``; topics from minutes are not counted."""
        text = _clean(text, MAX_TOPIC)
        if not text or len(text) < 3:
            raise UserError("intervisions.errors.topic_empty")
        if cooldown_seconds > 0 and user_id is not None:
            last = await self.db.fetchval(
                "SELECT MAX(created_at) FROM intervision_topics"
                " WHERE guild_id = ? AND proposed_by = ? AND source_session_id IS NULL",
                (guild_id, user_id),
            )
            if last is not None:
                wait = last + cooldown_seconds - timeutil.to_db(self.clock())
                if wait > 0:
                    raise UserError("intervisions.topics.cooldown", seconds=max(1, round(wait)))
        result = await self.db.execute(
            "INSERT INTO intervision_topics (guild_id, text, proposed_by, source_session_id, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (guild_id, text, user_id, source_session_id, timeutil.to_db(self.clock())),
        )
        assert result.lastrowid is not None
        return await self.topic(guild_id, result.lastrowid)

    async def unpublished_topics(self, guild_id: int, session_id: int) -> list[Topic]:
        """Topics from a session's minutes not yet posted in the public channel (still open)."""
        rows = await self.db.fetchall(
            self._TOPIC_SQL + " WHERE t.guild_id = ? AND t.source_session_id = ? AND t.private = 1"
            " AND t.status = 'open' ORDER BY t.id",
            (guild_id, session_id),
        )
        return [self._topic(row) for row in rows]

    _TOPIC_SQL = (
        "SELECT t.id, t.guild_id, t.text, t.proposed_by, t.source_session_id, t.session_id, t.status, "
        "t.message_id,"
        " (SELECT COUNT(*) FROM intervision_topic_votes v WHERE v.topic_id = t.id) AS votes"
        " FROM intervision_topics t"
    )

    @staticmethod
    def _topic(row: Any) -> Topic:
        return Topic(
            row["id"],
            row["guild_id"],
            row["text"],
            row["proposed_by"],
            row["source_session_id"],
            row["session_id"],
            row["status"],
            row["votes"],
            row["message_id"],
        )

    async def topic(self, guild_id: int, topic_id: int) -> Topic:
        row = await self.db.fetchone(
            self._TOPIC_SQL + " WHERE t.id = ? AND t.guild_id = ?", (topic_id, guild_id)
        )
        if row is None:
            raise NotFound("intervisions.errors.topic_not_found", id=topic_id)
        return self._topic(row)

    async def topics(self, guild_id: int, *, status: str = "open", limit: int = 25) -> list[Topic]:
        rows = await self.db.fetchall(
            self._TOPIC_SQL + " WHERE t.guild_id = ? AND t.status = ? AND t.private = 0"
            " ORDER BY votes DESC, t.id LIMIT ?",
            (guild_id, status, limit),
        )
        return [self._topic(r) for r in rows]

    async def set_topic_message(self, topic_id: int, message_id: int) -> None:
        """The topic is posted: from now on it is public (a minutes' topic joins the backlog)."""
        await self.db.execute(
            "UPDATE intervision_topics SET message_id = ?, private = 0 WHERE id = ?", (message_id, topic_id)
        )

    async def toggle_vote(self, guild_id: int, topic_id: int, user_id: int) -> tuple[bool, Topic]:
        """First click votes, second click takes the vote back. Returns (voted now, topic)."""
        topic = await self.topic(guild_id, topic_id)
        async with self.db.transaction():
            added = await self.db.execute(
                "INSERT OR IGNORE INTO intervision_topic_votes (topic_id, guild_id, user_id) VALUES "
                "(?, ?, ?)",
                (topic.id, guild_id, user_id),
            )
            if added.rowcount == 0:
                await self.db.execute(
                    "DELETE FROM intervision_topic_votes WHERE topic_id = ? AND user_id = ?",
                    (topic.id, user_id),
                )
        return added.rowcount > 0, await self.topic(guild_id, topic_id)

    async def retain_topic(
        self, guild_id: int, topic_id: int, session_id: int, *, actor_id: int, is_moderator: bool
    ) -> tuple[Topic, Session]:
        topic = await self.topic(guild_id, topic_id)
        session = await self.get(guild_id, session_id)
        if not (is_moderator or actor_id == session.facilitator_id):
            raise NotAllowed("intervisions.errors.facilitator_only")
        self._require_scheduled(session)
        await self.db.execute(
            "UPDATE intervision_topics SET status = 'retained', session_id = ? WHERE id = ?",
            (session_id, topic.id),
        )
        return await self.topic(guild_id, topic_id), session

    async def session_topics(self, guild_id: int, session_id: int) -> list[Topic]:
        rows = await self.db.fetchall(
            self._TOPIC_SQL + " WHERE t.guild_id = ? AND t.session_id = ? ORDER BY votes DESC, t.id",
            (guild_id, session_id),
        )
        return [self._topic(r) for r in rows]

    # -- minutes -------------------------------------------------------------------------------
    async def save_minutes(
        self,
        guild_id: int,
        session_id: int,
        author_id: int,
        *,
        round_notes: str,
        thematic: str,
        network: str,
        later_topics: str,
        next_dates: str,
        is_moderator: bool = False,
    ) -> Minutes:
        """Facilitator or note-taker only. Each line of « sujets à traiter plus tard » becomes a
        topic in the backlog (once: saving again does not duplicate them)."""
        session = await self.get(guild_id, session_id)
        if not session.may_lead(author_id) and not is_moderator:
            raise NotAllowed("intervisions.errors.leads_only")
        if session.status == "cancelled":
            raise UserError("intervisions.errors.cancelled", title=session.title)
        sections = [_clean_block(s) for s in (round_notes, thematic, network, later_topics, next_dates)]
        if not any(sections):
            raise UserError("intervisions.errors.minutes_empty")
        now = timeutil.to_db(self.clock())
        async with self.db.transaction():
            existing = {
                r["text"]
                for r in await self.db.fetchall(
                    "SELECT text FROM intervision_topics WHERE guild_id = ? AND source_session_id = ?",
                    (guild_id, session_id),
                )
            }
            await self.db.execute(
                "INSERT INTO intervision_minutes (session_id, guild_id, author_id, round_count, round_notes,"
                " thematic, network, later_topics, next_dates, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                "?, ?)"
                " ON CONFLICT (session_id) DO UPDATE SET author_id = excluded.author_id,"
                " round_count = excluded.round_count, round_notes = excluded.round_notes,"
                " thematic = excluded.thematic, network = excluded.network,"
                " later_topics = excluded.later_topics, next_dates = excluded.next_dates,"
                " updated_at = excluded.updated_at",
                (session_id, guild_id, author_id, parse_round_count(sections[0]), *sections, now),
            )
            new_ids = []
            for text in split_topics(sections[3]):
                if text in existing:
                    continue
                existing.add(text)
                # Private to the session until a lead publishes it (« Publier ces sujets »).
                result = await self.db.execute(
                    "INSERT INTO intervision_topics (guild_id, text, proposed_by, source_session_id, "
                    "created_at,"
                    " private) VALUES (?, ?, ?, ?, ?, 1)",
                    (guild_id, text, author_id, session_id, now),
                )
                new_ids.append(result.lastrowid)
        topics = tuple([await self.topic(guild_id, i) for i in new_ids])
        return Minutes(session_id, author_id, parse_round_count(sections[0]), *sections, new_topics=topics)

    async def minutes(self, guild_id: int, session_id: int) -> Minutes | None:
        row = await self.db.fetchone(
            "SELECT * FROM intervision_minutes WHERE guild_id = ? AND session_id = ?", (guild_id, session_id)
        )
        if row is None:
            return None
        return Minutes(
            row["session_id"],
            row["author_id"],
            row["round_count"],
            row["round_notes"],
            row["thematic"],
            row["network"],
            row["later_topics"],
            row["next_dates"],
        )


def _clean_block(text: str | None) -> str:
    lines = [line.rstrip() for line in (text or "").strip().splitlines()]
    return "\n".join(lines)[:MAX_SECTION]


# -- bookings, run in the database thread through ``db.run`` (one transaction each) ------------
def _book(conn: sqlite3.Connection, *, guild_id: int, session_id: int, user_id: int, now: str) -> Booking:
    """Seat or waitlist decided inside SQLite by one INSERT, never read-then-write. The next arrival
    number is the last booked or waitlisted seq plus one (two index seeks); a waitlisted member's
    position is the session's waitlist length, kept by triggers (migration 0011), read after."""
    row = conn.execute(
        "INSERT INTO intervision_bookings (session_id, guild_id, user_id, seq, status, created_at)"
        " SELECT s.id, s.guild_id, :user,"
        "  MAX(COALESCE((SELECT MAX(seq) FROM intervision_bookings WHERE session_id = s.id"
        "   AND status = 'booked'), 0), COALESCE((SELECT MAX(seq) FROM intervision_bookings"
        "   WHERE session_id = s.id AND status = 'waitlist'), 0)) + 1,"
        "  CASE WHEN (SELECT COUNT(*) FROM intervision_bookings WHERE session_id = s.id"
        "   AND status = 'booked') < s.capacity THEN 'booked' ELSE 'waitlist' END, :now"
        " FROM intervision_sessions s"
        " WHERE s.id = :sid AND s.guild_id = :gid AND s.status = 'scheduled' AND s.starts_at > :now"
        " ON CONFLICT (session_id, user_id) DO NOTHING"
        " RETURNING status",
        {"user": user_id, "now": now, "sid": session_id, "gid": guild_id},
    ).fetchone()
    if row is not None:
        if row["status"] == "booked":
            return Booking("booked", None, False)
        # Arrived last: everyone waiting is ahead, so the position is the waitlist's new length.
        waiting = conn.execute("SELECT waitlisted FROM intervision_sessions WHERE id = ?", (session_id,))
        return Booking("waitlist", waiting.fetchone()[0], False)
    # Nothing inserted: already there, or the session is closed/unknown.
    existing = _existing_booking(conn.execute(_STATUS_OF_SQL, (session_id, user_id)).fetchone())
    if existing is not None:
        return existing
    session = _found(conn.execute(_SESSION_SQL, (session_id, guild_id)).fetchone(), session_id)
    if session.status == "cancelled":
        raise UserError("intervisions.errors.cancelled", title=session.title)
    raise UserError("intervisions.errors.closed", title=session.title)


def _withdraw(
    conn: sqlite3.Connection, *, guild_id: int, session_id: int, user_id: int, now: str
) -> Withdrawal:
    """The withdrawal and the promotion it triggers, in one transaction."""
    row = conn.execute(
        "DELETE FROM intervision_bookings WHERE guild_id = ? AND session_id = ? AND user_id = ?"
        " RETURNING status",
        (guild_id, session_id, user_id),
    ).fetchone()
    was = None if row is None else row[0]
    return Withdrawal(was, _fill_seats(conn, session_id, now) if was == "booked" else ())


def _free_member_seats(
    conn: sqlite3.Connection, *, guild_id: int, user_id: int, now: str
) -> list[tuple[int, tuple[int, ...]]]:
    rows = conn.execute(
        "DELETE FROM intervision_bookings WHERE guild_id = ? AND user_id = ? AND session_id IN"
        " (SELECT id FROM intervision_sessions WHERE guild_id = ? AND status = 'scheduled' AND ends_at > ?)"
        " RETURNING session_id, status",
        (guild_id, user_id, guild_id, now),
    ).fetchall()
    freed = []
    for row in rows:
        promoted = _fill_seats(conn, row["session_id"], now) if row["status"] == "booked" else ()
        freed.append((row["session_id"], promoted))
    return freed


def _resize(conn: sqlite3.Connection, *, session: Session, capacity: int, now: str) -> tuple[int, ...]:
    result = conn.execute(
        "UPDATE intervision_sessions SET capacity = :cap, updated_at = :now WHERE id = :sid"
        " AND (SELECT COUNT(*) FROM intervision_bookings WHERE session_id = :sid"
        " AND status = 'booked') <= :cap",
        {"cap": capacity, "sid": session.id, "now": now},
    )
    if result.rowcount == 0:
        raise UserError("intervisions.errors.places_below_booked", booked=session.booked, value=capacity)
    return _fill_seats(conn, session.id, now)


def _fill_seats(conn: sqlite3.Connection, session_id: int, now: str) -> tuple[int, ...]:
    """Give free seats to the first waitlisted members, in order of arrival (one statement)."""
    rows = conn.execute(
        "UPDATE intervision_bookings SET status = 'booked', promoted_at = :now"
        " WHERE session_id = :sid AND status = 'waitlist' AND seq IN ("
        "  SELECT seq FROM intervision_bookings WHERE session_id = :sid AND status = 'waitlist'"
        "  ORDER BY seq LIMIT MAX(0, (SELECT capacity FROM intervision_sessions WHERE id = :sid"
        "  AND status = 'scheduled') - (SELECT COUNT(*) FROM intervision_bookings"
        "  WHERE session_id = :sid AND status = 'booked')))"
        " RETURNING user_id, seq",
        {"sid": session_id, "now": now},
    ).fetchall()
    return tuple(r["user_id"] for r in sorted(rows, key=lambda r: r["seq"]))
