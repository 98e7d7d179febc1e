"""The `relais run` process against the double: clean SIGTERM, kill -9, bad token not retried."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from bot.sandbox.double import DiscordDouble
from bot.supervisor import EXIT_DO_NOT_RETRY
from tests.helpers import REPO
from tests.reliability.drill_support import spawn_relais

STARTED: list[asyncio.subprocess.Process] = []


@pytest.fixture(autouse=True)
async def no_process_left_behind():
    """A failing test must not leave a bot running (or its pipes open past the event loop)."""
    yield
    while STARTED:
        process = STARTED.pop()
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
        await process.communicate()


async def start_relais(
    double: DiscordDouble, db, *args: str, token: str | None = None, backoff: float = 0.2
) -> asyncio.subprocess.Process:
    extra_env = {"RELAIS_SUPERVISOR__BACKOFF_INITIAL": str(backoff)}
    process = await spawn_relais(double, db, *args, token=token, extra_env=extra_env)
    STARTED.append(process)
    return process


async def wait_until(predicate, within: float = 30) -> None:
    """Poll state changed by another process (the bot), which has no event to wait on here."""
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110 - the condition lives in another process
            await asyncio.sleep(0.05)


def connected_sessions(double: DiscordDouble) -> int:
    """Sessions on a live socket that have been sent READY and their guilds: commands are synced in
    setup_hook, before the gateway connects, so a finished sync does not mean the bot can be reached."""
    guilds = len(double.world.guilds)
    return sum(1 for s in double.sessions.values() if s.conn is not None and s.seq >= 1 + guilds)


async def test_sigterm_closes_cleanly(tmp_path):
    async with DiscordDouble() as double:
        process = await start_relais(double, tmp_path / "relais.db", "--no-supervisor")
        await wait_until(lambda: double.command_syncs == 1 and connected_sessions(double) == 1)
        await (await double.driver.slash("lea", "aide")).wait(timeout=10)
        process.send_signal(signal.SIGTERM)
        output = (await asyncio.wait_for(process.communicate(), 30))[0].decode()
    assert process.returncode == 0, output
    assert "Traceback" not in output
    db = sqlite3.connect(tmp_path / "relais.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


async def test_kill_9_loses_nothing_and_restarts_without_a_second_sync(tmp_path):
    async with DiscordDouble() as double:
        process = await start_relais(double, tmp_path / "relais.db", "--no-supervisor")
        await wait_until(lambda: double.command_syncs == 1 and connected_sessions(double) == 1)
        await (await double.driver.slash("camille", "config fuseau", fuseau="Europe/Paris")).wait(timeout=10)
        process.kill()
        await process.communicate()
        again = await start_relais(double, tmp_path / "relais.db", "--no-supervisor")
        await wait_until(lambda: double.gateway.identify_count >= 2 and connected_sessions(double) == 1)
        shown = await (await double.driver.slash("camille", "config voir")).wait(timeout=20)
        assert "Europe/Paris" in shown.content
        assert double.command_syncs == 1
        again.send_signal(signal.SIGTERM)
        await asyncio.wait_for(again.communicate(), 30)


async def test_bad_token_fails_once_and_is_not_retried(tmp_path):
    async with DiscordDouble() as double:
        process = await start_relais(double, tmp_path / "relais.db", token="not-the-token")
        output = (await asyncio.wait_for(process.communicate(), 60))[0].decode()
        logins = [r for r in double.driver.requests if r.path.endswith("/users/@me") and r.method == "GET"]
    assert process.returncode == EXIT_DO_NOT_RETRY
    assert len(logins) == 1, "a refused token must not be retried"
    assert "not retried" in output
    assert "not-the-token" not in output


async def relais_cli(*args: str) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_") and k != "DISCORD_TOKEN"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output = (await asyncio.wait_for(process.communicate(), 60))[0].decode()
    return process.returncode, output


async def test_restore_is_refused_while_relais_run_and_its_supervisor_live(tmp_path):
    database = tmp_path / "relais.db"
    async with DiscordDouble() as double:
        process = await start_relais(double, database)  # with its supervisor
        await wait_until(lambda: double.command_syncs == 1 and connected_sessions(double) == 1)
        code, backup = await relais_cli("db", "backup", str(tmp_path / "copie.db"), "--db", str(database))
        assert code == 0, backup
        code, refused = await relais_cli("db", "restore", str(tmp_path / "copie.db"), "--db", str(database))
        assert code == 1 and "un bot Relais tourne" in refused, refused
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), 30)
    code, done = await relais_cli("db", "restore", str(tmp_path / "copie.db"), "--db", str(database))
    assert code == 0 and "restaurée" in done, done
    db = sqlite3.connect(database)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def child_pids(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in children.read_text().split()] if children.exists() else []


async def test_the_supervisor_keeps_the_database_locked_while_it_waits_to_restart_the_bot(tmp_path):
    database = tmp_path / "relais.db"
    async with DiscordDouble() as double:
        supervisor = await start_relais(double, database, backoff=60)
        await wait_until(lambda: double.command_syncs == 1 and connected_sessions(double) == 1)
        [bot_pid] = child_pids(supervisor.pid)
        os.kill(bot_pid, signal.SIGKILL)  # the bot crashes; its supervisor waits 60 s to restart it
        await wait_until(lambda: not child_pids(supervisor.pid))
        code, _ = await relais_cli("db", "backup", str(tmp_path / "copie.db"), "--db", str(database))
        assert code == 0
        code, refused = await relais_cli("db", "restore", str(tmp_path / "copie.db"), "--db", str(database))
        assert code == 1 and "un bot Relais tourne" in refused, refused
        supervisor.kill()  # kill -9: its lock goes with it, nothing is left to block a restore
        await supervisor.communicate()
    code, done = await relais_cli("db", "restore", str(tmp_path / "copie.db"), "--db", str(database))
    assert code == 0 and "restaurée" in done, done
