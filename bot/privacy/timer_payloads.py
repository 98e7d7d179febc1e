"""The durable timers that carry a member's id in their payload (a sanction's end, a reminder…)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from bot.core import timeutil
from bot.core.db import Database
from bot.core.member_data import Erasure, ErasureChoices, Export, Followup, RetentionPolicy, Subject

FINISHED = ("done", "failed", "cancelled")


def _mentions(payload: str, member_id: int) -> bool:
    def walk(value: Any) -> bool:
        if isinstance(value, dict):
            return any(walk(v) for v in value.values())
        if isinstance(value, list):
            return any(walk(v) for v in value)
        return value == member_id or value == str(member_id)

    try:
        return walk(json.loads(payload))
    except ValueError:
        return False


class TimersData:
    area = "timers"
    tables = {"timers": ("payload",)}

    async def _rows(self, subject: Subject) -> list[Any]:
        # LIKE narrows the scan; the JSON walk decides (an id can be a substring of another number).
        rows = await subject.db.fetchall(
            "SELECT id, kind, due_at, status, payload FROM timers WHERE guild_id = ? AND payload LIKE ?",
            (subject.guild_id, f"%{subject.member_id}%"),
        )
        return [row for row in rows if _mentions(row["payload"], subject.member_id)]

    async def export(self, subject: Subject) -> Export:
        out = Export(self.area)
        out.records["scheduled_actions"] = [
            {"kind": row["kind"], "due_at": row["due_at"], "status": row["status"]}
            for row in await self._rows(subject)
        ]
        return out

    async def erase(self, subject: Subject, choices: ErasureChoices) -> tuple[Erasure, list[Followup]]:
        result = Erasure(self.area)
        finished = [row["id"] for row in await self._rows(subject) if row["status"] in FINISHED]
        for timer_id in finished:
            await subject.db.execute("DELETE FROM timers WHERE id = ?", (timer_id,))
        result.count("finished_actions", len(finished))
        return result, []

    async def apply_retention(
        self, db: Database, now: dt.datetime, policy: RetentionPolicy
    ) -> dict[str, int]:
        done = await db.execute(
            "DELETE FROM timers WHERE status IN ('done', 'failed', 'cancelled') AND due_at < ?",
            (timeutil.to_db(now - policy.finished_timers),),
        )
        return {"finished_actions": done.rowcount}


HOOK = TimersData()
