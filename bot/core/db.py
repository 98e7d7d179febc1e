"""The one owner of the SQLite connection: pragmas, numbered migrations, transactions, backups.

Every statement runs on one plain ``sqlite3`` connection in one dedicated thread, so a
transaction opened by one coroutine never swallows another coroutine's statements. Code
running inside ``async with db.transaction():`` can keep calling ``db.execute`` and friends:
a context variable routes those calls into the open transaction instead of deadlocking.
``db.run(fn, *args)`` runs several statements in the thread in one hop, as one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import logging
import os
import queue
import re
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

log = logging.getLogger(__name__)

MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# Another process holding the file (a sqlite3 shell, relais data erase) is waited for this long:
# under Discord's 3 s for an answer, so that a member whose change cannot be written is told so.
BUSY_TIMEOUT_MS = 2000
# Once a wait ran out, the next statements wait only this long until a write goes through again:
# a queue of writes must not each spend the whole wait in turn, the member's command last.
BUSY_AGAIN_MS = 100
PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA foreign_keys = ON",
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
    # Erased text (GDPR erasure, retracted reports) must not linger in free pages.
    "PRAGMA secure_delete = ON",
    "PRAGMA synchronous = NORMAL",
    # The WAL is truncated back to 4 MiB after checkpoints: erased text must not linger there either.
    "PRAGMA journal_size_limit = 4194304",
)

Row = sqlite3.Row
T = TypeVar("T")
P = ParamSpec("P")


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


def explain_unusable(path: str | os.PathLike[str], error: sqlite3.DatabaseError) -> str:
    """One line for the person who runs Relais: what is wrong with the file and what to do.

    Only for the start-up, when the bot cannot run at all: restarting would not help, a person must act.
    """
    text = str(error)
    lowered = text.lower()
    if is_locked(error):
        return (
            f"the database {path} is locked by another process (a second Relais? a sqlite3 shell?): "
            "stop it, then start Relais again"
        )
    if "full" in lowered or "i/o" in lowered or "disk" in lowered:
        return (
            f"the database {path} cannot be written ({text}: disk full or failing): "
            "free some space or check the disk, then start Relais again"
        )
    return (
        f"the database {path} is not a readable SQLite database ({text}); it is left untouched: "
        "restore your last backup (made by `relais db backup`) or move the file aside to start empty"
    )


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


def copy_database(source: sqlite3.Connection, destination: Path) -> None:
    """SQLite's online backup of ``source`` (its WAL included) into ``destination``, as one file."""
    target = sqlite3.connect(destination)
    try:
        source.backup(target)
        # One self-contained file: a copy in WAL mode would grow -wal/-shm files beside it
        # whenever it is opened, and lose them when it is moved on its own.
        target.execute("PRAGMA journal_mode = DELETE").close()
    finally:
        target.close()


def _create_private_file(path: Path) -> None:
    """Create the database file readable by its owner only, before SQLite opens it."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)


def _run_sql(conn: sqlite3.Connection, sql: str) -> None:
    conn.execute(sql).close()


def is_locked(error: BaseException) -> bool:
    """SQLite's « database is locked »: another process holds the file longer than the wait."""
    if not isinstance(error, sqlite3.OperationalError):
        return False
    lowered = str(error).lower()
    return "locked" in lowered or "busy" in lowered


class _LockWatch:
    """The connection's busy wait, shortened while another process is known to hold the file:
    until a write goes through, or for ``SHORT_FOR`` seconds at most, so that a later, brief hold
    by another process is waited for again (database thread only)."""

    SHORT_FOR = 10.0

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self.short_until: float | None = None

    def shorten(self) -> None:
        self.short_until = time.monotonic() + self.SHORT_FOR
        _run_sql(self._conn, f"PRAGMA busy_timeout = {BUSY_AGAIN_MS}")

    def run_while_short(self, work: Callable[..., T], args: tuple[Any, ...]) -> T:
        assert self.short_until is not None
        if time.monotonic() >= self.short_until:
            self._lengthen()
            return work(*args)
        changes = self._conn.total_changes
        result = work(*args)
        if self._conn.total_changes != changes:  # a write went through: the file is free again
            self._lengthen()
        return result

    def _lengthen(self) -> None:
        self.short_until = None
        _run_sql(self._conn, f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def _atomically(conn: sqlite3.Connection, fn: Callable[..., T], *args: Any) -> T:
    """``fn`` inside ``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back if it raises (database thread)."""
    conn.execute("BEGIN IMMEDIATE").close()
    try:
        result = fn(conn, *args)
    except BaseException:
        if conn.in_transaction:  # some errors (e.g. SQLITE_FULL) already rolled back
            conn.execute("ROLLBACK").close()
        raise
    conn.execute("COMMIT").close()
    return result


_Job = tuple[asyncio.Future[Any], Callable[..., Any], tuple[Any, ...]]
_Outcome = tuple[asyncio.Future[Any], Any, BaseException | None]
SETTLE_EVERY = 64  # under a burst, wake the event loop once per this many finished jobs, not once each


def _settle(outcomes: list[_Outcome]) -> None:
    for future, result, error in outcomes:
        if future.cancelled():  # its caller gave up; the job ran all the same
            continue
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)


