from __future__ import annotations

import asyncio
import sqlite3
import stat

import pytest

from bot.core.db import Database, DatabaseTooNew, load_migrations

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
        assert await db.fetchval("PRAGMA busy_timeout") == 5000
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
    await db.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", [(f"k{i}", str(i)) for i in range(500)])
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
