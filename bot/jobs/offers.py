"""Job offers: fiches de poste submitted by members or imported from feeds, moderated, announced,
and expired on time (alerts: ``bot.jobs.alerts``). Discord-free.

Life of an offer::

    pending ──approve──▶ published ──deadline / N days──▶ expired
       │                    ├──/offre pourvue──▶ filled
       └──refuse──▶ refused └──/offre retirer──▶ withdrawn   (pending can be withdrawn too)

Members with the trusted role (and moderators) publish directly; with the moderation queue off,
everyone does. Nothing is announced while an offer is pending.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import Any

from bot.core import timeutil
from bot.core.db import Database
from bot.core.errors import NotAllowed, NotFound, UserError
from bot.core.timers import TimerService
from bot.core.urls import normalize_url, validate_http_url
from bot.jobs.config import JobsConfig
from bot.jobs.text import fold

log = logging.getLogger(__name__)

# -- timer kinds (handlers live in cogs/jobs.py) ------------------------------------------------------
KIND_PROCESS = "jobs.process"  # post the queue card or the announcement of a new/approved offer
KIND_EXPIRE = "jobs.expire"  # an offer reaches its deadline

STATUSES = ("pending", "published", "refused", "withdrawn", "expired", "filled")
OPEN_STATUSES = ("pending", "published")
VOLUNTEER_CONTRACT = "bénévolat"
INTERNSHIP_CONTRACT = "stage"
DUPLICATE_WINDOW = dt.timedelta(days=30)
MAX_DEADLINE_AHEAD = dt.timedelta(days=365)

# Discord embed limits: title 256, field value 1024, author 256, whole embed 6000.
LIMITS = {
    "title": 256,
    "employer": 256,
    "place": 256,
    "link": 1000,
    "missions": 1024,
    "profile": 1024,
    "working_time": 1024,
    "pay_status": 1024,
    "how_to_apply": 1024,
}
MAX_TOTAL = 5500  # leaves room for labels, footer and the submitter line under Discord's 6000
LONG_FIELDS = ("missions", "profile", "working_time", "pay_status", "how_to_apply")

FLAG_PAY_MISSING = "pay_missing"
FLAG_UNPAID_PEER_ROLE = "unpaid_peer_role"
FLAG_ASKS_DIAGNOSIS = "asks_diagnosis"
FLAGS = (FLAG_PAY_MISSING, FLAG_UNPAID_PEER_ROLE, FLAG_ASKS_DIAGNOSIS)


# -- the offer --------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class OfferInput:
    """What a member (or a feed) provides; ``validate`` returns a cleaned copy."""

    title: str
    employer: str
    region: str
    contract: str
    deadline: dt.datetime | None = None
    link: str | None = None
    place: str | None = None
    missions: str = ""
    profile: str = ""
    working_time: str = ""
    pay_status: str = ""
    how_to_apply: str = ""


@dataclass(frozen=True, slots=True)
class Offer:
    id: int
    guild_id: int
    status: str
    title: str
    employer: str
    region: str
    contract: str
    deadline: dt.datetime | None
    link: str | None
    place: str | None
    missions: str
    profile: str
    working_time: str
    pay_status: str
    how_to_apply: str
    flags: tuple[str, ...]
    submitter_id: int | None
    source: str | None
    created_at: dt.datetime
    published_at: dt.datetime | None
    expires_at: dt.datetime | None
    closed_at: dt.datetime | None
    moderator_id: int | None
    refusal_reason: str | None
    queue_channel_id: int | None
    queue_message_id: int | None
    announce_channel_id: int | None
    announce_message_id: int | None
    announce_thread_id: int | None
    closure_shown: bool

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def as_input(self) -> OfferInput:
        return OfferInput(
            self.title,
            self.employer,
            self.region,
            self.contract,
            self.deadline,
            self.link,
            self.place,
            self.missions,
            self.profile,
            self.working_time,
            self.pay_status,
            self.how_to_apply,
        )

    def search_text(self) -> str:
        return " ".join(
            (self.title, self.employer, self.place or "", self.missions, self.profile, self.working_time)
        )


OFFER_COLUMNS = (
    "id, guild_id, status, title, employer, region, contract, deadline, link, place, missions, profile,"
    " working_time, pay_status, how_to_apply, flags, submitter_id, source, created_at, published_at,"
    " expires_at, closed_at, moderator_id, refusal_reason, queue_channel_id, queue_message_id,"
    " announce_channel_id, announce_message_id, announce_thread_id, closure_shown"
)


def offer_from_row(row: Any) -> Offer:
    """An offer from a row selected with ``OFFER_COLUMNS``."""
    return Offer(
        id=row["id"],
        guild_id=row["guild_id"],
        status=row["status"],
        title=row["title"],
        employer=row["employer"],
        region=row["region"],
        contract=row["contract"],
        deadline=timeutil.from_db(row["deadline"]),
        link=row["link"],
        place=row["place"],
        missions=row["missions"],
        profile=row["profile"],
        working_time=row["working_time"],
        pay_status=row["pay_status"],
        how_to_apply=row["how_to_apply"],
        flags=tuple(f for f in row["flags"].split(",") if f),
        submitter_id=row["submitter_id"],
        source=row["source"],
        created_at=timeutil.from_db(row["created_at"]),
        published_at=timeutil.from_db(row["published_at"]),
        expires_at=timeutil.from_db(row["expires_at"]),
        closed_at=timeutil.from_db(row["closed_at"]),
        moderator_id=row["moderator_id"],
        refusal_reason=row["refusal_reason"],
        queue_channel_id=row["queue_channel_id"],
        queue_message_id=row["queue_message_id"],
        announce_channel_id=row["announce_channel_id"],
        announce_message_id=row["announce_message_id"],
        announce_thread_id=row["announce_thread_id"],
        closure_shown=bool(row["closure_shown"]),
    )


# -- validation ----------------------------------------------------------------------------------------
_MONTHS = {
    "janvier": 1,
    "janv": 1,
    "jan": 1,
    "fevrier": 2,
    "fevr": 2,
    "fev": 2,
    "mars": 3,
    "mar": 3,
    "avril": 4,
    "avr": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "juil": 7,
    "aout": 8,
    "septembre": 9,
    "sept": 9,
    "sep": 9,
    "octobre": 10,
    "oct": 10,
    "novembre": 11,
    "nov": 11,
    "decembre": 12,
    "dec": 12,
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
}
_MASS_MENTION = re.compile(r"@(everyone|here)\b|<@&\d+>", re.IGNORECASE)
_EMAIL = re.compile(r"^(?:mailto:)?([A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)$")


def parse_deadline(text: str, timezone: str, now: dt.datetime) -> dt.datetime:
    """A French-written date ("31/12/2025", "31 décembre", "2025-12-31") → 23:59 that day, local time."""
    raw = (text or "").strip()
    folded = fold(raw)
    day = month = year = None
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", raw):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif m := re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?", raw):
        day, month = int(m[1]), int(m[2])
        year = int(m[3]) if m[3] else None
    elif m := re.fullmatch(r"(?:[a-z]+ )?(\d{1,2})(?:er)? ([a-z]+)(?: (\d{4}))?", folded):
        day, month = int(m[1]), _MONTHS.get(m[2])
        year = int(m[3]) if m[3] else None
    if day is None or month is None:
        raise UserError("jobs.validation.deadline_format", value=raw[:40])
    tz = timeutil.zone(timezone)
    today = now.astimezone(tz).date()
    if year is not None and year < 100:
        year += 2000
    try:
        if year is None:
            candidate = dt.date(today.year, month, day)
            if candidate < today:
                candidate = dt.date(today.year + 1, month, day)
        else:
            candidate = dt.date(year, month, day)
    except ValueError:
        raise UserError("jobs.validation.deadline_invalid", value=raw[:40]) from None
    return dt.datetime.combine(candidate, dt.time(23, 59), tz).astimezone(timeutil.UTC)


def _link_norm(link: str | None) -> str | None:
    if not link:
        return None
    email = _EMAIL.match(link)
    if email:
        return "mailto:" + email[1].lower()
    return normalize_url(link)


def _clean(text: str | None) -> str:
    return (text or "").replace("\r\n", "\n").strip()


def validate(inp: OfferInput, config: JobsConfig, now: dt.datetime, *, from_feed: bool = False) -> OfferInput:
    """Check every rule of a fiche de poste; return the cleaned input or raise a precise UserError.

    Feeds rarely carry the long fields, so an imported offer only needs a title and a link; the
    moderators' card flags what is missing instead.
    """
    values = {f.name: getattr(inp, f.name) for f in dataclasses.fields(inp)}
    for name in ("title", "employer", "place", "link", *LONG_FIELDS):
        values[name] = _clean(values[name])
    region = config.canonical_region(values["region"] or "")
    if region is None:
        raise UserError(
            "jobs.validation.region_unknown",
            value=str(values["region"])[:60],
            choices=", ".join(config.region_names),
        )
    contract = config.canonical_contract(values["contract"] or "")
    if contract is None:
        raise UserError(
            "jobs.validation.contract_unknown",
            value=str(values["contract"])[:60],
            choices=", ".join(config.contracts),
        )
    values["region"], values["contract"] = region, contract

    required = ["title", "employer"]
    if not from_feed:
        required += ["missions", "working_time"]
        if contract != VOLUNTEER_CONTRACT:
            required.append("pay_status")
    for name in required:
        if not values[name]:
            if name == "pay_status":
                raise UserError("jobs.validation.pay_required", contract=contract)
            raise UserError(f"jobs.validation.required.{name}")
    if not from_feed and not values["how_to_apply"] and not values["link"]:
        raise UserError("jobs.validation.how_to_apply_required")

    for name, limit in LIMITS.items():
        text = values[name] or ""
        if len(text) > limit:
            raise UserError(f"jobs.validation.too_long.{name}", limit=limit, length=len(text))
    total = sum(len(values[name] or "") for name in LIMITS)
    if total > MAX_TOTAL:
        raise UserError("jobs.validation.too_long_total", limit=MAX_TOTAL, length=total)
    for name in ("title", "employer", "place", *LONG_FIELDS):
        if _MASS_MENTION.search(values[name] or ""):
            raise UserError("jobs.validation.mass_mention")

    deadline = values["deadline"]
    if deadline is not None:
        if deadline.tzinfo is None:
            raise ValueError("naive deadline")
        if deadline <= now:
            raise UserError("jobs.validation.deadline_past")
        if deadline > now + MAX_DEADLINE_AHEAD:
            raise UserError("jobs.validation.deadline_too_far")

    link = values["link"]
    if link:
        email = _EMAIL.match(link)
        if email:
            values["link"] = email[1]
        else:
            try:
                values["link"] = validate_http_url(link)
            except UserError:
                raise UserError("jobs.validation.link_invalid", value=link[:100]) from None
    values["link"] = values["link"] or None
    values["place"] = values["place"] or None
    return OfferInput(**values)


# -- fair work -------------------------------------------------------------------------------------------
_PEER_ROLE = re.compile(
    r"\bpair[ -]?aid|\btravailleu(?:r|se|r euse)s? pairs?\b|\bmediat\w* (?:de )?sante pairs?\b|\bmsp\b"
    r"|\bexpert\w* (?:de |du |d )?vecu\b|\bpeer\b|\bpairs? (?:praticien|intervenant|accompagnat)"
)
_UNPAID = re.compile(
    r"\bnon remunere|\bsans remuneration\b|\bbenevol|\bgratuit|\bpas de remuneration\b|\bdefraiement"
)
_DISCLOSE = re.compile(
    r"\b(?:precis|indiqu|mention|joindr|joint|fourni|communiqu|declar|revel|decri|justifi|detaill|nomm|expliqu|"
    r"quel(?:le)?s? (?:est|sont))\w*"
)
_DIAGNOSIS = re.compile(
    r"\bdiagnosti\w*|\bpathologi\w*|\bdossier medical\b|\bcertificat medical\b|\bantecedents?\b"
    r"|\b(?:nature|type) (?:de|du|des) (?:votre|vos|ton|tes|son|ses|leur) (?:trouble|maladie|handicap)"
)


def fair_work_flags(inp: OfferInput) -> tuple[str, ...]:
    """Reasons the moderators should look twice; they still decide."""
    flags: list[str] = []
    if inp.contract != VOLUNTEER_CONTRACT and not inp.pay_status.strip():
        flags.append(FLAG_PAY_MISSING)
    text = fold(" ".join((inp.title, inp.missions, inp.profile, inp.working_time)))
    unpaid = inp.contract in (VOLUNTEER_CONTRACT, INTERNSHIP_CONTRACT) or bool(
        _UNPAID.search(fold(inp.pay_status))
    )
    if unpaid and _PEER_ROLE.search(text):
        flags.append(FLAG_UNPAID_PEER_ROLE)
    everything = " ".join(
        (inp.title, inp.missions, inp.profile, inp.working_time, inp.pay_status, inp.how_to_apply)
    )
    for sentence in re.split(r"[.!?;\n]+", everything):
        folded = fold(sentence)
        if _DIAGNOSIS.search(folded) and _DISCLOSE.search(folded):
            flags.append(FLAG_ASKS_DIAGNOSIS)
            break
    return tuple(flags)


# -- storage -------------------------------------------------------------------------------------------
async def get_offer(db: Database, guild_id: int, offer_id: int) -> Offer:
    row = await db.fetchone(
        f"SELECT {OFFER_COLUMNS} FROM job_offers WHERE guild_id = ? AND id = ?", (guild_id, offer_id)
    )
    if row is None:
        raise NotFound("jobs.errors.not_found", id=offer_id)
    return offer_from_row(row)


async def find_duplicates(
    db: Database, guild_id: int, inp: OfferInput, now: dt.datetime, *, exclude_id: int | None = None
) -> list[Offer]:
    """Likely duplicates: the same normalised link, or the same title and employer within 30 days."""
    since = timeutil.to_db(now - DUPLICATE_WINDOW)
    rows = await db.fetchall(
        f"SELECT {OFFER_COLUMNS} FROM job_offers WHERE guild_id = ? AND id != ?"
        " AND status NOT IN ('refused', 'withdrawn')"
        " AND ((link_norm IS NOT NULL AND link_norm = ?)"
        "      OR (title_norm = ? AND employer_norm = ? AND created_at >= ?))"
        " ORDER BY id LIMIT 5",
        (guild_id, exclude_id or 0, _link_norm(inp.link), fold(inp.title), fold(inp.employer), since),
    )
    return [offer_from_row(r) for r in rows]


def expiry_time(offer: Offer, default_expiry_days: int) -> dt.datetime:
    if offer.deadline is not None:
        return offer.deadline
    start = offer.published_at or offer.created_at
    return start + dt.timedelta(days=default_expiry_days)


async def submit_offer(
    db: Database,
    guild_id: int,
    inp: OfferInput,
    *,
    submitter_id: int | None,
    publish_now: bool,
    now: dt.datetime,
    default_expiry_days: int,
    source: str | None = None,
) -> Offer:
    """Store a validated offer: pending (queue) or published at once. One statement."""
    stamp = timeutil.to_db(now)
    expires = None
    if publish_now:
        expires = timeutil.to_db(inp.deadline or now + dt.timedelta(days=default_expiry_days))
    row = await db.fetchone(
        "INSERT INTO job_offers (guild_id, status, title, employer, region, contract, deadline, link, "
        "link_norm,"
        " place, missions, profile, working_time, pay_status, how_to_apply, title_norm, employer_norm, flags,"
        " submitter_id, source, created_at, updated_at, published_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        f" RETURNING {OFFER_COLUMNS}",
        (
            guild_id,
            "published" if publish_now else "pending",
            inp.title,
            inp.employer,
            inp.region,
            inp.contract,
            timeutil.to_db(inp.deadline) if inp.deadline else None,
            inp.link,
            _link_norm(inp.link),
            inp.place,
            inp.missions,
            inp.profile,
            inp.working_time,
            inp.pay_status,
            inp.how_to_apply,
            fold(inp.title),
            fold(inp.employer),
            ",".join(fair_work_flags(inp)),
            submitter_id,
            source,
            stamp,
            stamp,
            stamp if publish_now else None,
            expires,
        ),
    )
    offer = offer_from_row(row)
    log.info("job offer %s stored (guild=%s status=%s source=%s)", offer.id, guild_id, offer.status, source)
    return offer


async def check_submit_cooldown(
    db: Database, guild_id: int, member_id: int, now: dt.datetime, seconds: int
) -> None:
    """A member proposes at most one offer per ``seconds``: each one posts a card or an announcement
    (with its role pings). Counted from the member's last stored offer, so it survives a restart."""
    if seconds <= 0:
        return
    last = await db.fetchval(
        "SELECT max(created_at) FROM job_offers WHERE guild_id = ? AND submitter_id = ?",
        (guild_id, member_id),
    )
    if last is None:
        return
    wait = last + seconds - timeutil.to_db(now)
    if wait > 0:
        raise UserError("jobs.submit.cooldown", seconds=max(1, round(wait)))


