"""The shared resource library: sharing, duplicates, votes, edits, removal, listings, digests.

Discord-free: plain ids and values in, frozen dataclasses out; every rule and every SQL statement
of the area lives here (search in ``search.py``, link previews in ``metadata.py``, the YAML
library, its configuration check and import/export in ``starter.py``, which builds on this module).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import sqlite3
import unicodedata
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot.core import timeutil
from bot.core.db import Database
from bot.core.errors import NotAllowed, NotFound, UserError
from bot.core.urls import normalize_url, validate_http_url
from bot.resources.search import SearchResult, boost_for, fold, forget_guilds, search_ids, tier_for

log = logging.getLogger(__name__)

# Stored keys (stable) of the resource types; their labels live in the locale files.
KINDS = (
    "article",
    "podcast",
    "video",
    "livre",
    "guide",
    "formation",
    "projet",
    "evenement",
    "outil",
    "recherche",
)
KIND_ALIASES = {"vidéo": "video", "événement": "evenement", "evenement": "evenement", "video": "video"}
DEFAULT_KIND = "article"
MAX_TITLE = 200
MAX_DESCRIPTION = 1000
MAX_THEMES = 8
MAX_THEME_CHARS = 40
DIGEST_KIND = "resources.digest"

# Mentions Discord would render: @everyone/@here, users, roles, channels.
_MENTION = re.compile(r"@(?:everyone|here)\b|<@[!&]?\d+>|<#\d+>", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


# -- values -----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Resource:
    id: int
    guild_id: int
    url: str
    url_key: str
    site: str
    title: str
    description: str
    kind: str
    themes: tuple[str, ...]
    author_id: int | None
    shared_by: int | None
    source: str
    created_at: dt.datetime
    useful_count: int
    channel_id: int | None = None
    message_id: int | None = None
    thread_id: int | None = None
    removed_at: dt.datetime | None = None

    @property
    def live(self) -> bool:
        return self.removed_at is None

    def jump_url(self) -> str | None:
        """Discord link to the announcement (a forum post is its thread)."""
        if self.thread_id:
            return f"https://discord.com/channels/{self.guild_id}/{self.thread_id}"
        if self.channel_id and self.message_id:
            return f"https://discord.com/channels/{self.guild_id}/{self.channel_id}/{self.message_id}"
        return None


@dataclass(frozen=True, slots=True)
class Draft:
    """A validated share request, before any write."""

    guild_id: int
    url: str
    url_key: str
    site: str
    title: str | None
    description: str
    kind: str
    themes: tuple[str, ...]
    author_id: int | None
    shared_by: int | None


@dataclass(frozen=True, slots=True)
class PageInfo:
    """What a link preview found (see ``bot/metadata.py``)."""

    title: str | None = None
    description: str | None = None
    site_name: str | None = None


class DuplicateResource(UserError):
    """The link is in the library already; ``existing`` says by whom and when."""

    def __init__(self, existing: Resource) -> None:
        super().__init__("resources.share.duplicate_short", id=existing.id)
        self.existing = existing


@dataclass(frozen=True, slots=True)
class VoteResult:
    resource: Resource
    voted: bool  # the member's vote after the toggle
    count: int


@dataclass(frozen=True, slots=True)
class Popular:
    resource: Resource
    votes: int  # votes cast in the period


@dataclass(frozen=True, slots=True)
class SearchPage:
    resources: tuple[Resource, ...]
    page: int
    has_next: bool
    total: int
    exact: bool


@dataclass(frozen=True, slots=True)
class DigestPlan:
    period: str  # ISO week of the period that ends at ``end``
    start: dt.datetime
    end: dt.datetime
    resources: tuple[Resource, ...] = field(default_factory=tuple)


# -- validation -------------------------------------------------------------------------------------
def clean_text(value: str | None) -> str:
    """NFC, control and bidi characters removed, whitespace collapsed."""
    text = unicodedata.normalize("NFC", value or "")
    text = _CONTROL.sub("", text)
    return " ".join(text.split())


def check_no_mentions(value: str, field_name: str) -> None:
    """Mentions are refused (``field_name``: title, description or themes), never silently sent."""
    if _MENTION.search(value):
        raise UserError(f"resources.input.mentions_{field_name}")


def clean_title(value: str | None) -> str | None:
    if value is None:
        return None
    text = clean_text(value)
    if not text:
        return None
    if len(text) > MAX_TITLE:
        raise UserError("resources.input.title_too_long", limit=MAX_TITLE, length=len(text))
    check_no_mentions(text, "title")
    return text


def clean_description(value: str | None) -> str:
    raw = unicodedata.normalize("NFC", value or "")
    text = "\n".join(" ".join(_CONTROL.sub("", line).split()) for line in raw.splitlines()).strip()
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    if len(text) > MAX_DESCRIPTION:
        raise UserError("resources.input.description_too_long", limit=MAX_DESCRIPTION, length=len(text))
    check_no_mentions(text, "description")
    return text


def parse_kind(value: str | None) -> str:
    if value is None or not value.strip():
        return DEFAULT_KIND
    key = value.strip().lower()
    key = KIND_ALIASES.get(key, key)
    if key not in KINDS:
        raise UserError("resources.input.unknown_kind", value=value[:40], kinds=", ".join(KINDS))
    return key


def parse_themes(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """« Emploi, santé mentale » → ("emploi", "santé mentale"): trimmed, lower case, no duplicates."""
    if value is None:
        return ()
    if isinstance(value, str):
        if len(value) > MAX_THEMES * (MAX_THEME_CHARS + 2) + 50:
            raise UserError("resources.input.too_many_themes", limit=MAX_THEMES)
        items = re.split(r"[,;\n]", value)
    else:
        items = list(value)
    themes: list[str] = []
    seen: set[str] = set()
    for item in items:
        theme = clean_text(str(item)).strip(" #.").lower()
        if not theme:
            continue
        if len(theme) > MAX_THEME_CHARS:
            raise UserError(
                "resources.input.theme_too_long", theme=theme[:MAX_THEME_CHARS] + "…", limit=MAX_THEME_CHARS
            )
        check_no_mentions(theme, "themes")
        key = fold(theme)
        if key not in seen:
            seen.add(key)
            themes.append(theme)
    if len(themes) > MAX_THEMES:
        raise UserError("resources.input.too_many_themes", limit=MAX_THEMES)
    return tuple(themes)


def site_of(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def make_draft(
    guild_id: int,
    url: str,
    *,
    title: str | None = None,
    kind: str | None = None,
    themes: str | Iterable[str] | None = None,
    description: str | None = None,
    author_id: int | None = None,
    shared_by: int | None = None,
) -> Draft:
    """Validate everything a member typed; raises a UserError before anything is written."""
    link = validate_http_url(url)
    return Draft(
        guild_id=guild_id,
        url=link,
        url_key=normalize_url(link),
        site=site_of(link),
        title=clean_title(title),
        description=clean_description(description),
        kind=parse_kind(kind),
        themes=parse_themes(themes),
        author_id=author_id,
        shared_by=shared_by if shared_by is not None else author_id,
    )


# -- reading ----------------------------------------------------------------------------------------
_COLUMNS = (
    "id, guild_id, url, url_key, site, title, description, kind, themes, author_id, shared_by, source, "
    "created_at, useful_count, channel_id, message_id, thread_id, removed_at"
)


def _split_themes(text: str) -> tuple[str, ...]:
    return tuple(t for t in (p.strip() for p in text.split(",")) if t)


def _resource(row: Sequence) -> Resource:
    return Resource(
        id=row[0],
        guild_id=row[1],
        url=row[2],
        url_key=row[3],
        site=row[4],
        title=row[5],
        description=row[6],
        kind=row[7],
        themes=_split_themes(row[8]),
        author_id=row[9],
        shared_by=row[10],
        source=row[11],
        created_at=timeutil.from_db(row[12]),
        useful_count=row[13],
        channel_id=row[14],
        message_id=row[15],
        thread_id=row[16],
        removed_at=timeutil.from_db(row[17]),
    )


async def get(db: Database, guild_id: int, resource_id: int, *, include_removed: bool = False) -> Resource:
    row = await db.fetchone(
        f"SELECT {_COLUMNS} FROM resources WHERE guild_id = ? AND id = ?", (guild_id, resource_id)
    )
    if row is None or (row[17] is not None and not include_removed):
        raise NotFound("resources.not_found", id=resource_id)
    return _resource(row)


async def get_many(db: Database, guild_id: int, ids: Sequence[int]) -> list[Resource]:
    """Live resources in the order of ``ids`` (missing ones skipped)."""
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    # By id: without the planner's statistics (no ANALYZE yet), a plain ``guild_id = ?`` made it
    # walk the guild's whole resources_useful index (1.7 ms at 20,000 resources, for 5 rows);
    # the unary + keeps the guild test a filter on the rows found by id.
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM resources WHERE id IN ({marks}) AND +guild_id = ? AND removed_at IS NULL",
        (*ids, guild_id),
    )
    by_id = {r[0]: _resource(r) for r in rows}
    return [by_id[i] for i in ids if i in by_id]


async def find_live_by_url(db: Database, guild_id: int, url_key: str) -> Resource | None:
    row = await db.fetchone(
        f"SELECT {_COLUMNS} FROM resources WHERE guild_id = ? AND url_key = ? AND removed_at IS NULL",
        (guild_id, url_key),
    )
    return _resource(row) if row else None


async def find_by_message(db: Database, message_id: int) -> Resource | None:
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM resources WHERE message_id = ?", (message_id,))
    return _resource(row) if row else None


# -- sharing ----------------------------------------------------------------------------------------
async def check_cooldown(db: Database, guild_id: int, member_id: int, now: dt.datetime, seconds: int) -> None:
    if seconds <= 0:
        return
    last = await db.fetchval(
        "SELECT MAX(created_at) FROM resources WHERE guild_id = ? AND shared_by = ? AND source = 'discord'",
        (guild_id, member_id),
    )
    if last is not None:
        wait = last + seconds - timeutil.to_db(now)
        if wait > 0:
            raise UserError("resources.share.cooldown", seconds=max(1, round(wait)))


async def check_new(db: Database, draft: Draft) -> None:
    """Raise DuplicateResource if the link is already in the guild's library."""
    existing = await find_live_by_url(db, draft.guild_id, draft.url_key)
    if existing is not None:
        raise DuplicateResource(existing)


