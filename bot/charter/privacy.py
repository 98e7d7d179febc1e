"""A member's data around the charter: acceptances, notices, welcome, and automatic moderation."""

from __future__ import annotations

import datetime as dt

from bot.core import timeutil
from bot.core.db import Database
from bot.core.member_data import Erasure, ErasureChoices, Export, Followup, RetentionPolicy, Subject


class CharterData:
    area = "charter"
    tables = {
        "charter_acceptances": ("user_id",),
        "charter_notices": ("user_id",),
        "charter_welcomes": ("user_id",),
        "automod_actions": ("user_id",),
        "charter_role_holds": ("user_id",),
        "care_handoffs": ("user_id",),
    }

    async def export(self, subject: Subject) -> Export:
        db, gid, mid = subject.db, subject.guild_id, subject.member_id
        out = Export(self.area)
        out.add(
            "charter_acceptances",
            await db.fetchall(
                "SELECT version, accepted_at FROM charter_acceptances WHERE guild_id = ? AND user_id = ?",
                (gid, mid),
            ),
        )
        out.add(
            "charter_notices",
            await db.fetchall(
                "SELECT version, notified_at, via FROM charter_notices WHERE guild_id = ? AND user_id = ?",
                (gid, mid),
            ),
        )
        out.add(
            "welcome",
            await db.fetchall(
                "SELECT sent_at FROM charter_welcomes WHERE guild_id = ? AND user_id = ?", (gid, mid)
            ),
        )
        out.add(
            "member_role_held",
            await db.fetchall(
                "SELECT held_at FROM charter_role_holds WHERE guild_id = ? AND user_id = ?", (gid, mid)
            ),
        )
        out.add(
            "automatic_moderation",
            await db.fetchall(
                "SELECT rule_id, action, channel_id, message_id, acted_at FROM automod_actions"
                " WHERE guild_id = ? AND user_id = ? ORDER BY acted_at",
                (gid, mid),
            ),
        )
        out.add(
            "care_handoff_threads",
            await db.fetchall(
                "SELECT thread_id, opened_at, closed_at FROM care_handoffs WHERE guild_id = ? AND "
                "user_id = ?",
                (gid, mid),
            ),
        )
        return out

    async def erase(self, subject: Subject, choices: ErasureChoices) -> tuple[Erasure, list[Followup]]:
        db, gid, mid = subject.db, subject.guild_id, subject.member_id
        result = Erasure(self.area)
        for table, what in (
            ("charter_acceptances", "charter_acceptances"),
            ("charter_notices", "charter_notices"),
            ("charter_welcomes", "welcome"),
            ("care_handoffs", "care_handoff_threads"),
        ):
            done = await db.execute(f"DELETE FROM {table} WHERE guild_id = ? AND user_id = ?", (gid, mid))
            result.count(what, done.rowcount)
        # Records of automatic moderation are the community's safety log: kept for the retention
        # period (legitimate interest), then purged by the retention timer.
        newest = await db.fetchval(
            "SELECT MAX(acted_at) FROM automod_actions WHERE guild_id = ? AND user_id = ?", (gid, mid)
        )
        if newest is not None:
            result.kept["automatic_moderation"] = timeutil.from_db(newest) + subject.policy.automod_records
        # A role the moderators removed stays removed: erasing one's data is no way around a sanction.
        held = await db.fetchval(
            "SELECT held_at FROM charter_role_holds WHERE guild_id = ? AND user_id = ?", (gid, mid)
        )
        if held is not None:
            result.kept["member_role_held"] = timeutil.from_db(held) + subject.policy.cases
        return result, []

    async def apply_retention(
        self, db: Database, now: dt.datetime, policy: RetentionPolicy
    ) -> dict[str, int]:
        done = await db.execute(
            "DELETE FROM automod_actions WHERE acted_at < ?", (timeutil.to_db(now - policy.automod_records),)
        )
        holds = await db.execute(
            "DELETE FROM charter_role_holds WHERE held_at < ?", (timeutil.to_db(now - policy.cases),)
        )
        # A closed handoff thread's record: gone after the same period as automatic moderation's.
        handoffs = await db.execute(
            "DELETE FROM care_handoffs WHERE closed_at IS NOT NULL AND closed_at < ?",
            (timeutil.to_db(now - policy.automod_records),),
        )
        return {
            "automatic_moderation": done.rowcount,
            "member_role_held": holds.rowcount,
            "care_handoff_threads": handoffs.rowcount,
        }


HOOK = CharterData()
