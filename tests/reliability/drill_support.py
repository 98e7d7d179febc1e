"""Shared helpers for the reliability drills: a real `relais run` process on the Discord double,
a bigger seeded guild, a read-only look at the bot's database, and what "acknowledged" means.

The bot runs in another process: the drills observe it only through the double (what Discord
would have seen) and through its SQLite file, opened read-only so a check never changes the
state it checks.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import sqlite3
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from bot.core import guild_config
from bot.core.db import Database
from bot.sandbox.double import DiscordDouble, InteractionResult, SeedSpec, seed_guild
from bot.sandbox.double.seed import BASE, MemberSpec
from bot.sandbox.harness import SEED_CHANNELS, SEED_ROLES, sandbox_environment
from tests.helpers import REPO

# `RELAIS_DRILL_FULL=1` runs the long versions (more kill points, bigger storms); CI runs the short ones.
FULL = os.environ.get("RELAIS_DRILL_FULL") == "1"

# Limits a storm of twenty people would hit in seconds; the drills test durability, not them.
STORM_ENV = {
    "RELAIS_RESOURCES__SHARE_COOLDOWN_SECONDS": "0",
    "RELAIS_JOBS__SUBMIT_COOLDOWN_SECONDS": "0",
    "RELAIS_MODERATION__REPORTS_PER_HOUR": "1000",
    "RELAIS_MODERATION__WELCOME_NEWCOMERS": "false",
}

STARTED: list[asyncio.subprocess.Process] = []


@pytest.fixture
async def relais_processes():
    """Use in a drill module (`pytestmark = pytest.mark.usefixtures("relais_processes")`): a failing
    drill must not leave a bot running, nor its pipes open past the event loop."""
    yield STARTED
    while STARTED:
        process = STARTED.pop()
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
        with contextlib.suppress(Exception):
            output = (await asyncio.wait_for(process.communicate(), 30))[0]
            if output:  # shown by pytest when the drill failed: what the bot said meanwhile
                print(f"--- relais process {process.pid} ---\n{output.decode(errors='replace')[-20000:]}")


def drill_rng(name: str) -> random.Random:
    """A seeded generator whose seed is printed (shown by pytest on failure) so a run can be replayed
    with `RELAIS_DRILL_SEED=<seed>`."""
    seed = int(os.environ.get("RELAIS_DRILL_SEED") or random.SystemRandom().randrange(1, 2**31))
    print(f"{name}: RELAIS_DRILL_SEED={seed}")
    return random.Random(seed)


# -- the guild --------------------------------------------------------------------------------------------
def storm_member_keys(count: int) -> list[str]:
    return [f"membre{n:02d}" for n in range(1, count + 1)]


def seed_with_members(count: int = 20, roles: tuple[str, ...] = ("pair-aidant", "membre")) -> SeedSpec:
    """The default seed plus ``count`` members (`membre01`…) holding ``roles``; the default seed itself
    is left as it is."""
    seed = seed_guild()
    for n, key in enumerate(storm_member_keys(count), start=1):
        seed.members.append(
            MemberSpec(
                key,
                BASE + 1000 + n,
                key,
                f"Membre {n:02d}",
                list(roles),
                joined_at="2024-05-01T10:00:00+00:00",
            )
        )
    return seed


async def configure_guild(double: DiscordDouble, db_path: Path) -> None:
    """What an administrator does with /config on day one, written before the bot first starts."""
    db = await Database.open(db_path)
    try:
        gid = double.guild.id
        for purpose, key in SEED_CHANNELS.items():
            await guild_config.set_channel(db, gid, purpose, double.driver.channel(key).id)
        for purpose, key in SEED_ROLES.items():
            await guild_config.set_role(db, gid, purpose, double.driver.role_id(key))
    finally:
        await db.close()


# -- the process -----------------------------------------------------------------------------------------
async def spawn_relais(
    double: DiscordDouble,
    db_path: Path,
    *args: str,
    token: str | None = None,
    extra_env: Mapping[str, str] | None = None,
    preexec_fn: Callable[[], None] | None = None,
) -> asyncio.subprocess.Process:
    """`python -m bot run *args` pointed at the double, its output piped; the developer's own
    ``RELAIS_*`` variables are left out so a drill runs the same on every machine."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_")}
    env.update(sandbox_environment(double, db_path, extra_env))
    env["DISCORD_TOKEN"] = token or double.token
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        *args,
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        preexec_fn=preexec_fn,
    )


async def start_relais(
    double: DiscordDouble,
    db_path: Path,
    *args: str,
    token: str | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> asyncio.subprocess.Process:
    """``spawn_relais`` with a quick supervisor restart, stopped by the ``relais_processes`` fixture."""
    process = await spawn_relais(
        double,
        db_path,
        *args,
        token=token,
        extra_env={"RELAIS_SUPERVISOR__BACKOFF_INITIAL": "0.2", **(extra_env or {})},
    )
    STARTED.append(process)
    return process


async def kill_9(process: asyncio.subprocess.Process) -> str:
    """SIGKILL, as a power cut or the OOM killer would; returns what the process printed."""
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGKILL)
    return (await asyncio.wait_for(process.communicate(), 30))[0].decode(errors="replace")


async def stop(process: asyncio.subprocess.Process) -> str:
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    return (await asyncio.wait_for(process.communicate(), 30))[0].decode(errors="replace")