async def _decided(db: Database, guild_id: int, offer_id: int) -> UserError:
    offer = await get_offer(db, guild_id, offer_id)  # raises NotFound
    return UserError(f"jobs.queue.already.{offer.status}", id=offer_id)


async def approve(
    db: Database,
    guild_id: int,
    offer_id: int,
    *,
    moderator_id: int,
    is_moderator: bool,
    now: dt.datetime,
    default_expiry_days: int,
) -> Offer:
    """pending → published, atomically: two moderators clicking at once publish it once."""
    if not is_moderator:
        raise NotAllowed("core.errors.moderators_only")
    stamp = timeutil.to_db(now)
    row = await db.fetchone(
        "UPDATE job_offers SET status = 'published', moderator_id = ?, published_at = ?, updated_at = ?,"
        " expires_at = COALESCE(deadline, ?) WHERE guild_id = ? AND id = ? AND status = 'pending'"
        f" RETURNING {OFFER_COLUMNS}",
        (moderator_id, stamp, stamp, stamp + default_expiry_days * 86400.0, guild_id, offer_id),
    )
    if row is None:
        raise await _decided(db, guild_id, offer_id)
    log.info("job offer %s approved by %s (guild=%s)", offer_id, moderator_id, guild_id)
    return offer_from_row(row)


