"""Daily online backups through the durable timers, and ``relais db restore``.

A backup is SQLite's online backup API (``Database.backup``): a consistent copy taken while the
bot keeps writing. Each day's copy is written under a temporary name, checked with
``PRAGMA quick_check``, then renamed to ``relais-AAAA-MM-JJ.db``: a file with that name is always
a whole, checked copy. Only files matching that name are ever pruned, so nothing else a person
keeps in the folder is deleted.

The timer is one row for the whole database (guild 0, one stable key), rescheduled by its own
handler for the next day whether the copy worked or not: a failure is logged, remembered in
``meta`` for ``relais doctor``, and tried again the next day rather than hammering a full disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.core import run_lock, timeutil
from bot.core.db import Database, copy_database, load_migrations
from bot.core.settings import Settings
from bot.core.timers import Handler, Timer, TimerService

log = logging.getLogger(__name__)

BACKUP_KIND = "core.backup"
BACKUP_KEY = "core.backup"
BACKUP_GUILD = 0  # one backup for the whole database, not one per guild
FILE_PATTERN = re.compile(r"^relais-(\d{4}-\d{2}-\d{2})\.db$")
META_LAST_SUCCESS = "backup.last_success"
META_LAST_FAILURE = "backup.last_failure"


class BackupFailed(RuntimeError):
    pass


def file_name(day: dt.date) -> str:
    return f"relais-{day.isoformat()}.db"


def folder_for(settings: Settings) -> Path:
    if settings.backup.folder:
        return Path(settings.backup.folder)
    return Path(os.path.expanduser(settings.database.path)).parent / "backups"


def next_due(now: dt.datetime, hour: int, zone_name: str) -> dt.datetime:
    """The next ``hour``:00 in ``zone_name`` strictly after ``now`` (UTC)."""
    zone = timeutil.zone(zone_name)
    local = now.astimezone(zone)
    candidate = dt.datetime.combine(local.date(), dt.time(hour), tzinfo=zone)
    if candidate <= local:
        candidate = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(hour), tzinfo=zone)
    return candidate.astimezone(timeutil.UTC)


def check_file(path: Path, *, full: bool = False, read_only: bool = True) -> str | None:
    """``None`` when SQLite finds the file sound, else what it found (first lines).

    ``read_only=False`` for a live database in WAL mode: a read-write connection reads its WAL
    and tidies its -wal/-shm files on close like any other connection.
    """
    pragma = "PRAGMA integrity_check" if full else "PRAGMA quick_check"
    try:
        conn = sqlite3.connect(f"file:{path}?mode={'ro' if read_only else 'rw'}", uri=True)
    except sqlite3.Error as exc:
        return str(exc)
    try:
        rows = [str(r[0]) for r in conn.execute(pragma).fetchmany(5)]
    except sqlite3.Error as exc:
        return str(exc)
    finally:
        conn.close()
    return None if rows == ["ok"] else "; ".join(rows)


def schema_version(path: Path, *, read_only: bool = True) -> int:
    conn = sqlite3.connect(f"file:{path}?mode={'ro' if read_only else 'rw'}", uri=True)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def dated_backups(folder: Path) -> list[tuple[dt.date, Path]]:
    """The daily copies in ``folder``, oldest first (other files are not ours: ignored)."""
    found: list[tuple[dt.date, Path]] = []
    if not folder.is_dir():
        return found
    for entry in folder.iterdir():
        match = FILE_PATTERN.match(entry.name)
        if not match or not entry.is_file():
            continue
        try:
            found.append((dt.date.fromisoformat(match.group(1)), entry))
        except ValueError:
            continue  # relais-2026-13-45.db: not a date, not ours
    found.sort()
    return found


def prune(folder: Path, keep_days: int, today: dt.date) -> list[Path]:
    """Delete the daily copies of ``keep_days`` days ago or older; returns what was deleted."""
    limit = today - dt.timedelta(days=keep_days)
    removed = []
    for day, path in dated_backups(folder):
        if day <= limit:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


@dataclass(frozen=True, slots=True)
class BackupOutcome:
    path: Path
    size: int
    removed: tuple[Path, ...]


def _prepare(folder: Path, final: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = folder / f".{final.name}.partial"
    partial.unlink(missing_ok=True)  # left by a crash during an earlier attempt
    return partial


async def make_daily_backup(db: Database, folder: Path, keep_days: int, today: dt.date) -> BackupOutcome:
    final = folder / file_name(today)
    partial = _prepare(folder, final)
    try:
        await db.backup(partial)
        problem = await asyncio.to_thread(check_file, partial)  # seconds on a big file: not on the loop
        if problem is not None:
            raise BackupFailed(f"the copy {partial} fails PRAGMA quick_check: {problem}")
        os.replace(partial, final)  # a second copy the same day replaces the first
    finally:
        partial.unlink(missing_ok=True)
    removed = prune(folder, keep_days, today)
    return BackupOutcome(final, final.stat().st_size, tuple(removed))


async def run_daily(db: Database, settings: Settings, now: dt.datetime) -> BackupOutcome | None:
    """The timer's work: one copy, pruning, one log line, and what happened kept in ``meta``."""
    folder = folder_for(settings)
    today = now.astimezone(timeutil.zone(settings.general.timezone)).date()
    try:
        outcome = await make_daily_backup(db, folder, settings.backup.keep_days, today)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
        log.error("daily backup into %s failed, tried again tomorrow: %s", folder, error)
        with contextlib.suppress(Exception):  # the database itself may be the problem
            await db.set_meta(META_LAST_FAILURE, json.dumps({"at": now.isoformat(), "error": error}))
        return None
    await db.set_meta(
        META_LAST_SUCCESS,
        json.dumps({"at": now.isoformat(), "file": str(outcome.path), "bytes": outcome.size}),
    )
    log.info(
        "daily backup written: %s (%d bytes, checked), %d old copies deleted",
        outcome.path,
        outcome.size,
        len(outcome.removed),
    )
    return outcome


