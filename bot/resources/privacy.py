"""A member's data in the resource library: what they shared and their « Utile » votes."""

from __future__ import annotations

import datetime as dt

from bot.core import timeutil
from bot.core.db import Database
from bot.core.member_data import (
    DELETE_MESSAGE_KIND,
    Erasure,
    ErasureChoices,
    Export,
    Followup,
    RetentionPolicy,
    Subject,
)
from bot.resources.search import boost_for, forget_guilds, tier_for

REFRESH_KIND = "resources.refresh_card"


class ResourcesData:
    area = "resources"
    tables = {
        "resources": ("author_id", "shared_by", "removed_by"),
        "resource_votes": ("user_id",),
    }

    async def export(self, subject: Subject) -> Export:
        db, gid, mid = subject.db, subject.guild_id, subject.member_id
        out = Export(self.area)
        out.add(
            "resources_shared",
            await db.fetchall(
                "SELECT id, url, title, description, kind, themes, created_at, updated_at, removed_at, "
                "useful_count"
                " FROM resources WHERE guild_id = ? AND (author_id = ? OR shared_by = ?) ORDER BY id",
                (gid, mid, mid),
            ),
        )
        out.add(
            "useful_votes",
            await db.fetchall(
                "SELECT v.resource_id, r.title, v.created_at FROM resource_votes v JOIN resources r ON r.id "
                "= v.resource_id"
                " WHERE v.guild_id = ? AND v.user_id = ? ORDER BY v.created_at",
                (gid, mid),
            ),
        )
        return out

    async def erase(self, subject: Subject, choices: ErasureChoices) -> tuple[Erasure, list[Followup]]:
        db, gid, mid = subject.db, subject.guild_id, subject.member_id
        result, followups = Erasure(self.area), []
        voted = await db.fetchall(
            "DELETE FROM resource_votes WHERE guild_id = ? AND user_id = ? RETURNING resource_id", (gid, mid)
        )
        result.count("useful_votes", len(voted))
        for resource_id in sorted({row["resource_id"] for row in voted}):
            await _recount(db, resource_id)
        await db.execute(
            "UPDATE resources SET removed_by = NULL WHERE guild_id = ? AND removed_by = ?", (gid, mid)
        )
        shared = await db.fetchall(
            "SELECT id, title, description, channel_id, message_id, thread_id FROM resources"
            " WHERE guild_id = ? AND (author_id = ? OR shared_by = ?)",
            (gid, mid, mid),
        )
        if choices.keep_resources:
            await db.execute(
                "UPDATE resources SET author_id = NULL, shared_by = NULL, updated_at = ?"
                " WHERE guild_id = ? AND (author_id = ? OR shared_by = ?)",
                (timeutil.to_db(subject.now), gid, mid, mid),
            )
            if shared:
                result.kept["resources_shared"] = None
            followups += [
                Followup(REFRESH_KIND, {"resource_id": row["id"]}) for row in shared if row["message_id"]
            ]
        else:
            await db.execute(
                "DELETE FROM resources WHERE guild_id = ? AND (author_id = ? OR shared_by = ?)",
                (gid, mid, mid),
            )
            result.count("resources_shared", len(shared))
            result.forgotten_texts += [row["title"] for row in shared] + [
                row["description"] for row in shared
            ]
            for row in shared:
                if row["thread_id"]:
                    followups.append(
                        Followup(DELETE_MESSAGE_KIND, {"channel_id": row["thread_id"], "thread": True})
                    )
                elif row["message_id"]:
                    followups.append(
                        Followup(
                            DELETE_MESSAGE_KIND,
                            {"channel_id": row["channel_id"], "message_id": row["message_id"]},
                        )
                    )
            if shared:
                # Deleted rows leave their words in the full-text index until its segments merge.
                await db.execute("INSERT INTO resources_fts (resources_fts) VALUES ('optimize')")
                forget_guilds(db)
        return result, followups

    async def apply_retention(
        self, db: Database, now: dt.datetime, policy: RetentionPolicy
    ) -> dict[str, int]:
        return {}


async def _recount(db: Database, resource_id: int) -> None:
    count = await db.fetchval("SELECT COUNT(*) FROM resource_votes WHERE resource_id = ?", (resource_id,))
    await db.execute(
        "UPDATE resources SET useful_count = ?, boost = ?, tier = ? WHERE id = ?",
        (count, boost_for(count), tier_for(count), resource_id),
    )


HOOK = ResourcesData()