async def refuse(
    db: Database,
    guild_id: int,
    offer_id: int,
    *,
    moderator_id: int,
    is_moderator: bool,
    reason: str,
    now: dt.datetime,
) -> Offer:
    if not is_moderator:
        raise NotAllowed("core.errors.moderators_only")
    reason = _clean(reason)
    if not reason:
        raise UserError("jobs.queue.reason_required")
    if len(reason) > 1000:
        raise UserError("jobs.queue.reason_too_long", limit=1000, length=len(reason))
    stamp = timeutil.to_db(now)
    row = await db.fetchone(
        "UPDATE job_offers SET status = 'refused', moderator_id = ?, refusal_reason = ?, closed_at = ?, "
        "updated_at = ?"
        f" WHERE guild_id = ? AND id = ? AND status = 'pending' RETURNING {OFFER_COLUMNS}",
        (moderator_id, reason, stamp, stamp, guild_id, offer_id),
    )
    if row is None:
        raise await _decided(db, guild_id, offer_id)
    log.info("job offer %s refused by %s (guild=%s)", offer_id, moderator_id, guild_id)
    return offer_from_row(row)


def _require_owner_or_moderator(offer: Offer, actor_id: int, is_moderator: bool) -> None:
    if not is_moderator and offer.submitter_id != actor_id:
        raise NotAllowed("jobs.errors.not_yours", id=offer.id)


