from __future__ import annotations

import asyncio
import sqlite3
import stat
import time

import pytest

from bot.core import db as db_module
from bot.core.db import BUSY_AGAIN_MS, BUSY_TIMEOUT_MS, Database, DatabaseTooNew, is_locked, load_migrations

LATEST = len(load_migrations())


async def test_fresh_database_is_private_migrated_and_hardened(tmp_path):
    path = tmp_path / "new" / "relais.db"
    db = await Database.open(path)
    try:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert await db.schema_version() == LATEST
        assert await db.fetchval("PRAGMA journal_mode") == "wal"
        assert await db.fetchval("PRAGMA foreign_keys") == 1
        assert await db.fetchval("PRAGMA secure_delete") == 1
        assert await db.fetchval("PRAGMA busy_timeout") == BUSY_TIMEOUT_MS
    finally:
        await db.close()


@pytest.mark.parametrize("start", range(LATEST))
async def test_upgrade_from_every_earlier_version(tmp_path, start):
    path = tmp_path / "relais.db"
    old = await Database.open(path, migrate=False)
    await old.migrate(target=start)
    assert await old.schema_version() == start
    await old.close()
    db = await Database.open(path)
    try:
        assert await db.schema_version() == LATEST
        tables = {r[0] for r in await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"meta", "timers", "guild_settings", "guild_channels", "guild_roles"} <= tables
    finally:
        await db.close()


async def test_refuses_a_database_from_a_newer_relais(tmp_path):
    path = tmp_path / "relais.db"
    await (await Database.open(path)).close()
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {LATEST + 1}")
    raw.close()
    with pytest.raises(DatabaseTooNew, match="upgrade Relais"):
        await Database.open(path)


async def test_failed_transaction_leaves_nothing_half_written(db):
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await db.execute("INSERT INTO meta (key, value) VALUES ('a', '1')")
            raise RuntimeError("boom")
    assert await db.get_meta("a") is None


async def test_concurrent_transactions_do_not_interleave(db):
    await db.set_meta("counter", "0")

    async def increment() -> None:
        async with db.transaction():
            value = int(await db.get_meta("counter"))
            await asyncio.sleep(0)  # give another coroutine every chance to interleave
            await db.set_meta("counter", str(value + 1))

    await asyncio.gather(*(increment() for _ in range(50)))
    assert await db.get_meta("counter") == "50"


async def test_task_spawned_inside_a_transaction_waits_for_it(db):
    seen: list[str | None] = []

    async def reader() -> None:
        seen.append(await db.get_meta("k"))

    async with db.transaction():
        await db.set_meta("k", "inside")
        task = asyncio.create_task(reader())
        await asyncio.sleep(0.01)
        assert not task.done()  # it must not read through our open transaction
    await task
    assert seen == ["inside"]


async def test_online_backup_is_consistent_and_private(tmp_path, db):
    await db.executemany(
        "INSERT INTO meta (key, value) VALUES (?, ?)", [(f"k{i}", str(i)) for i in range(500)]
    )
    destination = await db.backup(tmp_path / "backup.db")
    assert stat.S_IMODE(destination.stat().st_mode) == 0o600
    copy = sqlite3.connect(destination)
    assert copy.execute("SELECT COUNT(*) FROM meta").fetchone()[0] == 500
    assert copy.execute("PRAGMA user_version").fetchone()[0] == LATEST
    copy.close()
    with pytest.raises(FileExistsError):
        await db.backup(destination)


async def test_erased_text_is_gone_from_the_file(tmp_path):
    path = tmp_path / "relais.db"
    db = await Database.open(path)
    secret = "confidence-intervision-" * 20
    await db.set_meta("secret", secret)
    await db.execute("DELETE FROM meta WHERE key = 'secret'")
    await db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    await db.close()
    assert secret.encode() not in path.read_bytes()


def _insert_pair_then_fail(conn: sqlite3.Connection, key: str) -> None:
    conn.execute("INSERT INTO meta (key, value) VALUES (?, 'first')", (key + "-1",))
    conn.execute("INSERT INTO meta (key, value) VALUES (?, 'second')", (key + "-2",))
    raise RuntimeError("boom")


