"""discord.py Translator backed by the locale catalogs: commands are declared in French only."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.core.i18n import Catalog

# Discord locales that receive the English catalog.
ENGLISH_LOCALES = (discord.Locale.american_english, discord.Locale.british_english)


class RelaisTranslator(app_commands.Translator):
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContext,
    ) -> str | None:
        if locale in ENGLISH_LOCALES:
            return self.catalog.command_text("en", string.message)
        return None