async def update_offer(
    db: Database,
    guild_id: int,
    offer_id: int,
    inp: OfferInput,
    *,
    actor_id: int,
    is_moderator: bool,
    config: JobsConfig,
    now: dt.datetime,
    default_expiry_days: int,
) -> Offer:
    """Edit an open offer (its submitter or a moderator). ``inp`` is validated here."""
    current = await get_offer(db, guild_id, offer_id)
    _require_owner_or_moderator(current, actor_id, is_moderator)
    if not current.is_open:
        raise UserError(f"jobs.errors.closed.{current.status}", id=offer_id)
    clean = validate(inp, config, now, from_feed=current.source is not None)
    stamp = timeutil.to_db(now)
    expires = None
    if current.status == "published":
        published = current.published_at or now
        expires = timeutil.to_db(clean.deadline or published + dt.timedelta(days=default_expiry_days))
    row = await db.fetchone(
        "UPDATE job_offers SET title = ?, employer = ?, region = ?, contract = ?, deadline = ?, link = ?,"
        " link_norm = ?, place = ?, missions = ?, profile = ?, working_time = ?, pay_status = ?, "
        "how_to_apply = ?,"
        " title_norm = ?, employer_norm = ?, flags = ?, updated_at = ?, expires_at = COALESCE(?, expires_at)"
        f" WHERE guild_id = ? AND id = ? AND status IN ('pending', 'published') RETURNING {OFFER_COLUMNS}",
        (
            clean.title,
            clean.employer,
            clean.region,
            clean.contract,
            timeutil.to_db(clean.deadline) if clean.deadline else None,
            clean.link,
            _link_norm(clean.link),
            clean.place,
            clean.missions,
            clean.profile,
            clean.working_time,
            clean.pay_status,
            clean.how_to_apply,
            fold(clean.title),
            fold(clean.employer),
            ",".join(fair_work_flags(clean)),
            stamp,
            expires,
            guild_id,
            offer_id,
        ),
    )
    if row is None:
        raise await _decided(db, guild_id, offer_id)
    log.info("job offer %s edited by %s (guild=%s)", offer_id, actor_id, guild_id)
    return offer_from_row(row)


