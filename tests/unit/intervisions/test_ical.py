"""The .ics export, parsed back with the icalendar library: local times, VTIMEZONE, cancellations."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar

from bot.intervisions import ical
from bot.intervisions.sessions import Session

TZ = ZoneInfo("Europe/Brussels")


def session(sid, start, end, status="scheduled", place="Smes, Bruxelles"):
    return Session(
        sid,
        1,
        None,
        "Réunion ouverte",
        start,
        end,
        place,
        False,
        12,
        None,
        None,
        1,
        status,
        None,
        None,
        None,
        None,
        None,
        0,
        0,
    )


def test_sessions_around_both_dst_changes_keep_their_local_hours():
    sessions = [
        session(1, dt.datetime(2026, 3, 28, 14, tzinfo=TZ), dt.datetime(2026, 3, 28, 16, 30, tzinfo=TZ)),
        session(2, dt.datetime(2026, 3, 29, 14, tzinfo=TZ), dt.datetime(2026, 3, 29, 16, 30, tzinfo=TZ)),
        session(3, dt.datetime(2026, 10, 25, 14, tzinfo=TZ), dt.datetime(2026, 10, 25, 16, 30, tzinfo=TZ)),
    ]
    data = ical.build_calendar(sessions, "Europe/Brussels")
    cal = icalendar.Calendar.from_ical(data)
    zones = [c for c in cal.walk("VTIMEZONE")]
    assert [str(z["TZID"]) for z in zones] == ["Europe/Brussels"]
    assert {c.name for c in zones[0].subcomponents} == {"STANDARD", "DAYLIGHT"}
    events = cal.walk("VEVENT")
    assert len(events) == 3
    for event, original in zip(events, sessions, strict=True):
        start = event.decoded("DTSTART")
        assert event["DTSTART"].params["TZID"] == "Europe/Brussels"
        assert (start.hour, start.minute) == (14, 0)
        assert start.astimezone(dt.UTC) == original.starts_at.astimezone(dt.UTC)
        assert event.decoded("DTEND").astimezone(dt.UTC) == original.ends_at.astimezone(dt.UTC)
        assert str(event["LOCATION"]) == "Smes, Bruxelles"
    # 14h in Brussels is 13:00 UTC in winter and 12:00 UTC in summer
    assert [e.decoded("DTSTART").astimezone(dt.UTC).hour for e in events] == [13, 12, 13]
    assert b"BEGIN:VTIMEZONE" in data and b"TZID=Europe/Brussels:20260329T140000" in data


def test_cancelled_session_is_marked_cancelled_with_a_stable_uid():
    start = dt.datetime(2026, 12, 3, 14, tzinfo=TZ)
    first = icalendar.Calendar.from_ical(
        ical.build_calendar([session(7, start, start + dt.timedelta(hours=2))], "Europe/Brussels")
    )
    second = icalendar.Calendar.from_ical(
        ical.build_calendar(
            [session(7, start, start + dt.timedelta(hours=2), status="cancelled")], "Europe/Brussels"
        )
    )
    a, b = first.walk("VEVENT")[0], second.walk("VEVENT")[0]
    assert a["UID"] == b["UID"]
    assert str(a["STATUS"]) == "CONFIRMED" and str(b["STATUS"]) == "CANCELLED"


def test_empty_calendar_is_still_valid_and_file_names_are_safe():
    cal = icalendar.Calendar.from_ical(ical.build_calendar([], "Europe/Brussels"))
    assert cal.walk("VEVENT") == [] and len(cal.walk("VTIMEZONE")) == 1
    assert ical.filename("Réunion ouverte / déc.", 4) == "réunion-ouverte---déc-4.ics"
