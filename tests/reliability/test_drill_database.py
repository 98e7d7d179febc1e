"""Drill 5 — database trouble: locked, full, corrupt. One clear line, no crash loop, nothing lost.

How each trouble is made, honestly:

* locked: the test holds ``BEGIN EXCLUSIVE`` on the bot's file from its own sqlite3 connection,
  as another process would (a second Relais, a careless ``sqlite3`` shell);
* disk full: no small filesystem can be mounted here, and ``PRAGMA max_page_count`` only binds the
  connection that sets it, so the kernel is asked instead: the bot process's file-size limit
  (``RLIMIT_FSIZE``) is lowered under its files' size. Every write that would grow them is refused
  (EFBIG), which SQLite reports as « disk I/O error » — a genuinely full disk gives « database or
  disk is full »; both are the same ``sqlite3.OperationalError`` to the bot;
* corrupt: the file is replaced by bytes that are not a SQLite database.

At start the bot writes one line saying what is wrong and what to do, and exits with
``EXIT_DO_NOT_RETRY`` (78), which the supervisor (and systemd's ``RestartPreventExitStatus``)
does not restart. While running, a command that cannot write fails for that member only; the bot
stays up and works again once the trouble clears.
"""

from __future__ import annotations

import asyncio
import re
import resource
import sqlite3

import pytest

from bot.core.db import Database
from bot.sandbox.double import DiscordDouble
from bot.supervisor import EXIT_DO_NOT_RETRY
from tests.reliability.bot_process import BotProcess, kill_leftovers, launch
from tests.reliability.drill_support import connected_sessions, consistency_problems, read_only, wait_until

FAST_RESTARTS = {"RELAIS_SUPERVISOR__BACKOFF_INITIAL": "0.2"}
PROBLEM = re.compile(r"\[(WARNING|ERROR|CRITICAL)|Traceback")


@pytest.fixture(autouse=True)
async def no_bot_left_behind():
    yield
    await kill_leftovers()


def logins(double: DiscordDouble) -> int:
    return sum(1 for r in double.driver.requests if r.path.endswith("/users/@me") and r.method == "GET")


def bot_problems(relais: BotProcess) -> list[str]:
    """Warnings and errors of the bot itself: not discord.py's voice notice, not the supervisor's."""
    return [
        line
        for line in relais.lines
        if PROBLEM.search(line) and "voice will NOT be supported" not in line and "bot.supervisor" not in line
    ]


async def committed_timezone(db_path) -> str | None:
    db = await Database.open(db_path, migrate=False)
    try:
        return await db.fetchval("SELECT timezone FROM guild_settings")
    finally:
        await db.close()


async def configure_timezone(double: DiscordDouble, zone: str) -> None:
    answer = await (await double.driver.slash("camille", "config fuseau", fuseau=zone)).wait(timeout=15)
    assert zone in (answer.content or ""), answer.content


async def start_ready(double: DiscordDouble, db_path) -> BotProcess:
    relais = await launch(double, db_path, env=FAST_RESTARTS)
    await wait_until(lambda: connected_sessions(double) == 1, what="the bot connected")
    await (await double.driver.slash("lea", "aide")).wait(timeout=20)
    return relais


async def assert_stops_once_with_one_line(double, relais: BotProcess, *words: str) -> str:
    code = await relais.wait(within=60)
    problems = bot_problems(relais)
    assert code == EXIT_DO_NOT_RETRY, relais.output
    assert logins(double) == 1, "not restarted: " + relais.output
    assert len(problems) == 1, "exactly one line:\n" + relais.output
    for word in words:
        assert word in problems[0], problems[0]
    return problems[0]


async def test_a_corrupt_file_at_start_is_named_once_and_left_untouched(tmp_path):
    db_path = tmp_path / "relais.db"
    garbage = b"Ceci n'est pas une base SQLite. " * 512
    db_path.write_bytes(garbage)
    async with DiscordDouble() as double:
        relais = await launch(double, db_path, env=FAST_RESTARTS)
        await assert_stops_once_with_one_line(double, relais, str(db_path), "backup")
    assert db_path.read_bytes() == garbage, "a damaged file is evidence: never overwritten"


async def test_a_file_locked_by_another_process_at_start(tmp_path):
    db_path = tmp_path / "relais.db"
    async with DiscordDouble() as double:
        relais = await start_ready(double, db_path)
        await configure_timezone(double, "Europe/Brussels")
        assert await relais.stop() == 0
        double.driver.requests.clear()

        other = sqlite3.connect(db_path, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        try:
            relais = await launch(double, db_path, env=FAST_RESTARTS)
            await assert_stops_once_with_one_line(double, relais, str(db_path), "locked")
        finally:
            other.execute("ROLLBACK")
            other.close()
    assert await committed_timezone(db_path) == "Europe/Brussels"


async def test_a_full_disk_at_start(tmp_path):
    db_path = tmp_path / "relais.db"

    def tiny_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))

    async with DiscordDouble() as double:
        relais = await launch(double, db_path, env=FAST_RESTARTS, preexec_fn=tiny_files)
        await assert_stops_once_with_one_line(double, relais, str(db_path), "disk")


async def test_a_lock_and_a_full_disk_while_running_lose_nothing_and_clear_by_themselves(tmp_path):
    db_path = tmp_path / "relais.db"
    async with DiscordDouble() as double:
        relais = await start_ready(double, db_path)
        [bot_pid] = relais.children()
        await configure_timezone(double, "Europe/Brussels")

        # Locked longer than the bot's 2 s busy timeout: that one command fails, kindly, and in
        # time (Discord gives an interaction 3 s for its answer).
        other = sqlite3.connect(db_path, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        try:
            refused = await (
                await double.driver.slash("camille", "config fuseau", fuseau="Europe/Paris")
            ).wait(timeout=3)
            await asyncio.sleep(3)
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert refused.ephemeral and "n'a rien enregistré" in (refused.content or ""), refused.content
        # The refused change did not land, then or later.
        assert await committed_timezone(db_path) == "Europe/Brussels"
        await configure_timezone(double, "Europe/Paris")

        # The disk fills up: the bot may not grow any file beyond one byte.
        hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
        resource.prlimit(bot_pid, resource.RLIMIT_FSIZE, (1, hard))
        try:
            full = await (
                await double.driver.slash("camille", "config fuseau", fuseau="America/Montreal")
            ).wait(timeout=15)
        finally:
            resource.prlimit(bot_pid, resource.RLIMIT_FSIZE, (hard, hard))
        assert full.ephemeral and "Rien n'a été enregistré à moitié" in (full.content or ""), full.content
        assert await committed_timezone(db_path) == "Europe/Paris"
        shown = await (await double.driver.slash("camille", "config voir")).wait(timeout=15)
        assert "Europe/Paris" in (shown.content or "") + str(shown.embeds)
        await configure_timezone(double, "Europe/Madrid")

        assert relais.children() == [bot_pid], "the bot rode it out: nothing was restarted"
        assert await relais.stop() == 0
    assert await committed_timezone(db_path) == "Europe/Madrid"
    with read_only(db_path) as check:
        assert consistency_problems(check) == []
