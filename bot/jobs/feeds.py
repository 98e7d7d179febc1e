"""RSS/Atom job feeds: fetch politely, parse with feedparser, import new entries as offers.

* Only the http(s) URLs listed in ``config/jobs.yaml`` are fetched; loopback, link-local and
  unspecified addresses are refused (even through a redirect) unless
  ``features.allow_loopback_urls`` is true (tests and the sandbox).
* Conditional GET: the ETag and Last-Modified of the last answer are sent back, and a
  ``304 Not Modified`` costs nothing more.
* An entry is new when neither its guid nor its normalised link was seen in this guild (a link
  already shared by a member counts as seen too).
* The whole body is read (up to ``MAX_FEED_BYTES``), however the server chunks it, and parsed in
  a worker thread: feedparser on a 5 MB document would otherwise stall the bot.
* At most ``max_new_per_poll`` entries become offers per feed and poll, oldest first (by date, or
  by place in the feed when undated, feeds listing the newest first); the rest are left unseen and
  the conditional-GET state is not saved, so the next poll reads them. Never 500 cards at once.
* A feed that fails is reported once (``became_broken``) and again only when it works again
  (``recovered``); the caller posts both to the mod-log channel.

Discord-free: ``poll_guild`` returns reports; the cog or the CLI decides what to post or print.
"""

from __future__ import annotations

import asyncio
import calendar
import datetime as dt
import hashlib
import html
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import aiohttp
import feedparser

from bot.core import netguard, timeutil
from bot.core.db import Database
from bot.core.errors import UserError
from bot.core.urls import normalize_url, validate_http_url
from bot.jobs import offers
from bot.jobs.config import FeedConfig, JobsConfig
from bot.jobs.text import fold

log = logging.getLogger(__name__)

# One timer polls every feed of every guild (handler in cogs/jobs.py).
KIND_FEEDS = "jobs.feeds"
FEEDS_TIMER_GUILD = 0
FEEDS_TIMER_KEY = "jobs:feeds"

MAX_FEED_BYTES = 5 * 1024 * 1024
READ_CHUNK = 64 * 1024
DEFAULT_MAX_NEW_PER_POLL = 20
MAX_REDIRECTS = 3
USER_AGENT = "Relais/0.1 (bot communautaire; lecture de flux d'offres)"


class FeedError(Exception):
    """The feed could not be read; the message is shown to moderators in the mod-log."""


@dataclass(frozen=True, slots=True)
class FeedEntry:
    guid: str
    title: str
    link: str | None
    summary: str
    author: str | None
    published: float | None = None  # UTC epoch seconds of the entry's date, when the feed gives one


@dataclass(frozen=True, slots=True)
class FetchResult:
    not_modified: bool
    entries: tuple[FeedEntry, ...]
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True, slots=True)
class FeedReport:
    feed: FeedConfig
    status: str  # "ok", "not_modified" or "error"
    new_offers: tuple[offers.Offer, ...] = ()
    seen: int = 0  # entries already known (guid or link)
    filtered: int = 0  # entries without any of the feed's keywords
    rejected: int = 0  # entries that are not usable offers (no title, bad link…)
    deferred: int = 0  # new entries left for the next polls (over max_new_per_poll)
    error: str | None = None
    became_broken: bool = False  # first failure after working: report it once
    recovered: bool = False  # first success after a failure: report it once


# -- fetching ---------------------------------------------------------------------------------------------
async def check_url_allowed(url: str, *, allow_loopback: bool) -> None:
    """Refuse non-http(s) URLs and literal addresses of the bot's network; names are checked after
    DNS resolution by the session's resolver (``bot.netguard``)."""
    try:
        validate_http_url(url)
    except UserError as exc:
        raise FeedError(f"adresse refusée ({exc.key.rsplit('.', 1)[-1]}) : {url[:200]}") from None
    host = urlsplit(url).hostname or ""
    literal = netguard.literal_ip(host)
    if (literal and not netguard.address_allowed(literal, allow_loopback=allow_loopback)) or (
        host.lower() == "localhost" and not allow_loopback
    ):
        raise FeedError(f"adresse locale refusée : {host}")


