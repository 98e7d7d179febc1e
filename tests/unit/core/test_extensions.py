"""Every extension loads, registers its commands, and every translated name obeys Discord's rules."""

from __future__ import annotations

import ast
import re

import discord
import pytest

from bot.client import RelaisBot
from bot.core.settings import KNOWN_COGS
from tests.helpers import REPO, make_settings

# Discord's rule for command and option names (error 50035 when broken).
NAME_RULE = re.compile(r"^[-_\w]{1,32}$")
COG_FILES = sorted(p.stem for p in (REPO / "cogs").glob("*.py") if p.stem != "__init__")


@pytest.fixture
async def prepared_bot(tmp_path):
    enabled = ",".join(COG_FILES)
    bot = RelaisBot(make_settings(tmp_path, RELAIS_COGS__ENABLED=f"[{enabled}]"))
    await bot.prepare()
    try:
        yield bot
    finally:
        await bot.db.close()


def test_every_cog_file_is_a_known_cog():
    assert set(COG_FILES) <= set(KNOWN_COGS)


async def test_every_extension_loads_and_registers_commands(prepared_bot):
    for name in COG_FILES:
        assert f"cogs.{name}" in prepared_bot.extensions
    names = {c.qualified_name for c in prepared_bot.tree.walk_commands()}
    assert {"config voir", "config salon", "config role", "config fuseau", "aide", "a-propos"} <= names


def _names(payload: dict) -> list[tuple[str, str]]:
    found = [("fr", payload["name"])]
    found += [(loc, name) for loc, name in (payload.get("name_localizations") or {}).items()]
    for option in payload.get("options", []):
        found += _names(option)
    return found


async def test_translated_payload_has_valid_names_and_english(prepared_bot):
    payload = await prepared_bot.tree_payload()
    english = {}
    for command in payload:
        for locale, name in _names(command):
            if command.get("type", 1) == 1:
                assert NAME_RULE.match(name) and name == name.lower(), (
                    f"{locale} name {name!r} breaks Discord's rules"
                )
            english[command["name"]] = (command.get("name_localizations") or {}).get("en-US")
        assert len(command.get("description", "")) <= 100  # context menus have no description
    assert english["aide"] == "help"
    assert english["config"] == "settings"


async def test_translator_returns_french_default_and_english(prepared_bot):
    translator = prepared_bot.tree.translator
    context = discord.app_commands.TranslationContext(
        discord.app_commands.TranslationContextLocation.command_name, None
    )
    string = discord.app_commands.locale_str("aide")
    assert await translator.translate(string, discord.Locale.american_english, context) == "help"
    assert await translator.translate(string, discord.Locale.french, context) is None


REPLY_METHODS = {"send_message", "send", "edit_message", "edit", "edit_original_response", "reply"}


def _literal_text(node: ast.AST | None) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.strip() != ""
    )


def test_cogs_hold_no_inline_reply_text():
    """Replies come from locale files; cogs only hold command declarations in French."""
    offenders = []
    for path in sorted((REPO / "cogs").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in REPLY_METHODS
            ):
                content = (
                    node.args[0]
                    if node.args
                    else next((k.value for k in node.keywords if k.arg == "content"), None)
                )
                if _literal_text(content):
                    offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []
