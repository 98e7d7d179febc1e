"""Idempotent event handling: Discord may deliver a gateway event twice (RESUME replays)."""

from __future__ import annotations

from collections import OrderedDict

from bot.core import timeutil
from bot.core.db import Database


class RecentIds:
    """The last ``size`` ids seen, oldest forgotten first: drops an event delivered twice to one
    process (a RESUME replay comes within minutes) without a database round trip."""

    def __init__(self, size: int = 10_000) -> None:
        self._ids: OrderedDict[int, None] = OrderedDict()
        self._size = size

    def first_time(self, event_id: int) -> bool:
        """Remember ``event_id``; False if it was already seen."""
        if event_id in self._ids:
            return False
        self._ids[event_id] = None
        if len(self._ids) > self._size:
            self._ids.popitem(last=False)
        return True


async def first_delivery(db: Database, guild_id: int, kind: str, event_id: int) -> bool:
    """Record that ``event_id`` of ``kind`` is being handled; False if it was handled before.

    Call it inside the same transaction as the writes it protects, so a crash cannot record the
    event without its effects (or the effects without the record).
    """
    result = await db.execute(
        "INSERT OR IGNORE INTO processed_events (guild_id, event_id, kind, handled_at) VALUES (?, ?, ?, ?)",
        (guild_id, event_id, kind, timeutil.to_db(timeutil.now())),
    )
    return result.rowcount == 1


async def forget_older_than(db: Database, days: int = 14) -> int:
    """Replays only span minutes; old records are dropped to keep the table small."""
    cutoff = timeutil.to_db(timeutil.now()) - days * 86400
    result = await db.execute("DELETE FROM processed_events WHERE handled_at < ?", (cutoff,))
    return result.rowcount