async def fetch(
    session: aiohttp.ClientSession,
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout_seconds: float = 20.0,
    allow_loopback: bool = False,
) -> FetchResult:
    """One conditional GET (redirects followed by hand, each hop checked); raises FeedError."""
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    current = url
    try:
        async with asyncio.timeout(timeout_seconds):
            for _ in range(MAX_REDIRECTS + 1):
                await check_url_allowed(current, allow_loopback=allow_loopback)
                async with session.get(current, headers=headers, allow_redirects=False) as response:
                    if response.status in (301, 302, 303, 307, 308) and "Location" in response.headers:
                        current = urljoin(current, response.headers["Location"])
                        continue
                    if response.status == 304:
                        return FetchResult(True, (), etag, last_modified)
                    if response.status != 200:
                        raise FeedError(f"réponse HTTP {response.status}")
                    body = await _read_body(response)
                    etag, last_modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
                    break
            else:
                raise FeedError("trop de redirections")
    except TimeoutError:
        raise FeedError(f"pas de réponse en {timeout_seconds:g} s") from None
    except netguard.BlockedAddress:
        raise FeedError(f"adresse locale refusée : {urlsplit(current).hostname}") from None
    except aiohttp.ClientError as exc:
        if netguard.is_blocked(exc):
            raise FeedError(f"adresse locale refusée : {urlsplit(current).hostname}") from None
        raise FeedError(f"connexion impossible ({type(exc).__name__})") from None
    # feedparser is pure Python: a large document would block every other event of the bot.
    entries = await asyncio.to_thread(parse, body)
    return FetchResult(False, entries, etag, last_modified)


async def _read_body(response: aiohttp.ClientResponse) -> bytes:
    """The whole body, however the server chunks it; FeedError past ``MAX_FEED_BYTES``.
    (``content.read(n)`` returns only what is buffered: a 318 KB feed sent in 8 KB chunks lost
    most of its entries.)"""
    too_big = FeedError(f"flux trop volumineux (plus de {MAX_FEED_BYTES // (1024 * 1024)} Mo)")
    if response.content_length is not None and response.content_length > MAX_FEED_BYTES:
        raise too_big
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(READ_CHUNK):
        size += len(chunk)
        if size > MAX_FEED_BYTES:
            raise too_big
        chunks.append(chunk)
    return b"".join(chunks)


def _entry_date(entry: dict) -> float | None:
    moment = entry.get("published_parsed") or entry.get("updated_parsed")
    try:
        return float(calendar.timegm(moment)) if moment else None
    except (TypeError, ValueError, OverflowError):
        return None


_TAG = re.compile(r"<[^>]+>")
_MASS = re.compile(r"@(everyone|here)\b", re.IGNORECASE)
_ROLE = re.compile(r"<@&\d+>")


def plain_text(value: str) -> str:
    """Feed HTML → plain text; mass mentions neutralised (the text is shown on Discord)."""
    text = html.unescape(_TAG.sub(" ", re.sub(r"(?i)<br\s*/?>|</p>", "\n", value or "")))
    text = _ROLE.sub("", _MASS.sub(lambda m: "@\u200b" + m[1], text))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line).strip()


def parse(body: bytes) -> tuple[FeedEntry, ...]:
    """RSS 2.0 or Atom → entries; raises FeedError when the document is not a readable feed."""
    parsed = feedparser.parse(body)
    if not parsed.get("version") and not parsed.entries:
        reason = getattr(parsed.get("bozo_exception"), "getMessage", lambda: "format non reconnu")()
        raise FeedError(f"flux illisible : {str(reason)[:200]}")
    found: list[FeedEntry] = []
    for entry in parsed.entries:
        title = plain_text(entry.get("title", ""))
        link = (entry.get("link") or "").strip() or None
        summary = plain_text(entry.get("summary", "") or entry.get("description", ""))
        guid = (entry.get("id") or link or "").strip()
        if not guid:
            guid = "sha1:" + hashlib.sha1(f"{title}\n{summary}".encode()).hexdigest()
        found.append(
            FeedEntry(
                guid[:500],
                title,
                link,
                summary,
                plain_text(entry.get("author", "")) or None,
                _entry_date(entry),
            )
        )
    return tuple(found)


# -- importing --------------------------------------------------------------------------------------------
def _entry_input(entry: FeedEntry, feed: FeedConfig) -> offers.OfferInput:
    def cut(text: str, limit: int) -> str:
        return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"

    return offers.OfferInput(
        title=cut(entry.title, offers.LIMITS["title"]),
        employer=cut(entry.author or feed.name, offers.LIMITS["employer"]),
        region=feed.region,
        contract=feed.contract,
        link=entry.link,
        missions=cut(entry.summary, offers.LIMITS["missions"]),
    )


def _matches_keywords(entry: FeedEntry, feed: FeedConfig) -> bool:
    if not feed.keywords:
        return True
    padded = f" {fold(entry.title + ' ' + entry.summary)} "
    return any(f" {fold(k)} " in padded for k in feed.keywords)


