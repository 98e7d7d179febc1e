"""Moderation cases, sanctions, the restorative ladder, recusal and appeals. Discord-free.

A case is the record of one moderation action, numbered per guild. The cog performs the
Discord action (timeout, kick, ban…) between ``begin_case`` and ``confirm_case``: the case is
written ``pending`` first (so the member's DM can name its number), confirmed once Discord
accepted, and deleted by ``abandon_case`` when Discord refused — no case ever records an
action that did not happen, and an abandoned number is never given again. A crash in between
leaves it ``pending``; at the next start the cog asks Discord whether the action took effect
(``applied_on_discord``) and confirms or drops it, so an applied sanction is never lost from the
member's record. Everything that ends later (a warning expiring, a timeout ending, a timed ban being
lifted) is a durable timer of kind ``CASE_TIMER`` keyed by the case.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from bot.core import timeutil, yamlfile
from bot.core.db import Database
from bot.core.errors import NotAllowed, NotFound, UserError
from bot.core.timers import FORGET_WHEN_DONE, TimerService
from bot.core.yamlfile import Problem

CASE_TIMER = "moderation.case_end"
# The mod-log line saying that a timeout or a ban is over: a timer of its own, so that a post that
# fails (Discord unreachable, rate limits past discord.py's retries) is tried again, not lost with
# the case already ended.
CASE_ENDED_LOG = "moderation.case_ended_log"
MAX_TIMEOUT = dt.timedelta(days=28)
MAX_BAN = dt.timedelta(days=3650)
MAX_REASON = 500
MAX_NOTE = 1000
MAX_APPEAL = 1500

ACTIONS = ("warn", "timeout", "kick", "ban", "unban", "note", "conversation", "proposal")
SANCTIONS = ("warn", "timeout", "kick", "ban")
# Which cases can be revoked, and what revoking lifts on Discord.
LIFTABLE = {"timeout": "moderate_members", "ban": "ban_members"}


class CharterArticle(Protocol):
    """What moderation reads of a charter article. The charter's own articles fit it; moderation
    declares it here so that it never imports the charter package."""

    @property
    def id(self) -> str: ...
    @property
    def number(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def warning_expiry_days(self) -> int | None: ...


class ArticleBook(Protocol):
    """The articles a sanction may name (the charter, as moderation sees it)."""

    @property
    def articles(self) -> Sequence[CharterArticle]: ...

    def article(self, article_id: str) -> CharterArticle | None: ...


def find_article(book: ArticleBook, wanted: str) -> CharterArticle | None:
    """An article by its id, or by its number (« 3 » or « #3 »)."""
    found = book.article(wanted)
    if found is None:
        for candidate in book.articles:
            if str(candidate.number) == wanted.lstrip("#"):
                found = candidate
    return found


_CASE_COLUMNS = (
    "id, guild_id, number, member_id, moderator_id, action, article, reason, state, automatic,"
    " parent_number, created_at, expires_at, ended_at, revoked_at, revoked_by, revoke_reason"
)


# -- durations ----------------------------------------------------------------------------------
_UNITS = {
    "s": 1,
    "sec": 1,
    "seconde": 1,
    "secondes": 1,
    "m": 60,
    "min": 60,
    "mn": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "heure": 3600,
    "heures": 3600,
    "j": 86400,
    "jour": 86400,
    "jours": 86400,
    "d": 86400,
    "sem": 604800,
    "semaine": 604800,
    "semaines": 604800,
    "w": 604800,
}
_PART = re.compile(r"(\d{1,5})\s*([a-zé]+)")


def parse_duration(text: str) -> dt.timedelta:
    """``10m``, ``2h``, ``3j``, ``1 sem``, ``1h30``, ``2 jours`` → timedelta; a clear error otherwise."""
    raw = (text or "").strip().lower()
    cleaned = raw.replace(",", " ").replace(" et ", " ")
    # "1h30" means one hour thirty minutes.
    cleaned = re.sub(r"(\d)\s*h\s*(\d{1,2})$", r"\1h \2min", cleaned)
    total = 0
    position = 0
    for match in _PART.finditer(cleaned):
        if cleaned[position : match.start()].strip():
            raise UserError("moderation.errors.bad_duration", value=raw[:40])
        seconds = _UNITS.get(match.group(2))
        if seconds is None:
            raise UserError("moderation.errors.bad_duration", value=raw[:40])
        total += int(match.group(1)) * seconds
        position = match.end()
    if position == 0 or cleaned[position:].strip() or total <= 0:
        raise UserError("moderation.errors.bad_duration", value=raw[:40])
    return dt.timedelta(seconds=total)


def check_sanction_duration(action: str, duration: dt.timedelta | None) -> None:
    if action == "timeout":
        if duration is None:
            raise UserError("moderation.errors.duration_required")
        if duration > MAX_TIMEOUT:
            raise UserError("moderation.errors.timeout_too_long")
        if duration < dt.timedelta(minutes=1):
            raise UserError("moderation.errors.duration_too_short")
    elif action == "ban" and duration is not None:
        if duration > MAX_BAN:
            raise UserError("moderation.errors.ban_too_long")
        if duration < dt.timedelta(hours=1):
            raise UserError("moderation.errors.duration_too_short")
    elif duration is not None:
        raise UserError("moderation.errors.no_duration_for_action")


# -- who may act --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Party:
    """A member as far as permission checks go: id, top role position, permissions, moderator role."""

    id: int
    top_position: int
    permissions: frozenset[str] = frozenset()
    moderator_role: bool = False

    def has(self, permission: str) -> bool:
        return "administrator" in self.permissions or permission in self.permissions


# Command → (Discord permission that also allows a non-moderator-role caller, permission the bot needs)
COMMAND_PERMISSIONS: dict[str, tuple[str, str | None]] = {
    "avertir": ("moderate_members", None),
    "suspendre": ("moderate_members", "moderate_members"),
    "expulser": ("kick_members", "kick_members"),
    "bannir": ("ban_members", "ban_members"),
    "debannir": ("ban_members", "ban_members"),
    "lever": ("moderate_members", None),  # plus the permission of what is lifted (see LIFTABLE)
    "dossier": ("moderate_members", None),
    "note": ("moderate_members", None),
    "recusation": ("moderate_members", None),
}
ACTION_COMMANDS = {
    "warn": "avertir",
    "timeout": "suspendre",
    "kick": "expulser",
    "ban": "bannir",
    "unban": "debannir",
}
# Commands whose target must sit below both the caller and the bot.
HIERARCHY_COMMANDS = frozenset({"avertir", "suspendre", "expulser", "bannir"})


def authorize(
    command: str,
    actor: Party,
    bot: Party,
    *,
    owner_id: int,
    target: Party | None = None,
    recused: bool = False,
    bot_permission: str | None = None,
) -> None:
    """Raise ``NotAllowed`` with the precise reason, or return when the action may proceed.

    The caller needs the moderator role or the command's Discord permission; the bot needs the
    permission of the Discord action; the target must not be the owner, the bot, the caller,
    or anyone whose top role is equal to or above the caller's (unless the caller owns the
    guild) or the bot's; a moderator who declared a conflict of interest with the target is
    recused. ``actor`` may be the bot itself (automatic moderation).
    """
    if command not in COMMAND_PERMISSIONS:
        raise ValueError(f"unknown moderation command {command!r}")
    caller_permission, needed_by_bot = COMMAND_PERMISSIONS[command]
    needed_by_bot = bot_permission or needed_by_bot
    acting_as_bot = actor.id == bot.id
    if not acting_as_bot and not (
        actor.moderator_role or actor.has(caller_permission) or actor.id == owner_id
    ):
        raise NotAllowed("core.errors.moderators_only")
    if needed_by_bot and not bot.has(needed_by_bot):
        raise NotAllowed("moderation.errors.bot_missing", permission=needed_by_bot)
    if target is None:
        return
    if recused and not acting_as_bot:
        raise NotAllowed("moderation.errors.recused")
    if command not in HIERARCHY_COMMANDS:
        return
    if target.id == owner_id:
        raise NotAllowed("core.errors.target_is_owner")
    if target.id == bot.id:
        raise NotAllowed("core.errors.target_is_bot")
    if target.id == actor.id:
        raise NotAllowed("core.errors.target_is_self")
    if not acting_as_bot and actor.id != owner_id and target.top_position >= actor.top_position:
        raise NotAllowed("moderation.errors.target_above_actor")
    if target.top_position >= bot.top_position:
        raise NotAllowed("moderation.errors.target_above_bot")


# -- cases --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Case:
    id: int
    guild_id: int
    number: int
    member_id: int
    moderator_id: int
    action: str
    article: str | None
    reason: str
    confirmed: bool
    automatic: bool
    parent_number: int | None
    created_at: dt.datetime
    expires_at: dt.datetime | None
    ended_at: dt.datetime | None
    revoked_at: dt.datetime | None
    revoked_by: int | None
    revoke_reason: str | None

    def is_active(self, at: dt.datetime) -> bool:
        """Still in force: not revoked, not ended by its timer, not past its expiry."""
        if self.revoked_at is not None or self.ended_at is not None or not self.confirmed:
            return False
        return self.expires_at is None or self.expires_at > at

    @property
    def timer_key(self) -> str:
        return case_timer_key(self.id)


def case_timer_key(case_id: int) -> str:
    return f"moderation:case:{case_id}"


def _case(row: Sequence[Any]) -> Case:
    return Case(
        id=row[0],
        guild_id=row[1],
        number=row[2],
        member_id=row[3],
        moderator_id=row[4],
        action=row[5],
        article=row[6],
        reason=row[7],
        confirmed=row[8] == "confirmed",
        automatic=bool(row[9]),
        parent_number=row[10],
        created_at=timeutil.from_db(row[11]),
        expires_at=timeutil.from_db(row[12]),
        ended_at=timeutil.from_db(row[13]),
        revoked_at=timeutil.from_db(row[14]),
        revoked_by=row[15],
        revoke_reason=row[16],
    )


def _clean_text(text: str, limit: int, key: str) -> str:
    text = (text or "").strip()
    if not text:
        raise UserError(f"moderation.errors.{key}_empty")
    if len(text) > limit:
        raise UserError(f"moderation.errors.{key}_too_long", limit=limit)
    return text


async def _insert_case(
    db: Database,
    guild_id: int,
    *,
    member_id: int,
    moderator_id: int,
    action: str,
    article: str | None,
    reason: str,
    now: dt.datetime,
    expires_at: dt.datetime | None,
    state: str,
    automatic: bool,
    parent_number: int | None,
) -> Case:
    if action not in ACTIONS:
        raise ValueError(f"unknown case action {action!r}")
    counter = last_number_key(guild_id)
    async with db.transaction():
        # The number follows the highest ever given in the guild, including cases abandoned since:
        # a member may have been told « cas n°N » before Discord refused, so N never names anyone else.
        row = await db.fetchone(
            "INSERT INTO mod_cases (guild_id, number, member_id, moderator_id, action, article, reason, "
            "state,"
            " automatic, parent_number, created_at, expires_at)"
            " SELECT ?, MAX(COALESCE(MAX(number), 0),"
            " COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?), 0)) + 1,"
            " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"
            " FROM mod_cases WHERE guild_id = ?"
            f" RETURNING {_CASE_COLUMNS}",
            (
                guild_id,
                counter,
                member_id,
                moderator_id,
                action,
                article,
                reason,
                state,
                int(automatic),
                parent_number,
                timeutil.to_db(now),
                timeutil.to_db(expires_at) if expires_at else None,
                guild_id,
            ),
        )
        assert row is not None
        case = _case(row)
        await db.set_meta(counter, str(case.number))
    return case


def last_number_key(guild_id: int) -> str:
    """The ``meta`` key holding the highest case number ever given in the guild (never reused)."""
    return f"moderation.last_case_number:{guild_id}"


def warning_expiry(now: dt.datetime, days: int | None, default_days: int) -> dt.datetime:
    return now + dt.timedelta(days=days if days and days > 0 else default_days)


async def begin_case(
    db: Database,
    guild_id: int,
    *,
    member_id: int,
    moderator_id: int,
    action: str,
    article: str | None,
    reason: str,
    now: dt.datetime,
    expires_at: dt.datetime | None = None,
    automatic: bool = False,
    parent_number: int | None = None,
) -> Case:
    """Write a pending case (its number is final) before the Discord action is attempted."""
    reason = _clean_text(reason, MAX_NOTE if action == "note" else MAX_REASON, "reason")
    return await _insert_case(
        db,
        guild_id,
        member_id=member_id,
        moderator_id=moderator_id,
        action=action,
        article=article,
        reason=reason,
        now=now,
        expires_at=expires_at,
        state="pending",
        automatic=automatic,
        parent_number=parent_number,
    )


async def abandon_case(db: Database, case: Case) -> None:
    """Discord refused the action: the case never happened. Its number stays used (see
    ``last_number_key``): it is never given to another case."""
    await db.execute("DELETE FROM mod_cases WHERE id = ? AND state = 'pending'", (case.id,))


async def confirm_case(db: Database, timers: TimerService, case: Case) -> Case:
    """Discord accepted: confirm the case and schedule its end, in one transaction."""
    async with db.transaction():
        row = await db.fetchone(
            f"UPDATE mod_cases SET state = 'confirmed' WHERE id = ? RETURNING {_CASE_COLUMNS}", (case.id,)
        )
        if row is None:
            raise NotFound("moderation.errors.case_unknown", number=case.number)
        confirmed = _case(row)
        if confirmed.expires_at is not None and confirmed.action in ("warn", "timeout", "ban"):
            await timers.schedule(
                case.guild_id,
                CASE_TIMER,
                confirmed.expires_at,
                {
                    "case_id": case.id,
                    "number": case.number,
                    "action": case.action,
                    "member_id": case.member_id,
                },
                key=case.timer_key,
            )
    return confirmed


async def record_case(
    db: Database,
    timers: TimerService,
    guild_id: int,
    *,
    member_id: int,
    moderator_id: int,
    action: str,
    article: str | None,
    reason: str,
    now: dt.datetime,
    expires_at: dt.datetime | None = None,
    automatic: bool = False,
    parent_number: int | None = None,
) -> Case:
    """A case with no Discord action behind it (note, conversation, proposal, a plain warning)."""
    case = await begin_case(
        db,
        guild_id,
        member_id=member_id,
        moderator_id=moderator_id,
        action=action,
        article=article,
        reason=reason,
        now=now,
        expires_at=expires_at,
        automatic=automatic,
        parent_number=parent_number,
    )
    return await confirm_case(db, timers, case)


async def pending_cases(db: Database, written_before: dt.datetime) -> list[Case]:
    """Cases left ``pending`` by a crash between writing them and confirming them: those written
    before this process started (``written_before``), so a sanction in flight now is never one."""
    rows = await db.fetchall(
        f"SELECT {_CASE_COLUMNS} FROM mod_cases WHERE state = 'pending' AND created_at < ? ORDER BY id",
        (timeutil.to_db(written_before),),
    )
    return [_case(r) for r in rows]


def applied_on_discord(
    case: Case, *, now: dt.datetime, present: bool, timed_out_until: dt.datetime | None, banned: bool
) -> bool:
    """Whether Discord shows the pending case's action as done. Only timeouts, kicks and bans
    act on Discord; any other pending case never reached the member and is dropped."""
    if case.action == "timeout":
        return present and timed_out_until is not None and timed_out_until > now
    if case.action == "ban":
        return banned
    if case.action == "kick":
        # Gone without a ban: the kick went through (or they left, which the kick asked for anyway).
        return not present and not banned
    return False


async def get_case(db: Database, guild_id: int, number: int) -> Case:
    row = await db.fetchone(
        f"SELECT {_CASE_COLUMNS} FROM mod_cases WHERE guild_id = ? AND number = ? AND state = 'confirmed'",
        (guild_id, number),
    )
    if row is None:
        raise NotFound("moderation.errors.case_unknown", number=number)
    return _case(row)


async def case_by_id(db: Database, case_id: int) -> Case | None:
    row = await db.fetchone(f"SELECT {_CASE_COLUMNS} FROM mod_cases WHERE id = ?", (case_id,))
    return None if row is None else _case(row)


async def member_cases(db: Database, guild_id: int, member_id: int) -> list[Case]:
    """The member's history, newest first (notes included: the dossier is for moderators)."""
    rows = await db.fetchall(
        f"SELECT {_CASE_COLUMNS} FROM mod_cases WHERE guild_id = ? AND member_id = ? AND state = 'confirmed'"
        " ORDER BY number DESC",
        (guild_id, member_id),
    )
    return [_case(r) for r in rows]


async def active_warnings(db: Database, guild_id: int, member_id: int, at: dt.datetime) -> int:
    return int(
        await db.fetchval(
            "SELECT COUNT(*) FROM mod_cases WHERE guild_id = ? AND member_id = ? AND action = 'warn'"
            " AND state = 'confirmed' AND revoked_at IS NULL AND ended_at IS NULL"
            " AND (expires_at IS NULL OR expires_at > ?)",
            (guild_id, member_id, timeutil.to_db(at)),
        )
    )


async def active_case(
    db: Database, guild_id: int, member_id: int, action: str, at: dt.datetime
) -> Case | None:
    """The member's latest case of ``action`` still in force (a running timeout or ban)."""
    row = await db.fetchone(
        f"SELECT {_CASE_COLUMNS} FROM mod_cases WHERE guild_id = ? AND member_id = ? AND action = ?"
        " AND state = 'confirmed' AND revoked_at IS NULL AND ended_at IS NULL"
        " AND (expires_at IS NULL OR expires_at > ?) ORDER BY number DESC LIMIT 1",
        (guild_id, member_id, action, timeutil.to_db(at)),
    )
    return None if row is None else _case(row)


async def end_case(db: Database, case_id: int, now: dt.datetime) -> Case | None:
    """Mark a case ended by its timer; None when it was already ended or revoked (idempotent)."""
    row = await db.fetchone(
        "UPDATE mod_cases SET ended_at = ? WHERE id = ? AND state = 'confirmed'"
        f" AND ended_at IS NULL AND revoked_at IS NULL RETURNING {_CASE_COLUMNS}",
        (timeutil.to_db(now), case_id),
    )
    return None if row is None else _case(row)


async def revoke_case(
    db: Database,
    timers: TimerService,
    guild_id: int,
    number: int,
    *,
    moderator_id: int,
    reason: str,
    now: dt.datetime,
) -> Case:
    """Revoke a case (``/mod lever``) and cancel its timer, in one transaction. Call it after the
    Discord side (removing the timeout, unbanning) succeeded."""
    reason = _clean_text(reason, MAX_REASON, "reason")
    async with db.transaction():
        case = await get_case(db, guild_id, number)
        if case.revoked_at is not None:
            raise UserError("moderation.errors.already_revoked", number=number)
        row = await db.fetchone(
            "UPDATE mod_cases SET revoked_at = ?, revoked_by = ?, revoke_reason = ?"
            f" WHERE id = ? AND revoked_at IS NULL RETURNING {_CASE_COLUMNS}",
            (timeutil.to_db(now), moderator_id, reason, case.id),
        )
        assert row is not None
        await timers.cancel(guild_id, case.timer_key)
    return _case(row)


def needs_lift(case: Case, at: dt.datetime) -> str | None:
    """What revoking this case must undo on Discord: 'timeout', 'ban' or None."""
    if case.action in LIFTABLE and case.is_active(at):
        return case.action
    return None


# -- recusal ------------------------------------------------------------------------------------
async def set_recusal(
    db: Database, guild_id: int, moderator_id: int, member_id: int, *, on: bool, now: dt.datetime
) -> bool:
    """Declare (or withdraw) a conflict of interest; returns whether anything changed."""
    if moderator_id == member_id:
        raise UserError("moderation.errors.recuse_self")
    if on:
        result = await db.execute(
            "INSERT INTO mod_recusals (guild_id, moderator_id, member_id, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (guild_id, moderator_id, member_id, timeutil.to_db(now)),
        )
    else:
        result = await db.execute(
            "DELETE FROM mod_recusals WHERE guild_id = ? AND moderator_id = ? AND member_id = ?",
            (guild_id, moderator_id, member_id),
        )
    return result.rowcount > 0


async def is_recused(db: Database, guild_id: int, moderator_id: int, member_id: int | None) -> bool:
    """A moderator never handles what concerns themselves, nor a member they named a conflict with."""
    if member_id is None:
        return False
    if member_id == moderator_id:
        return True
    return (
        await db.fetchval(
            "SELECT 1 FROM mod_recusals WHERE guild_id = ? AND moderator_id = ? AND member_id = ?",
            (guild_id, moderator_id, member_id),
        )
        is not None
    )


async def recused_from(db: Database, guild_id: int, member_id: int | None) -> set[int]:
    """Moderators who must not handle anything about ``member_id`` (including the member)."""
    if member_id is None:
        return set()
    rows = await db.fetchall(
        "SELECT moderator_id FROM mod_recusals WHERE guild_id = ? AND member_id = ?", (guild_id, member_id)
    )
    return {r[0] for r in rows} | {member_id}


# -- appeals ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Appeal:
    id: int
    guild_id: int
    case: Case
    member_id: int
    text: str
    recipients: tuple[int, ...]
    created_at: dt.datetime


def appeal_recipients(
    case: Case, on_duty: Iterable[int], moderators: Iterable[int], excluded: set[int]
) -> list[int]:
    """Moderators an appeal goes to: never the one who acted, nor anyone recused from the member.
    The moderators on duty first; when none of them may take it, every other moderator."""
    blocked = excluded | {case.moderator_id, case.member_id}
    first = [m for m in dict.fromkeys(on_duty) if m not in blocked]
    if first:
        return first
    return [m for m in dict.fromkeys(moderators) if m not in blocked]


async def file_appeal(
    db: Database,
    guild_id: int,
    number: int,
    *,
    member_id: int,
    text: str,
    on_duty: Iterable[int],
    moderators: Iterable[int],
    now: dt.datetime,
) -> Appeal:
    text = _clean_text(text, MAX_APPEAL, "appeal")
    async with db.transaction():
        try:
            case = await get_case(db, guild_id, number)
        except NotFound:
            raise NotFound("moderation.errors.appeal_not_yours", number=number) from None
        if case.member_id != member_id or case.action == "note":
            # Same answer as an unknown case: a member cannot probe other people's cases.
            raise NotFound("moderation.errors.appeal_not_yours", number=number)
        excluded = await recused_from(db, guild_id, member_id)
        recipients = appeal_recipients(case, on_duty, moderators, excluded)
        result = await db.execute(
            "INSERT INTO mod_appeals (guild_id, case_number, member_id, text, recipients, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, case_number) DO NOTHING",
            (guild_id, number, member_id, text, json.dumps(recipients), timeutil.to_db(now)),
        )
        if result.rowcount == 0:
            raise UserError("moderation.errors.appeal_exists", number=number)
    return Appeal(result.lastrowid or 0, guild_id, case, member_id, text, tuple(recipients), now)


# -- the restorative ladder ---------------------------------------------------------------------
LADDER_ACTIONS = ("conversation", "timeout", "propose_kick", "propose_ban")


@dataclass(frozen=True, slots=True)
class Rung:
    at_warnings: int
    action: str
    duration: dt.timedelta | None = None


@dataclass(frozen=True, slots=True)
class Ladder:
    rungs: tuple[Rung, ...]

    def rung_for(self, warnings: int) -> Rung | None:
        """The rung reached by exactly this many active warnings (the highest one beyond the top)."""
        reached = [r for r in self.rungs if r.at_warnings <= warnings]
        if not reached:
            return None
        top = reached[-1]
        if top.at_warnings == warnings or top is self.rungs[-1]:
            return top
        return None

    def next_after(self, warnings: int) -> Rung | None:
        """The next human step if it happens again."""
        for rung in self.rungs:
            if rung.at_warnings > warnings:
                return rung
        return self.rungs[-1] if self.rungs else None


DEFAULT_LADDER = Ladder(
    (
        Rung(2, "conversation"),
        Rung(3, "timeout", dt.timedelta(hours=24)),
        Rung(4, "propose_kick"),
    )
)


def _parse_ladder(doc: yamlfile.YamlDocument) -> tuple[Ladder, list[Problem]]:
    problems: list[Problem] = []
    data = doc.data if isinstance(doc.data, dict) else {}
    if not isinstance(doc.data, dict):
        problems.append(
            doc.problem(
                (),
                "le fichier doit être une table avec la clé « echelle »",
                "voir la documentation docs/moderation.md",
            )
        )
    steps = data.get("echelle")
    if not isinstance(steps, list) or not steps:
        problems.append(
            doc.problem(
                ("echelle",),
                "« echelle » doit être une liste d'étapes",
                "écrire au moins une étape : - avertissements: 2, action: conversation",
            )
        )
        return DEFAULT_LADDER, problems
    rungs: list[Rung] = []
    previous = 0
    for index, step in enumerate(steps):
        path: tuple[str | int, ...] = ("echelle", index)
        if not isinstance(step, dict):
            problems.append(
                doc.problem(
                    path, "chaque étape doit être une table", "avertissements: 2, action: conversation"
                )
            )
            continue
        count = step.get("avertissements")
        action = step.get("action")
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            problems.append(
                doc.problem(
                    (*path, "avertissements"),
                    "« avertissements » doit être un entier ≥ 1",
                    "le nombre d'avertissements actifs qui mène à cette étape",
                )
            )
            continue
        if count <= previous:
            problems.append(
                doc.problem(
                    (*path, "avertissements"),
                    "les étapes doivent monter dans l'ordre",
                    f"écrire un nombre plus grand que {previous}",
                )
            )
        previous = max(previous, count)
        if action in ("kick", "ban", "expulser", "bannir"):
            problems.append(
                doc.problem(
                    (*path, "action"),
                    f"action « {action} » : l'échelle n'exclut jamais d'elle-même",
                    "écrire propose_kick ou propose_ban : une personne de l'équipe décide",
                )
            )
            continue
        if action not in LADDER_ACTIONS:
            problems.append(
                doc.problem(
                    (*path, "action"),
                    f"action inconnue « {action} »",
                    "choisir parmi " + ", ".join(LADDER_ACTIONS),
                )
            )
            continue
        duration = None
        if action == "timeout":
            raw = step.get("duree")
            try:
                duration = parse_duration(str(raw)) if raw is not None else None
                check_sanction_duration("timeout", duration)
            except UserError:
                problems.append(
                    doc.problem(
                        (*path, "duree"),
                        f"durée invalide « {raw} »",
                        "écrire par exemple 24h ou 3j (au plus 28 jours)",
                    )
                )
                continue
        elif "duree" in step:
            problems.append(
                doc.problem((*path, "duree"), "seule l'action timeout a une durée", "retirer « duree »")
            )
        unknown = set(step) - {"avertissements", "action", "duree"}
        if unknown:
            problems.append(
                doc.problem(
                    (*path, sorted(unknown)[0]),
                    f"clé inconnue « {sorted(unknown)[0]} »",
                    "clés possibles : avertissements, action, duree",
                )
            )
        rungs.append(Rung(count, action, duration))
    return (Ladder(tuple(rungs)) if rungs else DEFAULT_LADDER), problems


def load_ladder(config_dir: Path) -> Ladder:
    """The escalation ladder of ``config/moderation.yaml`` (the default one if the file is absent)."""
    path = Path(config_dir) / "moderation.yaml"
    if not path.exists():
        return DEFAULT_LADDER
    doc, problems = yamlfile.load(path)
    ladder, more = _parse_ladder(doc)
    if problems or more:
        raise yamlfile.ConfigError(problems + more)
    return ladder


def check_config(config_dir: Path) -> list[Problem]:
    """``relais check``: validate ``config/moderation.yaml``; never raises."""
    path = Path(config_dir) / "moderation.yaml"
    if not path.exists():
        return []
    doc, problems = yamlfile.load(path)
    if doc.data is None and problems:
        return problems
    _, more = _parse_ladder(doc)
    return problems + more


# -- timers -------------------------------------------------------------------------------------
async def schedule_ended_log(timers: TimerService, case: Case, now: dt.datetime) -> None:
    """Due at once; only the case's id in it, and no row left once posted."""
    await timers.schedule(
        case.guild_id,
        CASE_ENDED_LOG,
        now,
        {"case_id": case.id, FORGET_WHEN_DONE: 1},
        key=f"moderation:case-ended-log:{case.id}",
    )


async def run_case_timer(db: Database, case_id: int, now: dt.datetime, lift: Any) -> Case | None:
    """The end of a case's time: a warning stops counting, a timeout is over, a timed ban is lifted.

    ``lift`` is an async callable ``(case) -> None`` doing the Discord side (unbanning); it must be
    idempotent, because a timer may run twice after a crash. Returns the ended case, or None if
    it was already ended or revoked (nothing to do).
    """
    case = await case_by_id(db, case_id)
    if case is None or not case.confirmed or case.revoked_at is not None or case.ended_at is not None:
        return None
    if case.action == "ban":
        await lift(case)
    return await end_case(db, case_id, now)