Fetcher = Callable[[str], Awaitable[PageInfo | None]]


async def share(
    db: Database,
    draft: Draft,
    *,
    now: dt.datetime,
    cooldown_seconds: int = 0,
    fetcher: Fetcher | None = None,
) -> Resource:
    """Save a new resource. Order: cooldown and duplicate checks, then (without any lock held) the
    link preview when no title was given, then one transaction that re-checks the duplicate."""
    if draft.shared_by is not None:
        await check_cooldown(db, draft.guild_id, draft.shared_by, now, cooldown_seconds)
    await check_new(db, draft)
    title, description = draft.title, draft.description
    if title is None and fetcher is not None:
        info = None
        try:
            info = await fetcher(draft.url)
        except Exception:  # a preview is a nicety: never lose the share for it
            log.warning("link preview failed for %s", draft.url, exc_info=True)
        if info is not None:
            title = _safe_fetched(info.title, MAX_TITLE)
            if not description:
                description = _safe_fetched(info.description, MAX_DESCRIPTION) or ""
    return await _insert(db, draft, title or draft.url[:MAX_TITLE], description, now, source="discord")


def _safe_fetched(value: str | None, limit: int) -> str | None:
    """Text from a web page: cleaned, mentions neutralised (it is not the member's text to refuse)."""
    text = clean_text(value)
    if not text:
        return None
    text = _MENTION.sub(lambda m: m.group(0).replace("@", "@\u200b"), text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


async def _insert(
    db: Database, draft: Draft, title: str, description: str, now: dt.datetime, *, source: str
) -> Resource:
    try:
        async with db.transaction():
            existing = await find_live_by_url(db, draft.guild_id, draft.url_key)
            if existing is not None:
                raise DuplicateResource(existing)
            result = await db.execute(
                "INSERT INTO resources (guild_id, url, url_key, site, title, description, kind, themes, "
                "author_id, shared_by, source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    draft.guild_id,
                    draft.url,
                    draft.url_key,
                    draft.site,
                    title,
                    description,
                    draft.kind,
                    ", ".join(draft.themes),
                    draft.author_id,
                    draft.shared_by,
                    source,
                    timeutil.to_db(now),
                ),
            )
            resource_id = result.lastrowid
            await _write_themes(db, draft.guild_id, resource_id, draft.themes)
    except sqlite3.IntegrityError:
        # Another share of the same link won the race between our check and our insert.
        existing = await find_live_by_url(db, draft.guild_id, draft.url_key)
        if existing is None:
            raise
        raise DuplicateResource(existing) from None
    forget_guilds(db)  # the search's "single guild" shortcut must notice a new guild at once
    return await get(db, draft.guild_id, resource_id)


