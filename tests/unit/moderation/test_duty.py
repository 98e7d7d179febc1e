"""The rotating duty: who is on duty when, and one announcement per turn through the timers."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.core.errors import UserError
from bot.core.timers import TimerService
from bot.moderation import duty

G = 1000
T0 = dt.datetime(2025, 3, 3, 8, 0, tzinfo=dt.UTC)  # Monday 9:00 in Brussels
WEEK = dt.timedelta(weeks=1)
A, B, C = 111111111111111111, 222222222222222222, 333333333333333333


class Clock:
    def __init__(self, at):
        self.at = at

    def __call__(self):
        return self.at


def test_moderators_are_read_from_mentions_and_ids():
    assert duty.parse_moderators(f"<@{A}> <@!{B}>, {C} <@{A}>") == [A, B, C]
    assert duty.parse_moderators("Alice et Bob") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3/3 9h", dt.datetime(2025, 3, 3, 8, 0, tzinfo=dt.UTC)),
        ("03/03/2025 09:30", dt.datetime(2025, 3, 3, 8, 30, tzinfo=dt.UTC)),
        ("2025-07-01 9h", dt.datetime(2025, 7, 1, 7, 0, tzinfo=dt.UTC)),  # summer time
        ("maintenant", T0),
    ],
)
def test_start_is_read_the_french_way_in_the_guild_zone(text, expected):
    assert duty.parse_start(text, "Europe/Brussels", T0) == expected


@pytest.mark.parametrize("text", ["lundi", "31/02", "3/3 25h", "hier"])
def test_bad_start_is_refused(text):
    with pytest.raises(UserError, match="bad_start"):
        duty.parse_start(text, "Europe/Brussels", T0)


def test_weekly_rotation():
    rota = duty.Rota(G, (A, B, C), WEEK, T0)
    assert rota.on_duty(T0 - dt.timedelta(seconds=1)) == []
    assert rota.on_duty(T0) == [A]
    assert rota.on_duty(T0 + WEEK) == [B]
    assert rota.on_duty(T0 + 3 * WEEK + dt.timedelta(days=2)) == [A]
    assert rota.next_change(T0 + dt.timedelta(days=1)) == T0 + WEEK


async def test_plan_validates_and_stores_nothing_on_bad_input(db):
    timers = TimerService(db)
    with pytest.raises(UserError, match="no_moderators"):
        await duty.plan(db, timers, G, moderators=[], period=WEEK, start=T0, created_by=A, now=T0)
    with pytest.raises(UserError, match="bad_period"):
        await duty.plan(
            db, timers, G, moderators=[A], period=dt.timedelta(minutes=5), start=T0, created_by=A, now=T0
        )
    assert await duty.get(db, G) is None and await timers.pending(G) == []


async def test_each_rotation_is_announced_once_through_the_timers(db):
    clock = Clock(T0 - dt.timedelta(days=1))
    timers = TimerService(db, clock=clock)
    announced: list[tuple[int, tuple[int, ...]]] = []

    async def handler(timer):
        rotation = await duty.rotate(db, timers, timer.guild_id, clock())
        if rotation:
            announced.append((rotation.slot, rotation.on_duty))

    timers.register(duty.DUTY_TIMER, handler)
    await duty.plan(db, timers, G, moderators=[A, B], period=WEEK, start=T0, created_by=A, now=clock())
    assert [t.due_at for t in await timers.pending(G, duty.DUTY_TIMER)] == [T0]
    for week in range(3):
        clock.at = T0 + week * WEEK + dt.timedelta(seconds=2)
        assert await timers.run_due() == 1
    assert announced == [(0, (A,)), (1, (B,)), (2, (A,))]
    # A duplicate delivery of the same turn announces nothing.
    assert await duty.rotate(db, timers, G, clock()) is None
    assert [t.due_at for t in await timers.pending(G, duty.DUTY_TIMER)] == [T0 + 3 * WEEK]


async def test_replanning_replaces_the_rota_and_its_timer(db):
    timers = TimerService(db)
    await duty.plan(db, timers, G, moderators=[A], period=WEEK, start=T0, created_by=A, now=T0)
    rota = await duty.plan(
        db,
        timers,
        G,
        moderators=[B, C],
        period=dt.timedelta(days=1),
        start=T0,
        created_by=A,
        now=T0 + dt.timedelta(hours=1),
    )
    assert rota.announced_slot == 0  # the current turn is not announced again
    assert (await duty.get(db, G)).on_duty(T0 + dt.timedelta(days=1)) == [C]
    assert len(await timers.pending(G, duty.DUTY_TIMER)) == 1
    assert await duty.clear(db, timers, G)
    assert await timers.pending(G, duty.DUTY_TIMER) == []
