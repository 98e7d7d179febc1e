"""Job alerts: members subscribe by region, contract and keywords; each published offer is
matched once and sent at once by DM or gathered into a daily digest. Discord-free.

Alerts are matched through an in-memory index keyed by (region, contract) with a keyword
token index inside each bucket, rebuilt only when ``job_subscription_versions`` changes (a
trigger bumps it), so matching an offer costs the size of its answer, not the number of
subscriptions.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.core import timeutil
from bot.core.db import Database
from bot.core.errors import UserError
from bot.core.timers import TimerService
from bot.jobs.offers import OFFER_COLUMNS, Offer, offer_from_row
from bot.jobs.text import canonical, fold

log = logging.getLogger(__name__)

# -- timer kinds (handlers live in cogs/jobs.py) ------------------------------------------------------
KIND_ALERTS = "jobs.alerts"  # send the immediate alert DMs of one offer
KIND_DIGEST = "jobs.digest"  # the daily digest of one guild

RHYTHMS = ("immediat", "quotidien")
MAX_DM_FAILURES = 3
MAX_KEYWORDS = 20
MAX_KEYWORD_LENGTH = 50


# -- alert subscriptions ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Subscription:
    guild_id: int
    user_id: int
    regions: tuple[str, ...]
    contracts: tuple[str, ...]
    keywords: tuple[str, ...]
    rhythm: str
    dm_failures: int = 0

    @property
    def paused(self) -> bool:
        return self.dm_failures >= MAX_DM_FAILURES


def _split(value: str) -> tuple[str, ...]:
    return tuple(v for v in value.split("|") if v)


def _subscription(row: Any) -> Subscription:
    return Subscription(
        row["guild_id"],
        row["user_id"],
        _split(row["regions"]),
        _split(row["contracts"]),
        _split(row["keywords"]),
        row["rhythm"],
        row["dm_failures"],
    )


_ANY_WORDS = {"tout", "toutes", "tous", "toute", "any", "all", "*"}


def parse_names(text: str | None, allowed: Sequence[str], kind: str) -> tuple[str, ...] | None:
    """A comma-separated list of regions or contracts; None when not given; () means "any"."""
    if text is None:
        return None
    parts = [p.strip() for p in re.split(r"[,;]", text) if p.strip()]
    if not parts or any(fold(p) in _ANY_WORDS for p in parts):
        return ()
    found: list[str] = []
    for part in parts:
        name = canonical(part, allowed)
        if name is None:
            raise UserError(f"jobs.alerts.unknown_{kind}", value=part[:60], choices=", ".join(allowed))
        if name not in found:
            found.append(name)
    return tuple(found)


def parse_keywords(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    parts = [p.strip() for p in re.split(r"[,;]", text) if p.strip()]
    if any(fold(p) in _ANY_WORDS for p in parts):
        return ()
    if len(parts) > MAX_KEYWORDS:
        raise UserError("jobs.alerts.too_many_keywords", limit=MAX_KEYWORDS)
    found: list[str] = []
    for part in parts:
        if len(part) > MAX_KEYWORD_LENGTH or not fold(part):
            raise UserError("jobs.alerts.bad_keyword", value=part[:60], limit=MAX_KEYWORD_LENGTH)
        if fold(part) not in (fold(k) for k in found):
            found.append(part.replace("|", " "))
    return tuple(found)


async def get_subscription(db: Database, guild_id: int, user_id: int) -> Subscription | None:
    row = await db.fetchone(
        "SELECT * FROM job_subscriptions WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
    )
    return None if row is None else _subscription(row)


async def set_subscription(
    db: Database,
    guild_id: int,
    user_id: int,
    *,
    regions: tuple[str, ...] | None,
    contracts: tuple[str, ...] | None,
    keywords: tuple[str, ...] | None,
    rhythm: str | None,
    now: dt.datetime,
) -> Subscription:
    """Create or change a subscription; ``None`` keeps the current value. Resets paused DMs."""
    if rhythm is not None and rhythm not in RHYTHMS:
        raise UserError("jobs.alerts.bad_rhythm", value=rhythm[:20])
    async with db.transaction():
        current = await get_subscription(db, guild_id, user_id)
        base = current or Subscription(guild_id, user_id, (), (), (), "immediat")
        new = Subscription(
            guild_id,
            user_id,
            base.regions if regions is None else regions,
            base.contracts if contracts is None else contracts,
            base.keywords if keywords is None else keywords,
            base.rhythm if rhythm is None else rhythm,
            0,
        )
        stamp = timeutil.to_db(now)
        await db.execute(
            "INSERT INTO job_subscriptions (guild_id, user_id, regions, contracts, keywords, rhythm, "
            "dm_failures,"
            " dm_closed_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, NULL, ?, ?)"
            " ON CONFLICT (guild_id, user_id) DO UPDATE SET regions = excluded.regions,"
            " contracts = excluded.contracts, keywords = excluded.keywords, rhythm = excluded.rhythm,"
            " dm_failures = 0, dm_closed_at = NULL, updated_at = excluded.updated_at",
            (
                guild_id,
                user_id,
                "|".join(new.regions),
                "|".join(new.contracts),
                "|".join(new.keywords),
                new.rhythm,
                stamp,
                stamp,
            ),
        )
        # A resumed subscription must be seen by the index even when its filters did not change.
        await db.execute(
            "INSERT INTO job_subscription_versions (guild_id, version) VALUES (?, 1)"
            " ON CONFLICT (guild_id) DO UPDATE SET version = version + 1",
            (guild_id,),
        )
    return new


async def delete_subscription(db: Database, guild_id: int, user_id: int) -> bool:
    result = await db.execute(
        "DELETE FROM job_subscriptions WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
    )
    return result.rowcount > 0


async def record_dm_result(
    db: Database, guild_id: int, user_id: int, *, delivered: bool, now: dt.datetime
) -> bool:
    """Remember a refused DM; after MAX_DM_FAILURES in a row, alerts pause (True) until the member
    runs /offre alertes again. A delivered DM resets the count."""
    if delivered:
        await db.execute(
            "UPDATE job_subscriptions SET dm_failures = 0, dm_closed_at = NULL"
            " WHERE guild_id = ? AND user_id = ? AND dm_failures > 0",
            (guild_id, user_id),
        )
        return False
    async with db.transaction():
        failures = await db.fetchval(
            "UPDATE job_subscriptions SET dm_failures = dm_failures + 1, dm_closed_at = ?"
            " WHERE guild_id = ? AND user_id = ? RETURNING dm_failures",
            (timeutil.to_db(now), guild_id, user_id),
        )
        paused = failures is not None and failures >= MAX_DM_FAILURES
        if paused:
            await db.execute(
                "INSERT INTO job_subscription_versions (guild_id, version) VALUES (?, 1)"
                " ON CONFLICT (guild_id) DO UPDATE SET version = version + 1",
                (guild_id,),
            )
            # Nothing more will be sent: drop what was waiting for the digest.
            await db.execute(
                "UPDATE job_alerts SET state = 'dropped' WHERE guild_id = ? AND user_id = ? AND state = "
                "'pending'",
                (guild_id, user_id),
            )
    if paused:
        log.info("alerts paused for user %s in guild %s after %s refused DMs", user_id, guild_id, failures)
    return paused


# -- alert matching ---------------------------------------------------------------------------------------
ANY = "*"


@dataclass(slots=True)
class _Bucket:
    plain: dict[int, str] = field(default_factory=dict)  # user → rhythm, no keyword
    # first token of a keyword → (user → rhythm for one-word keywords, phrase → user → rhythm for longer
    # ones): each phrase is looked for once per offer and its members merged in C, not one by one.
    by_token: dict[str, tuple[dict[int, str], dict[str, dict[int, str]]]] = field(default_factory=dict)


class AlertIndex:
    """Subscriptions indexed by (region, contract), then by the first token of each keyword.

    A subscription lands in exactly one of the four buckets (r, c), (r, *), (*, c), (*, *) for any
    offer, so ``match`` unions four small lists without de-duplicating by region or contract; a
    member with several keywords matching is de-duplicated once at the end.
    """

    def __init__(self, subscriptions: Iterable[Subscription]) -> None:
        self._buckets: dict[tuple[str, str], _Bucket] = defaultdict(_Bucket)
        # (region, contract) → the members of its four buckets who have no keyword, merged once: an
        # offer's answer then starts as one copy of a dict (a block copy in C) instead of four merges.
        self._plain_by_pair: dict[tuple[str, str], dict[int, str]] = {}
        self.size = 0
        for sub in subscriptions:
            if sub.paused:
                continue
            self.size += 1
            keywords = [fold(k) for k in sub.keywords if fold(k)]
            for region in sub.regions or (ANY,):
                for contract in sub.contracts or (ANY,):
                    bucket = self._buckets[(region, contract)]
                    if not keywords:
                        bucket.plain[sub.user_id] = sub.rhythm
                        continue
                    for phrase in keywords:
                        words, longer = bucket.by_token.setdefault(phrase.split()[0], ({}, {}))
                        if " " in phrase:
                            longer.setdefault(f" {phrase} ", {})[sub.user_id] = sub.rhythm
                        else:
                            words[sub.user_id] = sub.rhythm

    def match(self, region: str, contract: str, text: str) -> dict[int, str]:
        """user id → rhythm of every subscription the offer matches."""
        folded = fold(text)
        words = set(folded.split())
        padded = f" {folded} "
        keys = ((region, contract), (region, ANY), (ANY, contract), (ANY, ANY))
        buckets = [bucket for key in keys if (bucket := self._buckets.get(key)) is not None]
        plain = self._plain_by_pair.get((region, contract))
        if plain is None:
            plain = self._plain_by_pair[(region, contract)] = {}
            for bucket in buckets:
                plain.update(bucket.plain)
        found = plain.copy()  # offers often alert hundreds: copied whole, never member by member
        for bucket in buckets:
            if not bucket.by_token:
                continue
            small, large = (
                (words, bucket.by_token) if len(words) < len(bucket.by_token) else (bucket.by_token, words)
            )
            for token in small:
                if token not in large:
                    continue
                words_only, longer = bucket.by_token[token]
                found.update(words_only)
                for phrase, members in longer.items():
                    if phrase in padded:
                        found.update(members)
        return found


def naive_match(
    subscriptions: Iterable[Subscription], region: str, contract: str, text: str
) -> dict[int, str]:
    """The obvious scan of every subscription (reference for tests and the benchmark)."""
    padded = f" {fold(text)} "
    found: dict[int, str] = {}
    for sub in subscriptions:
        if sub.paused:
            continue
        if sub.regions and region not in sub.regions:
            continue
        if sub.contracts and contract not in sub.contracts:
            continue
        if sub.keywords and not any(f" {fold(k)} " in padded for k in sub.keywords if fold(k)):
            continue
        found[sub.user_id] = sub.rhythm
    return found


async def load_subscriptions(db: Database, guild_id: int) -> list[Subscription]:
    rows = await db.fetchall("SELECT * FROM job_subscriptions WHERE guild_id = ?", (guild_id,))
    return [_subscription(r) for r in rows]


class AlertIndexCache:
    """One index per guild, rebuilt only when the subscription version moved (one tiny read)."""

    def __init__(self) -> None:
        self._cache: dict[int, tuple[int, AlertIndex]] = {}

    async def get(self, db: Database, guild_id: int) -> AlertIndex:
        # Checked for every offer: a peek (no hop to the database thread), yet it sees the writes
        # of other processes too, so a member erased by ``relais data erase`` is never alerted again.
        version = (
            await db.peek_value(
                "SELECT version FROM job_subscription_versions WHERE guild_id = ?", (guild_id,)
            )
            or 0
        )
        cached = self._cache.get(guild_id)
        if cached is not None and cached[0] == version:
            return cached[1]
        index = AlertIndex(await load_subscriptions(db, guild_id))
        self._cache[guild_id] = (version, index)
        return index


async def record_alerts(
    db: Database, offer: Offer, index: AlertIndex, now: dt.datetime
) -> dict[str, list[int]]:
    """Store who must hear about a published offer (not its own submitter); idempotent."""
    matched = index.match(offer.region, offer.contract, offer.search_text())
    matched.pop(offer.submitter_id or -1, None)
    stamp = timeutil.to_db(now)
    await db.executemany(
        "INSERT OR IGNORE INTO job_alerts (guild_id, offer_id, user_id, rhythm, created_at) VALUES (?, ?, ?, "
        "?, ?)",
        [(offer.guild_id, offer.id, user, rhythm, stamp) for user, rhythm in matched.items()],
    )
    grouped: dict[str, list[int]] = {r: [] for r in RHYTHMS}
    for user, rhythm in matched.items():
        grouped[rhythm].append(user)
    return grouped


async def pending_immediate(db: Database, guild_id: int, offer_id: int) -> list[int]:
    rows = await db.fetchall(
        "SELECT user_id FROM job_alerts WHERE guild_id = ? AND offer_id = ? AND rhythm = 'immediat'"
        " AND state = 'pending' ORDER BY user_id",
        (guild_id, offer_id),
    )
    return [r[0] for r in rows]


async def mark_alerts(
    db: Database, guild_id: int, user_id: int, offer_ids: Sequence[int], state: str, now: dt.datetime
) -> None:
    assert state in ("sent", "failed", "dropped")
    await db.executemany(
        "UPDATE job_alerts SET state = ?, sent_at = ? WHERE guild_id = ? AND offer_id = ? AND user_id = ?",
        [(state, timeutil.to_db(now), guild_id, offer_id, user_id) for offer_id in offer_ids],
    )


@dataclass(frozen=True, slots=True)
class Digest:
    user_id: int
    offers: tuple[Offer, ...]


async def digest_batches(db: Database, guild_id: int) -> list[Digest]:
    """Pending daily alerts grouped by member, one digest each; alerts for offers closed since
    are dropped (nobody needs to hear about an expired offer)."""
    async with db.transaction():
        await db.execute(
            "UPDATE job_alerts SET state = 'dropped' WHERE guild_id = ? AND rhythm = 'quotidien' AND state = "
            "'pending'"
            " AND offer_id IN (SELECT id FROM job_offers WHERE guild_id = ? AND status != 'published')",
            (guild_id, guild_id),
        )
        rows = await db.fetchall(
            f"SELECT a.user_id AS alert_user, {', '.join('o.' + c.strip() for c in OFFER_COLUMNS.split(','))}"
            " FROM job_alerts a JOIN job_offers o ON o.id = a.offer_id"
            " WHERE a.guild_id = ? AND a.rhythm = 'quotidien' AND a.state = 'pending'"
            " ORDER BY a.user_id, o.id",
            (guild_id,),
        )
    grouped: dict[int, list[Offer]] = defaultdict(list)
    for row in rows:
        grouped[row["alert_user"]].append(offer_from_row(row))
    return [Digest(user, tuple(offers)) for user, offers in grouped.items()]


def next_digest_time(now: dt.datetime, timezone: str, hour: int) -> dt.datetime:
    """The next ``hour``:00 local time strictly after ``now``."""
    tz = timeutil.zone(timezone)
    local = now.astimezone(tz)
    candidate = dt.datetime.combine(local.date(), dt.time(hour), tz)
    if candidate <= local:
        candidate = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(hour), tz)
    return candidate.astimezone(timeutil.UTC)


async def schedule_digest(
    timers: TimerService, guild_id: int, now: dt.datetime, timezone: str, hour: int
) -> dt.datetime:
    due = next_digest_time(now, timezone, hour)
    await timers.schedule(guild_id, KIND_DIGEST, due, {}, key="jobs:digest")
    return due