async def wait_until(predicate: Callable[[], Any], within: float = 30, what: str = "condition") -> Any:
    """Poll state changed by another process (the bot), which has no event to wait on here."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = predicate()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what}: not met within {within} s")
        await asyncio.sleep(0.05)


def connected_sessions(double: DiscordDouble) -> int:
    """Sessions on a live socket that have been sent READY and their guilds."""
    guilds = len(double.world.guilds)
    return sum(1 for s in double.sessions.values() if s.conn is not None and s.seq >= 1 + guilds)


async def wait_connected(
    double: DiscordDouble,
    *,
    identified: int,
    within: float = 60,
    process: asyncio.subprocess.Process | None = None,
) -> None:
    """Wait for the `identified`-th IDENTIFY to be live: the bot can be reached by interactions.
    With ``process``, a bot that exited instead fails at once, with what it printed."""

    def connected() -> bool:
        if process is not None and process.returncode is not None:
            raise AssertionError(f"relais exited with {process.returncode} before connecting")
        return double.gateway.identify_count >= identified and connected_sessions(double) >= 1

    await wait_until(connected, within, f"bot connected (identify #{identified})")
    # READY is sent before the bot finished its own `on_ready` work; one answered command proves it.
    await wait_until(lambda: double.command_syncs >= 1, within, "commands synced")


async def quiet(double: DiscordDouble, seconds: float = 0.5, within: float = 30) -> None:
    """Wait until the bot made no request for ``seconds``: what a member's click set going (an
    announcement to refresh, a thread to join) is finished before the next step looks or stops."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        count = len(double.requests)
        await asyncio.sleep(seconds)
        if len(double.requests) == count:
            return
    raise AssertionError(f"the bot kept calling the double for {within} s")


async def fill_in_modal(
    double: DiscordDouble, member: str, opened: InteractionResult, values: dict[str, Any], typing: float = 0.5
) -> InteractionResult:
    """Submit the form the bot opened, after the time a person takes to type. Not only realism:
    discord.py registers a modal once the HTTP answer that opened it returns, so a submission
    arriving on the gateway within milliseconds may find no modal and is dropped silently — a
    race no human can trigger, which would otherwise read as a lost command."""
    assert opened.modal is not None, opened
    await asyncio.sleep(typing)
    return await double.driver.submit_modal(member, opened, values)


def assert_no_traceback(output: str) -> None:
    """A drill ends with a clean bot: nothing it did on the way may have crashed a handler."""
    at = output.find("Traceback")
    assert at < 0, output[max(0, at - 1500) : at + 4000]


# -- reading the outcome ----------------------------------------------------------------------------------
@contextlib.contextmanager
def read_only(db_path: Path) -> Iterator[sqlite3.Connection]:
    """The bot's database, read-only (a check must not change or lock what it checks)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
    conn.row_factory = sqlite3.Row
    try:
        yield conn
    finally:
        conn.close()


def answer_text(result: InteractionResult) -> str | None:
    """What the member finally read: the callback's message, or the followup after a deferral, or
    None if nothing was delivered (no callback, only "thinking…", or only a modal)."""
    for callback in result.callbacks:
        data = callback.get("data") or {}
        if callback.get("type") in (4, 7) and (data.get("content") or data.get("embeds")):
            return _flatten(data)
    for message in result.followups:
        return _flatten({"content": message.content, "embeds": message.embeds})
    return None


def _flatten(data: dict[str, Any]) -> str:
    parts = [data.get("content") or ""]
    for embed in data.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts += [f"{f.get('name')}: {f.get('value')}" for f in embed.get("fields") or []]
    return "\n".join(parts)


def consistency_problems(conn: sqlite3.Connection) -> list[str]:
    """Half-written state: what no finished transaction could have left behind."""
    problems: list[str] = []
    integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    if integrity != "ok":
        problems.append(f"integrity_check: {integrity}")
    problems += [f"foreign key: {tuple(row)}" for row in conn.execute("PRAGMA foreign_key_check")]
    checks = {
        "booking without its session": "SELECT COUNT(*) FROM intervision_bookings b"
        " LEFT JOIN intervision_sessions s ON s.id = b.session_id WHERE s.id IS NULL",
        "more booked than places": "SELECT COUNT(*) FROM intervision_sessions s WHERE s.capacity <"
        " (SELECT COUNT(*) FROM intervision_bookings b WHERE b.session_id = s.id AND b.status = 'booked')",
        "waitlisted while a place is free": "SELECT COUNT(*) FROM intervision_sessions s WHERE s.status ="
        " 'scheduled' AND EXISTS (SELECT 1 FROM intervision_bookings b WHERE b.session_id = s.id AND"
        " b.status = 'waitlist') AND s.capacity > (SELECT COUNT(*) FROM intervision_bookings b"
        " WHERE b.session_id = s.id AND b.status = 'booked')",
        "vote without its resource": "SELECT COUNT(*) FROM resource_votes v"
        " LEFT JOIN resources r ON r.id = v.resource_id WHERE r.id IS NULL",
        "useful_count differs from the votes": "SELECT COUNT(*) FROM resources r WHERE r.useful_count !="
        " (SELECT COUNT(*) FROM resource_votes v WHERE v.resource_id = r.id)",
        "report entry without its report": "SELECT COUNT(*) FROM mod_report_entries e"
        " LEFT JOIN mod_reports r ON r.id = e.report_id WHERE r.id IS NULL",
        "report count differs from its entries": "SELECT COUNT(*) FROM mod_reports r WHERE r.count !="
        " (SELECT COUNT(*) FROM mod_report_entries e WHERE e.report_id = r.id)",
        "report without any entry": "SELECT COUNT(*) FROM mod_reports r"
        " WHERE NOT EXISTS (SELECT 1 FROM mod_report_entries e WHERE e.report_id = r.id)",
        "published offer without a publication time": "SELECT COUNT(*) FROM job_offers"
        " WHERE status = 'published' AND published_at IS NULL",
    }
    for what, sql in checks.items():
        count = conn.execute(sql).fetchone()[0]
        if count:
            problems.append(f"{what}: {count}")
    return problems