# -- reviewed edits of published offers ------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Revision:
    """An edit of a published offer waiting for a moderator; the approved version stays up."""

    offer_id: int
    guild_id: int
    input: OfferInput
    flags: tuple[str, ...]
    created_at: dt.datetime
    queue_channel_id: int | None
    queue_message_id: int | None

    def applied_to(self, offer: Offer) -> Offer:
        """The offer as it would read once the revision is approved (for the moderators' card)."""
        return dataclasses.replace(
            offer,
            **{f.name: getattr(self.input, f.name) for f in dataclasses.fields(OfferInput)},
            flags=self.flags,
        )


_REVISION_FIELDS = ("title", "employer", "region", "contract", "deadline", "link", "place", *LONG_FIELDS)
REVISION_COLUMNS = (
    "offer_id, guild_id, "
    + ", ".join(_REVISION_FIELDS)
    + ", flags, created_at, queue_channel_id, queue_message_id"
)


def _revision_from_row(row: Any) -> Revision:
    values = {name: row[name] for name in _REVISION_FIELDS}
    values["deadline"] = timeutil.from_db(values["deadline"])
    return Revision(
        offer_id=row["offer_id"],
        guild_id=row["guild_id"],
        input=OfferInput(**values),
        flags=tuple(f for f in row["flags"].split(",") if f),
        created_at=timeutil.from_db(row["created_at"]),
        queue_channel_id=row["queue_channel_id"],
        queue_message_id=row["queue_message_id"],
    )


