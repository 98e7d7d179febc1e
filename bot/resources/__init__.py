"""Resource sharing: the library (share, vote, search), link previews, the starter library.
``ui`` holds its embeds, buttons and the ``ResourceCardActions`` its buttons need."""

from bot.resources.starter import check_config

__all__ = ["check_config"]
