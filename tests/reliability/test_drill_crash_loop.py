"""Drill 6 — a bot that crashes at every start: the supervisor slows down; what a restart cannot
heal (a refused token, Discord asking for shards) stops it.

Discord resets a bot's token after 1,000 IDENTIFYs in a day, so a crash loop must not burn them.
Here every start really runs ``relais run --no-supervisor`` against the double, and the bot is
killed (SIGKILL) right after its IDENTIFY. The supervisor runs with its shipped defaults
(``supervisor.*`` in settings.yaml); only its waiting is simulated: ``sleep`` advances a clock
instead of blocking, so "10 minutes" are the real child runs plus the backoff delays the supervisor
asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import Iterator

import pytest

from bot.core import settings as settings_module
from bot.core.settings import SupervisorSettings
from bot.sandbox.double import DiscordDouble
from bot.sandbox.harness import sandbox_environment
from bot.supervisor import EXIT_DO_NOT_RETRY, child_command, next_delay, supervise
from tests.helpers import CONFIG, REPO
from tests.reliability.bot_process import child_pids

TEN_MINUTES = 600.0
CLOSE_SHARDING_REQUIRED = 4011
# Real seconds a drill may take (about ten here): past them its child is stopped and the drill fails.
REAL_TIME_LIMIT = 180.0


class DrillOver(Exception):
    pass


class SimulatedTime:
    """Real time spent by the children, plus the supervisor's backoff delays without waiting them."""

    def __init__(self, horizon: float) -> None:
        self.horizon = horizon
        self.began = time.monotonic()
        self.slept: list[float] = []

    def clock(self) -> float:
        return time.monotonic() - self.began + sum(self.slept)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        if self.clock() >= self.horizon:
            raise DrillOver


class DoubleInAThread:
    """The double on its own event loop: ``supervise`` blocks the test's thread (it must own the
    signal handlers, which only the main thread may set)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="double", daemon=True)
        self.thread.start()
        self.double: DiscordDouble = self.run(DiscordDouble().start())

    def run(self, coro, within: float = 10):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(within)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.run(self.double.stop())
        for task in asyncio.all_tasks(self.loop):
            self.loop.call_soon_threadsafe(task.cancel)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


async def crash_every_bot(double: DiscordDouble) -> None:
    """Each bot dies right after its IDENTIFY (SIGKILL, as an out-of-memory kill would): a crash
    the supervisor must restart, more and more slowly."""
    crashed = 0
    while True:
        if double.gateway.identify_count > crashed:
            crashed = double.gateway.identify_count
            for pid in child_pids(os.getpid()):  # supervise's bot, started from the main thread
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        await asyncio.sleep(0.02)


async def close_every_session(double: DiscordDouble, code: int) -> None:
    """Discord closing each new session right after its IDENTIFY, with a code discord.py won't retry."""
    # Told apart by ``ws.closed`` alone: an ``id()`` of a closed connection is reused by a later one
    # once the first is freed, and that session was then never closed (the bot ran on, the drill hung).
    while True:
        for conn in list(double.gateway.connections):
            if conn.session is not None and not conn.ws.closed:
                await conn.ws.close(code=code, message=b"Sharding is required.")
        await asyncio.sleep(0.02)


@contextlib.contextmanager
def stopped_after(seconds: float) -> Iterator[None]:
    """``supervise`` waits on its child without limit: a child that never ends would hold the whole
    test run. Past ``seconds``, SIGTERM to this process, which ``supervise`` forwards to its child
    before returning, so the drill fails instead."""

    def stop() -> None:
        print(f"drill still running after {seconds:.0f} s: its bot is stopped")  # shown on failure
        os.kill(os.getpid(), signal.SIGTERM)

    timer = threading.Timer(seconds, stop)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


@pytest.fixture
def discord(monkeypatch, tmp_path) -> Iterator[DoubleInAThread]:
    running = DoubleInAThread()
    try:
        for key in [k for k in os.environ if k.startswith("RELAIS_")]:
            monkeypatch.delenv(key)
        for key, value in sandbox_environment(running.double, tmp_path / "relais.db").items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("DISCORD_TOKEN", running.double.token)
        monkeypatch.chdir(REPO)
        yield running
    finally:
        running.close()


def shipped_supervisor_settings() -> SupervisorSettings:
    return settings_module.load(CONFIG, {}).supervisor


def test_a_bot_crashing_at_every_start_identifies_a_handful_of_times_in_ten_minutes(discord, caplog):
    double = discord.double
    settings = shipped_supervisor_settings()
    clock = SimulatedTime(TEN_MINUTES)
    discord.run(_start(crash_every_bot(double)))
    caplog.set_level(logging.WARNING, logger="bot.supervisor")
    with stopped_after(REAL_TIME_LIMIT), pytest.raises(DrillOver):
        supervise(child_command(["run"]), settings, sleep=clock.sleep, clock=clock.clock)

    identifies = double.gateway.identify_count
    assert 4 <= identifies <= 10, f"{identifies} IDENTIFYs in 10 minutes of crashes"
    starts = len(clock.slept)  # one delay before each restart; the last one ended the drill
    assert identifies == starts, "every start IDENTIFYed once before crashing"
    assert clock.slept == [settings.backoff_initial * 2**i for i in range(starts)], "the delay doubles"
    assert len([r for r in caplog.records if "restarting in" in r.getMessage()]) == starts


async def _start(fault) -> None:
    asyncio.get_running_loop().create_task(fault)


def test_a_whole_day_of_crashes_stays_far_below_discords_1000_identifies():
    """The same backoff over 24 h (each run taken as instant, the worst case): the token survives."""
    settings = shipped_supervisor_settings()
    now, starts, delay = 0.0, 1, None
    while True:
        delay = next_delay(delay, settings)
        now += delay
        if now >= 86_400:
            break
        starts += 1
    assert starts < 200, starts


def test_a_refused_token_is_never_retried(discord, monkeypatch):
    double = discord.double
    monkeypatch.setenv("DISCORD_TOKEN", "not-the-token")
    clock = SimulatedTime(TEN_MINUTES)
    with stopped_after(REAL_TIME_LIMIT):
        code = supervise(
            child_command(["run"]), shipped_supervisor_settings(), sleep=clock.sleep, clock=clock.clock
        )
    logins = [r for r in double.driver.requests if r.path.endswith("/users/@me") and r.method == "GET"]
    assert code == EXIT_DO_NOT_RETRY
    assert clock.slept == [] and len(logins) == 1
    assert double.gateway.identify_count == 0


def test_discord_asking_for_shards_is_said_once_and_never_retried(discord, capfd):
    """4011 (« sharding required ») comes back at every start until settings change: not a crash."""
    double = discord.double
    discord.run(_start(close_every_session(double, CLOSE_SHARDING_REQUIRED)))
    clock = SimulatedTime(TEN_MINUTES)
    with stopped_after(REAL_TIME_LIMIT):
        code = supervise(
            child_command(["run"]), shipped_supervisor_settings(), sleep=clock.sleep, clock=clock.clock
        )
    assert code == EXIT_DO_NOT_RETRY
    assert clock.slept == [] and double.gateway.identify_count == 1
    said = capfd.readouterr()
    assert "discord.shard_count" in said.out + said.err