async def propose_revision(
    db: Database,
    guild_id: int,
    offer_id: int,
    inp: OfferInput,
    *,
    actor_id: int,
    config: JobsConfig,
    now: dt.datetime,
) -> Revision:
    """Keep an edit of a published offer for review; a newer edit replaces a pending one (and
    reuses its card). ``inp`` is validated here; the offer itself is not touched."""
    current = await get_offer(db, guild_id, offer_id)
    _require_owner_or_moderator(current, actor_id, False)
    if current.status != "published":
        raise UserError(f"jobs.errors.closed.{current.status}", id=offer_id)
    clean = validate(inp, config, now, from_feed=current.source is not None)
    values = [getattr(clean, name) for name in _REVISION_FIELDS]
    values[_REVISION_FIELDS.index("deadline")] = timeutil.to_db(clean.deadline) if clean.deadline else None
    row = await db.fetchone(
        f"INSERT INTO job_offer_revisions (offer_id, guild_id, {', '.join(_REVISION_FIELDS)}, flags, "
        f"created_at)"
        f" VALUES (?, ?, {', '.join('?' * len(_REVISION_FIELDS))}, ?, ?)"
        " ON CONFLICT (offer_id) DO UPDATE SET "
        + ", ".join(f"{name} = excluded.{name}" for name in (*_REVISION_FIELDS, "flags", "created_at"))
        + f" RETURNING {REVISION_COLUMNS}",
        (offer_id, guild_id, *values, ",".join(fair_work_flags(clean)), timeutil.to_db(now)),
    )
    log.info("job offer %s: revision proposed by %s (guild=%s)", offer_id, actor_id, guild_id)
    return _revision_from_row(row)


