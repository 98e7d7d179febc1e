"""TimerService against real SQLite files: claims, ordering, retries, leases, restarts."""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import logging

import pytest

from bot.core import timeutil
from bot.core.db import Database
from bot.core.timers import FORGET_WHEN_DONE, Timer, TimerService, _prefix_upper_bound

T0 = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
GUILD = 1001


class FakeClock:
    def __init__(self, start: dt.datetime = T0) -> None:
        self.current = start

    def __call__(self) -> dt.datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += dt.timedelta(seconds=seconds)


@pytest.fixture
async def database(tmp_path):
    db = await Database.open(tmp_path / "timers.db")
    try:
        yield db
    finally:
        await db.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


class Recorder:
    """A handler that records what fired and can wait for a number of calls."""

    def __init__(self) -> None:
        self.fired: list[Timer] = []
        self._changed = asyncio.Event()

    async def __call__(self, timer: Timer) -> None:
        self.fired.append(timer)
        self._changed.set()

    async def wait_for(self, count: int, within: float = 3.0) -> None:
        async with asyncio.timeout(within):
            while len(self.fired) < count:
                self._changed.clear()
                await self._changed.wait()

    @property
    def ids(self) -> list[int]:
        return [t.id for t in self.fired]


async def status_of(db: Database, timer_id: int) -> str:
    return await db.fetchval("SELECT status FROM timers WHERE id = ?", (timer_id,))


def soon(seconds: float = 0.0) -> dt.datetime:
    return timeutil.now() + dt.timedelta(seconds=seconds)


# -- basic firing ---------------------------------------------------------------------------
async def test_fires_once_with_payload(database, clock):
    service = TimerService(database, clock=clock)
    rec = Recorder()
    service.register("remind", rec)
    timer_id = await service.schedule(
        GUILD, "remind", T0 - dt.timedelta(seconds=1), {"text": "hé"}, key="r:1"
    )

    assert await service.run_due() == 1
    assert await service.run_due() == 0
    clock.advance(3600)
    assert await service.run_due() == 0

    assert rec.ids == [timer_id]
    fired = rec.fired[0]
    assert fired.payload == {"text": "hé"} and fired.key == "r:1" and fired.guild_id == GUILD
    assert fired.due_at == T0 - dt.timedelta(seconds=1) and fired.due_at.tzinfo is not None
    assert fired.attempts == 1
    assert await status_of(database, timer_id) == "done"


async def test_not_fired_before_due(database, clock):
    service = TimerService(database, clock=clock)
    rec = Recorder()
    service.register("remind", rec)
    await service.schedule(GUILD, "remind", T0 + dt.timedelta(seconds=10))
    assert await service.run_due() == 0
    clock.advance(10)
    assert await service.run_due() == 1


async def test_order_by_due_time_then_id(database, clock):
    service = TimerService(database, clock=clock, concurrency=4)
    rec = Recorder()
    service.register("k", rec)
    offsets = [5, 1, 3, 3, 2, 4]
    ids = [await service.schedule(GUILD, "k", T0 - dt.timedelta(seconds=100 - o)) for o in offsets]
    assert await service.run_due() == len(ids)
    expected = [i for _, i in sorted(zip(offsets, ids, strict=True))]
    assert rec.ids == expected


async def test_batches_respect_batch_size(database, clock):
    service = TimerService(database, clock=clock, batch_size=3)
    rec = Recorder()
    service.register("k", rec)
    for i in range(7):
        await service.schedule(GUILD, "k", T0 - dt.timedelta(seconds=10 - i))
    assert [await service.run_due() for _ in range(4)] == [3, 3, 1, 0]
    assert len(set(rec.ids)) == 7


async def test_forget_when_done_deletes_only_flagged_successes_of_a_batch(database, clock):
    # The batch's successes are finished in one statement: flagged and plain timers side by side,
    # one flagged timer failing, must each end as they would alone.
    service = TimerService(database, clock=clock, max_attempts=1)

    async def handler(timer: Timer) -> None:
        if timer.payload.get("fail"):
            raise RuntimeError("boom")

    service.register("k", handler)
    due = T0 - dt.timedelta(seconds=5)
    plain = await service.schedule(GUILD, "k", due, {"n": 1})
    flagged = await service.schedule(GUILD, "k", due, {"n": 2, FORGET_WHEN_DONE: True})
    flagged_failing = await service.schedule(GUILD, "k", due, {FORGET_WHEN_DONE: True, "fail": True})
    other_plain = await service.schedule(GUILD, "k", due)

    assert await service.run_due() == 4

    assert await status_of(database, plain) == "done"
    assert await status_of(database, other_plain) == "done"
    assert await status_of(database, flagged) is None  # no row left
    assert await status_of(database, flagged_failing) == "failed"


