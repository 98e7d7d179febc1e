"""The waitlist length kept by triggers (migration 0011) gives every click the position the full
count gave, through any mix of bookings, withdrawals, promotions, resizes and departures."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from bot.core.errors import UserError
from bot.core.timers import TimerService
from bot.intervisions import sessions as iv

G = 1000
T0 = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)


def counted_position(conn_rows: list, user_id: int) -> int:
    """The reference: waitlisted members who arrived before, plus one."""
    mine = next(seq for user, seq, status in conn_rows if user == user_id)
    return 1 + sum(1 for _, seq, status in conn_rows if status == "waitlist" and seq < mine)


@pytest.mark.parametrize("seed", range(6))
async def test_positions_and_the_kept_count_match_a_full_count(db, seed):
    rng = random.Random(seed)
    domain = iv.Intervisions(db, TimerService(db, clock=lambda: T0), clock=lambda: T0)
    start = T0 + dt.timedelta(days=7)
    sessions = [
        await domain.create(
            G, iv.SessionDraft(f"Séance {n}", start, start + dt.timedelta(hours=2), capacity=3), created_by=1
        )
        for n in range(2)
    ]
    members = list(range(100, 130))
    for _ in range(160):
        session = rng.choice(sessions)
        member = rng.choice(members)
        action = rng.random()
        if action < 0.6:
            result = await domain.book(G, session.id, member)
            rows = [
                (r["user_id"], r["seq"], r["status"])
                for r in await db.fetchall(
                    "SELECT user_id, seq, status FROM intervision_bookings WHERE session_id = ?",
                    (session.id,),
                )
            ]
            if result.status == "waitlist":
                assert result.position == counted_position(rows, member)
            else:
                assert result.position is None
        elif action < 0.8:
            await domain.withdraw(G, session.id, member)
        elif action < 0.9:
            try:
                await domain.set_capacity(G, session.id, rng.randint(1, 6), actor_id=1, is_moderator=True)
            except UserError:
                pass  # fewer places than members booked: refused, nothing changed
        else:
            await domain.member_left(G, member)
        kept = await db.fetchall(
            "SELECT s.waitlisted, (SELECT COUNT(*) FROM intervision_bookings b WHERE b.session_id = s.id"
            " AND b.status = 'waitlist') FROM intervision_sessions s"
        )
        assert all(row[0] == row[1] for row in kept)
