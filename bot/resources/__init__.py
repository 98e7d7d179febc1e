"""Resource sharing: the library (share, vote, search), link previews, the starter library.
Offers ``library.Resources`` to the cogs; ``ui`` holds its embeds and buttons."""

from bot.resources.starter import check_config

__all__ = ["check_config"]
