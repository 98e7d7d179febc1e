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