async def _state(db: Database, guild_id: int, url: str) -> tuple[str | None, str | None, float | None]:
    row = await db.fetchone(
        "SELECT etag, last_modified, broken_since FROM job_feed_state WHERE guild_id = ? AND url = ?",
        (guild_id, url),
    )
    return (row["etag"], row["last_modified"], row["broken_since"]) if row else (None, None, None)


def _entry_link_norm(entry: FeedEntry) -> str | None:
    if not entry.link:
        return None
    try:
        return normalize_url(validate_http_url(entry.link))
    except UserError:
        return None


async def _seen(db: Database, guild_id: int, entry: FeedEntry, link_norm: str | None) -> bool:
    return bool(
        await db.fetchval(
            "SELECT 1 FROM job_feed_items WHERE guild_id = ? AND (guid = ? OR (? IS NOT NULL AND link_norm = "
            "?))"
            " UNION ALL SELECT 1 FROM job_offers WHERE guild_id = ? AND ? IS NOT NULL AND link_norm = ? "
            "LIMIT 1",
            (guild_id, entry.guid, link_norm, link_norm, guild_id, link_norm, link_norm),
        )
    )


def _oldest_first(entries: tuple[FeedEntry, ...]) -> list[FeedEntry]:
    """By date when every entry has one; otherwise by place, feeds listing the newest first."""
    if entries and all(e.published is not None for e in entries):
        return sorted(entries, key=lambda e: e.published or 0.0)
    return list(reversed(entries))


async def _import_entry(
    db: Database,
    guild_id: int,
    feed: FeedConfig,
    entry: FeedEntry,
    config: JobsConfig,
    *,
    now: dt.datetime,
    publish_now: bool,
    default_expiry_days: int,
) -> tuple[str, offers.Offer | None]:
    """ "new" with the offer, or "seen"/"filtered"/"rejected"; one transaction per entry."""
    link_norm = _entry_link_norm(entry)
    stamp = timeutil.to_db(now)
    async with db.transaction():
        seen = await _seen(db, guild_id, entry, link_norm)
        if seen:
            await db.execute(
                "INSERT OR IGNORE INTO job_feed_items (guild_id, guid, link_norm, feed_url, seen_at) VALUES "
                "(?, ?, ?, ?, ?)",
                (guild_id, entry.guid, link_norm, feed.url, stamp),
            )
            return "seen", None
        outcome, offer = "rejected", None
        if not _matches_keywords(entry, feed):
            outcome = "filtered"
        else:
            try:
                clean = offers.validate(_entry_input(entry, feed), config, now, from_feed=True)
            except UserError as exc:
                log.info("feed %s entry %s not imported: %s", feed.name, entry.guid, exc.key)
            else:
                offer = await offers.submit_offer(
                    db,
                    guild_id,
                    clean,
                    submitter_id=None,
                    publish_now=publish_now,
                    now=now,
                    default_expiry_days=default_expiry_days,
                    source=feed.name,
                )
                outcome = "new"
        await db.execute(
            "INSERT OR IGNORE INTO job_feed_items (guild_id, guid, link_norm, feed_url, offer_id, seen_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (guild_id, entry.guid, link_norm, feed.url, offer.id if offer else None, stamp),
        )
    return outcome, offer


Fetcher = Callable[..., Awaitable[FetchResult]]


