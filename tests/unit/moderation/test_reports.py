"""Reports: merging per message, anonymous reporters as keyed hashes, rate limit, closing."""

from __future__ import annotations

import datetime as dt
import os
import stat

import pytest

from bot.core.errors import UserError
from bot.moderation import reports as r

G = 1000
T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
MSG = 555


@pytest.fixture
def key(tmp_path):
    return r.load_or_create_key(tmp_path / "keys" / "report.key")


def test_key_is_created_private_and_reused(tmp_path):
    path = tmp_path / "keys" / "report.key"
    first = r.load_or_create_key(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert r.load_or_create_key(path) == first and len(first) == 32
    other = r.load_or_create_key(tmp_path / "other.key")
    assert r.reporter_hash(first, G, 7) != r.reporter_hash(other, G, 7)  # useless without the key


async def test_reports_of_one_message_merge_with_a_count(db, key):
    a = await r.file_report(
        db,
        key,
        G,
        reporter_id=7,
        description="propos blessants",
        now=T0,
        message_id=MSG,
        channel_id=9,
        target_id=50,
        excerpt="…",
    )
    b = await r.file_report(
        db,
        key,
        G,
        reporter_id=8,
        description="pareil",
        now=T0,
        message_id=MSG,
        channel_id=9,
        target_id=50,
        article="respect",
    )
    assert not a.merged and b.merged and not b.duplicate
    assert b.report.id == a.report.id and b.report.count == 2
    assert b.report.article == "respect"  # the first article given is kept
    again = await r.file_report(db, key, G, reporter_id=7, description="encore", now=T0, message_id=MSG)
    assert again.duplicate and again.report.count == 2  # one person counts once
    other = await r.file_report(db, key, G, reporter_id=7, description="autre", now=T0, message_id=MSG + 1)
    assert other.report.id != a.report.id


async def test_anonymous_reporter_is_stored_only_as_a_hash_yet_still_merges(db, key):
    secret_id = 424242424242424242
    first = await r.file_report(
        db, key, G, reporter_id=secret_id, description="x", now=T0, message_id=MSG, anonymous=True
    )
    again = await r.file_report(
        db, key, G, reporter_id=secret_id, description="y", now=T0, message_id=MSG, anonymous=True
    )
    assert again.duplicate and again.report.count == 1
    row = await db.fetchone("SELECT reporter_id, notify, reporter_hash FROM mod_report_entries")
    assert row["reporter_id"] is None and row["notify"] == 0
    assert row["reporter_hash"] == r.reporter_hash(key, G, secret_id)
    dump = ""
    for table in ("mod_reports", "mod_report_entries"):
        dump += "\n".join(str(tuple(x)) for x in await db.fetchall(f"SELECT * FROM {table}"))
    assert str(secret_id) not in dump
    who = await r.reporters(db, first.report.id)
    assert who.named == () and who.anonymous == 1


async def test_rate_limit_counts_anonymous_and_named_reports_of_one_person(db, key):
    for i in range(3):
        await r.file_report(
            db,
            key,
            G,
            reporter_id=7,
            description="x",
            now=T0,
            message_id=MSG + i,
            anonymous=bool(i % 2),
            per_hour=3,
        )
    with pytest.raises(UserError, match="rate_limited"):
        await r.file_report(
            db, key, G, reporter_id=7, description="x", now=T0, message_id=MSG + 9, anonymous=True, per_hour=3
        )
    assert await db.fetchval("SELECT COUNT(*) FROM mod_reports") == 3  # nothing stored
    later = T0 + dt.timedelta(hours=1, minutes=1)
    await r.file_report(db, key, G, reporter_id=7, description="x", now=later, message_id=MSG + 9, per_hour=3)
    await r.file_report(db, key, G, reporter_id=8, description="x", now=T0, message_id=MSG + 10, per_hour=3)


async def test_bad_reports_store_nothing(db, key):
    with pytest.raises(UserError, match="description_empty"):
        await r.file_report(db, key, G, reporter_id=7, description="  ", now=T0)
    with pytest.raises(UserError, match="description_too_long"):
        await r.file_report(db, key, G, reporter_id=7, description="x" * 1001, now=T0)
    with pytest.raises(UserError, match="self_report"):
        await r.file_report(db, key, G, reporter_id=7, description="moi", now=T0, target_id=7)
    assert await db.fetchval("SELECT COUNT(*) FROM mod_reports") == 0


async def test_closing_tells_only_named_reporters_who_did_not_opt_out(db, key):
    filed = await r.file_report(db, key, G, reporter_id=7, description="x", now=T0, message_id=MSG)
    await r.file_report(db, key, G, reporter_id=8, description="x", now=T0, message_id=MSG, notify=False)
    await r.file_report(db, key, G, reporter_id=9, description="x", now=T0, message_id=MSG, anonymous=True)
    claimed = await r.claim(db, G, filed.report.id, 2, T0)
    assert claimed.status == "claimed" and claimed.handler_id == 2
    closed = await r.close(db, G, filed.report.id, 2, status="resolved", resolution="avertissement", now=T0)
    assert closed.notify == (7,)
    assert closed.report.status == "resolved"
    with pytest.raises(UserError, match="already_closed"):
        await r.close(db, G, filed.report.id, 3, status="dismissed", resolution="", now=T0)
    # A new report of the same message after closing opens a fresh card.
    fresh = await r.file_report(db, key, G, reporter_id=10, description="re", now=T0, message_id=MSG)
    assert not fresh.merged and fresh.report.id != filed.report.id