class _DatabaseThread:
    """The one thread that touches the connection: jobs run one at a time in the order queued.

    A queued job always runs, even if its caller is cancelled meanwhile, so a ``COMMIT`` or
    ``ROLLBACK`` is never dropped. Finished jobs are handed back to the event loop in batches.
    """

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self.lock_watch: _LockWatch | None = None  # set once the connection is open
        # A daemon: a database someone forgot to close must not keep the process alive.
        self._thread = threading.Thread(target=self._serve, name="relais-db", daemon=True)
        self._thread.start()

    def submit(self, work: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._jobs.put((future, work, args))
        return future

    def stop(self) -> None:
        """Let the thread finish what is queued, then end it."""
        self._jobs.put(None)
        self._thread.join()

    def _serve(self) -> None:
        while True:
            job = self._jobs.get()
            outcomes: list[_Outcome] = []
            while job is not None:
                future, work, args = job
                watch = self.lock_watch
                try:
                    if watch is not None and watch.short_until is not None:
                        outcomes.append((future, watch.run_while_short(work, args), None))
                    else:
                        outcomes.append((future, work(*args), None))
                except BaseException as error:  # handed to the caller, like a result
                    if watch is not None and watch.short_until is None and is_locked(error):
                        watch.shorten()
                    outcomes.append((future, None, error))
                if len(outcomes) >= SETTLE_EVERY:
                    self._hand_back(outcomes)
                    outcomes = []
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
            self._hand_back(outcomes)
            if job is None:
                return

    @staticmethod
    def _hand_back(outcomes: list[_Outcome]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}
        for outcome in outcomes:
            by_loop.setdefault(outcome[0].get_loop(), []).append(outcome)
        for loop, batch in by_loop.items():
            with contextlib.suppress(RuntimeError):  # that loop is closed: nobody is waiting any more
                loop.call_soon_threadsafe(_settle, batch)


class Database:
    """Owns one ``sqlite3`` connection and the single thread that may touch it.

    The thread's queue is first-in first-out, so it alone orders statements; the asyncio lock
    only fences a multi-hop ``transaction()``: while one is open, other tasks wait before
    queueing anything, and when none is open they queue without touching the lock at all.
    """

    def __init__(self, path: Path, connection: sqlite3.Connection, thread: _DatabaseThread) -> None:
        self.path = path
        self._conn = connection
        self._thread = thread
        thread.lock_watch = _LockWatch(connection)
        self._lock = asyncio.Lock()
        self._peek_conn: sqlite3.Connection | None = None
        self._closing = False  # no peek connection is opened again once closing began

    # -- lifecycle -------------------------------------------------------------------------
    @classmethod
    async def open(cls, path: str | os.PathLike[str], *, migrate: bool = True) -> Database:
        path = Path(path)
        _create_private_file(path)
        thread = _DatabaseThread()

        def connect() -> sqlite3.Connection:
            # Created in the database thread: sqlite3's same-thread check then guards our rule.
            conn = sqlite3.connect(path, isolation_level=None)
            conn.row_factory = sqlite3.Row
            for pragma in PRAGMAS:
                _run_sql(conn, pragma)
            return conn

        try:
            conn = await thread.submit(connect)
        except BaseException:
            thread.stop()
            raise
        db = cls(path, conn, thread)
        try:
            await db.check_version()
            if migrate:
                await db.migrate()
        except BaseException:
            await db._shut_down()
            raise
        return db

    async def close(self) -> None:
        async with self._lock:
            await self._shut_down()

    async def _shut_down(self) -> None:
        def optimize_and_close(conn: sqlite3.Connection) -> None:
            with contextlib.suppress(Exception):
                _run_sql(conn, "PRAGMA optimize")
            conn.close()

        self._closing = True
        if self._peek_conn is not None:
            self._peek_conn.close()
            self._peek_conn = None
        try:
            await self._in_thread(optimize_and_close)
        finally:
            self._thread.stop()  # idle by now: returns at once

    # -- the database thread ---------------------------------------------------------------
    async def _in_thread(self, work: Callable[..., T], *args: Any) -> T:
        """Run ``work(connection, *args)`` in the database thread, in one hop."""
        return await self._queue_now(work, *args)

    def _queue_now(self, work: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        return self._thread.submit(work, self._conn, *args)

    def _inside_own_transaction(self) -> bool:
        marker = _open_transaction.get()
        return marker is not None and marker.owned_by_current_task(self)

    async def _queue_after_transactions(self, work: Callable[..., T], *args: Any) -> T:
        """Run ``work`` in the database thread, never inside another task's open transaction."""
        if self._inside_own_transaction() or not self._lock.locked():
            pending = self._queue_now(work, *args)
        else:
            async with self._lock:  # queued behind that transaction's COMMIT or ROLLBACK
                pending = self._queue_now(work, *args)
        return await pending

    # -- migrations ------------------------------------------------------------------------
    async def schema_version(self) -> int:
        return await self._in_thread(lambda conn: int(conn.execute("PRAGMA user_version").fetchone()[0]))

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
                script = (
                    f"BEGIN IMMEDIATE;\n{migration.sql}\n;PRAGMA user_version = {migration.version};\nCOMMIT;"
                )
                try:
                    await self._in_thread(lambda conn, script=script: conn.executescript(script).close())
                except Exception:
                    with contextlib.suppress(sqlite3.OperationalError):
                        await self._in_thread(_run_sql, "ROLLBACK")
                    log.exception("migration %s failed; database left at version %s", migration.name, current)
                    raise
                log.info("applied migration %s", migration.name)
                applied.append(migration.version)
                current = migration.version
        return applied

    # -- statements ------------------------------------------------------------------------
    async def _statement(
        self, sql: str, params: Any, read: Callable[[sqlite3.Cursor], T], *, many: bool = False
    ) -> T:
        """One statement (or ``executemany``) and what ``read`` takes from its cursor, in one hop."""

        def work(conn: sqlite3.Connection) -> T:
            cursor = conn.executemany(sql, params) if many else conn.execute(sql, params)
            try:
                return read(cursor)
            finally:
                cursor.close()

        return await self._queue_after_transactions(work)

    async def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> WriteResult:
        return await self._statement(
            sql, params, lambda cursor: WriteResult(cursor.rowcount, cursor.lastrowid)
        )

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        return await self._statement(sql, list(rows), lambda cursor: cursor.rowcount, many=True)

    async def fetchone(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Row | None:
        return await self._statement(sql, params, sqlite3.Cursor.fetchone)

    async def fetchall(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Row]:
        return await self._statement(sql, params, sqlite3.Cursor.fetchall)

    async def fetchval(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def run(
        self, fn: Callable[Concatenate[sqlite3.Connection, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Several statements in ONE hop: ``fn(connection, *args, **kwargs)`` runs synchronously in
        the database thread inside one transaction (rolled back if it raises); its result is returned.

        Inside ``async with db.transaction():`` of the same task it joins that transaction.
        ``fn`` must only use the connection it is given: it runs outside the event loop.
        """
        work = functools.partial(fn, **kwargs) if kwargs else fn
        if self._inside_own_transaction():
            return await self._in_thread(work, *args)
        return await self._queue_after_transactions(_atomically, work, *args)

    async def peek_value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """``fetchval`` for a tiny hot read (a version counter), without the hop to the database thread.

        The hop costs more than such a query, so when no transaction is open the statement runs right
        here, on a second, read-only connection that sees every *committed* write — this process's
        and other processes' (``relais data erase`` while the bot runs) alike. While a
        ``transaction()`` is open (its writes are not committed yet), once closing began, or if that
        connection is busy, it is ``fetchval`` itself. A ``run()`` being executed in the thread at that
        very moment is seen once committed, as if the peek had come just before it.
        """
        if not self._lock.locked() and not self._closing:
            try:
                if self._peek_conn is None:
                    self._peek_conn = self._open_peek_connection()
                cursor = self._peek_conn.execute(sql, params)
                try:
                    rows = cursor.fetchall()  # read to the end: no read transaction left open
                finally:
                    cursor.close()
                return rows[0][0] if rows else None
            except (sqlite3.OperationalError, sqlite3.ProgrammingError) as error:  # busy; another thread
                log.debug("peek fell back to the database thread: %s", error)
        return await self.fetchval(sql, params)

    def _open_peek_connection(self) -> sqlite3.Connection:
        conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
        # Never wait on the event loop: a busy file means "ask the database thread instead".
        conn.execute("PRAGMA busy_timeout = 0")
        conn.execute("PRAGMA query_only = ON")
        return conn

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
                await self._in_thread(_run_sql, "BEGIN IMMEDIATE")
                try:
                    yield self
                except BaseException:
                    await self._in_thread(_run_sql, "ROLLBACK")
                    raise
                else:
                    await self._in_thread(_run_sql, "COMMIT")
            finally:
                marker.active = False
                _open_transaction.reset(token)

    # -- metadata and backups --------------------------------------------------------------
    async def get_meta(self, key: str) -> str | None:
        return await self.fetchval("SELECT value FROM meta WHERE key = ?", (key,))

    async def set_meta(self, key: str, value: str) -> None:
        await self.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = "
            "excluded.value",
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

        await self._queue_after_transactions(lambda conn: copy_database(conn, destination))
        return destination