async def ensure_scheduled(timers: TimerService, settings: Settings, now: dt.datetime) -> None:
    """At start-up: one pending daily backup when enabled (none when not), never two.

    An overdue timer is kept (the copy missed while the bot was down is made now); one due later
    than the configured hour's next occurrence (the hour was moved earlier) is brought forward.
    """
    if not settings.backup.enabled or settings.database.path in ("", ":memory:"):
        if await timers.cancel(BACKUP_GUILD, BACKUP_KEY):
            log.info("daily backups disabled: the scheduled one is cancelled")
        return
    due = next_due(now, settings.backup.hour, settings.general.timezone)
    [pending] = await timers.pending(BACKUP_GUILD, BACKUP_KIND, limit=1) or [None]
    if pending is None:
        await timers.schedule(BACKUP_GUILD, BACKUP_KIND, due, key=BACKUP_KEY)
    elif pending.due_at > due:
        await timers.reschedule(BACKUP_GUILD, BACKUP_KEY, due)


async def schedule_next(timers: TimerService, settings: Settings, now: dt.datetime) -> None:
    due = next_due(now, settings.backup.hour, settings.general.timezone)
    await timers.schedule(BACKUP_GUILD, BACKUP_KIND, due, key=BACKUP_KEY)


def timer_handler(
    db: Database, timers: TimerService, settings: Settings, clock: Callable[[], dt.datetime] = timeutil.now
) -> Handler:
    """The handler of ``BACKUP_KIND``: today's copy, then tomorrow's timer whatever happened
    (rescheduled by key, so the finished row is left alone and no retry storm follows a failure)."""

    async def on_backup_timer(timer: Timer) -> None:
        try:
            await run_daily(db, settings, clock())
        finally:
            await schedule_next(timers, settings, clock())

    return on_backup_timer


@dataclass(frozen=True, slots=True)
class BackupStatus:
    """What ``relais doctor`` says about backups: the last copy made, the last failure."""

    last_success_at: dt.datetime | None
    last_file: str | None
    last_failure_at: dt.datetime | None
    last_error: str | None

    @property
    def failing(self) -> bool:
        return self.last_failure_at is not None and (
            self.last_success_at is None or self.last_failure_at > self.last_success_at
        )


def _read(raw: str | None) -> dict:
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _moment(value: object) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


async def status(db: Database) -> BackupStatus:
    success = _read(await db.get_meta(META_LAST_SUCCESS))
    failure = _read(await db.get_meta(META_LAST_FAILURE))
    return BackupStatus(
        last_success_at=_moment(success.get("at")),
        last_file=success.get("file"),
        last_failure_at=_moment(failure.get("at")),
        last_error=failure.get("error"),
    )


