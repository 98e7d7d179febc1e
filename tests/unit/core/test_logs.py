from __future__ import annotations

import logging

from bot.core import logs

SHAPED_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789ab"


def _format(message: str, *args: object, exc: BaseException | None = None) -> str:
    record = logging.LogRecord(
        "t", logging.ERROR, __file__, 1, message, args, (type(exc), exc, exc.__traceback__) if exc else None
    )
    logs.ContextAndRedactionFilter().filter(record)
    return logging.Formatter("{ctx}{message}", style="{").format(record)


def test_registered_secret_and_token_shapes_are_redacted_in_messages_and_args():
    logs.add_secret("very-secret-file-token")
    text = _format("headers %s and %s", "Bot very-secret-file-token", SHAPED_TOKEN)
    assert "very-secret-file-token" not in text and SHAPED_TOKEN not in text
    assert text.count("[jeton masqué]") == 2


def test_tracebacks_are_redacted_too():
    try:
        raise RuntimeError(f"login failed with {SHAPED_TOKEN}")
    except RuntimeError as exc:
        text = _format("oops", exc=exc)
    assert SHAPED_TOKEN not in text
    assert "RuntimeError" in text


def test_command_scope_tags_each_line():
    with logs.command_scope(1, 2, "ressource partager"):
        assert _format("hello") == "[guild=1 user=2 cmd=ressource partager] hello"
    assert _format("hello") == "hello"
