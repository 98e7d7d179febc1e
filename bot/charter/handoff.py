"""The consented handoff: a member who presses « Parler à un·e pair de permanence » gets a private
thread with the people on duty. Discord-free: who may be reached, and the record of the thread.

Nobody is told anything unless the member clicks. The people reached are the moderators on duty,
or, when nobody is, the members of the listening role (``/config role ecoute``); never the member
themself, never a bot, never someone recused from this member.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from bot.core import timeutil
from bot.core.db import Database

MAX_HELPERS = 10


def choose_helpers(
    on_duty: Iterable[int], listeners: Iterable[int], member_id: int, recused: set[int]
) -> list[int]:
    """The on-duty people if any remain after exclusions, else the listening role's members."""
    for pool in (list(on_duty), list(listeners)):
        chosen = [uid for uid in dict.fromkeys(pool) if uid != member_id and uid not in recused]
        if chosen:
            return chosen[:MAX_HELPERS]
    return []


async def open_thread(db: Database, guild_id: int, user_id: int) -> int | None:
    """The member's handoff thread still open, if any."""
    return await db.fetchval(
        "SELECT thread_id FROM care_handoffs WHERE guild_id = ? AND user_id = ? AND closed_at IS NULL"
        " ORDER BY opened_at DESC LIMIT 1",
        (guild_id, user_id),
    )


async def record(db: Database, guild_id: int, user_id: int, thread_id: int, now: dt.datetime) -> None:
    await db.execute(
        "INSERT INTO care_handoffs (thread_id, guild_id, user_id, opened_at) VALUES (?, ?, ?, ?)",
        (thread_id, guild_id, user_id, timeutil.to_db(now)),
    )


async def owner(db: Database, thread_id: int) -> int | None:
    return await db.fetchval("SELECT user_id FROM care_handoffs WHERE thread_id = ?", (thread_id,))


async def close(db: Database, thread_id: int, now: dt.datetime) -> bool:
    done = await db.execute(
        "UPDATE care_handoffs SET closed_at = ? WHERE thread_id = ? AND closed_at IS NULL",
        (timeutil.to_db(now), thread_id),
    )
    return done.rowcount > 0


async def forget(db: Database, thread_id: int) -> None:
    """The thread is gone on Discord: its record goes too."""
    await db.execute("DELETE FROM care_handoffs WHERE thread_id = ?", (thread_id,))