async def test_naive_datetime_refused(database):
    service = TimerService(database)
    with pytest.raises(ValueError, match="naive"):
        await service.schedule(GUILD, "k", dt.datetime(2025, 1, 1, 12, 0))
    await service.schedule(GUILD, "k", T0, key="x")
    with pytest.raises(ValueError, match="naive"):
        await service.reschedule(GUILD, "x", dt.datetime(2025, 1, 1, 12, 0))
    assert await database.fetchval("SELECT count(*) FROM timers") == 1


def test_duplicate_kind_refused(database):
    service = TimerService(database)
    service.register("k", Recorder())
    with pytest.raises(ValueError):
        service.register("k", Recorder())


# -- keys: replace, cancel, reschedule ------------------------------------------------------
async def test_schedule_same_key_replaces(database, clock):
    service = TimerService(database, clock=clock)
    rec = Recorder()
    service.register("k", rec)
    first = await service.schedule(GUILD, "k", T0 + dt.timedelta(seconds=60), {"v": 1}, key="same")
    second = await service.schedule(GUILD, "k", T0 + dt.timedelta(seconds=30), {"v": 2}, key="same")
    assert first == second
    # Another guild with the same key is independent.
    await service.schedule(GUILD + 1, "k", T0 + dt.timedelta(seconds=30), key="same")

    live = await service.pending(GUILD)
    assert [(t.id, t.payload, t.due_at) for t in live] == [(first, {"v": 2}, T0 + dt.timedelta(seconds=30))]
    clock.advance(120)
    assert await service.run_due() == 2
    assert [t.payload for t in rec.fired if t.guild_id == GUILD] == [{"v": 2}]


async def test_same_key_after_done_creates_new_timer(database, clock):
    service = TimerService(database, clock=clock)
    service.register("k", Recorder())
    first = await service.schedule(GUILD, "k", T0, key="again")
    await service.run_due()
    second = await service.schedule(GUILD, "k", T0, key="again")
    assert second != first
    assert await status_of(database, first) == "done"


async def test_cancel(database, clock):
    service = TimerService(database, clock=clock)
    rec = Recorder()
    service.register("k", rec)
    timer_id = await service.schedule(GUILD, "k", T0, key="c")
    assert await service.cancel(GUILD + 1, "c") is False
    assert await service.cancel(GUILD, "c") is True
    assert await service.cancel(GUILD, "c") is False
    assert await service.run_due() == 0
    assert rec.fired == []
    assert await status_of(database, timer_id) == "cancelled"


async def test_cancel_where_prefix(database, clock):
    service = TimerService(database, clock=clock)
    rec = Recorder()
    service.register("k", rec)
    for key in (
        "intervision:42:j-1",
        "intervision:42:h-1",
        "intervision:420:j-1",
        "intervision:4",
        "other:42:",
    ):
        await service.schedule(GUILD, "k", T0, key=key)
    await service.schedule(GUILD + 1, "k", T0, key="intervision:42:j-1")
    await service.schedule(GUILD, "k", T0, key="intervision_42:x")  # '_' is no wildcard here

    assert await service.cancel_where(GUILD, "intervision:42:") == 2
    assert await service.cancel_where(GUILD, "intervision:42:") == 0
    with pytest.raises(ValueError):
        await service.cancel_where(GUILD, "")
    await service.run_due()
    assert sorted((t.guild_id, t.key) for t in rec.fired) == [
        (GUILD, "intervision:4"),
        (GUILD, "intervision:420:j-1"),
        (GUILD, "intervision_42:x"),
        (GUILD, "other:42:"),
        (GUILD + 1, "intervision:42:j-1"),
    ]


def test_prefix_upper_bound():
    assert _prefix_upper_bound("ab:") == "ab;"
    assert _prefix_upper_bound("a\U0010ffff") == "b"
    assert _prefix_upper_bound("\U0010ffff") is None
    assert _prefix_upper_bound("\ud7ff") == "\ue000"


async def test_reschedule_earlier_and_later(database, clock):
    service = TimerService(database, clock=clock)
    rec = Recorder()
    service.register("k", rec)
    later = await service.schedule(GUILD, "k", T0 + dt.timedelta(seconds=10), key="later")
    earlier = await service.schedule(GUILD, "k", T0 + dt.timedelta(seconds=600), key="earlier")

    assert await service.reschedule(GUILD, "later", T0 + dt.timedelta(seconds=300)) is True
    assert await service.reschedule(GUILD, "earlier", T0 + dt.timedelta(seconds=5)) is True
    assert await service.reschedule(GUILD, "missing", T0) is False

    clock.advance(10)
    assert await service.run_due() == 1
    assert rec.ids == [earlier]
    clock.advance(290)
    assert await service.run_due() == 1
    assert rec.ids == [earlier, later]
    assert await service.reschedule(GUILD, "later", T0) is False  # done: nothing live to move