async def _write_themes(db: Database, guild_id: int, resource_id: int, themes: Sequence[str]) -> None:
    await db.execute("DELETE FROM resource_themes WHERE resource_id = ?", (resource_id,))
    if themes:
        await db.executemany(
            "INSERT OR IGNORE INTO resource_themes (guild_id, resource_id, theme_key, theme) VALUES (?, ?, "
            "?, ?)",
            [(guild_id, resource_id, fold(t), t) for t in themes],
        )


async def set_announcement(
    db: Database,
    guild_id: int,
    resource_id: int,
    *,
    channel_id: int,
    message_id: int,
    thread_id: int | None = None,
) -> None:
    await db.execute(
        "UPDATE resources SET channel_id = ?, message_id = ?, thread_id = ? WHERE guild_id = ? AND id = ?",
        (channel_id, message_id, thread_id, guild_id, resource_id),
    )


# -- votes ------------------------------------------------------------------------------------------
async def toggle_vote(
    db: Database, guild_id: int, resource_id: int, user_id: int, now: dt.datetime
) -> VoteResult:
    """« Utile »: one vote per member; pressing again takes it back. One transaction."""
    async with db.transaction():
        resource = await get(db, guild_id, resource_id)
        removed = await db.execute(
            "DELETE FROM resource_votes WHERE resource_id = ? AND user_id = ?", (resource_id, user_id)
        )
        voted = removed.rowcount == 0
        if voted:
            await db.execute(
                "INSERT INTO resource_votes (guild_id, resource_id, user_id, created_at) VALUES (?, ?, ?, ?)",
                (guild_id, resource_id, user_id, timeutil.to_db(now)),
            )
        count = await db.fetchval("SELECT COUNT(*) FROM resource_votes WHERE resource_id = ?", (resource_id,))
        await db.execute(
            "UPDATE resources SET useful_count = ?, boost = ?, tier = ? WHERE id = ?",
            (count, boost_for(count), tier_for(count), resource_id),
        )
    return VoteResult(resource, voted, count)


