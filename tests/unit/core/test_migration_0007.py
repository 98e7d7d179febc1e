"""Migration 0007 keeps what the previous layout stored: role holds move to their own table, and
topics of minutes that were never posted become private to their session."""

from __future__ import annotations

from bot.core.db import Database


async def test_role_holds_and_unposted_minutes_topics_are_carried_over(tmp_path):
    db = await Database.open(tmp_path / "relais.db", migrate=False)
    try:
        await db.migrate(6)
        await db.execute(
            "INSERT INTO charter_notices (guild_id, user_id, version, notified_at, via)"
            " VALUES (1, 7, 'rôle retiré par la modération', 100.0, 'moderators'),"
            " (1, 8, '2025-01', 90.0, 'dm')"
        )
        await db.execute(
            "INSERT INTO intervision_sessions (id, guild_id, title, starts_at, ends_at, capacity,"
            " created_by, created_at, updated_at) VALUES (1, 1, 's', 10, 20, 5, 3, 1, 1)"
        )
        await db.execute(
            "INSERT INTO intervision_topics (id, guild_id, text, source_session_id, message_id,"
            " created_at) VALUES (1, 1, 'posted', 1, 55, 1), (2, 1, 'never posted', 1, NULL, 1),"
            " (3, 1, 'proposed', NULL, NULL, 1)"
        )
        assert await db.migrate(7) == [7]  # 0007 alone (later migrations exist)
        holds = await db.fetchall("SELECT guild_id, user_id, held_at FROM charter_role_holds")
        assert [tuple(r) for r in holds] == [(1, 7, 100.0)]
        assert [r["user_id"] for r in await db.fetchall("SELECT user_id FROM charter_notices")] == [8]
        private = await db.fetchall("SELECT id, private FROM intervision_topics ORDER BY id")
        assert [tuple(r) for r in private] == [(1, 0), (2, 1), (3, 0)]
    finally:
        await db.close()
