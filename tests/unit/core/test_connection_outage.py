"""How the bot lives through a Discord outage: reconnect attempts stay close, the log says it once.

The process-level drill is tests/reliability/test_drill_outage.py; these pin the two pieces it
relies on, which a 15 s CI outage is too short to show.
"""

from __future__ import annotations

import logging

import aiohttp
import discord.client

from bot.client import OUTAGE_LOG, ReconnectBackoff, cap_reconnect_backoff


def test_after_a_long_outage_the_next_attempt_is_at_most_a_minute_away():
    cap_reconnect_backoff()
    backoff = discord.client.ExponentialBackoff()  # what Client.connect creates
    assert isinstance(backoff, ReconnectBackoff)
    delays = [backoff.delay() for _ in range(40)]  # ten minutes of failed attempts, and more
    assert max(delays) <= 64
    assert max(delays[10:]) > 8, "still backing off: the waits grow and stay random"


def reconnect_record(error: Exception) -> logging.LogRecord:
    try:
        raise error
    except Exception as exc:
        record = logging.LogRecord(
            "discord.client", logging.ERROR, __file__, 1, "Attempting a reconnect in %.2fs", (1.5,), None
        )
        record.exc_info = (type(exc), exc, exc.__traceback__)
        return record


def test_an_outage_is_one_warning_without_traceback_until_the_connection_is_back():
    OUTAGE_LOG.back()
    error = aiohttp.ClientConnectionError("Cannot connect to host gateway.discord.gg:443")
    first, second, third = (reconnect_record(error) for _ in range(3))
    try:
        assert OUTAGE_LOG.filter(first) is True
        assert first.levelno == logging.WARNING and first.exc_info is None
        assert "connection to Discord lost" in first.getMessage()
        assert "Cannot connect" in first.getMessage()
        assert OUTAGE_LOG.filter(second) is False
        assert OUTAGE_LOG.back() is True
        assert OUTAGE_LOG.filter(third) is True, "a new outage is said again"
    finally:
        OUTAGE_LOG.back()


def test_other_discord_log_lines_pass_untouched():
    record = logging.LogRecord(
        "discord.client", logging.INFO, __file__, 1, "logging in using static token", (), None
    )
    assert OUTAGE_LOG.filter(record) is True
    assert record.levelno == logging.INFO and record.getMessage() == "logging in using static token"
