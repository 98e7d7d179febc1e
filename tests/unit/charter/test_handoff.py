"""Who the consented handoff reaches, and its record (real SQLite)."""

from __future__ import annotations

import datetime as dt

from bot.charter import handoff
from bot.charter.privacy import HOOK
from bot.core.db import Database
from bot.core.member_data import RetentionPolicy

NOW = dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC)


def test_on_duty_first_then_the_listening_role_never_the_member_nor_the_recused() -> None:
    assert handoff.choose_helpers([1, 2], [5], member_id=9, recused=set()) == [1, 2]
    assert handoff.choose_helpers([1, 2], [5], member_id=9, recused={1, 2}) == [5]
    assert handoff.choose_helpers([9], [5, 9], member_id=9, recused=set()) == [5]
    assert handoff.choose_helpers([], [], member_id=9, recused=set()) == []


async def test_record_close_and_retention(tmp_path) -> None:
    db = await Database.open(tmp_path / "relais.db")
    try:
        await handoff.record(db, 1, 9, 500, NOW)
        assert await handoff.open_thread(db, 1, 9) == 500
        assert await handoff.owner(db, 500) == 9
        assert await handoff.close(db, 500, NOW)
        assert not await handoff.close(db, 500, NOW)
        assert await handoff.open_thread(db, 1, 9) is None
        policy = RetentionPolicy()
        kept = await HOOK.apply_retention(db, NOW + dt.timedelta(days=30), policy)
        assert kept["care_handoff_threads"] == 0
        purged = await HOOK.apply_retention(db, NOW + policy.automod_records + dt.timedelta(days=1), policy)
        assert purged["care_handoff_threads"] == 1
        assert await handoff.owner(db, 500) is None
    finally:
        await db.close()