async def test_pending_lists_in_due_order(database, clock):
    service = TimerService(database, clock=clock)
    b = await service.schedule(GUILD, "b", T0 + dt.timedelta(seconds=2))
    a = await service.schedule(GUILD, "a", T0 + dt.timedelta(seconds=1))
    await service.schedule(GUILD + 1, "a", T0)
    assert [t.id for t in await service.pending(GUILD)] == [a, b]
    assert [t.id for t in await service.pending(GUILD, "b")] == [b]
    assert [t.id for t in await service.pending(GUILD, limit=1)] == [a]


# -- failures -------------------------------------------------------------------------------
async def test_failing_handler_retried_with_backoff_then_failed(database, clock, caplog):
    service = TimerService(database, clock=clock, max_attempts=4, retry_base=30.0)
    calls: list[int] = []

    async def boom(timer: Timer) -> None:
        calls.append(timer.attempts)
        raise RuntimeError(f"boom {timer.attempts}")

    service.register("boom", boom)
    timer_id = await service.schedule(GUILD, "boom", T0)

    expected_delays = [30.0, 60.0, 120.0]
    with caplog.at_level(logging.ERROR, logger="bot.core.timers"):
        for delay in expected_delays:
            assert await service.run_due() == 1
            row = await database.fetchone(
                "SELECT status, due_at, last_error FROM timers WHERE id = ?", (timer_id,)
            )
            assert row["status"] == "pending"
            assert row["due_at"] == pytest.approx(timeutil.to_db(clock()) + delay)
            assert "RuntimeError: boom" in row["last_error"]
            clock.advance(delay - 1)
            assert await service.run_due() == 0  # not before the backoff elapsed
            clock.advance(1)
        assert await service.run_due() == 1

    row = await database.fetchone("SELECT status, attempts, last_error FROM timers WHERE id = ?", (timer_id,))
    assert (row["status"], row["attempts"], row["last_error"]) == ("failed", 4, "RuntimeError: boom 4")
    assert calls == [1, 2, 3, 4]
    clock.advance(10_000)
    assert await service.run_due() == 0
    # Logged with id, kind, guild and a traceback.
    records = [r for r in caplog.records if f"timer {timer_id} (kind=boom, guild={GUILD})" in r.getMessage()]
    assert len(records) == 4 and all(r.exc_info for r in records)


async def test_failure_does_not_block_rest_of_batch(database, clock):
    service = TimerService(database, clock=clock)
    rec = Recorder()

    async def boom(timer: Timer) -> None:
        raise ValueError("nope")

    service.register("ok", rec)
    service.register("boom", boom)
    bad = await service.schedule(GUILD, "boom", T0)
    good = await service.schedule(GUILD, "ok", T0)
    assert await service.run_due() == 2
    assert rec.ids == [good]
    assert await status_of(database, good) == "done"
    assert await status_of(database, bad) == "pending"


async def test_handler_timeout_counts_as_failure(database, clock):
    service = TimerService(database, clock=clock, handler_timeout=0.05, concurrency=1)
    rec = Recorder()

    async def hang(timer: Timer) -> None:
        await asyncio.sleep(10)

    service.register("hang", hang)
    service.register("ok", rec)
    stuck = await service.schedule(GUILD, "hang", T0 - dt.timedelta(seconds=1))
    after = await service.schedule(GUILD, "ok", T0)
    async with asyncio.timeout(2):
        assert await service.run_due() == 2
    row = await database.fetchone("SELECT status, last_error FROM timers WHERE id = ?", (stuck,))
    assert row["status"] == "pending" and "TimeoutError" in row["last_error"]
    # The same worker went on with the next timer of the batch.
    assert rec.ids == [after]
    assert await status_of(database, after) == "done"


async def test_unknown_kind_marked_failed_and_logged_once(database, clock, caplog):
    service = TimerService(database, clock=clock)
    ids = [await service.schedule(GUILD, "ghost", T0) for _ in range(3)]
    with caplog.at_level(logging.ERROR, logger="bot.core.timers"):
        assert await service.run_due() == 3
        await service.schedule(GUILD, "ghost", T0)
        assert await service.run_due() == 1
    for timer_id in ids:
        row = await database.fetchone("SELECT status, last_error FROM timers WHERE id = ?", (timer_id,))
        assert row["status"] == "failed" and "ghost" in row["last_error"]
    assert sum("ghost" in r.getMessage() for r in caplog.records) == 1
    clock.advance(10_000)
    assert await service.run_due() == 0  # not retried


