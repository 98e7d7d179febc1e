"""Drill 4 — Discord unreachable: the bot waits, says so once, and comes back by itself.

The double refuses the gateway and resets every REST connection (a network cut, not a polite
502) for ``OUTAGE`` seconds: 15 s in CI; 60 s, then 600 s (the issue's "10 minutes", in real time,
as the bot takes no clock from outside) with ``RELAIS_DRILL_FULL=1``. A moderation timer (the end
of a member's timeout, which posts one line in the mod-log) falls due in the middle of the outage.
Afterwards: one warning and one "back" line in the log, the timer fired once, commands answer,
and the supervisor never restarted the bot.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import time

import pytest

from bot.core import guild_config
from bot.core.db import Database
from bot.core.timers import TimerService
from bot.moderation import cases as moderation
from bot.sandbox.double import DiscordDouble
from tests.reliability.bot_process import kill_leftovers, launch
from tests.reliability.drill_support import FULL, connected_sessions, wait_until

OUTAGES = [60.0, 600.0] if FULL else [15.0]


@pytest.fixture(autouse=True)
async def no_bot_left_behind():
    yield
    await kill_leftovers()


async def prepare(double: DiscordDouble, db_path, due_in: float) -> int:
    """A configured mod-log and a timeout ending ``due_in`` seconds from now; the case's id."""
    db = await Database.open(db_path)
    try:
        guild = double.guild.id
        await guild_config.set_channel(db, guild, "modlog", double.driver.channel("mod-log").id)
        now = dt.datetime.now(dt.UTC)
        case = await moderation.record_case(
            db,
            TimerService(db),
            guild,
            member_id=double.driver.user_id("noah"),
            moderator_id=double.driver.user_id("sami"),
            action="timeout",
            article=None,
            reason="exercice de panne",
            now=now,
            expires_at=now + dt.timedelta(seconds=due_in),
        )
        return case.id
    finally:
        await db.close()


async def case_timer(db_path, case_id: int):
    db = await Database.open(db_path, migrate=False)
    try:
        return await db.fetchone(
            "SELECT status, attempts FROM timers WHERE key = ?", (moderation.case_timer_key(case_id),)
        )
    finally:
        await db.close()


@pytest.mark.parametrize("outage", OUTAGES)
async def test_outage_is_waited_out_said_once_and_timers_fire_once_after(tmp_path, outage):
    db_path = tmp_path / "relais.db"
    async with DiscordDouble() as double:
        bot_started = time.monotonic()
        case_id = await prepare(double, db_path, due_in=8 + outage / 3)
        relais = await launch(double, db_path, env={"RELAIS_SUPERVISOR__BACKOFF_INITIAL": "0.2"})
        await wait_until(lambda: connected_sessions(double) == 1, what="the bot connected")
        await (await double.driver.slash("lea", "aide")).wait(timeout=20)
        child = relais.children()
        assert len(child) == 1, "the supervisor runs one bot"
        ended = "Fin de la suspension"

        double.unreachable(outage, reset_rest=True)
        outage_began = time.monotonic()
        await asyncio.sleep(outage)
        assert not any(ended in m.content for m in double.driver.bot_messages("mod-log"))
        # Attempts are a random wait apart, capped at 64 s (ReconnectBackoff), however long it lasted.
        await wait_until(lambda: connected_sessions(double) >= 1, within=90, what="the bot reconnected")
        await wait_until(
            lambda: any(ended in m.content for m in double.driver.bot_messages("mod-log")),
            within=40,
            what="the timer due during the outage fired",
        )
        back = await (await double.driver.slash("lea", "aide")).wait(timeout=20)
        assert back.content or back.embeds
        await asyncio.sleep(1)
        timer = await case_timer(db_path, case_id)
        posted = [m for m in double.driver.bot_messages("mod-log") if ended in m.content]
        children_after = relais.children()
        code = await relais.stop()

    assert len(posted) == 1, "the timer fired once: one line in the mod-log"
    assert timer["status"] == "done"
    assert children_after == child, "the bot recovered by itself: the supervisor restarted nothing"
    assert code == 0
    lost = relais.matching(r"connection to Discord lost")
    regained = relais.matching(r"connection to Discord back")
    assert len(lost) == 1 and len(regained) == 1, relais.output
    since_outage = relais.lines[relais.lines.index(lost[0]) :]
    during = [line for line in since_outage if re.search(r"\[(WARNING|ERROR|CRITICAL)|Traceback", line)]
    assert during == lost, "one warning for the whole outage, no traceback:\n" + "\n".join(during)
    assert outage_began - bot_started < 8 + outage / 3, "the timer was due during the outage"
