"""Drill 7 — soak: 50 events a second, and nothing that should stay flat grows.

A real ``relais run`` process takes a mixed load from sixty members: messages (20/s), reactions
(10/s), slash commands (10/s) and clicks on the charter's button (10/s) — 1 minute in CI, 10 with
``RELAIS_DRILL_FULL=1``. After the warm-up (a third of the run: discord.py's 1,000-message cache
and the first answers fill up) and at the end, the drill reads the bot's memory (VmRSS), its
asyncio tasks (the ``stats:`` line it logs on SIGUSR1) and the size of every table. Then SIGTERM:
the bot must close its HTTP session and its database without a warning.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import signal
import sqlite3
import time

import pytest

from bot.sandbox.double import DiscordDouble
from tests.reliability.bot_process import BotProcess, kill_leftovers, launch, rss_kib
from tests.reliability.drill_support import (
    FULL,
    configure_guild,
    connected_sessions,
    seed_with_members,
    storm_member_keys,
    wait_until,
)

DURATION = 600.0 if FULL else 60.0
WARM_UP = DURATION / 3
TICK = 0.1  # five events a tick: two messages, a reaction, a command, a click
ACCEPT = "relais:charter:accept:{guild}"
MEMBERS = 60
STATS = re.compile(r"stats: (\d+) asyncio tasks")


@pytest.fixture(autouse=True)
async def no_bot_left_behind():
    yield
    await kill_leftovers()


def table_sizes(db_path) -> dict[str, int]:
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {name: db.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in names}
    finally:
        db.close()


async def asyncio_tasks(relais: BotProcess) -> int:
    seen = len(relais.matching(STATS.pattern))
    relais.process.send_signal(signal.SIGUSR1)
    await wait_until(lambda: len(relais.matching(STATS.pattern)) > seen, within=10, what="a stats line")
    match = STATS.search(relais.matching(STATS.pattern)[-1])
    assert match is not None
    return int(match.group(1))


async def test_fifty_events_a_second_leave_memory_tasks_and_tables_flat(tmp_path):
    db_path = tmp_path / "relais.db"
    async with DiscordDouble(
        seed_with_members(MEMBERS, roles=("membre",)), interaction_ack_timeout=10
    ) as double:
        driver = double.driver
        await configure_guild(double, db_path)
        relais = await launch(double, db_path, "--no-supervisor")
        await wait_until(lambda: connected_sessions(double) == 1, what="the bot connected")
        await (await driver.slash("camille", "charte publier")).wait_followup(timeout=20)
        announcement = driver.bot_messages("charte")[-1]
        accept = ACCEPT.format(guild=double.guild.id)

        # Each member writes every 3 s, under the charter's flood rule (7 messages in 10 s).
        writers = itertools.cycle(storm_member_keys(MEMBERS))
        members = itertools.cycle(storm_member_keys(MEMBERS - 1))
        interactions = []
        recent = None
        sent = 0
        began = time.monotonic()
        warm: dict[str, object] = {}
        while (elapsed := time.monotonic() - began) < DURATION:
            if not warm and elapsed >= WARM_UP:
                warm = {
                    "rss": rss_kib(relais.pid),
                    "tasks": await asyncio_tasks(relais),
                    "tables": table_sizes(db_path),
                }
            for _ in range(2):
                recent = await driver.send_message(
                    next(writers), "accueil", f"Bonjour à toutes et tous, message n°{sent} de la journée"
                )
                sent += 1
            await driver.react(next(members), recent, "👍")
            interactions.append(await driver.slash(next(members), "aide"))
            interactions.append(await driver.click(next(members), announcement.id, accept))
            sent += 3
            await asyncio.sleep(max(0.0, began + sent / 50 - time.monotonic()))
        await asyncio.sleep(3)  # the last answers
        rss_end = rss_kib(relais.pid)
        tasks_end = await asyncio_tasks(relais)
        tables_end = table_sizes(db_path)
        answered = sum(1 for i in interactions if i.callbacks)
        code = await relais.stop()

    rate = sent / DURATION
    print(
        f"soak: {sent} events in {DURATION:.0f} s ({rate:.0f}/s); RSS {warm['rss']} → {rss_end} KiB;"
        f" tasks {warm['tasks']} → {tasks_end}; {answered}/{len(interactions)} interactions answered"
    )
    assert code == 0
    assert rate >= 45, f"the load ran at {rate:.0f} events/s only"
    assert answered == len(interactions), f"{len(interactions) - answered} interactions never answered"
    assert rss_end < warm["rss"] * 1.10, f"memory grew from {warm['rss']} to {rss_end} KiB"
    assert tasks_end <= warm["tasks"] + 5, f"asyncio tasks grew from {warm['tasks']} to {tasks_end}"
    grown = {t: (warm["tables"][t], n) for t, n in tables_end.items() if n != warm["tables"].get(t)}
    assert grown == {}, f"tables that grew under a load that adds nothing: {grown}"
    assert not relais.matching(r"Unclosed|unclosed|Task was destroyed|Traceback"), relais.output