# -- restore -----------------------------------------------------------------------------------------
class RestoreRefused(RuntimeError):
    """Why the restore was not done, in French, with what to do (nothing was changed)."""


@dataclass(frozen=True, slots=True)
class RestoreReport:
    database: Path
    source: Path
    schema_version: int
    known_version: int
    previous_copy: Path | None  # the database as it was, kept aside
    removed: tuple[Path, ...]  # stale -wal / -shm files of the replaced database


def _copy_with_backup_api(source: Path, destination: Path, *, read_only: bool) -> None:
    """A consistent, self-contained copy (the source's WAL included), readable by its owner only."""
    fd = os.open(destination, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    src = sqlite3.connect(f"file:{source}?mode={'ro' if read_only else 'rw'}", uri=True)
    try:
        copy_database(src, destination)
    finally:
        src.close()


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


_BOT_RUNNING = (
    "un bot Relais tourne sur {database} — arrêtez-le d'abord (par exemple systemctl stop relais), "
    "puis relancez la restauration"
)


def restore(source: Path, database: Path, now: dt.datetime) -> RestoreReport:
    """Replace ``database`` with the backup ``source``; refused (nothing changed) unless it is safe.

    Refused while a bot runs on ``database`` (its run lock), when ``source`` is not a sound SQLite
    file (``PRAGMA integrity_check`` of the very copy that will be installed), or when its schema
    is newer than this code knows. The current database is first copied aside as
    ``<nom>-avant-restauration-<date>.db``; the new file, prepared beside it, is renamed over it in
    one step, then the old ``-wal``/``-shm`` are removed (a stale WAL would be replayed onto it).
    """
    source, database = Path(source), Path(database)
    if not source.is_file():
        raise RestoreRefused(f"{source} n'existe pas — indiquez le fichier de sauvegarde à restaurer")
    if database.exists() and source.resolve() == database.resolve():
        raise RestoreRefused(f"{source} est la base elle-même — indiquez une sauvegarde")
    if run_lock.bot_running(database):
        raise RestoreRefused(_BOT_RUNNING.format(database=database))
    database.parent.mkdir(parents=True, exist_ok=True)
    stamp = now.astimezone(timeutil.UTC).strftime("%Y-%m-%d-%H%M%S")
    incoming = database.with_name(f".{database.name}.restauration-{stamp}")
    incoming.unlink(missing_ok=True)
    try:
        version, known = _prepare_incoming(source, incoming)
        try:
            with run_lock.exclusive(database):
                return _swap(incoming, source, database, stamp, version, known)
        except run_lock.DatabaseInUse:
            raise RestoreRefused(_BOT_RUNNING.format(database=database)) from None
    finally:
        incoming.unlink(missing_ok=True)


def _prepare_incoming(source: Path, incoming: Path) -> tuple[int, int]:
    """Copy ``source`` beside the database and check that copy; returns (its schema, ours)."""
    try:
        _copy_with_backup_api(source, incoming, read_only=True)
    except sqlite3.Error as exc:
        raise RestoreRefused(
            f"{source} n'est pas une base saine ({exc}) — choisissez une autre sauvegarde"
        ) from None
    problem = check_file(incoming, full=True)
    if problem is not None:
        raise RestoreRefused(
            f"{source} n'est pas une base saine (PRAGMA integrity_check : {problem[:300]}) — "
            "choisissez une autre sauvegarde, par exemple celle de la veille"
        )
    known = len(load_migrations())
    version = schema_version(incoming)
    if version > known:
        raise RestoreRefused(
            f"{source} vient d'une version plus récente de Relais (schéma {version}, ce code connaît "
            f"{known}) — mettez d'abord Relais à jour, puis restaurez"
        )
    return version, known


def _swap(
    incoming: Path, source: Path, database: Path, stamp: str, version: int, known: int
) -> RestoreReport:
    previous: Path | None = None
    if database.exists():
        previous = database.with_name(f"{database.stem}-avant-restauration-{stamp}{database.suffix}")
        _copy_with_backup_api(database, previous, read_only=False)
    os.replace(incoming, database)
    removed = []
    for suffix in ("-wal", "-shm", "-journal"):
        sidecar = database.with_name(database.name + suffix)
        if sidecar.exists():
            sidecar.unlink()
            removed.append(sidecar)
    _fsync_folder(database.parent)
    return RestoreReport(database, source, version, known, previous, tuple(removed))
