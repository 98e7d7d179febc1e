"""Intervisions domain on a real SQLite file: bookings under concurrency, waitlist, timers, topics,
minutes."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.core.db import Database
from bot.core.errors import NotAllowed, UserError
from bot.core.timers import TimerService
from bot.intervisions import sessions as iv

G = 1000
ORGANISER = 1
FACILITATOR = 2
SECRETARY = 3
T0 = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self, moment: dt.datetime) -> None:
        self.moment = moment

    def __call__(self) -> dt.datetime:
        return self.moment


@pytest.fixture
def clock():
    return Clock(T0)


@pytest.fixture
def timers(db, clock):
    return TimerService(db, clock=clock)


@pytest.fixture
def domain(db, timers, clock):
    return iv.Intervisions(
        db, timers, reminder_hours=(24, 1), archive_after=dt.timedelta(hours=2), clock=clock
    )


def draft(capacity=12, days=7, **kw):
    start = T0 + dt.timedelta(days=days)
    return iv.SessionDraft(
        kw.pop("title", "Intervision de mars"),
        start,
        start + dt.timedelta(hours=2, minutes=30),
        capacity=capacity,
        facilitator_id=FACILITATOR,
        secretary_id=SECRETARY,
        **kw,
    )


async def test_hundreds_of_simultaneous_clicks_book_exactly_the_places(domain):
    session = await domain.create(G, draft(capacity=12), created_by=ORGANISER)
    members = list(range(10_000, 10_300))
    clicks = members + members[:100]  # a hundred members click twice
    results = await asyncio.gather(*(domain.book(G, session.id, m) for m in clicks))
    fresh = [r for r in results if not r.already]
    assert sum(r.status == "booked" for r in fresh) == 12
    assert sum(r.status == "waitlist" for r in fresh) == 288
    people = await domain.participants(G, session.id)
    assert len(people.booked) == 12 and len(people.waitlist) == 288
    assert len(set(people.booked) | set(people.waitlist)) == 300
    assert sorted(r.position for r in fresh if r.status == "waitlist") == list(range(1, 289))
    again = await domain.get(G, session.id)
    assert (again.booked, again.waiting, again.places_left) == (12, 288, 0)


async def test_a_second_click_changes_nothing_and_says_where_you_are(domain):
    session = await domain.create(G, draft(capacity=1), created_by=ORGANISER)
    assert (await domain.book(G, session.id, 50)).status == "booked"
    second = await domain.book(G, session.id, 51)
    assert (second.status, second.position, second.already) == ("waitlist", 1, False)
    again = await domain.book(G, session.id, 51)
    assert (again.status, again.position, again.already) == ("waitlist", 1, True)
    assert (await domain.book(G, session.id, 50)).already


async def test_withdrawal_promotes_the_first_waitlisted_member(domain):
    session = await domain.create(G, draft(capacity=2), created_by=ORGANISER)
    for member in (11, 12, 13, 14):
        await domain.book(G, session.id, member)
    out = await domain.withdraw(G, session.id, 12)
    assert out == iv.Withdrawal("booked", (13,))
    people = await domain.participants(G, session.id)
    assert people.booked == (11, 13) and people.waitlist == (14,)
    assert (await domain.status_of(session.id, 14)).position == 1
    # leaving the waitlist promotes nobody; withdrawing twice is harmless
    assert await domain.withdraw(G, session.id, 14) == iv.Withdrawal("waitlist", ())
    assert await domain.withdraw(G, session.id, 14) == iv.Withdrawal(None, ())


async def test_simultaneous_withdrawals_never_overbook(domain):
    session = await domain.create(G, draft(capacity=5), created_by=ORGANISER)
    await asyncio.gather(*(domain.book(G, session.id, m) for m in range(100, 140)))
    booked = (await domain.participants(G, session.id)).booked
    await asyncio.gather(
        *(domain.withdraw(G, session.id, m) for m in booked[:3]),
        *(domain.book(G, session.id, m) for m in range(200, 220)),
    )
    people = await domain.participants(G, session.id)
    assert len(people.booked) == 5
    assert people.booked[2:] == tuple(range(105, 108))  # the first three of the waitlist, in order


async def test_member_leaving_the_server_frees_the_seat(domain):
    first = await domain.create(G, draft(capacity=1), created_by=ORGANISER)
    second = await domain.create(G, draft(capacity=3, days=9), created_by=ORGANISER)
    for member in (21, 22):
        await domain.book(G, first.id, member)
        await domain.book(G, second.id, member)
    freed = await domain.member_left(G, 21)
    assert sorted((s.id, p) for s, p in freed) == [(first.id, (22,)), (second.id, ())]
    assert (await domain.participants(G, first.id)).booked == (22,)


async def test_places_cannot_drop_below_the_members_booked(domain):
    session = await domain.create(G, draft(capacity=3), created_by=ORGANISER)
    for member in (31, 32, 33, 34):
        await domain.book(G, session.id, member)
    with pytest.raises(UserError) as caught:
        await domain.set_capacity(G, session.id, 2, actor_id=ORGANISER, is_moderator=False)
    assert caught.value.key == "intervisions.errors.places_below_booked"
    assert (await domain.get(G, session.id)).capacity == 3
    grown, promoted = await domain.set_capacity(G, session.id, 4, actor_id=ORGANISER, is_moderator=False)
    assert promoted == (34,) and grown.places_left == 0
    with pytest.raises(NotAllowed):
        await domain.set_capacity(G, session.id, 5, actor_id=99, is_moderator=False)


@pytest.mark.parametrize("capacity", [0, 501, -3])
async def test_places_out_of_range_store_nothing(domain, db, capacity):
    with pytest.raises(UserError) as caught:
        await domain.create(G, draft(capacity=capacity), created_by=ORGANISER)
    assert caught.value.key == "intervisions.errors.bad_places"
    assert await db.fetchval("SELECT COUNT(*) FROM intervision_sessions") == 0


async def test_past_session_is_refused(domain, db):
    with pytest.raises(UserError) as caught:
        await domain.create(G, draft(days=-1), created_by=ORGANISER)
    assert caught.value.key == "intervisions.dates.past"
    assert await db.fetchval("SELECT COUNT(*) FROM timers") == 0


async def test_booking_a_cancelled_or_past_session_is_refused(domain, clock):
    session = await domain.create(G, draft(), created_by=ORGANISER)
    await domain.cancel(G, session.id, "salle indisponible", actor_id=ORGANISER, is_moderator=False)
    with pytest.raises(UserError) as caught:
        await domain.book(G, session.id, 5)
    assert caught.value.key == "intervisions.errors.cancelled"
    other = await domain.create(G, draft(), created_by=ORGANISER)
    clock.moment = other.starts_at + dt.timedelta(minutes=1)
    with pytest.raises(UserError) as caught:
        await domain.book(G, other.id, 5)
    assert caught.value.key == "intervisions.errors.closed"


# -- timers -----------------------------------------------------------------------------------
async def test_reminders_are_scheduled_moved_and_cancelled_by_key(domain, timers):
    session = await domain.create(G, draft(), created_by=ORGANISER)
    pending = await timers.pending(G, iv.REMINDER_KIND)
    assert [t.due_at for t in pending] == [
        session.starts_at - dt.timedelta(hours=24),
        session.starts_at - dt.timedelta(hours=1),
    ]
    later = session.starts_at + dt.timedelta(days=2)
    moved = await domain.move(G, session.id, later, None, actor_id=FACILITATOR, is_moderator=False)
    assert moved.ends_at - moved.starts_at == session.ends_at - session.starts_at
    pending = await timers.pending(G, iv.REMINDER_KIND)
    assert [t.due_at for t in pending] == [later - dt.timedelta(hours=24), later - dt.timedelta(hours=1)]
    assert [t.due_at for t in await timers.pending(G, iv.ARCHIVE_KIND)] == [
        moved.ends_at + dt.timedelta(hours=2)
    ]
    await domain.cancel(G, session.id, "", actor_id=ORGANISER, is_moderator=False)
    assert await timers.pending(G) == []


async def test_moving_a_cancelled_session_is_refused(domain):
    session = await domain.create(G, draft(), created_by=ORGANISER)
    await domain.cancel(G, session.id, "", actor_id=ORGANISER, is_moderator=True)
    with pytest.raises(UserError) as caught:
        await domain.move(
            G,
            session.id,
            session.starts_at + dt.timedelta(days=1),
            None,
            actor_id=ORGANISER,
            is_moderator=True,
        )
    assert caught.value.key == "intervisions.errors.cancelled"


async def test_reminders_fire_once_after_a_restart(tmp_path, clock):
    path = tmp_path / "restart.db"
    db = await Database.open(path)
    domain = iv.Intervisions(db, TimerService(db, clock=clock), reminder_hours=(24, 1), clock=clock)
    session = await domain.create(G, draft(), created_by=ORGANISER)
    for member in (41, 42, 43):
        await domain.book(G, session.id, member)
    await domain.set_reminders(G, 42, False)
    await db.close()  # the bot stops before the reminder is due

    db = await Database.open(path)
    timers = TimerService(db, clock=clock)
    domain = iv.Intervisions(db, timers, reminder_hours=(24, 1), clock=clock)
    sent: list[tuple[float, list[int]]] = []

    async def handler(timer):
        users = await domain.reminder_recipients(
            timer.guild_id, timer.payload["session_id"], f"{timer.payload['hours']:g}h"
        )
        sent.append((timer.payload["hours"], users))

    timers.register(iv.REMINDER_KIND, handler)
    clock.moment = session.starts_at - dt.timedelta(hours=23)
    assert await timers.run_due() == 1
    assert await timers.run_due() == 0
    assert sent == [(24, [41, 43])]
    # the same reminder delivered twice (crash window) sends nothing the second time
    assert await domain.reminder_recipients(G, session.id, "24h") == []
    await db.close()


async def test_closed_dms_are_noted_once(domain):
    assert await domain.note_dm_failure(G, 7) is True
    assert await domain.note_dm_failure(G, 7) is False
    assert await domain.dm_closed(G, 7)


async def test_turning_reminders_on_tries_closed_dms_again(domain):
    """A member who reopened their private messages asks for reminders: they must come back, not stay
    skipped until some other message happens to get through."""
    await domain.note_dm_failure(G, 7)
    assert await domain.set_reminders(G, 7, True) is True  # the reply can say DMs were closed
    assert not await domain.dm_closed(G, 7)
    assert await domain.set_reminders(G, 7, True) is False
    await domain.note_dm_failure(G, 8)
    await domain.set_reminders(G, 8, False)
    assert await domain.dm_closed(G, 8)  # turning them off changes nothing else


# -- series -----------------------------------------------------------------------------------
async def test_series_cancel_one_or_all_and_move_one(domain, timers):
    drafts = [draft(days=d) for d in (7, 14, 21)]
    series_id, sessions = await domain.create_series(G, "toutes les semaines", drafts, created_by=ORGANISER)
    assert [s.series_id for s in sessions] == [series_id] * 3
    first, second, third = sessions
    await domain.move(
        G, second.id, second.starts_at + dt.timedelta(hours=1), None, actor_id=ORGANISER, is_moderator=False
    )
    assert (await domain.get(G, first.id)).starts_at == first.starts_at
    assert (await domain.get(G, third.id)).starts_at == third.starts_at
    await domain.cancel(G, first.id, "", actor_id=ORGANISER, is_moderator=False)
    assert [s.status for s in await domain.series_sessions(G, series_id)] == [
        "cancelled",
        "scheduled",
        "scheduled",
    ]
    cancelled = await domain.cancel(
        G, second.id, "fin", actor_id=ORGANISER, is_moderator=False, whole_series=True
    )
    assert [s.id for s in cancelled] == [second.id, third.id]
    assert await timers.pending(G) == []


async def test_a_series_with_a_bad_occurrence_stores_nothing(domain, db):
    with pytest.raises(UserError):
        await domain.create_series(G, "x", [draft(days=7), draft(days=-2)], created_by=ORGANISER)
    assert await db.fetchval("SELECT COUNT(*) FROM intervision_sessions") == 0
    assert await db.fetchval("SELECT COUNT(*) FROM intervision_series") == 0


# -- topics, minutes, offers, permissions --------------------------------------------------------
async def test_topics_votes_and_retaining(domain):
    session = await domain.create(G, draft(), created_by=ORGANISER)
    a = await domain.propose_topic(G, 5, "La juste distance avec les personnes accompagnées")
    b = await domain.propose_topic(G, 6, "Parler de son vécu en réunion d'équipe")
    assert (await domain.toggle_vote(G, b.id, 7))[0] is True
    assert (await domain.toggle_vote(G, b.id, 8))[1].votes == 2
    voted, topic = await domain.toggle_vote(G, b.id, 8)
    assert (voted, topic.votes) == (False, 1)
    assert [t.id for t in await domain.topics(G)] == [b.id, a.id]
    with pytest.raises(NotAllowed):
        await domain.retain_topic(G, a.id, session.id, actor_id=5, is_moderator=False)
    retained, _ = await domain.retain_topic(G, a.id, session.id, actor_id=FACILITATOR, is_moderator=False)
    assert retained.status == "retained" and retained.session_id == session.id
    assert [t.id for t in await domain.topics(G)] == [b.id]
    with pytest.raises(UserError):
        await domain.propose_topic(G, 5, "  ")


async def test_minutes_feed_the_backlog_once_and_keep_a_count(domain):
    session = await domain.create(G, draft(), created_by=ORGANISER)
    with pytest.raises(NotAllowed):
        await domain.save_minutes(
            G, session.id, 99, round_notes="8", thematic="", network="", later_topics="", next_dates=""
        )
    fields = {
        "round_notes": "9 personnes présentes",
        "thematic": "Le secret partagé",
        "network": "Nouvelles de la fédération",
        "later_topics": "- Supervision\n- Burn-out des pairs\n",
        "next_dates": "14/01, 18/02",
    }
    minutes = await domain.save_minutes(G, session.id, SECRETARY, **fields)
    assert minutes.round_count == 9
    assert [t.text for t in minutes.new_topics] == ["Supervision", "Burn-out des pairs"]
    again = await domain.save_minutes(G, session.id, FACILITATOR, **fields)
    assert again.new_topics == ()
    # Topics of the minutes stay with the session until a lead publishes them.
    assert await domain.topics(G) == []
    assert [t.text for t in await domain.unpublished_topics(G, session.id)] == [
        "Supervision",
        "Burn-out des pairs",
    ]
    for message_id, topic in enumerate(minutes.new_topics, start=500):
        await domain.set_topic_message(topic.id, message_id)
    assert len(await domain.topics(G)) == 2
    assert (await domain.minutes(G, session.id)).thematic == "Le secret partagé"


async def test_offers_are_recorded_once(domain):
    session = await domain.create(G, draft(), created_by=ORGANISER)
    assert (await domain.offer(G, session.id, 5, "accueil"))[1] is True
    assert (await domain.offer(G, session.id, 5, "accueil"))[1] is False
    assert (await domain.offer(G, session.id, 5, "animation"))[1] is True
    with pytest.raises(UserError):
        await domain.offer(G, session.id, 5, "cuisine")


async def test_other_guilds_see_nothing(domain):
    session = await domain.create(G, draft(), created_by=ORGANISER)
    with pytest.raises(UserError) as caught:
        await domain.get(G + 1, session.id)
    assert caught.value.key == "intervisions.errors.not_found"
    with pytest.raises(UserError):
        await domain.book(G + 1, session.id, 5)


async def test_scheduled_event_deleted_by_hand_keeps_the_session(domain):
    session = await domain.create(G, draft(), created_by=ORGANISER)
    await domain.set_discord_ids(session.id, event_id=555, message_id=777)
    forgotten = await domain.forget_event(G, 555)
    assert forgotten.id == session.id
    after = await domain.get(G, session.id)
    assert after.event_id is None and after.status == "scheduled" and after.message_id == 777
