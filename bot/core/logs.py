"""Logging: each line tagged with guild/user/command, secrets redacted.

The handler is installed by ``bot.logging_setup`` (through discord.py, so the core never imports it).
"""

from __future__ import annotations

import contextvars
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

# Anything shaped like a bot token, in case it reaches a log through an exception message.
TOKEN_SHAPE = re.compile(r"[MNO][A-Za-z\d_-]{23,27}\.[\w-]{6}\.[\w-]{27,40}")
_secrets: set[str] = set()
command_context: contextvars.ContextVar[str] = contextvars.ContextVar("relais_command_context", default="")


def add_secret(secret: str) -> None:
    if secret:
        _secrets.add(secret)


def redact(text: str) -> str:
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, "[jeton masqué]")
    return TOKEN_SHAPE.sub("[jeton masqué]", text)


class ContextAndRedactionFilter(logging.Filter):
    """Adds ``record.ctx`` (guild, user, command) and removes secrets from the final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.ctx = command_context.get()
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            # Format the traceback now, redacted, so the handler never prints the raw one.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


@contextmanager
def command_scope(guild_id: int | None, user_id: int | None, command: str) -> Iterator[None]:
    token = command_context.set(f"[guild={guild_id} user={user_id} cmd={command}] ")
    try:
        yield
    finally:
        command_context.reset(token)