async def test_run_executes_several_statements_as_one_transaction(db):
    def write_two(conn: sqlite3.Connection, prefix: str) -> int:
        conn.execute("INSERT INTO meta (key, value) VALUES (?, '1')", (prefix + "a",))
        conn.execute("INSERT INTO meta (key, value) VALUES (?, '2')", (prefix + "b",))
        assert conn.in_transaction
        return conn.execute("SELECT COUNT(*) FROM meta WHERE key LIKE ?", (prefix + "%",)).fetchone()[0]

    assert await db.run(write_two, "p-") == 2
    assert await db.get_meta("p-a") == "1" and await db.get_meta("p-b") == "2"


async def test_run_rolls_back_every_statement_when_it_raises(db):
    with pytest.raises(RuntimeError, match="boom"):
        await db.run(_insert_pair_then_fail, "x")
    assert await db.fetchval("SELECT COUNT(*) FROM meta WHERE key LIKE 'x-%'") == 0
    await db.set_meta("after", "ok")  # the connection is usable: no transaction left open
    assert await db.get_meta("after") == "ok"


async def test_run_rolls_back_when_sqlite_refuses_a_statement(db):
    def duplicate(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO meta (key, value) VALUES ('dup', '1')")
        conn.execute("INSERT INTO meta (key, value) VALUES ('dup', '2')")

    with pytest.raises(sqlite3.IntegrityError):
        await db.run(duplicate)
    assert await db.get_meta("dup") is None


async def test_run_joins_the_enclosing_transaction_of_the_same_task(db):
    with pytest.raises(RuntimeError, match="outer"):
        async with db.transaction():
            await db.set_meta("outer", "1")
            seen = await db.run(
                lambda conn: conn.execute("SELECT value FROM meta WHERE key = 'outer'").fetchone()[0]
            )
            assert seen == "1"  # it sees the open transaction's uncommitted row
            await db.run(lambda conn: conn.execute("INSERT INTO meta (key, value) VALUES ('joined', '1')"))
            raise RuntimeError("outer")
    assert await db.get_meta("outer") is None
    assert await db.get_meta("joined") is None  # rolled back with the enclosing transaction

    async with db.transaction():
        await db.run(lambda conn: conn.execute("INSERT INTO meta (key, value) VALUES ('kept', '1')"))
    assert await db.get_meta("kept") == "1"


async def test_run_from_another_task_waits_for_an_open_transaction(db):
    async with db.transaction():
        await db.set_meta("k", "inside")
        task = asyncio.create_task(
            db.run(lambda conn: conn.execute("SELECT value FROM meta WHERE key = 'k'").fetchone()[0])
        )
        await asyncio.sleep(0.01)
        assert not task.done()
        await db.set_meta("k", "committed")
    assert await task == "committed"


async def test_concurrent_runs_and_statements_never_lose_an_update(db):
    await db.set_meta("counter", "0")

    def increment(conn: sqlite3.Connection) -> None:
        value = int(conn.execute("SELECT value FROM meta WHERE key = 'counter'").fetchone()[0])
        conn.execute("UPDATE meta SET value = ? WHERE key = 'counter'", (str(value + 1),))

    async def increment_in_a_transaction() -> None:
        async with db.transaction():
            value = int(await db.get_meta("counter"))
            await asyncio.sleep(0)
            await db.set_meta("counter", str(value + 1))

    jobs = [db.run(increment) for _ in range(100)]
    jobs += [increment_in_a_transaction() for _ in range(20)]
    jobs += [db.set_meta(f"other-{i}", "x") for i in range(50)]
    jobs += [db.run(_insert_pair_then_fail, f"f{i}") for i in range(10)]
    results = await asyncio.gather(*jobs, return_exceptions=True)
    assert sum(isinstance(r, RuntimeError) for r in results) == 10
    assert await db.get_meta("counter") == "120"
    assert await db.fetchval("SELECT COUNT(*) FROM meta WHERE key LIKE 'other-%'") == 50
    assert await db.fetchval("SELECT COUNT(*) FROM meta WHERE key LIKE 'f%-_'") == 0


async def test_a_cancelled_caller_never_leaves_the_transaction_open(db):
    async def cancelled_inside() -> None:
        async with db.transaction():
            await db.set_meta("cancelled", "1")
            await asyncio.sleep(10)

    task = asyncio.create_task(cancelled_inside())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await db.get_meta("cancelled") is None
    await db.run(lambda conn: conn.execute("INSERT INTO meta (key, value) VALUES ('later', '1')"))
    assert await db.get_meta("later") == "1"


async def test_run_passes_keyword_arguments_through(db):
    def store(conn: sqlite3.Connection, *, key: str, value: str) -> str:
        conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, value))
        return key

    assert await db.run(store, key="kw", value="v") == "kw"
    assert await db.get_meta("kw") == "v"


