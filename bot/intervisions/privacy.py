"""A member's data in intervisions: bookings, topics and votes, minutes written, offers, reminders."""

from __future__ import annotations

import datetime as dt

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
from bot.intervisions.sessions import Intervisions

SEATS_FREED_KIND = "intervisions.seats_freed"


class IntervisionsData:
    area = "intervisions"
    tables = {
        "intervision_series": ("created_by",),
        "intervision_sessions": ("facilitator_id", "secretary_id", "created_by"),
        "intervision_bookings": ("user_id",),
        "intervision_topics": ("proposed_by",),
        "intervision_topic_votes": ("user_id",),
        "intervision_minutes": ("author_id",),
        "intervision_offers": ("user_id",),
        "intervision_reminder_prefs": ("user_id",),
        "intervision_reminders_sent": ("user_id",),
        "intervision_dm_failures": ("user_id",),
    }

    async def export(self, subject: Subject) -> Export:
        db, gid, mid = subject.db, subject.guild_id, subject.member_id
        out = Export(self.area)
        out.add(
            "sessions_organised_or_led",
            await db.fetchall(
                "SELECT id, title, starts_at, ends_at, status, created_by = :m AS organiser,"
                " facilitator_id = :m AS facilitator, secretary_id = :m AS secretary FROM "
                "intervision_sessions"
                " WHERE guild_id = :g AND :m IN (created_by, facilitator_id, secretary_id) ORDER BY "
                "starts_at",
                {"g": gid, "m": mid},
            ),
        )
        out.add(
            "bookings",
            await db.fetchall(
                "SELECT b.session_id, s.title, s.starts_at, b.status, b.created_at, b.promoted_at"
                " FROM intervision_bookings b JOIN intervision_sessions s ON s.id = b.session_id"
                " WHERE b.guild_id = ? AND b.user_id = ? ORDER BY s.starts_at",
                (gid, mid),
            ),
        )
        out.add(
            "topics_proposed",
            await db.fetchall(
                "SELECT id, text, status, created_at FROM intervision_topics WHERE guild_id = ? AND "
                "proposed_by = ?",
                (gid, mid),
            ),
        )
        out.add(
            "topic_votes",
            await db.fetchall(
                "SELECT v.topic_id, t.text FROM intervision_topic_votes v JOIN intervision_topics t ON t.id "
                "= v.topic_id"
                " WHERE v.guild_id = ? AND v.user_id = ?",
                (gid, mid),
            ),
        )
        out.add(
            "minutes_written",
            await db.fetchall(
                "SELECT session_id, round_count, round_notes, thematic, network, later_topics, next_dates, "
                "updated_at"
                " FROM intervision_minutes WHERE guild_id = ? AND author_id = ?",
                (gid, mid),
            ),
        )
        out.add(
            "offers_to_host_or_facilitate",
            await db.fetchall(
                "SELECT session_id, kind, created_at FROM intervision_offers WHERE guild_id = ? AND user_id "
                "= ?",
                (gid, mid),
            ),
        )
        out.add(
            "reminder_preference",
            await db.fetchall(
                "SELECT enabled FROM intervision_reminder_prefs WHERE guild_id = ? AND user_id = ?",
                (gid, mid),
            ),
        )
        out.add(
            "reminders_sent",
            await db.fetchall(
                "SELECT r.session_id, r.label FROM intervision_reminders_sent r"
                " JOIN intervision_sessions s ON s.id = r.session_id WHERE s.guild_id = ? AND r.user_id = ?",
                (gid, mid),
            ),
        )
        out.add(
            "private_messages_refused",
            await db.fetchall(
                "SELECT failed_at FROM intervision_dm_failures WHERE guild_id = ? AND user_id = ?", (gid, mid)
            ),
        )
        return out

    async def erase(self, subject: Subject, choices: ErasureChoices) -> tuple[Erasure, list[Followup]]:
        db, gid, mid = subject.db, subject.guild_id, subject.member_id
        result, followups = Erasure(self.area), []
        # Upcoming seats first, through the same path as a member who leaves: the waitlist moves up.
        freed = await Intervisions(db, None, clock=lambda: subject.now).member_left(gid, mid)
        result.count("upcoming_bookings", len(freed))
        followups += [
            Followup(SEATS_FREED_KIND, {"session_id": session.id, "promoted": list(promoted), "removed": mid})
            for session, promoted in freed
        ]
        past = await db.execute(
            "DELETE FROM intervision_bookings WHERE guild_id = ? AND user_id = ?", (gid, mid)
        )
        result.count("past_bookings", past.rowcount)
        for table, what in (
            ("intervision_topic_votes", "topic_votes"),
            ("intervision_offers", "offers"),
            ("intervision_reminder_prefs", "reminder_preference"),
            ("intervision_dm_failures", "private_messages_refused"),
        ):
            done = await db.execute(f"DELETE FROM {table} WHERE guild_id = ? AND user_id = ?", (gid, mid))
            result.count(what, done.rowcount)
        sent = await db.execute(
            "DELETE FROM intervision_reminders_sent WHERE user_id = ? AND session_id IN"
            " (SELECT id FROM intervision_sessions WHERE guild_id = ?)",
            (mid, gid),
        )
        result.count("reminders_sent", sent.rowcount)
        # What the group wrote together stays with the group, without the author's name.
        topics = await db.execute(
            "UPDATE intervision_topics SET proposed_by = NULL WHERE guild_id = ? AND proposed_by = ?",
            (gid, mid),
        )
        if topics.rowcount:
            result.kept["topics_proposed"] = None
        minutes = await db.execute(
            "UPDATE intervision_minutes SET author_id = ? WHERE guild_id = ? AND author_id = ?",
            (FORMER_MEMBER, gid, mid),
        )
        if minutes.rowcount:
            result.kept["minutes_written"] = None
        for column in ("facilitator_id", "secretary_id"):
            await db.execute(
                f"UPDATE intervision_sessions SET {column} = NULL WHERE guild_id = ? AND {column} = ?",
                (gid, mid),
            )
        organised = await db.execute(
            "UPDATE intervision_sessions SET created_by = ?, updated_at = ? WHERE guild_id = ? AND "
            "created_by = ?",
            (FORMER_MEMBER, timeutil.to_db(subject.now), gid, mid),
        )
        await db.execute(
            "UPDATE intervision_series SET created_by = ? WHERE guild_id = ? AND created_by = ?",
            (FORMER_MEMBER, gid, mid),
        )
        if organised.rowcount:
            result.kept["sessions_organised"] = None
        return result, followups

    async def apply_retention(
        self, db: Database, now: dt.datetime, policy: RetentionPolicy
    ) -> dict[str, int]:
        return {}


HOOK = IntervisionsData()
