"""Which ❌ the automatic diagnostic last summarised in each guild's mod-log (no discord.py).

The summary is posted only when there is at least one ❌ and the set differs from the last one
posted; when everything is fixed the memory is cleared, so a problem that comes back is told again.
"""

from __future__ import annotations

import datetime as dt

from bot.core import timeutil
from bot.core.db import Database


async def last_posted(db: Database, guild_id: int) -> frozenset[str] | None:
    """The ❌ of the last summary still standing (None: nothing posted since it was all fixed)."""
    text = await db.fetchval("SELECT errors FROM diagnostic_summaries WHERE guild_id = ?", (guild_id,))
    return None if text is None else frozenset(line for line in text.split("\n") if line)


def should_post(errors: frozenset[str], last: frozenset[str] | None) -> bool:
    return bool(errors) and errors != last


async def remember_posted(db: Database, guild_id: int, errors: frozenset[str], now: dt.datetime) -> None:
    await db.execute(
        "INSERT INTO diagnostic_summaries (guild_id, errors, posted_at) VALUES (?, ?, ?) "
        "ON CONFLICT (guild_id) DO UPDATE SET errors = excluded.errors, posted_at = excluded.posted_at",
        (guild_id, "\n".join(sorted(errors)), timeutil.to_db(now)),
    )


async def forget(db: Database, guild_id: int) -> None:
    """Everything fixed: the next ❌, even one seen before, deserves a summary."""
    await db.execute("DELETE FROM diagnostic_summaries WHERE guild_id = ?", (guild_id,))