async def has_voted(db: Database, resource_id: int, user_id: int) -> bool:
    return bool(
        await db.fetchval(
            "SELECT 1 FROM resource_votes WHERE resource_id = ? AND user_id = ?", (resource_id, user_id)
        )
    )


# -- edit and removal -------------------------------------------------------------------------------
def _require_owner_or_moderator(resource: Resource, actor_id: int, is_moderator: bool) -> None:
    if not is_moderator and actor_id not in (resource.author_id, resource.shared_by):
        raise NotAllowed("resources.not_yours", id=resource.id)


async def edit(
    db: Database,
    guild_id: int,
    resource_id: int,
    *,
    actor_id: int,
    is_moderator: bool,
    title: str | None,
    description: str | None,
    themes: str | Iterable[str] | None,
    kind: str | None,
    now: dt.datetime,
) -> Resource:
    resource = await get(db, guild_id, resource_id)
    _require_owner_or_moderator(resource, actor_id, is_moderator)
    new_title = clean_title(title)
    if new_title is None:
        raise UserError("resources.input.title_required")
    new_description = clean_description(description)
    new_themes = parse_themes(themes)
    new_kind = parse_kind(kind)
    async with db.transaction():
        await db.execute(
            "UPDATE resources SET title = ?, description = ?, themes = ?, kind = ?, updated_at = ? "
            "WHERE guild_id = ? AND id = ? AND removed_at IS NULL",
            (
                new_title,
                new_description,
                ", ".join(new_themes),
                new_kind,
                timeutil.to_db(now),
                guild_id,
                resource_id,
            ),
        )
        await _write_themes(db, guild_id, resource_id, new_themes)
    return await get(db, guild_id, resource_id)


