"""A member's data in job offers: offers they submitted, their alert subscription and alert history."""

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


class JobsData:
    area = "jobs"
    tables = {
        "job_offers": ("submitter_id", "moderator_id"),
        "job_subscriptions": ("user_id",),
        "job_alerts": ("user_id",),
    }

    async def export(self, subject: Subject) -> Export:
        db, gid, mid = subject.db, subject.guild_id, subject.member_id
        out = Export(self.area)
        out.add(
            "offers_submitted",
            await db.fetchall(
                "SELECT id, status, title, employer, region, contract, link, created_at, published_at, "
                "expires_at"
                " FROM job_offers WHERE guild_id = ? AND submitter_id = ? ORDER BY id",
                (gid, mid),
            ),
        )
        out.add(
            "pending_edits",
            await db.fetchall(
                "SELECT r.offer_id, r.title, r.missions, r.profile, r.created_at FROM job_offer_revisions r"
                " JOIN job_offers o ON o.id = r.offer_id WHERE o.guild_id = ? AND o.submitter_id = ?",
                (gid, mid),
            ),
        )
        out.add(
            "offers_reviewed",
            await db.fetchall(
                "SELECT id, status, title FROM job_offers WHERE guild_id = ? AND moderator_id = ? "
                "ORDER BY id",
                (gid, mid),
            ),
        )
        out.add(
            "alert_subscription",
            await db.fetchall(
                "SELECT regions, contracts, keywords, rhythm, created_at, updated_at FROM job_subscriptions"
                " WHERE guild_id = ? AND user_id = ?",
                (gid, mid),
            ),
        )
        out.add(
            "alerts",
            await db.fetchall(
                "SELECT a.offer_id, o.title, a.rhythm, a.state, a.created_at, a.sent_at FROM job_alerts a"
                " JOIN job_offers o ON o.id = a.offer_id WHERE a.guild_id = ? AND a.user_id = ? ORDER BY "
                "a.created_at",
                (gid, mid),
            ),
        )
        return out

    async def erase(self, subject: Subject, choices: ErasureChoices) -> tuple[Erasure, list[Followup]]:
        db, gid, mid = subject.db, subject.guild_id, subject.member_id
        result, followups = Erasure(self.area), []
        subscription = await db.execute(
            "DELETE FROM job_subscriptions WHERE guild_id = ? AND user_id = ?", (gid, mid)
        )
        result.count("alert_subscription", subscription.rowcount)
        if subscription.rowcount:
            # The alert index is rebuilt when this version moves.
            await db.execute(
                "INSERT INTO job_subscription_versions (guild_id, version) VALUES (?, 1)"
                " ON CONFLICT (guild_id) DO UPDATE SET version = version + 1",
                (gid,),
            )
        alerts = await db.execute("DELETE FROM job_alerts WHERE guild_id = ? AND user_id = ?", (gid, mid))
        result.count("alerts", alerts.rowcount)
        # An offer waiting for review was never public: it goes; a published one is the employer's
        # announcement and stays, without the name of who posted it.
        pending = await db.fetchall(
            "DELETE FROM job_offers WHERE guild_id = ? AND submitter_id = ? AND published_at IS NULL"
            " RETURNING title, missions, profile, queue_channel_id, queue_message_id",
            (gid, mid),
        )
        result.count("offers_not_published", len(pending))
        result.forgotten_texts += [
            text for row in pending for text in (row["missions"], row["profile"]) if text
        ]
        followups += [
            Followup(
                DELETE_MESSAGE_KIND,
                {"channel_id": row["queue_channel_id"], "message_id": row["queue_message_id"]},
            )
            for row in pending
            if row["queue_message_id"]
        ]
        # A pending edit is the member's own text, not yet the employer's announcement: it goes.
        revisions = await db.fetchall(
            "DELETE FROM job_offer_revisions WHERE offer_id IN"
            " (SELECT id FROM job_offers WHERE guild_id = ? AND submitter_id = ?)"
            " RETURNING missions, profile, queue_channel_id, queue_message_id",
            (gid, mid),
        )
        result.count("pending_edits", len(revisions))
        result.forgotten_texts += [
            text for row in revisions for text in (row["missions"], row["profile"]) if text
        ]
        followups += [
            Followup(
                DELETE_MESSAGE_KIND,
                {"channel_id": row["queue_channel_id"], "message_id": row["queue_message_id"]},
            )
            for row in revisions
            if row["queue_message_id"]
        ]
        published = await db.execute(
            "UPDATE job_offers SET submitter_id = NULL, updated_at = ? WHERE guild_id = ? AND submitter_id = "
            "?",
            (timeutil.to_db(subject.now), gid, mid),
        )
        if published.rowcount:
            result.kept["offers_published"] = None
        await db.execute(
            "UPDATE job_offers SET moderator_id = NULL WHERE guild_id = ? AND moderator_id = ?", (gid, mid)
        )
        return result, followups

    async def apply_retention(
        self, db: Database, now: dt.datetime, policy: RetentionPolicy
    ) -> dict[str, int]:
        done = await db.execute(
            "DELETE FROM job_alerts WHERE state != 'pending' AND COALESCE(sent_at, created_at) < ?",
            (timeutil.to_db(now - policy.delivered_alerts),),
        )
        return {"alerts": done.rowcount}


HOOK = JobsData()
