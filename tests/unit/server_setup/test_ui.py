"""The report as Discord embeds: grouped by capability, within Discord's limits, paged when long."""

from __future__ import annotations

import discord

from bot.core import i18n
from bot.server_setup import diagnostic
from bot.server_setup import ui as setup_ui
from bot.services import FeedHealth
from bot.ui import limits
from tests.helpers import CONFIG
from tests.unit.server_setup.test_diagnostic import READ, extra, healthy, with_channel


def french():
    catalog = i18n.Catalog.load(CONFIG)
    return lambda key, /, **p: catalog.t("fr", key, **p)


def test_permission_names_include_discord_py_aliases():
    # discord.py calls « View Channel » read_messages; layout says view_channel.
    names = setup_ui.allowed(discord.Permissions(view_channel=True, send_messages=True))
    assert {"view_channel", "read_messages", "send_messages"} <= names
    assert "embed_links" not in names


def test_one_embed_per_capability_worst_first():
    report = diagnostic.diagnose(with_channel(healthy(), "modlog", everyone=READ), extra())
    embeds = setup_ui.report_embeds(report, french())
    assert [e.title for e in embeds] == [
        "✅ Général",
        "✅ Charte et accueil",
        "❌ Modération",
        "✅ Ressources",
        "✅ Intervisions",
        "✅ Offres d'emploi",
    ]
    moderation = embeds[2]
    assert moderation.description.startswith(
        "❌ Journal de modération : <#104> est visible par tout le monde."
    )
    assert "↳ Modifier le salon → Permissions → @everyone" in moderation.description
    assert moderation.footer.text == "1 problème(s) à corriger, 0 point(s) d'attention."
    assert setup_ui.fits_one_message(embeds)


def test_a_long_report_is_split_within_limits_and_paged():
    feeds = tuple(
        FeedHealth(f"Flux {n}", f"https://flux{n}.example.org/" + "x" * 150, False, "réponse HTTP 500 " * 10)
        for n in range(60)
    )
    report = diagnostic.diagnose(healthy(), extra(feeds=feeds))
    embeds = setup_ui.report_embeds(report, french())
    jobs = [e for e in embeds if e.title == "⚠️ Offres d'emploi"]
    assert len(jobs) > 1  # one capability over several embeds, none cut
    assert all(len(e.description) <= limits.DESCRIPTION and len(e) <= limits.TOTAL for e in embeds)
    shown = "".join(e.description for e in embeds)
    assert all(f"« Flux {n} »" in shown for n in range(60))
    assert not setup_ui.fits_one_message(embeds)  # the command pages them