async def remove(
    db: Database, guild_id: int, resource_id: int, *, actor_id: int, is_moderator: bool, now: dt.datetime
) -> Resource:
    """Soft delete: the row stays (for the record) but leaves the library, search and listings."""
    resource = await get(db, guild_id, resource_id)
    _require_owner_or_moderator(resource, actor_id, is_moderator)
    await db.execute(
        "UPDATE resources SET removed_at = ?, removed_by = ? WHERE guild_id = ? AND id = ? AND removed_at IS "
        "NULL",
        (timeutil.to_db(now), actor_id, guild_id, resource_id),
    )
    return await get(db, guild_id, resource_id, include_removed=True)


# -- listings ---------------------------------------------------------------------------------------
async def recent(db: Database, guild_id: int, limit: int = 10) -> list[Resource]:
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM resources WHERE guild_id = ? AND removed_at IS NULL "
        "ORDER BY created_at DESC, id DESC LIMIT ?",
        (guild_id, limit),
    )
    return [_resource(r) for r in rows]


PERIOD_DAYS = {"semaine": 7, "mois": 30, "annee": 365, "tout": None}


async def popular(
    db: Database, guild_id: int, *, now: dt.datetime, period: str = "mois", limit: int = 10
) -> list[Popular]:
    """Resources ranked by « Utile » votes cast during the period (all time: current count)."""
    if period not in PERIOD_DAYS:
        raise UserError("resources.input.unknown_period", value=period[:20])
    days = PERIOD_DAYS[period]
    since = timeutil.to_db(now - dt.timedelta(days=days)) if days else None
    if since is None:
        rows = await db.fetchall(
            f"SELECT {_COLUMNS}, useful_count FROM resources WHERE guild_id = ? AND removed_at IS NULL "
            "AND useful_count > 0 ORDER BY useful_count DESC, id DESC LIMIT ?",
            (guild_id, limit),
        )
    else:
        rows = await db.fetchall(
            f"SELECT {', '.join('r.' + c.strip() for c in _COLUMNS.split(','))}, v.n FROM resources r "
            "JOIN (SELECT resource_id, COUNT(*) AS n FROM resource_votes WHERE guild_id = ? AND created_at "
            ">= ? "
            "GROUP BY resource_id) v ON v.resource_id = r.id "
            "WHERE r.removed_at IS NULL ORDER BY v.n DESC, r.useful_count DESC, r.id DESC LIMIT ?",
            (guild_id, since, limit),
        )
    return [Popular(_resource(r), r[18]) for r in rows]


async def theme_suggestions(
    db: Database, guild_id: int, typed: str, defaults: Sequence[str], limit: int = 25
) -> list[str]:
    """Themes for autocomplete: used ones (most used first) then the default list, matching ``typed``."""
    key = fold(typed.strip())
    rows = await db.fetchall(
        "SELECT theme, COUNT(*) AS n FROM resource_themes t JOIN resources r ON r.id = t.resource_id "
        "WHERE t.guild_id = ? AND r.removed_at IS NULL GROUP BY t.theme_key ORDER BY n DESC LIMIT 200",
        (guild_id,),
    )
    seen: set[str] = set()
    out: list[str] = []
    for theme in [r[0] for r in rows] + list(defaults):
        folded = fold(theme)
        if folded in seen or (key and key not in folded):
            continue
        seen.add(folded)
        out.append(theme)
    out.sort(key=lambda t: not fold(t).startswith(key))  # stable: prefix matches first
    return out[:limit]