async def get_revision(db: Database, guild_id: int, offer_id: int) -> Revision | None:
    row = await db.fetchone(
        f"SELECT {REVISION_COLUMNS} FROM job_offer_revisions WHERE guild_id = ? AND offer_id = ?",
        (guild_id, offer_id),
    )
    return _revision_from_row(row) if row else None


async def set_revision_queue_message(
    db: Database, guild_id: int, offer_id: int, channel_id: int, message_id: int
) -> None:
    await db.execute(
        "UPDATE job_offer_revisions SET queue_channel_id = ?, queue_message_id = ? WHERE guild_id = ? AND "
        "offer_id = ?",
        (channel_id, message_id, guild_id, offer_id),
    )


async def _take_revision(db: Database, guild_id: int, offer_id: int) -> Revision:
    """Remove the pending revision and return it, once: two moderators clicking decide once."""
    row = await db.fetchone(
        f"DELETE FROM job_offer_revisions WHERE guild_id = ? AND offer_id = ? RETURNING {REVISION_COLUMNS}",
        (guild_id, offer_id),
    )
    if row is None:
        await get_offer(db, guild_id, offer_id)  # NotFound for an unknown offer
        raise UserError("jobs.revision.already", id=offer_id)
    return _revision_from_row(row)


async def approve_revision(
    db: Database,
    guild_id: int,
    offer_id: int,
    *,
    moderator_id: int,
    is_moderator: bool,
    config: JobsConfig,
    now: dt.datetime,
    default_expiry_days: int,
) -> tuple[Revision, Offer]:
    """Apply the pending revision to the published offer (validated again, as a moderator's edit)."""
    if not is_moderator:
        raise NotAllowed("core.errors.moderators_only")
    async with db.transaction():
        revision = await _take_revision(db, guild_id, offer_id)
        offer = await update_offer(
            db,
            guild_id,
            offer_id,
            revision.input,
            actor_id=moderator_id,
            is_moderator=True,
            config=config,
            now=now,
            default_expiry_days=default_expiry_days,
        )
    log.info("job offer %s: revision approved by %s (guild=%s)", offer_id, moderator_id, guild_id)
    return revision, offer


async def refuse_revision(
    db: Database,
    guild_id: int,
    offer_id: int,
    *,
    moderator_id: int,
    is_moderator: bool,
    reason: str,
) -> Revision:
    """Drop the pending revision; the approved version stays as it is."""
    if not is_moderator:
        raise NotAllowed("core.errors.moderators_only")
    reason = _clean(reason)
    if not reason:
        raise UserError("jobs.queue.reason_required")
    if len(reason) > 1000:
        raise UserError("jobs.queue.reason_too_long", limit=1000, length=len(reason))
    revision = await _take_revision(db, guild_id, offer_id)
    log.info("job offer %s: revision refused by %s (guild=%s)", offer_id, moderator_id, guild_id)
    return revision


