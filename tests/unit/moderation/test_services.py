"""The moderation and charter cogs offer their services by type, never by a cog's name."""

from __future__ import annotations

from bot.charter import ui as charter_ui
from bot.client import RelaisBot
from bot.moderation import ui as moderation_ui
from bot.services import ModerationService
from cogs.charter import Charter
from cogs.moderation import Moderation
from tests.helpers import make_settings


def test_the_moderation_cog_satisfies_the_moderation_service(tmp_path):
    bot = RelaisBot(make_settings(tmp_path))
    assert isinstance(Moderation(bot), ModerationService)
    assert not isinstance(Charter(bot), ModerationService)


async def test_enabled_cogs_provide_their_services_and_disabled_ones_nothing(tmp_path):
    bot = RelaisBot(make_settings(tmp_path, RELAIS_COGS__ENABLED="[admin, charter]"))
    await bot.prepare()
    try:
        assert bot.services.get(ModerationService) is None
        assert bot.services.get(moderation_ui.ReportCardActions) is None
        assert bot.services.get(charter_ui.CharterAcceptance) is bot.get_cog("Charter")
        await bot.load_extension("cogs.moderation")
        moderation = bot.get_cog("Moderation")
        assert bot.services.get(ModerationService) is moderation
        assert bot.services.get(moderation_ui.ReportCardActions) is moderation
        await bot.unload_extension("cogs.moderation")
        assert bot.services.get(ModerationService) is None
        assert bot.services.get(moderation_ui.ReportCardActions) is None
    finally:
        await bot.db.close()
