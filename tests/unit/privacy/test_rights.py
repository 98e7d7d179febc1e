"""Export, erasure and retention of one member's data, on a real SQLite file with every capability."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bot.core import timeutil
from bot.core.member_data import FORMER_MEMBER, ErasureChoices, RetentionPolicy
from bot.core.timers import TimerService
from bot.data_rights import HOOKS
from bot.moderation.reports import reporter_hash
from bot.privacy import rights

GUILD, ME, OTHER, THIRD, MOD = 10, 111, 222, 333, 999
NOW = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)
KEY = b"k" * 32
SECRET_TITLE = "Podcast-confidentiel-zebre"
SECRET_DESCRIPTION = "Mon-parcours-personnel-girafe"
SECRET_KEYWORDS = "mot-cle-intime-okapi"
SECRET_REVISION = "Revision-en-attente-tapir"
MEMBER_ID_COLUMNS = {
    "user_id",
    "member_id",
    "author_id",
    "shared_by",
    "submitter_id",
    "proposed_by",
    "reporter_id",
    "created_by",
    "moderator_id",
    "facilitator_id",
    "secretary_id",
    "target_id",
    "handler_id",
    "removed_by",
    "revoked_by",
    "moderators",
}


def at(days: float) -> float:
    return timeutil.to_db(NOW + dt.timedelta(days=days))


async def populate(db) -> None:
    run = db.execute
    await run(
        "INSERT INTO resources (id, guild_id, url, url_key, title, description, author_id, shared_by, "
        "created_at,"
        " message_id, channel_id) VALUES (1, ?, 'https://a.example/1', 'a.example/1', ?, ?, ?, ?, ?, "
        "501, 50)",
        (GUILD, SECRET_TITLE, SECRET_DESCRIPTION, ME, ME, at(-10)),
    )
    await run(
        "INSERT INTO resources (id, guild_id, url, url_key, title, author_id, shared_by, created_at)"
        " VALUES (2, ?, 'https://a.example/2', 'a.example/2', 'Autre ressource', ?, ?, ?)",
        (GUILD, OTHER, OTHER, at(-9)),
    )
    for voter in (ME, OTHER):
        await run(
            "INSERT INTO resource_votes (guild_id, resource_id, user_id, created_at) VALUES (?, 2, ?, ?)",
            (GUILD, voter, at(-5)),
        )
    await run("UPDATE resources SET useful_count = 2 WHERE id = 2")
    await run(
        "INSERT INTO charter_acceptances (guild_id, user_id, version, accepted_at) VALUES (?, ?, '1', ?)",
        (GUILD, ME, at(-30)),
    )
    await run(
        "INSERT INTO automod_actions (guild_id, message_id, rule_id, user_id, channel_id, action, acted_at)"
        " VALUES (?, 77, 'r', ?, 50, 'flag', ?)",
        (GUILD, ME, at(-3)),
    )
    await run(
        "INSERT INTO intervision_sessions (id, guild_id, title, starts_at, ends_at, capacity, created_by,"
        " created_at, updated_at) VALUES (1, ?, 'Séance future', ?, ?, 1, ?, ?, ?)",
        (GUILD, at(7), at(7.1), ME, at(-1), at(-1)),
    )
    await run(
        "INSERT INTO intervision_sessions (id, guild_id, title, starts_at, ends_at, capacity, created_by,"
        " status, created_at, updated_at) VALUES (2, ?, 'Séance passée', ?, ?, 5, ?, 'done', ?, ?)",
        (GUILD, at(-7), at(-6.9), MOD, at(-20), at(-6)),
    )
    await run(
        "INSERT INTO intervision_bookings (session_id, guild_id, user_id, seq, status, created_at)"
        " VALUES (1, ?, ?, 1, 'booked', ?), (1, ?, ?, 2, 'waitlist', ?), (2, ?, ?, 1, 'booked', ?)",
        (GUILD, ME, at(-1), GUILD, OTHER, at(-1), GUILD, ME, at(-20)),
    )
    await run(
        "INSERT INTO intervision_minutes (session_id, guild_id, author_id, thematic, updated_at)"
        " VALUES (2, ?, ?, 'Ce que le groupe a travaillé', ?)",
        (GUILD, ME, at(-6)),
    )
    await run(
        "INSERT INTO intervision_topics (id, guild_id, text, proposed_by, created_at)"
        " VALUES (1, ?, 'La juste distance', ?, ?)",
        (GUILD, ME, at(-4)),
    )
    await run(
        "INSERT INTO intervision_reminder_prefs (guild_id, user_id, enabled) VALUES (?, ?, 0)", (GUILD, ME)
    )
    await run(
        "INSERT INTO job_subscriptions (guild_id, user_id, regions, keywords, created_at, updated_at)"
        " VALUES (?, ?, 'Bruxelles', ?, ?, ?)",
        (GUILD, ME, SECRET_KEYWORDS, at(-2), at(-2)),
    )
    await run(
        "INSERT INTO job_offers (id, guild_id, status, title, employer, region, contract, title_norm,"
        " employer_norm, submitter_id, created_at, updated_at, published_at) VALUES (9, ?, 'published',"
        " 'Pair-aidant·e', 'ASBL', 'Bruxelles', 'CDD', 'pair-aidant', 'asbl', ?, ?, ?, ?)",
        (GUILD, ME, at(-20), at(-20), at(-19)),
    )
    await run(
        "INSERT INTO job_offer_revisions (offer_id, guild_id, title, employer, region, contract, missions,"
        " created_at) VALUES (9, ?, 'Pair-aidant·e', 'ASBL', 'Bruxelles', 'CDD', ?, ?)",
        (GUILD, SECRET_REVISION, at(-1)),
    )
    await run(
        "INSERT INTO mod_cases (guild_id, number, member_id, moderator_id, action, reason, state, created_at)"
        " VALUES (?, 1, ?, ?, 'warn', 'Rappel de la charte', 'confirmed', ?),"
        " (?, 2, ?, ?, 'note', 'Note privée de l''équipe', 'confirmed', ?)",
        (GUILD, ME, MOD, at(-40), GUILD, ME, MOD, at(-39)),
    )
    await run(
        "INSERT INTO mod_appeals (guild_id, case_number, member_id, text, created_at)"
        " VALUES (?, 1, ?, 'Je conteste', ?)",
        (GUILD, ME, at(-38)),
    )
    await run(
        "INSERT INTO mod_reports (id, guild_id, target_id, description, created_at, updated_at)"
        " VALUES (1, ?, ?, 'Signalement sur quelqu''un', ?, ?), (2, ?, ?, 'Signalement me visant', ?, ?)",
        (GUILD, THIRD, at(-8), at(-8), GUILD, ME, at(-8), at(-8)),
    )
    await run(
        "INSERT INTO mod_report_entries (guild_id, report_id, reporter_id, reporter_hash, description,"
        " notify, created_at) VALUES (?, 1, NULL, ?, 'Mes mots anonymes', 0, ?),"
        " (?, 2, ?, ?, 'Écrit par un tiers', 1, ?)",
        (
            GUILD,
            reporter_hash(KEY, GUILD, ME),
            at(-8),
            GUILD,
            THIRD,
            reporter_hash(KEY, GUILD, THIRD),
            at(-8),
        ),
    )


async def _noop() -> None:
    return None


@pytest.fixture
async def filled(db):
    await populate(db)
    return db


def test_every_column_holding_a_member_id_is_answered_for_by_a_hook():
    import sqlite3

    from bot.core.db import load_migrations

    raw = sqlite3.connect(":memory:")
    for migration in load_migrations():
        raw.executescript(migration.sql)
    covered = {
        (table, column) for hook in HOOKS for table, columns in hook.tables.items() for column in columns
    }
    missing = []
    for (table,) in raw.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '%fts%'"
    ):
        for row in raw.execute(f"PRAGMA table_info({table})"):
            if row[1] in MEMBER_ID_COLUMNS and (table, row[1]) not in covered:
                missing.append(f"{table}.{row[1]}")
    assert missing == []


async def test_export_holds_the_members_data_and_names_what_is_withheld(filled):
    export = await rights.export_member(filled, HOOKS, GUILD, ME, now=NOW, report_key=KEY)
    data = json.loads(export.to_json())["data"]
    assert [r["title"] for r in data["resources"]["resources_shared"]] == [SECRET_TITLE]
    assert [r["resource_id"] for r in data["resources"]["useful_votes"]] == ["2"]
    assert {r["title"] for r in data["intervisions"]["bookings"]} == {"Séance future", "Séance passée"}
    assert data["intervisions"]["minutes_written"][0]["thematic"] == "Ce que le groupe a travaillé"
    assert data["jobs"]["alert_subscription"][0]["keywords"] == SECRET_KEYWORDS
    assert [r["missions"] for r in data["jobs"]["pending_edits"]] == [SECRET_REVISION]
    assert [c["number"] for c in data["moderation"]["cases_about_you"]] == [
        1
    ]  # the private note is not there
    assert [r["description"] for r in data["moderation"]["reports_you_filed"]] == ["Mes mots anonymes"]
    assert data["charter"]["charter_acceptances"][0]["accepted_at"].startswith("2026-11-03")
    text = export.to_json()
    assert "Note privée" not in text and "Écrit par un tiers" not in text and str(THIRD) not in text
    assert "privacy.withheld.reports_about_you" in export.withheld
    assert "privacy.withheld.private_notes" in export.withheld


async def test_erasure_removes_links_keeps_what_the_community_needs_and_says_until_when(filled):
    timers = TimerService(filled, clock=lambda: NOW)
    report = await rights.erase_member(
        filled,
        timers,
        HOOKS,
        GUILD,
        ME,
        ErasureChoices(keep_resources=True),
        now=NOW,
        policy=RetentionPolicy(),
        report_key=KEY,
    )
    assert report.erased["resources.useful_votes"] == 1
    assert await filled.fetchval("SELECT useful_count FROM resources WHERE id = 2") == 1
    row = await filled.fetchone("SELECT author_id, shared_by, title FROM resources WHERE id = 1")
    assert (row["author_id"], row["shared_by"], row["title"]) == (None, None, SECRET_TITLE)
    # The seat is freed and the waitlist moves up; Discord is told through a durable timer.
    booked = await filled.fetchall("SELECT user_id, status FROM intervision_bookings WHERE session_id = 1")
    assert [(r["user_id"], r["status"]) for r in booked] == [(OTHER, "booked")]
    pending = await timers.pending(GUILD, "intervisions.seats_freed")
    assert [t.payload["promoted"] for t in pending] == [[OTHER]]
    assert await filled.fetchval("SELECT COUNT(*) FROM intervision_bookings WHERE user_id = ?", (ME,)) == 0
    minutes = await filled.fetchone(
        "SELECT author_id, thematic FROM intervision_minutes WHERE session_id = 2"
    )
    assert (minutes["author_id"], minutes["thematic"]) == (FORMER_MEMBER, "Ce que le groupe a travaillé")
    assert await filled.fetchval("SELECT proposed_by FROM intervision_topics WHERE id = 1") is None
    assert await filled.fetchval("SELECT COUNT(*) FROM job_subscriptions WHERE user_id = ?", (ME,)) == 0
    assert await filled.fetchval("SELECT COUNT(*) FROM charter_acceptances WHERE user_id = ?", (ME,)) == 0
    # The anonymous report stays, and nothing links it to its reporter any more.
    entry = await filled.fetchone("SELECT reporter_hash FROM mod_report_entries WHERE report_id = 1")
    assert entry["reporter_hash"] != reporter_hash(KEY, GUILD, ME)
    # Cases about the member are kept for the retention period, and the answer says until when.
    assert await filled.fetchval("SELECT COUNT(*) FROM mod_cases WHERE member_id = ?", (ME,)) == 2
    assert report.kept["moderation.cases_about_you"] == NOW - dt.timedelta(days=39) + dt.timedelta(days=365)
    again = await rights.export_member(filled, HOOKS, GUILD, ME, now=NOW, report_key=KEY)
    assert set(again.counts()) <= {
        "moderation.cases_about_you",
        "moderation.appeals",
        "charter.automatic_moderation",
        "timers.scheduled_actions",
    }
    # Only the pending follow-ups carry the id still, and they delete themselves once done.
    assert {row["status"] for row in again.areas["timers"]["scheduled_actions"]} == {"pending"}
    timers.register("intervisions.seats_freed", lambda timer: _noop())
    timers.register("resources.refresh_card", lambda timer: _noop())
    assert await timers.run_due() == 2
    assert (await rights.export_member(filled, HOOKS, GUILD, ME, now=NOW)).areas["timers"][
        "scheduled_actions"
    ] == []


async def test_erased_texts_are_not_left_in_the_database_file_or_its_wal(filled):
    await filled.checkpoint()
    timers = TimerService(filled, clock=lambda: NOW)
    report = await rights.erase_member(
        filled,
        timers,
        HOOKS,
        GUILD,
        ME,
        ErasureChoices(keep_resources=False),
        now=NOW,
        policy=RetentionPolicy(),
        report_key=KEY,
    )
    assert report.erased["resources.resources_shared"] == 1
    assert await filled.fetchval("SELECT COUNT(*) FROM resources WHERE id = 1") == 0
    assert [t.payload for t in await timers.pending(GUILD, "privacy.delete_message")] == [
        {"channel_id": 50, "message_id": 501, "forget_when_done": True}
    ]
    raw = filled.path.read_bytes()
    wal = filled.path.with_name(filled.path.name + "-wal")
    raw += wal.read_bytes() if wal.exists() else b""
    assert report.erased["jobs.pending_edits"] == 1
    assert (
        await filled.fetchval("SELECT submitter_id FROM job_offers WHERE id = 9") is None
    )  # the offer stays
    for text in (SECRET_TITLE, SECRET_DESCRIPTION, SECRET_KEYWORDS, SECRET_REVISION):
        assert text.encode() not in raw, text


async def test_retention_purges_and_pseudonymises_old_records(filled):
    await filled.execute(
        "UPDATE mod_reports SET status = 'resolved', closed_at = ? WHERE id = 1", (at(-400),)
    )
    await filled.execute("UPDATE mod_cases SET created_at = ? WHERE number = 1", (at(-400),))
    await filled.execute(
        "INSERT INTO job_offers (id, guild_id, status, title, employer, region, contract, title_norm,"
        " employer_norm, created_at, updated_at) VALUES (1, ?, 'published', 't', 'e', 'r', 'c', 't',"
        " 'e', ?, ?)",
        (GUILD, at(-200), at(-200)),
    )
    await filled.execute(
        "INSERT INTO job_alerts (guild_id, offer_id, user_id, rhythm, state, created_at, sent_at)"
        " VALUES (?, 1, ?, 'immediat', 'sent', ?, ?), (?, 1, ?, 'immediat', 'sent', ?, ?)",
        (GUILD, ME, at(-100), at(-100), GUILD, OTHER, at(-10), at(-10)),
    )
    purged = await rights.apply_retention(filled, HOOKS, now=NOW, policy=RetentionPolicy())
    assert purged["moderation.closed_reports"] == 1 and purged["jobs.alerts"] == 1
    assert await filled.fetchval("SELECT COUNT(*) FROM mod_reports WHERE id = 1") == 0
    assert await filled.fetchval("SELECT member_id FROM mod_cases WHERE number = 1") < 0
    assert (
        await filled.fetchval("SELECT member_id FROM mod_cases WHERE number = 2") == ME
    )  # recent: kept as is
    assert await filled.fetchval("SELECT COUNT(*) FROM job_alerts") == 1
    again = await rights.apply_retention(filled, HOOKS, now=NOW, policy=RetentionPolicy())
    assert again["moderation.cases_pseudonymised"] == 0
