"""/aide: every command the caller may use, grouped by capability, never cut, within Discord's limits."""

from __future__ import annotations

import re

import discord
import pytest

from bot.client import RelaisBot
from bot.core import i18n
from bot.core.settings import KNOWN_COGS
from bot.ui import limits
from bot.ui.help import Section, help_embeds, pack_pages, section_fields
from cogs.admin import capability_of, visible_commands
from tests.helpers import CONFIG, make_settings

ALL_COGS = "[admin, moderation, intervisions, jobs, resources, charter, privacy]"
COMMAND = re.compile(r"`/([^`]+)`")
TEXTS = dict(
    title="Ce que vous pouvez faire avec Relais",
    footer="Besoin d'aide humaine ?",
    page_label=lambda number, count: f"page {number} sur {count}",
    continued=lambda section: f"{section} (suite)",
    empty="Rien",
)


def _embed_size(embed: discord.Embed) -> int:
    fields = sum(len(f.name or "") + len(f.value or "") for f in embed.fields)
    return len(embed.title or "") + len(embed.description or "") + fields + len(embed.footer.text or "")


def _lines(embeds: list[discord.Embed]) -> list[str]:
    return [line for e in embeds for f in e.fields for line in (f.value or "").split("\n")]


def test_a_long_section_continues_in_the_next_field_between_lines():
    lines = tuple(
        f"• `/commande-{i}` — une description assez longue pour remplir le champ" for i in range(40)
    )
    fields = section_fields(Section("Intervisions", lines), "Intervisions (suite)")
    assert len(fields) > 1
    assert fields[0][0] == "Intervisions" and all(n == "Intervisions (suite)" for n, _ in fields[1:])
    assert all(len(value) <= limits.FIELD_VALUE for _, value in fields)
    assert [line for _, value in fields for line in value.split("\n")] == list(lines)


def test_pages_respect_the_total_and_the_field_count():
    fields = [(f"Section {i}", "x" * 1000) for i in range(30)]
    pages = pack_pages(fields, fixed=100)
    assert [f for page in pages for f in page] == fields
    for page in pages:
        assert len(page) <= limits.FIELDS
        assert 100 + sum(len(n) + len(v) for n, v in page) <= limits.TOTAL
    many_small = [(f"S{i}", "x") for i in range(60)]
    assert [len(p) for p in pack_pages(many_small, fixed=0)] == [25, 25, 10]


def test_help_embeds_page_a_big_help_and_keep_the_footer_on_every_page():
    sections = [
        Section(f"Capacité {n}", tuple(f"• `/c{n}-{i}` — {'mot ' * 20}{i}" for i in range(30)))
        for n in range(6)
    ]
    embeds = help_embeds(sections, **TEXTS)
    assert len(embeds) > 1
    for number, embed in enumerate(embeds, start=1):
        assert _embed_size(embed) <= limits.TOTAL and len(embed.fields) <= limits.FIELDS
        assert embed.footer.text == f"Besoin d'aide humaine ? · page {number} sur {len(embeds)}"
    assert _lines(embeds) == [line for s in sections for line in s.lines], "nothing lost, nothing cut"


def test_help_with_nothing_to_show_says_so():
    (embed,) = help_embeds([Section("Vide", ())], **TEXTS)
    assert embed.description == "Rien" and embed.footer.text == "Besoin d'aide humaine ?"


@pytest.fixture
async def bot(tmp_path):
    bot = RelaisBot(make_settings(tmp_path, RELAIS_COGS__ENABLED=ALL_COGS))
    await bot.prepare()
    try:
        yield bot
    finally:
        await bot.db.close()


def _all_leaves(bot: RelaisBot) -> set[str]:
    slash = {
        c.qualified_name for c in bot.tree.walk_commands() if not isinstance(c, discord.app_commands.Group)
    }
    menus = {c.name for c in bot.tree.get_commands(type=discord.AppCommandType.message)}
    return slash | menus


async def test_owner_sees_every_command_once_grouped_by_the_extension_that_declared_it(bot):
    found = visible_commands(bot.tree, discord.Permissions.all(), moderator=True)
    assert sorted(c.qualified_name for c in found) == sorted(_all_leaves(bot))
    assert {capability_of(c) for c in found} == {
        "admin",
        "resources",
        "charter",
        "moderation",
        "intervisions",
        "jobs",
        "privacy",
    }
    groups = {c.qualified_name: capability_of(c) for c in found}
    assert groups["offre publier"] == "jobs" and groups["mod avertir"] == "moderation"
    assert groups["Enregistrer comme ressource"] == "resources" and groups["config voir"] == "admin"


async def test_member_sees_no_moderator_command(bot):
    member = discord.Permissions(view_channel=True, send_messages=True, use_application_commands=True)
    names = {c.qualified_name for c in visible_commands(bot.tree, member, moderator=False)}
    assert "aide" in names and "ressource partager" in names and "signaler" in names
    for moderator_only in ("mod avertir", "config salon", "charte tester", "permanence planifier"):
        assert moderator_only not in names
    assert "intervision planifier" not in names and "intervision serie" not in names
    moderator = discord.Permissions(moderate_members=True, manage_messages=True, kick_members=True)
    as_moderator = {c.qualified_name for c in visible_commands(bot.tree, moderator, moderator=True)}
    assert {"mod avertir", "charte tester", "permanence planifier", "intervision planifier"} <= as_moderator
    assert "config salon" not in as_moderator


@pytest.mark.parametrize("locale", ["fr", "en"])
async def test_full_help_fits_in_order_in_the_callers_language(bot, locale):
    found = visible_commands(bot.tree, discord.Permissions.all(), moderator=True)

    def t(key, /, **params):
        return bot.catalog.t(locale, key, **params)

    sections = bot.get_cog("Admin").help_sections(found, locale, t)
    titles = [s.title for s in sections]
    expected = ["resources", "charter", "moderation", "intervisions", "jobs", "privacy", "admin"]
    assert titles == [t(f"core.help.sections.{c}") for c in expected]
    embeds = help_embeds(
        sections,
        title=t("core.help.title"),
        footer=t("core.help.footer"),
        page_label=lambda number, count: t("core.help.page", number=number, count=count),
        continued=lambda section: t("core.help.continued", section=section),
        empty=t("core.help.empty"),
    )
    lines = _lines(embeds)
    assert len(lines) == len(found) == len(set(lines))
    assert not any(line.endswith(limits.ELLIPSIS) for line in lines)
    shown = {m.group(1) for line in lines for m in [COMMAND.search(line)] if m}
    if locale == "en":
        assert {"help", "settings show"} <= shown and "aide" not in shown
    else:
        assert {"aide", "config voir", "offre publier"} <= shown
    for embed in embeds:
        assert _embed_size(embed) <= limits.TOTAL and embed.footer.text.startswith(t("core.help.footer"))


def test_every_extension_has_a_help_section_title_in_both_languages():
    """A new capability without a title would show its module name in /aide."""
    catalog = i18n.Catalog.load(CONFIG)
    for cog in KNOWN_COGS:
        for locale in i18n.LOCALES:
            assert f"core.help.sections.{cog}" in catalog.texts[locale], (locale, cog)