async def poll_feed(
    db: Database,
    guild_id: int,
    feed: FeedConfig,
    config: JobsConfig,
    *,
    session: aiohttp.ClientSession,
    now: dt.datetime,
    timeout_seconds: float,
    allow_loopback: bool,
    publish_now: bool,
    default_expiry_days: int,
    max_new_per_poll: int = DEFAULT_MAX_NEW_PER_POLL,
) -> FeedReport:
    etag, last_modified, broken_since = await _state(db, guild_id, feed.url)
    stamp = timeutil.to_db(now)
    try:
        result = await fetch(
            session,
            feed.url,
            etag=etag,
            last_modified=last_modified,
            timeout_seconds=timeout_seconds,
            allow_loopback=allow_loopback,
        )
    except FeedError as exc:
        await db.execute(
            "INSERT INTO job_feed_state (guild_id, url, broken_since, last_error, last_polled_at) VALUES (?, "
            "?, ?, ?, ?)"
            " ON CONFLICT (guild_id, url) DO UPDATE SET broken_since = COALESCE(broken_since, "
            "excluded.broken_since),"
            " last_error = excluded.last_error, last_polled_at = excluded.last_polled_at",
            (guild_id, feed.url, stamp, str(exc), stamp),
        )
        log.warning("feed %s (%s) failed for guild %s: %s", feed.name, feed.url, guild_id, exc)
        return FeedReport(feed, "error", error=str(exc), became_broken=broken_since is None)

    counts = {"new": 0, "seen": 0, "filtered": 0, "rejected": 0}
    imported: list[offers.Offer] = []
    entries = list(result.entries)
    unseen = {e.guid for e in entries if not await _seen(db, guild_id, e, _entry_link_norm(e))}
    deferred = 0
    if len(unseen) > max_new_per_poll or all(e.published is not None for e in entries):
        # Announced in the order they were published; when there are too many at once, the
        # oldest now and the others on the next polls (they stay unseen).
        entries = _oldest_first(result.entries)
    for entry in entries:
        if counts["new"] >= max_new_per_poll:
            deferred = sum(1 for e in entries[entries.index(entry) :] if e.guid in unseen)
            break
        outcome, offer = await _import_entry(
            db,
            guild_id,
            feed,
            entry,
            config,
            now=now,
            publish_now=publish_now,
            default_expiry_days=default_expiry_days,
        )
        counts[outcome] += 1
        if offer is not None:
            imported.append(offer)
    await db.execute(
        "INSERT INTO job_feed_state (guild_id, url, etag, last_modified, broken_since, last_error, "
        "last_ok_at,"
        " last_polled_at) VALUES (?, ?, ?, ?, NULL, NULL, ?, ?)"
        " ON CONFLICT (guild_id, url) DO UPDATE SET etag = excluded.etag, last_modified = "
        "excluded.last_modified,"
        " broken_since = NULL, last_error = NULL, last_ok_at = excluded.last_ok_at,"
        " last_polled_at = excluded.last_polled_at",
        # Entries left for later: no conditional GET next time, or a 304 would hide them for good.
        (
            guild_id,
            feed.url,
            None if deferred else result.etag,
            None if deferred else result.last_modified,
            stamp,
            stamp,
        ),
    )
    if deferred:
        log.info("feed %s: %s new entries left for the next polls (guild=%s)", feed.name, deferred, guild_id)
    return FeedReport(
        feed,
        "not_modified" if result.not_modified else "ok",
        tuple(imported),
        counts["seen"],
        counts["filtered"],
        counts["rejected"],
        deferred=deferred,
        recovered=broken_since is not None,
    )


async def poll_guild(
    db: Database,
    guild_id: int,
    config: JobsConfig,
    *,
    now: dt.datetime,
    timeout_seconds: float = 20.0,
    allow_loopback: bool = False,
    publish_now: bool = False,
    default_expiry_days: int = 60,
    session: aiohttp.ClientSession | None = None,
    max_new_per_poll: int = DEFAULT_MAX_NEW_PER_POLL,
) -> list[FeedReport]:
    """Poll every configured feed for one guild, one after the other (feeds are few and slow)."""
    own = session is None
    session = session or netguard.guarded_session(allow_loopback=allow_loopback)
    try:
        return [
            await poll_feed(
                db,
                guild_id,
                feed,
                config,
                session=session,
                now=now,
                timeout_seconds=timeout_seconds,
                allow_loopback=allow_loopback,
                publish_now=publish_now,
                default_expiry_days=default_expiry_days,
                max_new_per_poll=max_new_per_poll,
            )
            for feed in config.feeds
        ]
    finally:
        if own:
            await session.close()


@dataclass(frozen=True, slots=True)
class FeedProbe:
    feed: FeedConfig
    entries: int | None  # entries read; None when the feed could not be read
    error: str | None = None  # French, from FeedError


async def probe(
    session: aiohttp.ClientSession,
    feed: FeedConfig,
    *,
    timeout_seconds: float = 5.0,
    allow_loopback: bool = False,
) -> FeedProbe:
    """Can this feed be read now? One plain GET through the same guards as polling; nothing stored,
    nothing imported, so the diagnostic may run it as often as it likes."""
    try:
        result = await fetch(
            session, feed.url, timeout_seconds=timeout_seconds, allow_loopback=allow_loopback
        )
    except FeedError as exc:
        return FeedProbe(feed, None, str(exc))
    return FeedProbe(feed, len(result.entries))


async def guilds_with_jobs_channel(db: Database) -> list[int]:
    """Guilds where imported offers can go: those with a jobs channel configured."""
    rows = await db.fetchall("SELECT guild_id FROM guild_channels WHERE purpose = 'offres' ORDER BY guild_id")
    return [r[0] for r in rows]
