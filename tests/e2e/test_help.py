"""/aide on the double: complete for the owner, nothing of the moderators' for a newcomer, in English too."""

from __future__ import annotations

import re
from collections import Counter

from tests.helpers import fr

COMMAND = re.compile(r"`/([^`]+)`")
MENU = re.compile(r"^• \*([^*]+)\*")


def _registered_leaves(driver, locale: str | None = None) -> set[str]:
    """Every slash command and message menu Discord received, as a member reads its name."""

    def name(item) -> str:
        localized = (item.get("name_localizations") or {}).get(locale) if locale else None
        return localized or item["name"]

    leaves: set[str] = set()

    def walk(prefix: str, options: list[dict]) -> bool:
        found = False
        for option in options:
            if option.get("type") in (1, 2):
                found = True
                full = f"{prefix} {name(option)}"
                if not walk(full, option.get("options") or []):
                    leaves.add(full)
        return found

    for command in driver.commands():
        raw = command.raw
        if command.type == 3:
            leaves.add(f"menu:{name(raw)}")
        elif command.type == 1 and not walk(name(raw), command.options):
            leaves.add(name(raw))
    return leaves


def _shown(result) -> Counter:
    shown: Counter = Counter()
    for embed in result.embeds:
        for field in embed.get("fields", []):
            for line in field["value"].split("\n"):
                command, menu = COMMAND.search(line), MENU.search(line)
                shown[command.group(1) if command else f"menu:{menu.group(1)}"] += 1
                assert not line.endswith("…"), f"cut: {line}"
    return shown


def _check_limits(result) -> None:
    total = 0
    for embed in result.embeds:
        assert len(embed.get("fields", [])) <= 25
        for field in embed.get("fields", []):
            assert len(field["value"]) <= 1024
            total += len(field["name"]) + len(field["value"])
        total += len(embed.get("title", "")) + len(embed.get("description", ""))
        total += len(embed["footer"]["text"])
    assert total <= 6000


async def test_owner_sees_every_command_exactly_once_and_the_footer(sandbox):
    driver = sandbox.driver
    result = await (await driver.slash("camille", "aide")).wait()
    assert result.ephemeral
    _check_limits(result)
    shown = _shown(result)
    assert set(shown) == _registered_leaves(driver)
    assert set(shown.values()) == {1}, "every command exactly once"
    (embed,) = result.embeds
    assert embed["footer"]["text"] == fr("Besoin d'aide humaine ? L'équipe de modération est là pour vous.")
    sections = [f["name"] for f in embed["fields"]]
    assert sections[0] == "Ressources" and "Modération et signalements" in sections
    assert sections[-1].startswith("Relais et réglages du serveur")


async def test_newcomer_sees_no_moderator_command(sandbox):
    result = await (await sandbox.driver.slash("lea", "aide")).wait()
    shown = _shown(result)
    assert {"aide", "ressource partager", "signaler", "urgence", "menu:Signaler à la modération"} <= set(
        shown
    )
    moderator_only = {"mod", "config", "charte publier", "charte tester"}
    assert not [c for c in shown if c.split()[0] in moderator_only or c in moderator_only]
    assert not {"permanence planifier", "intervision planifier", "intervision serie"} & set(shown)
    assert "Modération et signalements" in [f["name"] for f in result.embeds[0]["fields"]]
    assert result.embeds[0]["footer"]["text"]


async def test_moderator_sees_moderation_but_not_server_settings(sandbox):
    shown = set(_shown(await (await sandbox.driver.slash("sami", "aide")).wait()))
    assert {"mod avertir", "mod suspendre", "permanence planifier", "intervision planifier"} <= shown
    assert not [c for c in shown if c.startswith("config ")]


async def test_english_member_reads_english_names_and_sections(sandbox):
    driver = sandbox.driver
    driver.set_locale("camille", "en-US")
    result = await (await driver.slash("camille", "aide")).wait()
    _check_limits(result)
    shown = _shown(result)
    assert set(shown) == _registered_leaves(driver, "en-US")
    assert {"help", "settings show"} <= set(shown) and "aide" not in shown
    (embed,) = result.embeds
    assert embed["title"] == "What you can do with Relais"
    assert embed["fields"][0]["name"] == "Resources"


async def test_a_help_longer_than_one_message_turns_pages_and_loses_nothing(sandbox):
    """Sixty more commands (a server with many extensions) pass 6,000 characters: /aide pages."""
    bot, driver = sandbox.bot, sandbox.driver

    async def noop(interaction):
        await interaction.response.send_message("ok", ephemeral=True)

    for n in range(60):
        description = f"Une commande d'essai numéro {n} avec une description assez longue pour remplir"
        bot.tree.command(name=f"essai-{n:02d}", description=description[:100])(noop)
    await bot.tree.sync()
    first = await (await driver.slash("camille", "aide")).wait()
    _check_limits(first)
    labels = {c.get("label"): c["custom_id"] for row in first.components for c in row.get("components", [])}
    assert set(labels) == {"◀", "▶"}
    footer = fr("Besoin d'aide humaine ? L'équipe de modération est là pour vous.")
    pages = [first.embeds[0]]
    shown = _shown(first)

    def next_enabled() -> bool:
        buttons = [c for row in first.message.components for c in row.get("components", [])]
        return not next(b for b in buttons if b.get("label") == "▶").get("disabled")

    while next_enabled() and len(pages) < 10:
        turned = await (await driver.click("camille", first.message_id, labels["▶"])).wait()
        _check_limits(turned)
        pages.append(turned.embeds[0])
        shown += _shown(turned)
    count = len(pages)
    assert count > 1
    for number, page in enumerate(pages, start=1):
        assert page["footer"]["text"] == f"{footer} · page {number} sur {count}"
    assert set(shown) == _registered_leaves(driver) and set(shown.values()) == {1}
    assert any(f["name"] == "test_help" for page in pages for f in page["fields"]), (
        "unknown extension: own section"
    )
