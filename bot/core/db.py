"""The one owner of the SQLite connection: pragmas, numbered migrations, transactions, backups.

Every statement goes through one aiosqlite connection guarded by an asyncio lock, so a
transaction opened by one coroutine never swallows another coroutine's statements. Code
running inside ``async with db.transaction():`` can keep calling ``db.execute`` and friends:
a context variable routes those calls into the open transaction instead of deadlocking.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

log = logging.getLogger(__name__)

MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 5000",
    # Erased text (GDPR erasure, retracted reports) must not linger in free pages.
    "PRAGMA secure_delete = ON",
    "PRAGMA synchronous = NORMAL",
    # The WAL is truncated back to 4 MiB after checkpoints: erased text must not linger there either.
    "PRAGMA journal_size_limit = 4194304",
)

Row = sqlite3.Row
T = TypeVar("T")


@dataclass(slots=True)
class _OpenTransaction:
    """Marks the task that holds a transaction; tasks spawned inside it inherit the context
    variable but not the lock, so ownership is checked against the task, not just the value."""

    db: Database
    task: asyncio.Task[Any] | None
    active: bool = True

    def owned_by_current_task(self, db: Database) -> bool:
        return self.active and self.db is db and self.task is asyncio.current_task()


_open_transaction: contextvars.ContextVar[_OpenTransaction | None] = contextvars.ContextVar(
    "relais_open_transaction", default=None
)


class DatabaseTooNew(RuntimeError):
    """The file was migrated by a newer Relais; running older code on it could corrupt data."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    found: list[Migration] = []
    for entry in resources.files("bot.core.migrations").iterdir():
        match = MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 0001, 0002, … without gaps; found {versions}")
    return found


@dataclass(frozen=True, slots=True)
class WriteResult:
    rowcount: int
    lastrowid: int | None


def _create_private_file(path: Path) -> None:
    """Create the database file readable by its owner only, before SQLite opens it."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)


class Database:
    def __init__(self, path: Path, connection: aiosqlite.Connection) -> None:
        self.path = path
        self._conn = connection
        self._lock = asyncio.Lock()

    # -- lifecycle -------------------------------------------------------------------------
    @classmethod
    async def open(cls, path: str | os.PathLike[str], *, migrate: bool = True) -> Database:
        path = Path(path)
        _create_private_file(path)
        conn = await aiosqlite.connect(path, isolation_level=None)
        conn.row_factory = sqlite3.Row
        for pragma in PRAGMAS:
            await conn.execute(pragma)
        db = cls(path, conn)
        try:
            await db.check_version()
            if migrate:
                await db.migrate()
        except BaseException:
            await conn.close()
            raise
        return db

    async def close(self) -> None:
        async with self._lock:
            with contextlib.suppress(Exception):
                await self._conn.execute("PRAGMA optimize")
            await self._conn.close()

    # -- migrations ------------------------------------------------------------------------
    async def schema_version(self) -> int:
        async with self._conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0])

    async def check_version(self) -> None:
        known = len(load_migrations())
        current = await self.schema_version()
        if current > known:
            raise DatabaseTooNew(
                f"{self.path} is at schema version {current} but this Relais knows only {known}: "
                "upgrade Relais, or restore a backup made by this version"
            )

    async def migrate(self, target: int | None = None) -> list[int]:
        """Apply pending migrations (up to ``target``), each in its own transaction."""
        applied: list[int] = []
        async with self._lock:
            current = await self.schema_version()
            for migration in load_migrations():
                if migration.version <= current or (target is not None and migration.version > target):
                    continue
                script = f"BEGIN IMMEDIATE;\n{migration.sql}\n;PRAGMA user_version = {migration.version};\nCOMMIT;"
                try:
                    await self._conn.executescript(script)
                except Exception:
                    with contextlib.suppress(sqlite3.OperationalError):
                        await self._conn.execute("ROLLBACK")
                    log.exception("migration %s failed; database left at version %s", migration.name, current)
                    raise
                log.info("applied migration %s", migration.name)
                applied.append(migration.version)
                current = migration.version
        return applied

    # -- statements ------------------------------------------------------------------------
    def _inside_own_transaction(self) -> bool:
        marker = _open_transaction.get()
        return marker is not None and marker.owned_by_current_task(self)

    @contextlib.asynccontextmanager
    async def _statement_slot(self) -> AsyncIterator[None]:
        if self._inside_own_transaction():
            yield  # already holding the lock inside our own transaction
            return
        async with self._lock:
            yield

    async def _in_thread(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work`` in aiosqlite's worker thread in ONE hop (``execute`` then ``fetchall`` then
        ``close`` through the public API take three); hot paths like bookings feel the difference."""
        conn = self._conn
        return await conn._execute(lambda: work(conn._conn))

    async def _statement(self, sql: str, params: Any, read: Callable[[sqlite3.Cursor], T], *, many: bool = False) -> T:
        """One statement (or ``executemany``) and what ``read`` takes from its cursor, in one hop."""

        def work(raw: sqlite3.Connection) -> T:
            cursor = raw.executemany(sql, params) if many else raw.execute(sql, params)
            try:
                return read(cursor)
            finally:
                cursor.close()

        async with self._statement_slot():
            return await self._in_thread(work)

    async def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> WriteResult:
        return await self._statement(sql, params, lambda cursor: WriteResult(cursor.rowcount, cursor.lastrowid))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        return await self._statement(sql, list(rows), lambda cursor: cursor.rowcount, many=True)

    async def fetchone(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Row | None:
        return await self._statement(sql, params, sqlite3.Cursor.fetchone)

    async def fetchall(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Row]:
        return await self._statement(sql, params, sqlite3.Cursor.fetchall)

    async def fetchval(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Database]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any exception: never a half-written row."""
        if self._inside_own_transaction():
            yield self  # nested use joins the outer transaction
            return
        async with self._lock:
            marker = _OpenTransaction(self, asyncio.current_task())
            token = _open_transaction.set(marker)
            try:
                await self._in_thread(lambda raw: raw.execute("BEGIN IMMEDIATE").close())
                try:
                    yield self
                except BaseException:
                    await self._in_thread(lambda raw: raw.execute("ROLLBACK").close())
                    raise
                else:
                    await self._in_thread(lambda raw: raw.execute("COMMIT").close())
            finally:
                marker.active = False
                _open_transaction.reset(token)

    # -- metadata and backups --------------------------------------------------------------
    async def get_meta(self, key: str) -> str | None:
        return await self.fetchval("SELECT value FROM meta WHERE key = ?", (key,))

    async def set_meta(self, key: str, value: str) -> None:
        await self.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    async def checkpoint(self) -> None:
        """Copy the WAL into the main file and empty it: after an erasure, the erased text was
        overwritten in the file (``secure_delete``) and leaves no copy in the WAL."""
        await self.fetchall("PRAGMA wal_checkpoint(TRUNCATE)")

    async def backup(self, destination: str | os.PathLike[str]) -> Path:
        """A consistent online copy through SQLite's backup API, safe while the bot writes."""
        destination = Path(destination)
        if destination.exists():
            raise FileExistsError(f"{destination} exists already; choose a new file name")
        _create_private_file(destination)
        target = sqlite3.connect(destination, check_same_thread=False)
        try:
            async with self._statement_slot():
                await self._conn.backup(target)
        finally:
            target.close()
        return destination
