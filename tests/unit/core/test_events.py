from __future__ import annotations

import pytest

from bot.core import events


async def test_an_event_is_handled_once_per_kind_and_guild(db):
    assert await events.first_delivery(db, 1, "automod", 42)
    assert not await events.first_delivery(db, 1, "automod", 42)
    assert await events.first_delivery(db, 1, "welcome", 42)
    assert await events.first_delivery(db, 2, "automod", 42)


async def test_record_rolls_back_with_the_writes_it_protects(db):
    with pytest.raises(RuntimeError):
        async with db.transaction():
            assert await events.first_delivery(db, 1, "automod", 7)
            raise RuntimeError("the handler failed")
    assert await events.first_delivery(db, 1, "automod", 7)


async def test_old_records_are_forgotten(db):
    await db.execute("INSERT INTO processed_events VALUES (1, 1, 'x', 0)")
    assert await events.forget_older_than(db) == 1


def test_recent_ids_drop_a_repeat_and_forget_the_oldest_first():
    seen = events.RecentIds(size=3)
    assert [seen.first_time(i) for i in (1, 2, 1, 3)] == [True, True, False, True]
    assert seen.first_time(4)  # 1 is now the oldest beyond the size: forgotten
    assert seen.first_time(1)
    assert not seen.first_time(4)
