"""A member's data in moderation: cases and appeals about them, reports they filed, their duty.

What a member never receives in their export, and why, is named in ``WITHHELD``: who reported them
and what was written about them (it protects the people who report), moderators' private notes,
and which moderator decided (it protects the team; the coordination can be asked).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets

from bot.core import timeutil
from bot.core.db import Database
from bot.core.member_data import (
    FORMER_MEMBER,
    Erasure,
    ErasureChoices,
    Export,
    Followup,
    RetentionPolicy,
    Subject,
)
from bot.moderation.reports import reporter_hash

WITHHELD = [
    "privacy.withheld.reports_about_you",
    "privacy.withheld.private_notes",
    "privacy.withheld.deciding_moderator",
]


class ModerationData:
    area = "moderation"
    tables = {
        "mod_cases": ("member_id", "moderator_id", "revoked_by"),
        "mod_recusals": ("moderator_id", "member_id"),
        "mod_appeals": ("member_id",),
        "mod_reports": ("target_id", "handler_id"),
        "mod_report_entries": ("reporter_id",),
        "mod_duty_rotas": ("moderators", "created_by"),
    }

    async def export(self, subject: Subject) -> Export:
        db, gid, mid = subject.db, subject.guild_id, subject.member_id
        out = Export(self.area, withheld=list(WITHHELD))
        out.add(
            "cases_about_you",
            await db.fetchall(
                "SELECT number, action, article, reason, created_at, expires_at, ended_at, revoked_at, "
                "revoke_reason"
                " FROM mod_cases WHERE guild_id = ? AND member_id = ? AND action != 'note' AND state = "
                "'confirmed'"
                " ORDER BY number",
                (gid, mid),
            ),
        )
        out.add(
            "appeals",
            await db.fetchall(
                "SELECT case_number, text, created_at FROM mod_appeals WHERE guild_id = ? AND member_id = ?"
                " ORDER BY created_at",
                (gid, mid),
            ),
        )
        hashes = [reporter_hash(subject.report_key, gid, mid)] if subject.report_key else []
        marks = ", ".join("?" for _ in hashes) or "NULL"
        out.add(
            "reports_you_filed",
            await db.fetchall(
                "SELECT r.id AS report, e.description, e.reporter_id IS NULL AS anonymous, e.created_at, "
                "r.status"
                " FROM mod_report_entries e JOIN mod_reports r ON r.id = e.report_id"
                f" WHERE e.guild_id = ? AND (e.reporter_id = ? OR e.reporter_hash IN ({marks})) ORDER BY "
                f"e.created_at",
                (gid, mid, *hashes),
            ),
        )
        out.add(
            "cases_you_decided",
            await db.fetchall(
                "SELECT number, action, created_at FROM mod_cases WHERE guild_id = ? AND moderator_id = ?"
                " ORDER BY number",
                (gid, mid),
            ),
        )
        out.add(
            "recusals_you_declared",
            await db.fetchall(
                "SELECT member_id, created_at FROM mod_recusals WHERE guild_id = ? AND moderator_id = ?",
                (gid, mid),
            ),
        )
        rota = await db.fetchone("SELECT moderators FROM mod_duty_rotas WHERE guild_id = ?", (gid,))
        out.records["duty_rota"] = (
            [{"on_the_rota": True}] if rota and mid in json.loads(rota["moderators"]) else []
        )
        return out

    async def erase(self, subject: Subject, choices: ErasureChoices) -> tuple[Erasure, list[Followup]]:
        db, gid, mid = subject.db, subject.guild_id, subject.member_id
        result = Erasure(self.area)
        # The reports stay (they concern someone else); nothing links them to this reporter any more.
        hashes = [reporter_hash(subject.report_key, gid, mid)] if subject.report_key else []
        marks = ", ".join("?" for _ in hashes) or "NULL"
        filed = await db.fetchall(
            f"SELECT id FROM mod_report_entries WHERE guild_id = ? AND (reporter_id = ? OR reporter_hash IN "
            f"({marks}))",
            (gid, mid, *hashes),
        )
        for row in filed:
            await db.execute(
                "UPDATE mod_report_entries SET reporter_id = NULL, notify = 0, reporter_hash = ? WHERE "
                "id = ?",
                (secrets.token_hex(32), row["id"]),
            )
        if filed:
            result.kept["reports_you_filed"] = None
        await db.execute(
            "UPDATE mod_reports SET handler_id = NULL WHERE guild_id = ? AND handler_id = ?", (gid, mid)
        )
        for column in ("moderator_id", "revoked_by"):
            await db.execute(
                f"UPDATE mod_cases SET {column} = ? WHERE guild_id = ? AND {column} = ?",
                (FORMER_MEMBER, gid, mid),
            )
        recusals = await db.execute(
            "DELETE FROM mod_recusals WHERE guild_id = ? AND moderator_id = ?", (gid, mid)
        )
        result.count("recusals_you_declared", recusals.rowcount)
        rota = await db.fetchone("SELECT moderators FROM mod_duty_rotas WHERE guild_id = ?", (gid,))
        if rota and mid in (moderators := json.loads(rota["moderators"])):
            await db.execute(
                "UPDATE mod_duty_rotas SET moderators = ? WHERE guild_id = ?",
                (json.dumps([m for m in moderators if m != mid]), gid),
            )
            result.count("duty_rota", 1)
        await db.execute(
            "UPDATE mod_duty_rotas SET created_by = ? WHERE guild_id = ? AND created_by = ?",
            (FORMER_MEMBER, gid, mid),
        )
        # Cases about the member are the community's safety record (legitimate interest): kept for
        # the retention period, then pseudonymised by the retention timer; their appeals go with them.
        newest = await db.fetchval(
            "SELECT MAX(created_at) FROM mod_cases WHERE guild_id = ? AND member_id = ?", (gid, mid)
        )
        if newest is not None:
            result.kept["cases_about_you"] = timeutil.from_db(newest) + subject.policy.cases
        reported = await db.fetchval(
            "SELECT MAX(COALESCE(closed_at, ?)) FROM mod_reports WHERE guild_id = ? AND target_id = ?",
            (timeutil.to_db(subject.now), gid, mid),
        )
        if reported is not None:
            result.kept["reports_about_you"] = timeutil.from_db(reported) + subject.policy.closed_reports
        return result, []

    async def apply_retention(
        self, db: Database, now: dt.datetime, policy: RetentionPolicy
    ) -> dict[str, int]:
        closed = await db.execute(
            "DELETE FROM mod_reports WHERE closed_at IS NOT NULL AND closed_at < ?",
            (timeutil.to_db(now - policy.closed_reports),),
        )
        old = await db.fetchall(
            "SELECT id, guild_id, number FROM mod_cases WHERE member_id > 0 AND created_at < ?",
            (timeutil.to_db(now - policy.cases),),
        )
        for row in old:
            # A negative id per case: the record stays countable, and names nobody.
            await db.execute("UPDATE mod_cases SET member_id = ? WHERE id = ?", (-row["id"], row["id"]))
            await db.execute(
                "UPDATE mod_appeals SET member_id = ? WHERE guild_id = ? AND case_number = ?",
                (FORMER_MEMBER, row["guild_id"], row["number"]),
            )
        return {"closed_reports": closed.rowcount, "cases_pseudonymised": len(old)}


HOOK = ModerationData()