# -- leases and restarts --------------------------------------------------------------------
async def _insert_running(
    db: Database, claimed_at: float, *, attempts: int = 1, key: str | None = None
) -> int:
    result = await db.execute(
        "INSERT INTO timers (guild_id, kind, key, due_at, status, attempts, claimed_by, claimed_at, "
        "created_at)"
        " VALUES (?, 'k', ?, ?, 'running', ?, 'dead-process', ?, ?)",
        (GUILD, key, claimed_at - 1, attempts, claimed_at, claimed_at - 1),
    )
    return result.lastrowid


async def test_stale_running_recovered_at_start_fresh_one_not(database):
    service = TimerService(database, lease=300.0)
    rec = Recorder()
    service.register("k", rec)
    now = timeutil.to_db(timeutil.now())
    stale = await _insert_running(database, now - 301, key="stale")
    fresh = await _insert_running(database, now - 10, key="fresh")
    await service.start()
    try:
        await rec.wait_for(1)
        await asyncio.sleep(0.05)
    finally:
        await service.stop()
    assert rec.ids == [stale]
    assert rec.fired[0].attempts == 2  # the crashed claim counted
    assert await status_of(database, stale) == "done"
    assert await status_of(database, fresh) == "running"


async def test_lease_expired_too_often_marked_failed(database, clock):
    service = TimerService(database, clock=clock, lease=300.0, max_attempts=3)
    poison = await _insert_running(database, timeutil.to_db(T0) - 400, attempts=3)
    assert await service.recover_expired(include_own=True) == 0
    row = await database.fetchone("SELECT status, last_error FROM timers WHERE id = ?", (poison,))
    assert row["status"] == "failed" and "lease expired" in row["last_error"]


async def test_catch_up_after_restart_fires_once(tmp_path):
    path = tmp_path / "restart.db"
    db = await Database.open(path)
    first = TimerService(db)
    past = timeutil.now() - dt.timedelta(hours=2)
    ids = [await first.schedule(GUILD, "k", past + dt.timedelta(minutes=i)) for i in range(5)]
    future = await first.schedule(GUILD, "k", timeutil.now() + dt.timedelta(hours=1))
    await db.close()  # the bot was down while they became due

    db = await Database.open(path)
    try:
        service = TimerService(db)
        rec = Recorder()
        service.register("k", rec)
        await service.start()
        await rec.wait_for(5)
        await asyncio.sleep(0.05)
        await service.stop()
        assert rec.ids == ids
        assert await status_of(db, future) == "pending"
    finally:
        await db.close()

    db = await Database.open(path)  # and a second restart fires nothing again
    try:
        service = TimerService(db)
        rec = Recorder()
        service.register("k", rec)
        await service.start()
        await asyncio.sleep(0.1)
        await service.stop()
        assert rec.fired == []
    finally:
        await db.close()


async def test_two_services_on_two_connections_fire_each_timer_once(tmp_path):
    path = tmp_path / "shared.db"
    db_a = await Database.open(path)
    db_b = await Database.open(path)
    try:
        fired: list[tuple[str, int]] = []
        done = asyncio.Event()
        total = 500

        def handler_for(name: str):
            async def handler(timer: Timer) -> None:
                fired.append((name, timer.id))
                await asyncio.sleep(0)  # yield so the two dispatchers interleave
                if len(fired) >= total:
                    done.set()

            return handler

        a = TimerService(db_a, batch_size=40, worker_id="a")
        b = TimerService(db_b, batch_size=40, worker_id="b")
        a.register("k", handler_for("a"))
        b.register("k", handler_for("b"))
        past = timeutil.now() - dt.timedelta(seconds=5)
        rows = [(GUILD, "k", timeutil.to_db(past), timeutil.to_db(past)) for _ in range(total)]
        await db_a.executemany(
            "INSERT INTO timers (guild_id, kind, due_at, created_at) VALUES (?, ?, ?, ?)", rows
        )

        await asyncio.gather(a.start(), b.start())
        try:
            async with asyncio.timeout(5):
                await done.wait()
            await asyncio.sleep(0.05)
        finally:
            await asyncio.gather(a.stop(), b.stop())

        counts = collections.Counter(timer_id for _, timer_id in fired)
        assert len(counts) == total
        assert set(counts.values()) == {1}
        assert await db_a.fetchval("SELECT count(*) FROM timers WHERE status = 'done'") == total
    finally:
        await db_a.close()
        await db_b.close()


