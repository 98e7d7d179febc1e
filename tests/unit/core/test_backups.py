"""Daily online backups (through the durable timers) and ``relais db restore``, on real SQLite files."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sqlite3
import subprocess
import sys

import pytest

from bot.core import backups, run_lock, timeutil
from bot.core.db import Database, load_migrations
from bot.core.timers import TimerService
from tests.helpers import REPO, make_settings

BRUSSELS = "Europe/Brussels"
# 12:00 UTC is 13:00 in Brussels (winter time).
NOW = dt.datetime(2026, 12, 3, 12, 0, tzinfo=timeutil.UTC)


def local(day: int, hour: int, month: int = 12) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=timeutil.zone(BRUSSELS)).astimezone(timeutil.UTC)


def rows_of(path, table="meta") -> dict[str, str]:
    conn = sqlite3.connect(path)
    try:
        return {k: v for k, v in conn.execute(f"SELECT key, value FROM {table}")}
    finally:
        conn.close()


# -- when ---------------------------------------------------------------------------------------------
def test_next_backup_is_the_next_local_hour():
    assert backups.next_due(NOW, 3, BRUSSELS) == local(4, 3)  # 13:00 → tomorrow 03:00
    assert backups.next_due(NOW, 14, BRUSSELS) == local(3, 14)  # 13:00 → today 14:00
    assert backups.next_due(local(3, 14), 14, BRUSSELS) == local(4, 14)  # exactly on time: tomorrow
    # Across the change to summer time, still 03:00 local.
    assert backups.next_due(local(28, 12, month=3), 3, BRUSSELS) == local(29, 3, month=3)


# -- the daily copy -----------------------------------------------------------------------------------
async def test_daily_backup_is_a_checked_copy_and_prunes_only_its_own_old_files(db, tmp_path):
    settings = make_settings(tmp_path, RELAIS_BACKUP__KEEP_DAYS="3")
    await db.set_meta("witness", "before the backup")
    folder = tmp_path / "backups"
    folder.mkdir()
    old = [folder / backups.file_name(dt.date(2026, 11, day)) for day in (29, 30)]
    kept = [folder / backups.file_name(dt.date(2026, 12, day)) for day in (1, 2)]
    strangers = [folder / "notes.txt", folder / "relais-manuel.db", folder / "relais-2026-13-45.db"]
    for path in old + kept + strangers:
        path.write_text("x")

    outcome = await backups.run_daily(db, settings, NOW)

    assert outcome is not None and outcome.path == folder / "relais-2026-12-03.db"
    assert rows_of(outcome.path)["witness"] == "before the backup"
    assert oct(outcome.path.stat().st_mode & 0o777) == "0o600"
    assert sorted(outcome.removed) == sorted(old)
    assert all(not p.exists() for p in old)
    assert all(p.exists() for p in kept + strangers), "only its own, old enough files are deleted"
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []
    state = await backups.status(db)
    assert state.last_file == str(outcome.path) and not state.failing


async def test_a_second_backup_the_same_day_replaces_the_first(db, tmp_path):
    settings = make_settings(tmp_path)
    await backups.run_daily(db, settings, NOW)
    await db.set_meta("witness", "later that day")
    second = await backups.run_daily(db, settings, NOW + dt.timedelta(hours=1))
    assert second is not None and rows_of(second.path)["witness"] == "later that day"


async def test_a_failed_backup_is_logged_remembered_and_not_raised(db, tmp_path, caplog):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the backups folder should be")
    settings = make_settings(tmp_path, RELAIS_BACKUP__FOLDER=str(blocker))
    assert await backups.run_daily(db, settings, NOW) is None
    assert "daily backup" in caplog.text and "tried again tomorrow" in caplog.text
    state = await backups.status(db)
    assert state.failing and "FileExistsError" in (state.last_error or "")
    # The next success clears the failure.
    ok = make_settings(tmp_path)
    assert await backups.run_daily(db, ok, NOW + dt.timedelta(days=1)) is not None
    assert not (await backups.status(db)).failing


# -- through the durable timers -----------------------------------------------------------------------
class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


async def test_the_timer_backs_up_daily_and_restarts_never_duplicate_it(db, tmp_path):
    settings = make_settings(tmp_path)
    clock = Clock(NOW)
    timers = TimerService(db, clock=clock)
    timers.register(backups.BACKUP_KIND, backups.timer_handler(db, timers, settings, clock))
    for _ in range(3):  # three start-ups
        await backups.ensure_scheduled(timers, settings, clock())
    [pending] = await timers.pending(backups.BACKUP_GUILD, backups.BACKUP_KIND)
    assert pending.due_at == local(4, 3)

    clock.now = local(4, 3) + dt.timedelta(seconds=1)
    assert await timers.run_due() == 1
    assert (tmp_path / "backups" / "relais-2026-12-04.db").exists()
    [pending] = await timers.pending(backups.BACKUP_GUILD, backups.BACKUP_KIND)
    assert pending.due_at == local(5, 3)

    # The bot was down at 03:00 on the 5th: the start-up at 09:00 keeps the overdue copy, made now.
    clock.now = local(5, 9)
    await backups.ensure_scheduled(timers, settings, clock())
    assert await timers.run_due() == 1
    assert (tmp_path / "backups" / "relais-2026-12-05.db").exists()
    assert len(await timers.pending(backups.BACKUP_GUILD, backups.BACKUP_KIND)) == 1


async def test_a_failing_backup_timer_is_retried_the_next_day_not_sooner(db, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    settings = make_settings(tmp_path, RELAIS_BACKUP__FOLDER=str(blocker))
    clock = Clock(local(4, 3))
    timers = TimerService(db, clock=clock)
    timers.register(backups.BACKUP_KIND, backups.timer_handler(db, timers, settings, clock))
    await backups.ensure_scheduled(timers, settings, NOW)
    assert await timers.run_due() == 1
    [pending] = await timers.pending(backups.BACKUP_GUILD, backups.BACKUP_KIND)
    assert pending.due_at == local(5, 3) and pending.attempts == 0
    assert (await backups.status(db)).failing


async def test_moving_the_hour_earlier_or_disabling_backups_updates_the_timer(db, tmp_path):
    timers = TimerService(db)
    await backups.ensure_scheduled(timers, make_settings(tmp_path, RELAIS_BACKUP__HOUR="23"), NOW)
    await backups.ensure_scheduled(timers, make_settings(tmp_path, RELAIS_BACKUP__HOUR="14"), NOW)
    [pending] = await timers.pending(backups.BACKUP_GUILD, backups.BACKUP_KIND)
    assert pending.due_at == local(3, 14)
    await backups.ensure_scheduled(timers, make_settings(tmp_path, RELAIS_BACKUP__ENABLED="false"), NOW)
    assert await timers.pending(backups.BACKUP_GUILD, backups.BACKUP_KIND) == []


# -- a busy database, backed up and restored -----------------------------------------------------------
async def test_backup_of_a_busy_database_restores_every_row_committed_before_it(tmp_path):
    path = tmp_path / "relais.db"
    bot_db = await Database.open(path)
    # Enough pages that the copy takes a while, so the writer really commits during it.
    await bot_db.executemany(
        "INSERT INTO meta (key, value) VALUES (?, ?)", ((f"padding-{i}", "x" * 2000) for i in range(15_000))
    )
    writer_db = await Database.open(path)  # a second connection with its own thread, like a second process
    committed: list[int] = []
    stop, warmed_up = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        i = 0
        while not stop.is_set():
            await writer_db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (f"row-{i}", str(i)))
            committed.append(i)
            if i == 50:
                warmed_up.set()
            i += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(writer())
    try:
        await asyncio.wait_for(warmed_up.wait(), 30)
        before = len(committed)
        copy = await bot_db.backup(tmp_path / "copy.db")
        during = len(committed) - before
        stop.set()
        await task
    finally:
        stop.set()
        await writer_db.close()
        await bot_db.close()
    assert during > 0, "the writer should have kept committing while the backup ran"

    restored = tmp_path / "restored" / "relais.db"
    report = backups.restore(copy, restored, NOW)
    assert report.previous_copy is None  # nothing was there before
    found = rows_of(restored)
    missing = [i for i in range(before) if found.get(f"row-{i}") != str(i)]
    assert missing == [], f"rows committed before the backup started are missing: {missing[:5]}"
    assert sum(1 for k in found if k.startswith("padding-")) == 15_000
    reopened = await Database.open(restored)
    try:
        assert await reopened.schema_version() == len(load_migrations())
    finally:
        await reopened.close()


# -- restore: what it refuses, what it keeps ---------------------------------------------------------------
async def _database_with(path, witness: str) -> None:
    db = await Database.open(path)
    try:
        await db.set_meta("witness", witness)
    finally:
        await db.close()


async def _backup_with(path, witness: str) -> None:
    """A backup as ``relais db backup`` and the daily timer write it."""
    source = path.with_name(f"source-of-{path.name}")
    await _database_with(source, witness)
    db = await Database.open(source)
    try:
        await db.backup(path)
    finally:
        await db.close()
    for leftover in source.parent.glob(f"{source.name}*"):
        leftover.unlink()


def _leave_wal_behind(path, witness: str) -> None:
    """A process that wrote in WAL mode and died without closing (kill -9, power loss)."""
    code = (
        "import os, sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "c.execute('PRAGMA wal_autocheckpoint = 0')\n"
        "c.execute(\"INSERT OR REPLACE INTO meta (key, value) VALUES ('witness', ?)\", (sys.argv[2],))\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", code, str(path), witness], check=True, timeout=30)


async def test_restore_keeps_the_current_database_aside_and_drops_its_stale_wal(tmp_path):
    database, backup = tmp_path / "relais.db", tmp_path / "sauvegarde.db"
    await _backup_with(backup, "from the backup")
    await _database_with(database, "current")
    _leave_wal_behind(database, "current, only in the WAL")
    assert (tmp_path / "relais.db-wal").stat().st_size > 0

    report = backups.restore(backup, database, NOW)

    assert rows_of(database)["witness"] == "from the backup"
    assert report.previous_copy is not None
    assert report.previous_copy.name == "relais-avant-restauration-2026-12-03-120000.db"
    assert rows_of(report.previous_copy)["witness"] == "current, only in the WAL"
    assert not (tmp_path / "relais.db-wal").exists(), "a stale WAL would be replayed onto the restored file"
    assert not (tmp_path / "relais.db-shm").exists()
    assert oct(database.stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in tmp_path.iterdir() if "restauration-" in p.name and p.name.startswith(".")] == []


async def test_restore_refuses_a_damaged_file_and_changes_nothing(tmp_path):
    database, backup = tmp_path / "relais.db", tmp_path / "abimee.db"
    await _database_with(database, "current")
    await _backup_with(backup, "from the backup")
    with backup.open("r+b") as raw:  # overwrite a b-tree page in the middle of the file
        raw.seek(3 * 4096)
        raw.write(b"\xff" * 4096)
    with pytest.raises(backups.RestoreRefused, match="integrity_check"):
        backups.restore(backup, database, NOW)
    garbage = tmp_path / "texte.db"
    garbage.write_text("pas une base SQLite " * 100)
    with pytest.raises(backups.RestoreRefused, match="pas une base saine"):
        backups.restore(garbage, database, NOW)
    assert rows_of(database)["witness"] == "current"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["abimee.db", "relais.db", "texte.db"]


async def test_a_live_database_copied_with_its_wal_can_be_restored(tmp_path):
    """Someone copied relais.db and relais.db-wal by hand: the WAL's rows come along."""
    database, backup = tmp_path / "relais.db", tmp_path / "copie" / "relais.db"
    backup.parent.mkdir()
    await _database_with(backup, "committed")
    _leave_wal_behind(backup, "only in the copy's WAL")
    backups.restore(backup, database, NOW)
    assert rows_of(database)["witness"] == "only in the copy's WAL"