async def close_offer(
    db: Database,
    guild_id: int,
    offer_id: int,
    *,
    status: str,
    actor_id: int,
    is_moderator: bool,
    now: dt.datetime,
) -> Offer:
    """``/offre retirer`` (withdrawn) and ``/offre pourvue`` (filled): the submitter or a moderator."""
    assert status in ("withdrawn", "filled")
    current = await get_offer(db, guild_id, offer_id)
    _require_owner_or_moderator(current, actor_id, is_moderator)
    allowed = ("pending", "published") if status == "withdrawn" else ("published",)
    if current.status not in allowed:
        raise UserError(f"jobs.errors.closed.{current.status}", id=offer_id)
    stamp = timeutil.to_db(now)
    row = await db.fetchone(
        "UPDATE job_offers SET status = ?, closed_at = ?, updated_at = ?"
        f" WHERE guild_id = ? AND id = ? AND status IN ({','.join('?' * len(allowed))}) RETURNING "
        f"{OFFER_COLUMNS}",
        (status, stamp, stamp, guild_id, offer_id, *allowed),
    )
    if row is None:
        raise await _decided(db, guild_id, offer_id)
    log.info("job offer %s %s by %s (guild=%s)", offer_id, status, actor_id, guild_id)
    return offer_from_row(row)


async def expire_offer(db: Database, guild_id: int, offer_id: int, now: dt.datetime) -> Offer | None:
    """published → expired when its time has come; None when it is not (any more) published.

    Safe to call twice (timers are at-least-once): the second call finds nothing to expire.
    An offer whose deadline was moved later is left alone until the new time.
    """
    stamp = timeutil.to_db(now)
    row = await db.fetchone(
        "UPDATE job_offers SET status = 'expired', closed_at = ?, updated_at = ?"
        " WHERE guild_id = ? AND id = ? AND status = 'published' AND (expires_at IS NULL OR expires_at <= ?)"
        f" RETURNING {OFFER_COLUMNS}",
        (stamp, stamp, guild_id, offer_id, stamp + 1.0),
    )
    if row is None:
        return None
    log.info("job offer %s expired (guild=%s)", offer_id, guild_id)
    return offer_from_row(row)


async def set_queue_message(
    db: Database, guild_id: int, offer_id: int, channel_id: int, message_id: int
) -> None:
    await db.execute(
        "UPDATE job_offers SET queue_channel_id = ?, queue_message_id = ? WHERE guild_id = ? AND id = ?",
        (channel_id, message_id, guild_id, offer_id),
    )


async def set_announcement(
    db: Database, guild_id: int, offer_id: int, channel_id: int, message_id: int, thread_id: int | None
) -> None:
    await db.execute(
        "UPDATE job_offers SET announce_channel_id = ?, announce_message_id = ?, announce_thread_id = ?"
        " WHERE guild_id = ? AND id = ?",
        (channel_id, message_id, thread_id, guild_id, offer_id),
    )


async def mark_closure_shown(db: Database, guild_id: int, offer_id: int) -> None:
    await db.execute(
        "UPDATE job_offers SET closure_shown = 1 WHERE guild_id = ? AND id = ?", (guild_id, offer_id)
    )


@dataclass(frozen=True, slots=True)
class Page:
    offers: tuple[Offer, ...]
    total: int
    page: int
    pages: int


async def list_open(
    db: Database,
    guild_id: int,
    *,
    region: str | None = None,
    contract: str | None = None,
    page: int = 0,
    per_page: int = 5,
) -> Page:
    where = "guild_id = ? AND status = 'published'"
    params: list[Any] = [guild_id]
    if region:
        where += " AND region = ?"
        params.append(region)
    if contract:
        where += " AND contract = ?"
        params.append(contract)
    total = int(await db.fetchval(f"SELECT count(*) FROM job_offers WHERE {where}", params))
    pages = max(1, -(-total // per_page))
    page = min(max(0, page), pages - 1)
    rows = await db.fetchall(
        f"SELECT {OFFER_COLUMNS} FROM job_offers WHERE {where}"
        " ORDER BY COALESCE(deadline, expires_at), id LIMIT ? OFFSET ?",
        (*params, per_page, page * per_page),
    )
    return Page(tuple(offer_from_row(r) for r in rows), total, page, pages)


async def schedule_expiry(timers: TimerService, offer: Offer, default_expiry_days: int) -> None:
    """One keyed timer per offer: moving the deadline replaces it."""
    await timers.schedule(
        offer.guild_id,
        KIND_EXPIRE,
        expiry_time(offer, default_expiry_days),
        {"offer_id": offer.id},
        key=f"jobs:expire:{offer.id}",
    )