async def test_peek_sees_committed_writes_of_another_process_and_waits_for_its_own_transaction(db):
    other = await Database.open(db.path)  # what ``relais data erase`` opens while the bot runs
    try:
        assert await db.peek_value("SELECT value FROM meta WHERE key = 'peeked'") is None
        await other.set_meta("peeked", "1")
        assert await db.peek_value("SELECT value FROM meta WHERE key = ?", ("peeked",)) == "1"
        async with db.transaction():
            await db.set_meta("peeked", "2")
            # inside the open transaction the peek answers like fetchval: the uncommitted value
            assert await db.peek_value("SELECT value FROM meta WHERE key = 'peeked'") == "2"
        assert await db.peek_value("SELECT value FROM meta WHERE key = 'peeked'") == "2"
        # the peek leaves no read transaction open: a truncating checkpoint still empties the WAL
        assert (await db.fetchone("PRAGMA wal_checkpoint(TRUNCATE)"))[0] == 0
        assert (db.path.with_name(db.path.name + "-wal")).stat().st_size == 0
    finally:
        await other.close()


async def test_peek_answers_like_fetchval_while_another_task_holds_a_transaction(db):
    await db.set_meta("peeked", "before")
    changed = asyncio.Event()
    release = asyncio.Event()

    async def writer() -> None:
        async with db.transaction():
            await db.set_meta("peeked", "after")
            changed.set()
            await release.wait()

    task = asyncio.create_task(writer())
    await changed.wait()
    peek = asyncio.create_task(db.peek_value("SELECT value FROM meta WHERE key = 'peeked'"))
    await asyncio.sleep(0.05)
    assert not peek.done()  # queued behind the open transaction, as fetchval would be
    release.set()
    assert await peek == "after"
    await task


async def test_a_file_held_by_another_process_fails_the_next_writes_fast_then_frees_itself(tmp_path):
    """A command queued behind other writes must not wait out the whole busy wait once per write
    ahead of it: once a wait has run out, the next ones are short, until a write goes through."""
    path = tmp_path / "relais.db"
    db = await Database.open(path)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        waits = []
        for n in range(3):
            started = time.monotonic()
            with pytest.raises(sqlite3.OperationalError) as refused:
                await db.execute("INSERT INTO meta (key, value) VALUES (?, 'x')", (f"k{n}",))
            assert is_locked(refused.value)
            waits.append(time.monotonic() - started)
        assert waits[0] >= BUSY_TIMEOUT_MS / 1000 * 0.9
        assert all(wait < BUSY_TIMEOUT_MS / 1000 / 2 for wait in waits[1:]), waits
        assert await db.fetchval("PRAGMA busy_timeout") == BUSY_AGAIN_MS
        other.execute("ROLLBACK")

        await db.execute("INSERT INTO meta (key, value) VALUES ('after', 'x')")
        assert await db.fetchval("PRAGMA busy_timeout") == BUSY_TIMEOUT_MS
        assert await db.fetchval("SELECT COUNT(*) FROM meta WHERE key LIKE 'k%'") == 0
    finally:
        other.close()
        await db.close()


async def test_the_short_wait_ends_by_itself_when_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.setattr(db_module._LockWatch, "SHORT_FOR", 0.2)
    path = tmp_path / "relais.db"
    db = await Database.open(path)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(sqlite3.OperationalError):
            await db.execute("INSERT INTO meta (key, value) VALUES ('k', 'x')")
        other.execute("ROLLBACK")
        assert await db.fetchval("PRAGMA busy_timeout") == BUSY_AGAIN_MS  # reads prove nothing
        await asyncio.sleep(0.3)
        await db.fetchval("SELECT 1")
        assert await db.fetchval("PRAGMA busy_timeout") == BUSY_TIMEOUT_MS
    finally:
        other.close()
        await db.close()
