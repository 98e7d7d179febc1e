"""The mod-log summary: posted once per set of ❌, short, never pinging, never to a public mod-log."""

from __future__ import annotations

import dataclasses
import datetime as dt

from bot.core import i18n
from bot.server_setup import diagnostic, summaries
from bot.server_setup.diagnostic import RoleFacts
from tests.helpers import CONFIG
from tests.unit.server_setup.test_diagnostic import READ, extra, healthy, with_channel

NOW = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)


async def test_a_summary_is_remembered_until_everything_is_fixed(db):
    first = frozenset({"channel_public:modlog"})
    assert await summaries.last_posted(db, 1) is None
    assert summaries.should_post(first, None)
    await summaries.remember_posted(db, 1, first, NOW)
    assert await summaries.last_posted(db, 1) == first
    assert not summaries.should_post(first, first)  # a restart with nothing changed
    more = first | {"role_above_bot:membre"}
    assert summaries.should_post(more, first)
    await summaries.remember_posted(db, 1, more, NOW)
    assert await summaries.last_posted(db, 1) == more
    assert await summaries.last_posted(db, 2) is None  # another guild
    assert not summaries.should_post(frozenset(), more)  # nothing broken: nothing to post
    await summaries.forget(db, 1)
    assert await summaries.last_posted(db, 1) is None
    assert summaries.should_post(first, None)  # the same problem coming back is told again


def test_the_summary_lists_the_errors_only_and_where_to_read_more():
    catalog = i18n.Catalog.load(CONFIG)
    report = diagnostic.diagnose(
        with_channel(healthy(), "signalements", everyone=READ), extra(feeds=None, charter=None)
    )
    text = diagnostic.render_summary(report, lambda key, /, **p: catalog.t("fr", key, **p))
    lines = text.splitlines()
    assert lines[0] == "**Diagnostic de Relais : 1 problème(s) à corriger**"
    assert lines[1] == "❌ Signalements : <#105> est visible par tout le monde."
    assert lines[-1] == "Lancez `/config diagnostic` pour le détail et ce qu'il faut faire."
    assert len(lines) == 3  # no warnings, no « what to do »
    assert "<@" not in text  # names no person nor role


def test_the_summary_stays_short_with_many_errors():
    catalog = i18n.Catalog.load(CONFIG)
    snapshot = healthy()
    for purpose in snapshot.channels:
        snapshot = with_channel(snapshot, purpose, exists=False)
    gone = {purpose: RoleFacts(facts.role_id, exists=False) for purpose, facts in snapshot.roles.items()}
    snapshot = dataclasses.replace(snapshot, roles=gone)
    report = diagnostic.diagnose(snapshot, extra())
    assert len(report.errors) > diagnostic.SUMMARY_LINES
    text = diagnostic.render_summary(report, lambda key, /, **p: catalog.t("fr", key, **p))
    assert f"… et {len(report.errors) - diagnostic.SUMMARY_LINES} autre(s)." in text
    assert len(text) < 2000


def test_a_public_or_missing_mod_log_is_not_sound_for_details():
    assert diagnostic.private_channel_sound(diagnostic.diagnose(healthy(), extra()))
    public = diagnostic.diagnose(with_channel(healthy(), "modlog", everyone=READ), extra())
    assert not diagnostic.private_channel_sound(public)
    missing = diagnostic.diagnose(with_channel(healthy(), "modlog", exists=False), extra())
    assert not diagnostic.private_channel_sound(missing)
    # Another channel's problem does not make the mod-log unsafe.
    other = diagnostic.diagnose(with_channel(healthy(), "signalements", everyone=READ), extra())
    assert diagnostic.private_channel_sound(other)
