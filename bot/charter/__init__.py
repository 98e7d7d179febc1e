"""The charter and care: articles and versions, automatic moderation rules, crisis lines.
Offers ``charter.load_charter`` and ``automod.Engine``; ``ui`` holds its embeds and buttons."""

from bot.charter.charter import check_config

__all__ = ["check_config"]
