"""Every command the bot registers is driven by at least one end-to-end test.

The bar is that each command works on the double, not only at domain level; this keeps a new
command (or a renamed one) from slipping in with domain tests alone."""

from __future__ import annotations

import re
from pathlib import Path

import discord
from discord import app_commands

E2E = Path(__file__).parent


def command_paths(tree: app_commands.CommandTree) -> set[str]:
    paths = {c.qualified_name for c in tree.walk_commands() if isinstance(c, app_commands.Command)}
    for kind in (discord.AppCommandType.message, discord.AppCommandType.user):
        paths |= {c.name for c in tree.get_commands(type=kind)}
    return paths


async def test_every_registered_command_has_an_end_to_end_test(sandbox):
    sources = "".join(
        p.read_text(encoding="utf-8") for p in E2E.glob("test_*.py") if p.name != Path(__file__).name
    )
    missing = sorted(
        p for p in command_paths(sandbox.bot.tree) if not re.search(f'"{re.escape(p)}"', sources)
    )
    assert missing == [], f"commands without an end-to-end test: {missing}"