async def test_restore_refuses_a_backup_from_a_newer_relais(tmp_path):
    database, backup = tmp_path / "relais.db", tmp_path / "future.db"
    await _database_with(database, "current")
    await _database_with(backup, "from the future")
    conn = sqlite3.connect(backup)
    conn.execute(f"PRAGMA user_version = {len(load_migrations()) + 1}")
    conn.close()
    with pytest.raises(backups.RestoreRefused, match="plus récente"):
        backups.restore(backup, database, NOW)
    assert rows_of(database)["witness"] == "current"


async def test_restore_accepts_an_older_schema_and_says_so(tmp_path):
    database, backup = tmp_path / "relais.db", tmp_path / "ancienne.db"
    old = await Database.open(backup, migrate=False)
    await old.migrate(target=len(load_migrations()) - 1)
    await old.close()
    report = backups.restore(backup, database, NOW)
    assert report.schema_version == len(load_migrations()) - 1 < report.known_version


async def test_restore_is_refused_while_a_bot_holds_the_run_lock(tmp_path):
    database, backup = tmp_path / "relais.db", tmp_path / "sauvegarde.db"
    await _database_with(database, "current")
    await _database_with(backup, "from the backup")
    lock = run_lock.RunLock.acquire(database)
    try:
        assert run_lock.bot_running(database)
        with pytest.raises(backups.RestoreRefused, match="un bot Relais tourne"):
            backups.restore(backup, database, NOW)
        assert rows_of(database)["witness"] == "current"
    finally:
        lock.release()
    assert not run_lock.bot_running(database)
    backups.restore(backup, database, NOW)
    assert rows_of(database)["witness"] == "from the backup"


