"""iCalendar (.ics) export of intervision sessions, with a VTIMEZONE for the guild's zone.

Built with the ``icalendar`` library (RFC 5545 folding, escaping, VTIMEZONE generated from the
zoneinfo rules). Times are written as local times with ``TZID`` so that a calendar shows
« 14h » in Brussels on both sides of a daylight-saving change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import icalendar

from bot.intervisions.sessions import Session

PRODID = "-//Relais//Intervisions//FR"


def _timezone_component(tz_name: str, sessions: list[Session]) -> icalendar.Timezone:
    tz = ZoneInfo(tz_name)
    if sessions:
        first = min(s.starts_at for s in sessions) - dt.timedelta(days=366)
        last = max(s.ends_at for s in sessions) + dt.timedelta(days=366)
    else:
        now = dt.datetime.now(dt.UTC)
        first, last = now - dt.timedelta(days=366), now + dt.timedelta(days=366)
    # Only the rules around the exported sessions: a short VTIMEZONE every calendar app reads.
    return icalendar.Timezone.from_tzinfo(
        tz, tzid=tz_name, first_date=first.astimezone(tz).date(), last_date=last.astimezone(tz).date()
    )


def build_calendar(
    sessions: Iterable[Session],
    tz_name: str,
    *,
    host: str = "relais.invalid",
    name: str = "Intervisions",
    cancelled_word: str = "Annulé",
    describe: dict[int, str] | None = None,
) -> bytes:
    """A VCALENDAR with one VEVENT per session; a cancelled session is STATUS:CANCELLED so a
    calendar that imported it earlier removes it on the next import (same UID)."""
    sessions = list(sessions)
    tz = ZoneInfo(tz_name)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", tz_name)
    cal.add_component(_timezone_component(tz_name, sessions))
    stamp = dt.datetime.now(dt.UTC)
    for session in sessions:
        event = icalendar.Event()
        event.add("uid", f"intervision-{session.guild_id}-{session.id}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", session.starts_at.astimezone(tz))
        event.add("dtend", session.ends_at.astimezone(tz))
        summary = session.title if session.status != "cancelled" else f"{cancelled_word} — {session.title}"
        event.add("summary", summary)
        if session.place:
            event.add("location", session.place)
        if describe and session.id in describe:
            event.add("description", describe[session.id])
        event.add("status", "CANCELLED" if session.status == "cancelled" else "CONFIRMED")
        event.add("sequence", int(session.starts_at.timestamp()) // 60 % 100000)
        cal.add_component(event)
    return cal.to_ical()


def filename(title: str, session_id: int | None = None) -> str:
    stem = "".join(c if c.isalnum() else "-" for c in title.lower()).strip("-")[:40] or "intervisions"
    return f"{stem}-{session_id}.ics" if session_id is not None else f"{stem}.ics"