async def search(
    db: Database,
    guild_id: int,
    query: str,
    *,
    kind: str | None = None,
    theme: str | None = None,
    page: int = 0,
    page_size: int = 5,
) -> SearchPage:
    if kind:
        kind = parse_kind(kind)
    result: SearchResult = await search_ids(
        db, guild_id, query, kind=kind, theme=theme, page=page, page_size=page_size
    )
    found = await get_many(db, guild_id, result.ids)
    return SearchPage(tuple(found), result.page, result.has_next, result.total, result.exact)


# -- weekly digest ----------------------------------------------------------------------------------
def next_digest_at(now: dt.datetime, zone_name: str, weekday: int, hour: int) -> dt.datetime:
    """The next ``weekday`` (0 = Monday) at ``hour``:00 local time strictly after ``now`` (UTC)."""
    tz = timeutil.zone(zone_name)
    local = now.astimezone(tz)
    days = (weekday - local.weekday()) % 7
    candidate = dt.datetime.combine(local.date() + dt.timedelta(days=days), dt.time(hour), tzinfo=tz)
    if candidate <= local:
        candidate = dt.datetime.combine(candidate.date() + dt.timedelta(days=7), dt.time(hour), tzinfo=tz)
    return candidate.astimezone(timeutil.UTC)


def period_of(moment: dt.datetime, zone_name: str) -> str:
    year, week, _ = moment.astimezone(timeutil.zone(zone_name)).isocalendar()
    return f"{year}-W{week:02d}"


async def digest_plan(
    db: Database, guild_id: int, *, now: dt.datetime, zone_name: str, limit: int = 5
) -> DigestPlan:
    """The week's most useful new resources (created in the 7 days before ``now``)."""
    start = now - dt.timedelta(days=7)
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM resources WHERE guild_id = ? AND removed_at IS NULL "
        "AND created_at >= ? AND created_at < ? ORDER BY useful_count DESC, created_at DESC LIMIT ?",
        (guild_id, timeutil.to_db(start), timeutil.to_db(now), limit),
    )
    return DigestPlan(period_of(now, zone_name), start, now, tuple(_resource(r) for r in rows))


async def claim_digest(db: Database, guild_id: int, period: str, now: dt.datetime) -> bool:
    """True once per (guild, period): the timer may fire twice after a crash, the digest posts once."""
    result = await db.execute(
        "INSERT OR IGNORE INTO resource_digests (guild_id, period, posted_at) VALUES (?, ?, ?)",
        (guild_id, period, timeutil.to_db(now)),
    )
    return result.rowcount == 1


async def release_digest(db: Database, guild_id: int, period: str) -> None:
    """Posting failed: let a retry post it."""
    await db.execute(
        "DELETE FROM resource_digests WHERE guild_id = ? AND period = ? AND message_id IS NULL",
        (guild_id, period),
    )


async def record_digest_message(db: Database, guild_id: int, period: str, message_id: int) -> None:
    await db.execute(
        "UPDATE resource_digests SET message_id = ? WHERE guild_id = ? AND period = ?",
        (message_id, guild_id, period),
    )


async def schedule_digest(timers, guild_id: int, due_at: dt.datetime) -> None:
    """One pending digest timer per guild (same key replaces)."""
    await timers.schedule(guild_id, DIGEST_KIND, due_at, {}, key=f"resources:digest:{guild_id}")


async def guilds_with_library_channel(db: Database) -> list[int]:
    rows = await db.fetchall("SELECT guild_id FROM guild_channels WHERE purpose = 'ressources'")
    return [r[0] for r in rows]