HOLD_LOCK = (
    "import sys, time\n"
    "from bot.core import run_lock\n"
    "run_lock.RunLock.acquire(sys.argv[1])\n"
    "print('held', flush=True)\n"
    "time.sleep(120)\n"
)


def relais(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_") and k != "DISCORD_TOKEN"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )


def test_relais_db_restore_refuses_while_a_bot_runs_and_a_killed_bot_does_not_block_it(tmp_path):
    database, backup = tmp_path / "relais.db", tmp_path / "sauvegarde.db"
    asyncio.run(_database_with(database, "current"))
    asyncio.run(_backup_with(backup, "from the backup"))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(database)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        refused = relais("db", "restore", str(backup), "--db", str(database))
        assert refused.returncode == 1
        assert "un bot Relais tourne" in refused.stderr and "arrêtez-le" in refused.stderr
        assert rows_of(database)["witness"] == "current"
    finally:
        holder.kill()  # kill -9: no clean-up, the lock file stays on disk
        holder.wait()
    assert run_lock.lock_path(database).exists()
    done = relais("db", "restore", str(backup), "--db", str(database))
    assert done.returncode == 0, done.stderr
    assert "restaurée depuis" in done.stdout and "avant-restauration" in done.stdout
    assert rows_of(database)["witness"] == "from the backup"


async def test_a_bot_starting_during_a_restore_waits_for_it(tmp_path):
    database = tmp_path / "relais.db"
    with run_lock.exclusive(database):
        with pytest.raises(run_lock.DatabaseInUse, match="being restored"):
            run_lock.RunLock.acquire(database, wait=0.3)
    run_lock.RunLock.acquire(database, wait=0).release()


def test_relais_db_upgrade_waits_for_the_bot_to_stop(tmp_path):
    database = tmp_path / "relais.db"

    async def old_database() -> None:
        db = await Database.open(database, migrate=False)
        await db.migrate(target=len(load_migrations()) - 1)
        await db.close()

    asyncio.run(old_database())
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(database)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        refused = relais("db", "upgrade", "--db", str(database))
        assert refused.returncode == 1 and "arrêtez-le d'abord" in refused.stderr
        assert backups.schema_version(database) == len(load_migrations()) - 1
    finally:
        holder.kill()
        holder.wait()
    done = relais("db", "upgrade", "--db", str(database))
    assert done.returncode == 0 and "migrations appliquées" in done.stdout
    assert backups.schema_version(database) == len(load_migrations())