# -- the dispatcher task --------------------------------------------------------------------
async def test_dispatcher_wakes_early_for_sooner_timer(database):
    service = TimerService(database, max_sleep=30.0)
    rec = Recorder()
    service.register("k", rec)
    await service.schedule(GUILD, "k", soon(3600))
    await service.start()
    try:
        await asyncio.sleep(0.05)  # the dispatcher now sleeps on the far timer (capped at 30 s)
        assert service._sleep_until is not None
        near = await service.schedule(GUILD, "k", soon(0.1))
        await rec.wait_for(1, within=2.0)
        assert rec.ids == [near]
        # Rescheduling by key to sooner also wakes it.
        await service.schedule(GUILD, "k", soon(3600), key="moved")
        await asyncio.sleep(0.05)
        await service.reschedule(GUILD, "moved", soon(0.05))
        await rec.wait_for(2, within=2.0)
    finally:
        await service.stop()


async def test_paused_while_discord_is_unreachable_then_fires_once_on_resume(database):
    service = TimerService(database, max_sleep=30.0)
    rec = Recorder()
    service.register("k", rec)
    await service.start()
    try:
        service.pause()
        due = await service.schedule(GUILD, "k", soon(0.05))
        await asyncio.sleep(0.3)
        assert rec.ids == [], "nothing fires against a dead connection"
        service.resume()
        await rec.wait_for(1, within=2.0)
        await asyncio.sleep(0.1)
        assert rec.ids == [due]
    finally:
        await service.stop()


async def test_handler_that_schedules_another_timer(database):
    service = TimerService(database)
    rec = Recorder()
    runs: list[int] = []

    async def digest(timer: Timer) -> None:
        runs.append(timer.id)
        if len(runs) < 3:
            # A weekly digest reschedules itself by its own key while its row is running.
            await service.schedule(timer.guild_id, "digest", soon(0.02), {"n": len(runs)}, key="digest")
        await service.schedule(timer.guild_id, "followup", soon(), {"after": timer.id})

    service.register("digest", digest)
    service.register("followup", rec)
    digest_id = await service.schedule(GUILD, "digest", soon(), key="digest")
    await service.start()
    try:
        await rec.wait_for(3, within=3.0)
        await asyncio.sleep(0.1)
    finally:
        await service.stop()
    assert runs == [digest_id] * 3  # the upsert kept the row; each run fired once
    assert len(rec.fired) == 3
    assert await status_of(database, digest_id) == "done"
    assert await service.pending(GUILD) == []


async def test_cancel_while_running_prevents_retry(database, clock):
    service = TimerService(database, clock=clock)

    async def cancels_itself_then_fails(timer: Timer) -> None:
        await service.cancel(timer.guild_id, timer.key)
        raise RuntimeError("late failure")

    service.register("k", cancels_itself_then_fails)
    timer_id = await service.schedule(GUILD, "k", T0, key="self")
    await service.run_due()
    assert await status_of(database, timer_id) == "cancelled"


async def test_stop_waits_for_in_flight_handler(database):
    service = TimerService(database)
    started = asyncio.Event()
    finished: list[int] = []

    async def slow(timer: Timer) -> None:
        started.set()
        await asyncio.sleep(0.2)
        finished.append(timer.id)

    service.register("slow", slow)
    timer_id = await service.schedule(GUILD, "slow", soon())
    await service.start()
    async with asyncio.timeout(2):
        await started.wait()
    await service.stop()
    assert finished == [timer_id]
    assert await status_of(database, timer_id) == "done"


async def test_stop_releases_handler_past_grace(database):
    service = TimerService(database)
    started = asyncio.Event()

    async def stuck(timer: Timer) -> None:
        started.set()
        await asyncio.sleep(30)

    service.register("stuck", stuck)
    timer_id = await service.schedule(GUILD, "stuck", soon())
    await service.start()
    async with asyncio.timeout(2):
        await started.wait()
    async with asyncio.timeout(3):
        await service.stop(grace=0.1)
    row = await database.fetchone("SELECT status, attempts FROM timers WHERE id = ?", (timer_id,))
    assert (row["status"], row["attempts"]) == ("pending", 0)  # back for the next start, attempt given back


async def test_stop_without_start_and_double_start(database):
    service = TimerService(database)
    await service.stop()
    await service.start()
    with pytest.raises(RuntimeError):
        await service.start()
    await service.stop()
    await service.stop()
