"""Install the log handler through discord.py, so its own loggers share our format and filter.

Lives in the application layer: the filter and redaction stay in ``bot.core.logs``, which must not
import discord.py.
"""

from __future__ import annotations

import logging

import discord

from bot.core.logs import ContextAndRedactionFilter


def setup(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.addFilter(ContextAndRedactionFilter())
    formatter = logging.Formatter(
        "[{asctime}] [{levelname:<7}] {name}: {ctx}{message}", "%Y-%m-%d %H:%M:%S", style="{"
    )
    discord.utils.setup_logging(
        handler=handler, formatter=formatter, level=getattr(logging, level), root=True
    )
