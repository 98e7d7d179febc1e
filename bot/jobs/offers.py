"""Job offers: fiches de poste submitted by members or imported from feeds, moderated, announced,
matched against alert subscriptions, and expired on time. Discord-free.

Life of an offer::

    pending ──approve──▶ published ──deadline / N days──▶ expired
       │                    ├──/offre pourvue──▶ filled
       └──refuse──▶ refused └──/offre retirer──▶ withdrawn   (pending can be withdrawn too)

Members with the trusted role (and moderators) publish directly; with the moderation queue off,
everyone does. Nothing is announced while an offer is pending.

Alerts are matched through an in-memory index keyed by (region, contract) with a keyword
token index inside each bucket, rebuilt only when ``job_subscription_versions`` changes (a
trigger bumps it), so matching an offer costs the size of its answer, not the number of
subscriptions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.core import timeutil, yamlfile
from bot.core.db import Database
from bot.core.errors import NotAllowed, NotFound, UserError
from bot.core.urls import normalize_url, validate_http_url
from bot.core.yamlfile import Problem

log = logging.getLogger(__name__)

# -- timer kinds (handlers live in cogs/jobs.py) ------------------------------------------------------
KIND_PROCESS = "jobs.process"    # post the queue card or the announcement of a new/approved offer
KIND_ALERTS = "jobs.alerts"      # send the immediate alert DMs of one offer
KIND_EXPIRE = "jobs.expire"      # an offer reaches its deadline
KIND_DIGEST = "jobs.digest"      # the daily digest of one guild
KIND_FEEDS = "jobs.feeds"        # poll every feed (guild_id 0: all guilds)
FEEDS_TIMER_GUILD = 0
FEEDS_TIMER_KEY = "jobs:feeds"

STATUSES = ("pending", "published", "refused", "withdrawn", "expired", "filled")
OPEN_STATUSES = ("pending", "published")
RHYTHMS = ("immediat", "quotidien")
VOLUNTEER_CONTRACT = "bénévolat"
INTERNSHIP_CONTRACT = "stage"
DUPLICATE_WINDOW = dt.timedelta(days=30)
MAX_DEADLINE_AHEAD = dt.timedelta(days=365)
MAX_DM_FAILURES = 3

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
MAX_KEYWORDS = 20
MAX_KEYWORD_LENGTH = 50

FLAG_PAY_MISSING = "pay_missing"
FLAG_UNPAID_PEER_ROLE = "unpaid_peer_role"
FLAG_ASKS_DIAGNOSIS = "asks_diagnosis"
FLAGS = (FLAG_PAY_MISSING, FLAG_UNPAID_PEER_ROLE, FLAG_ASKS_DIAGNOSIS)


# -- text helpers -----------------------------------------------------------------------------------
def fold(text: str) -> str:
    """Lower-case, accents removed, punctuation turned into single spaces: for comparisons."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return " ".join(re.sub(r"[^\w]+", " ", bare).split())


def tokens(text: str) -> set[str]:
    return set(fold(text).split())


# -- configuration (config/jobs.yaml) -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RegionConfig:
    name: str
    ping_role: int | str | None = None  # role id or role name to mention for each new offer here


@dataclass(frozen=True, slots=True)
class FeedConfig:
    name: str
    url: str
    region: str
    contract: str = "autre"
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class JobsConfig:
    regions: tuple[RegionConfig, ...]
    contracts: tuple[str, ...]
    feeds: tuple[FeedConfig, ...] = ()

    @property
    def region_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.regions)

    def region(self, name: str) -> RegionConfig | None:
        return next((r for r in self.regions if r.name == name), None)

    def canonical_region(self, text: str) -> str | None:
        return _canonical(text, self.region_names)

    def canonical_contract(self, text: str) -> str | None:
        return _canonical(text, self.contracts)


def _canonical(text: str, names: Iterable[str]) -> str | None:
    wanted = fold(text)
    return next((n for n in names if fold(n) == wanted), None) if wanted else None


DEFAULT_CONFIG = JobsConfig(
    regions=tuple(RegionConfig(n) for n in (
        "Bruxelles", "Wallonie", "Flandre", "Auvergne-Rhône-Alpes", "Bourgogne-Franche-Comté", "Bretagne",
        "Centre-Val de Loire", "Corse", "Grand Est", "Hauts-de-France", "Île-de-France", "Normandie",
        "Nouvelle-Aquitaine", "Occitanie", "Pays de la Loire", "Provence-Alpes-Côte d'Azur", "Outre-mer",
        "À distance",
    )),
    contracts=("CDI", "CDD", "intérim", "stage", "bénévolat", "indépendant", "autre"),
)


def _parse_config(doc: yamlfile.YamlDocument, problems: list[Problem]) -> JobsConfig:
    data = doc.data
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problems.append(doc.problem((), "le fichier doit être une table", "écrire regions:, contracts: et feeds:"))
        return DEFAULT_CONFIG
    for key in data:
        if key not in ("regions", "contracts", "feeds"):
            problems.append(doc.problem((str(key),), f"clé inconnue «{key}»", "clés possibles : regions, contracts, feeds"))

    regions: list[RegionConfig] = []
    raw_regions = data.get("regions")
    if not isinstance(raw_regions, list) or not raw_regions:
        problems.append(doc.problem(("regions",), "la liste des régions est vide ou absente",
                                    "écrire au moins une région, par exemple - name: Bruxelles"))
    else:
        for i, item in enumerate(raw_regions):
            path = ("regions", i)
            if isinstance(item, str):
                item = {"name": item}
            if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"].strip():
                problems.append(doc.problem(path, "région sans nom", "écrire - name: Wallonie"))
                continue
            unknown = set(item) - {"name", "ping_role"}
            if unknown:
                problems.append(doc.problem(path, f"clé inconnue «{sorted(unknown)[0]}»", "clés possibles : name, ping_role"))
            name = item["name"].strip()
            if len(name) > 100:
                problems.append(doc.problem((*path, "name"), f"nom de région trop long ({len(name)} caractères)",
                                            "100 caractères au plus (limite de Discord)"))
                continue
            if any(fold(r.name) == fold(name) for r in regions):
                problems.append(doc.problem((*path, "name"), f"région «{name}» écrite deux fois", "n'en garder qu'une"))
                continue
            ping = item.get("ping_role")
            if ping is not None and not isinstance(ping, int | str) or isinstance(ping, bool):
                problems.append(doc.problem((*path, "ping_role"), "ping_role doit être un id ou un nom de rôle",
                                            "écrire ping_role: 123456789012345678 ou ping_role: Offres Bruxelles"))
                ping = None
            regions.append(RegionConfig(name, ping or None))
        if len(regions) > 25:
            problems.append(doc.problem(("regions",), f"{len(regions)} régions : Discord n'en propose que 25 au choix",
                                        "regrouper des régions"))
            regions = regions[:25]

    contracts: list[str] = []
    raw_contracts = data.get("contracts")
    if not isinstance(raw_contracts, list) or not raw_contracts:
        problems.append(doc.problem(("contracts",), "la liste des contrats est vide ou absente",
                                    "écrire par exemple contracts: [CDI, CDD, stage, bénévolat, autre]"))
    else:
        for i, item in enumerate(raw_contracts):
            if not isinstance(item, str) or not item.strip():
                problems.append(doc.problem(("contracts", i), "contrat sans nom", "écrire un texte, par exemple CDD"))
                continue
            if any(fold(c) == fold(item) for c in contracts):
                problems.append(doc.problem(("contracts", i), f"contrat «{item}» écrit deux fois", "n'en garder qu'un"))
                continue
            contracts.append(item.strip())
        if len(contracts) > 25:
            problems.append(doc.problem(("contracts",), "plus de 25 contrats", "Discord n'en propose que 25 au choix"))
            contracts = contracts[:25]

    config = JobsConfig(tuple(regions) or DEFAULT_CONFIG.regions, tuple(contracts) or DEFAULT_CONFIG.contracts)
    feeds: list[FeedConfig] = []
    raw_feeds = data.get("feeds")
    if raw_feeds is not None and not isinstance(raw_feeds, list):
        problems.append(doc.problem(("feeds",), "feeds doit être une liste", "écrire feeds: [] ou une liste de - name: …"))
        raw_feeds = []
    for i, item in enumerate(raw_feeds or []):
        path = ("feeds", i)
        if not isinstance(item, dict):
            problems.append(doc.problem(path, "flux mal écrit", "écrire - name: …, url: https://…, region: Bruxelles"))
            continue
        unknown = set(item) - {"name", "url", "region", "contract", "keywords"}
        if unknown:
            problems.append(doc.problem(path, f"clé inconnue «{sorted(unknown)[0]}»",
                                        "clés possibles : name, url, region, contract, keywords"))
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append(doc.problem(path, "flux sans nom", "ajouter name: (affiché comme source des offres)"))
            continue
        url = item.get("url")
        try:
            url = validate_http_url(url if isinstance(url, str) else "")
        except UserError:
            problems.append(doc.problem((*path, "url"), f"adresse de flux invalide «{url}»",
                                        "écrire une adresse http:// ou https:// complète"))
            continue
        region = config.canonical_region(str(item.get("region") or ""))
        if region is None:
            problems.append(doc.problem((*path, "region"), f"région inconnue «{item.get('region')}»",
                                        "choisir une région de la liste regions"))
            continue
        contract = config.canonical_contract(str(item.get("contract") or "autre"))
        if contract is None:
            problems.append(doc.problem((*path, "contract"), f"contrat inconnu «{item.get('contract')}»",
                                        "choisir un contrat de la liste contracts"))
            continue
        keywords = item.get("keywords") or []
        if isinstance(keywords, str):
            keywords = [keywords]
        if not isinstance(keywords, list) or not all(isinstance(k, str) and fold(k) for k in keywords):
            problems.append(doc.problem((*path, "keywords"), "keywords doit être une liste de mots",
                                        "écrire keywords: [pair-aidant, travailleur pair]"))
            keywords = []
        if any(f.url == url for f in feeds):
            problems.append(doc.problem((*path, "url"), "ce flux est déjà listé", "n'en garder qu'un"))
            continue
        feeds.append(FeedConfig(name.strip(), url, region, contract, tuple(k.strip() for k in keywords)))
    return dataclasses.replace(config, feeds=tuple(feeds))


def load_config(config_dir: Path) -> tuple[JobsConfig, list[Problem]]:
    doc, problems = yamlfile.load(Path(config_dir) / "jobs.yaml")
    if doc.data is None and problems:
        return DEFAULT_CONFIG, problems
    problems = list(problems)
    return _parse_config(doc, problems), problems


def check_config(config_dir: Path) -> list[Problem]:
    """For ``relais check``: every problem of config/jobs.yaml, never raising."""
    try:
        return load_config(config_dir)[1]
    except Exception as exc:  # a check must report, not crash
        return [Problem(str(Path(config_dir) / "jobs.yaml"), 1, f"lecture impossible : {exc}", "vérifier le fichier")]


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
            self.title, self.employer, self.region, self.contract, self.deadline, self.link, self.place,
            self.missions, self.profile, self.working_time, self.pay_status, self.how_to_apply,
        )

    def search_text(self) -> str:
        return " ".join((self.title, self.employer, self.place or "", self.missions, self.profile, self.working_time))


_OFFER_COLUMNS = (
    "id, guild_id, status, title, employer, region, contract, deadline, link, place, missions, profile,"
    " working_time, pay_status, how_to_apply, flags, submitter_id, source, created_at, published_at,"
    " expires_at, closed_at, moderator_id, refusal_reason, queue_channel_id, queue_message_id,"
    " announce_channel_id, announce_message_id, announce_thread_id, closure_shown"
)


def _offer(row: Any) -> Offer:
    return Offer(
        id=row["id"], guild_id=row["guild_id"], status=row["status"], title=row["title"], employer=row["employer"],
        region=row["region"], contract=row["contract"], deadline=timeutil.from_db(row["deadline"]),
        link=row["link"], place=row["place"], missions=row["missions"], profile=row["profile"],
        working_time=row["working_time"], pay_status=row["pay_status"], how_to_apply=row["how_to_apply"],
        flags=tuple(f for f in row["flags"].split(",") if f), submitter_id=row["submitter_id"],
        source=row["source"], created_at=timeutil.from_db(row["created_at"]),
        published_at=timeutil.from_db(row["published_at"]), expires_at=timeutil.from_db(row["expires_at"]),
        closed_at=timeutil.from_db(row["closed_at"]), moderator_id=row["moderator_id"],
        refusal_reason=row["refusal_reason"], queue_channel_id=row["queue_channel_id"],
        queue_message_id=row["queue_message_id"], announce_channel_id=row["announce_channel_id"],
        announce_message_id=row["announce_message_id"], announce_thread_id=row["announce_thread_id"],
        closure_shown=bool(row["closure_shown"]),
    )


# -- validation ----------------------------------------------------------------------------------------
_MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "mar": 3, "avril": 4,
    "avr": 4, "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "septembre": 9, "sept": 9, "sep": 9,
    "octobre": 10, "oct": 10, "novembre": 11, "nov": 11, "decembre": 12, "dec": 12,
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12,
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
        raise UserError("jobs.validation.region_unknown", value=str(values["region"])[:60],
                        choices=", ".join(config.region_names))
    contract = config.canonical_contract(values["contract"] or "")
    if contract is None:
        raise UserError("jobs.validation.contract_unknown", value=str(values["contract"])[:60],
                        choices=", ".join(config.contracts))
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
_UNPAID = re.compile(r"\bnon remunere|\bsans remuneration\b|\bbenevol|\bgratuit|\bpas de remuneration\b|\bdefraiement")
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
    unpaid = inp.contract in (VOLUNTEER_CONTRACT, INTERNSHIP_CONTRACT) or bool(_UNPAID.search(fold(inp.pay_status)))
    if unpaid and _PEER_ROLE.search(text):
        flags.append(FLAG_UNPAID_PEER_ROLE)
    everything = " ".join((inp.title, inp.missions, inp.profile, inp.working_time, inp.pay_status, inp.how_to_apply))
    for sentence in re.split(r"[.!?;\n]+", everything):
        folded = fold(sentence)
        if _DIAGNOSIS.search(folded) and _DISCLOSE.search(folded):
            flags.append(FLAG_ASKS_DIAGNOSIS)
            break
    return tuple(flags)


# -- storage -------------------------------------------------------------------------------------------
async def get_offer(db: Database, guild_id: int, offer_id: int) -> Offer:
    row = await db.fetchone(f"SELECT {_OFFER_COLUMNS} FROM job_offers WHERE guild_id = ? AND id = ?", (guild_id, offer_id))
    if row is None:
        raise NotFound("jobs.errors.not_found", id=offer_id)
    return _offer(row)


async def find_duplicates(
    db: Database, guild_id: int, inp: OfferInput, now: dt.datetime, *, exclude_id: int | None = None
) -> list[Offer]:
    """Likely duplicates: the same normalised link, or the same title and employer within 30 days."""
    since = timeutil.to_db(now - DUPLICATE_WINDOW)
    rows = await db.fetchall(
        f"SELECT {_OFFER_COLUMNS} FROM job_offers WHERE guild_id = ? AND id != ?"
        " AND status NOT IN ('refused', 'withdrawn')"
        " AND ((link_norm IS NOT NULL AND link_norm = ?)"
        "      OR (title_norm = ? AND employer_norm = ? AND created_at >= ?))"
        " ORDER BY id LIMIT 5",
        (guild_id, exclude_id or 0, _link_norm(inp.link), fold(inp.title), fold(inp.employer), since),
    )
    return [_offer(r) for r in rows]


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
        "INSERT INTO job_offers (guild_id, status, title, employer, region, contract, deadline, link, link_norm,"
        " place, missions, profile, working_time, pay_status, how_to_apply, title_norm, employer_norm, flags,"
        " submitter_id, source, created_at, updated_at, published_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        f" RETURNING {_OFFER_COLUMNS}",
        (
            guild_id, "published" if publish_now else "pending", inp.title, inp.employer, inp.region, inp.contract,
            timeutil.to_db(inp.deadline) if inp.deadline else None, inp.link, _link_norm(inp.link), inp.place,
            inp.missions, inp.profile, inp.working_time, inp.pay_status, inp.how_to_apply, fold(inp.title),
            fold(inp.employer), ",".join(fair_work_flags(inp)), submitter_id, source, stamp, stamp,
            stamp if publish_now else None, expires,
        ),
    )
    offer = _offer(row)
    log.info("job offer %s stored (guild=%s status=%s source=%s)", offer.id, guild_id, offer.status, source)
    return offer


async def _decided(db: Database, guild_id: int, offer_id: int) -> UserError:
    offer = await get_offer(db, guild_id, offer_id)  # raises NotFound
    return UserError(f"jobs.queue.already.{offer.status}", id=offer_id)


async def approve(
    db: Database, guild_id: int, offer_id: int, *, moderator_id: int, is_moderator: bool, now: dt.datetime,
    default_expiry_days: int,
) -> Offer:
    """pending → published, atomically: two moderators clicking at once publish it once."""
    if not is_moderator:
        raise NotAllowed("core.errors.moderators_only")
    stamp = timeutil.to_db(now)
    row = await db.fetchone(
        "UPDATE job_offers SET status = 'published', moderator_id = ?, published_at = ?, updated_at = ?,"
        " expires_at = COALESCE(deadline, ?) WHERE guild_id = ? AND id = ? AND status = 'pending'"
        f" RETURNING {_OFFER_COLUMNS}",
        (moderator_id, stamp, stamp, stamp + default_expiry_days * 86400.0, guild_id, offer_id),
    )
    if row is None:
        raise await _decided(db, guild_id, offer_id)
    log.info("job offer %s approved by %s (guild=%s)", offer_id, moderator_id, guild_id)
    return _offer(row)


async def refuse(
    db: Database, guild_id: int, offer_id: int, *, moderator_id: int, is_moderator: bool, reason: str, now: dt.datetime
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
        "UPDATE job_offers SET status = 'refused', moderator_id = ?, refusal_reason = ?, closed_at = ?, updated_at = ?"
        f" WHERE guild_id = ? AND id = ? AND status = 'pending' RETURNING {_OFFER_COLUMNS}",
        (moderator_id, reason, stamp, stamp, guild_id, offer_id),
    )
    if row is None:
        raise await _decided(db, guild_id, offer_id)
    log.info("job offer %s refused by %s (guild=%s)", offer_id, moderator_id, guild_id)
    return _offer(row)


def _require_owner_or_moderator(offer: Offer, actor_id: int, is_moderator: bool) -> None:
    if not is_moderator and offer.submitter_id != actor_id:
        raise NotAllowed("jobs.errors.not_yours", id=offer.id)


async def update_offer(
    db: Database, guild_id: int, offer_id: int, inp: OfferInput, *, actor_id: int, is_moderator: bool,
    config: JobsConfig, now: dt.datetime, default_expiry_days: int,
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
        " link_norm = ?, place = ?, missions = ?, profile = ?, working_time = ?, pay_status = ?, how_to_apply = ?,"
        " title_norm = ?, employer_norm = ?, flags = ?, updated_at = ?, expires_at = COALESCE(?, expires_at)"
        f" WHERE guild_id = ? AND id = ? AND status IN ('pending', 'published') RETURNING {_OFFER_COLUMNS}",
        (
            clean.title, clean.employer, clean.region, clean.contract,
            timeutil.to_db(clean.deadline) if clean.deadline else None, clean.link, _link_norm(clean.link),
            clean.place, clean.missions, clean.profile, clean.working_time, clean.pay_status, clean.how_to_apply,
            fold(clean.title), fold(clean.employer), ",".join(fair_work_flags(clean)), stamp, expires,
            guild_id, offer_id,
        ),
    )
    if row is None:
        raise await _decided(db, guild_id, offer_id)
    log.info("job offer %s edited by %s (guild=%s)", offer_id, actor_id, guild_id)
    return _offer(row)


async def close_offer(
    db: Database, guild_id: int, offer_id: int, *, status: str, actor_id: int, is_moderator: bool, now: dt.datetime
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
        f" WHERE guild_id = ? AND id = ? AND status IN ({','.join('?' * len(allowed))}) RETURNING {_OFFER_COLUMNS}",
        (status, stamp, stamp, guild_id, offer_id, *allowed),
    )
    if row is None:
        raise await _decided(db, guild_id, offer_id)
    log.info("job offer %s %s by %s (guild=%s)", offer_id, status, actor_id, guild_id)
    return _offer(row)


async def expire_offer(db: Database, guild_id: int, offer_id: int, now: dt.datetime) -> Offer | None:
    """published → expired when its time has come; None when it is not (any more) published.

    Safe to call twice (timers are at-least-once): the second call finds nothing to expire.
    An offer whose deadline was moved later is left alone until the new time.
    """
    stamp = timeutil.to_db(now)
    row = await db.fetchone(
        "UPDATE job_offers SET status = 'expired', closed_at = ?, updated_at = ?"
        " WHERE guild_id = ? AND id = ? AND status = 'published' AND (expires_at IS NULL OR expires_at <= ?)"
        f" RETURNING {_OFFER_COLUMNS}",
        (stamp, stamp, guild_id, offer_id, stamp + 1.0),
    )
    if row is None:
        return None
    log.info("job offer %s expired (guild=%s)", offer_id, guild_id)
    return _offer(row)


async def set_queue_message(db: Database, guild_id: int, offer_id: int, channel_id: int, message_id: int) -> None:
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
    await db.execute("UPDATE job_offers SET closure_shown = 1 WHERE guild_id = ? AND id = ?", (guild_id, offer_id))


@dataclass(frozen=True, slots=True)
class Page:
    offers: tuple[Offer, ...]
    total: int
    page: int
    pages: int


async def list_open(
    db: Database, guild_id: int, *, region: str | None = None, contract: str | None = None, page: int = 0,
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
        f"SELECT {_OFFER_COLUMNS} FROM job_offers WHERE {where}"
        " ORDER BY COALESCE(deadline, expires_at), id LIMIT ? OFFSET ?",
        (*params, per_page, page * per_page),
    )
    return Page(tuple(_offer(r) for r in rows), total, page, pages)


async def schedule_expiry(timers: Any, offer: Offer, default_expiry_days: int) -> None:
    """One keyed timer per offer: moving the deadline replaces it."""
    await timers.schedule(
        offer.guild_id, KIND_EXPIRE, expiry_time(offer, default_expiry_days), {"offer_id": offer.id},
        key=f"jobs:expire:{offer.id}",
    )


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
        row["guild_id"], row["user_id"], _split(row["regions"]), _split(row["contracts"]), _split(row["keywords"]),
        row["rhythm"], row["dm_failures"],
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
        name = _canonical(part, allowed)
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
    row = await db.fetchone("SELECT * FROM job_subscriptions WHERE guild_id = ? AND user_id = ?", (guild_id, user_id))
    return None if row is None else _subscription(row)


async def set_subscription(
    db: Database, guild_id: int, user_id: int, *, regions: tuple[str, ...] | None, contracts: tuple[str, ...] | None,
    keywords: tuple[str, ...] | None, rhythm: str | None, now: dt.datetime,
) -> Subscription:
    """Create or change a subscription; ``None`` keeps the current value. Resets paused DMs."""
    if rhythm is not None and rhythm not in RHYTHMS:
        raise UserError("jobs.alerts.bad_rhythm", value=rhythm[:20])
    async with db.transaction():
        current = await get_subscription(db, guild_id, user_id)
        base = current or Subscription(guild_id, user_id, (), (), (), "immediat")
        new = Subscription(
            guild_id, user_id,
            base.regions if regions is None else regions,
            base.contracts if contracts is None else contracts,
            base.keywords if keywords is None else keywords,
            base.rhythm if rhythm is None else rhythm,
            0,
        )
        stamp = timeutil.to_db(now)
        await db.execute(
            "INSERT INTO job_subscriptions (guild_id, user_id, regions, contracts, keywords, rhythm, dm_failures,"
            " dm_closed_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, NULL, ?, ?)"
            " ON CONFLICT (guild_id, user_id) DO UPDATE SET regions = excluded.regions,"
            " contracts = excluded.contracts, keywords = excluded.keywords, rhythm = excluded.rhythm,"
            " dm_failures = 0, dm_closed_at = NULL, updated_at = excluded.updated_at",
            (guild_id, user_id, "|".join(new.regions), "|".join(new.contracts), "|".join(new.keywords), new.rhythm,
             stamp, stamp),
        )
        # A resumed subscription must be seen by the index even when its filters did not change.
        await db.execute(
            "INSERT INTO job_subscription_versions (guild_id, version) VALUES (?, 1)"
            " ON CONFLICT (guild_id) DO UPDATE SET version = version + 1",
            (guild_id,),
        )
    return new


async def delete_subscription(db: Database, guild_id: int, user_id: int) -> bool:
    result = await db.execute("DELETE FROM job_subscriptions WHERE guild_id = ? AND user_id = ?", (guild_id, user_id))
    return result.rowcount > 0


async def record_dm_result(db: Database, guild_id: int, user_id: int, *, delivered: bool, now: dt.datetime) -> bool:
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
                "UPDATE job_alerts SET state = 'dropped' WHERE guild_id = ? AND user_id = ? AND state = 'pending'",
                (guild_id, user_id),
            )
    if paused:
        log.info("alerts paused for user %s in guild %s after %s refused DMs", user_id, guild_id, failures)
    return paused


# -- alert matching ---------------------------------------------------------------------------------------
ANY = "*"


@dataclass(slots=True)
class _Bucket:
    plain: list[tuple[int, str]] = field(default_factory=list)                       # (user, rhythm)
    by_token: dict[str, list[tuple[int, str, str]]] = field(default_factory=dict)  # token → (user, rhythm, phrase)


class AlertIndex:
    """Subscriptions indexed by (region, contract), then by the first token of each keyword.

    A subscription lands in exactly one of the four buckets (r, c), (r, *), (*, c), (*, *) for any
    offer, so ``match`` unions four small lists without de-duplicating by region or contract; a
    member with several keywords matching is de-duplicated once at the end.
    """

    def __init__(self, subscriptions: Iterable[Subscription]) -> None:
        self._buckets: dict[tuple[str, str], _Bucket] = defaultdict(_Bucket)
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
                        bucket.plain.append((sub.user_id, sub.rhythm))
                        continue
                    for phrase in keywords:
                        bucket.by_token.setdefault(phrase.split()[0], []).append((sub.user_id, sub.rhythm, phrase))

    def match(self, region: str, contract: str, text: str) -> dict[int, str]:
        """user id → rhythm of every subscription the offer matches."""
        folded = fold(text)
        words = set(folded.split())
        padded = f" {folded} "
        found: dict[int, str] = {}
        for key in ((region, contract), (region, ANY), (ANY, contract), (ANY, ANY)):
            bucket = self._buckets.get(key)
            if bucket is None:
                continue
            for user, rhythm in bucket.plain:
                found[user] = rhythm
            if not bucket.by_token:
                continue
            small, large = (words, bucket.by_token) if len(words) < len(bucket.by_token) else (bucket.by_token, words)
            for token in small:
                if token not in large:
                    continue
                for user, rhythm, phrase in bucket.by_token[token]:
                    if " " not in phrase or f" {phrase} " in padded:
                        found[user] = rhythm
        return found


def naive_match(subscriptions: Iterable[Subscription], region: str, contract: str, text: str) -> dict[int, str]:
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
    """One index per guild, rebuilt only when the subscription version moved (one tiny query)."""

    def __init__(self) -> None:
        self._cache: dict[int, tuple[int, AlertIndex]] = {}

    async def get(self, db: Database, guild_id: int) -> AlertIndex:
        version = await db.fetchval("SELECT version FROM job_subscription_versions WHERE guild_id = ?", (guild_id,)) or 0
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
        "INSERT OR IGNORE INTO job_alerts (guild_id, offer_id, user_id, rhythm, created_at) VALUES (?, ?, ?, ?, ?)",
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


async def mark_alerts(db: Database, guild_id: int, user_id: int, offer_ids: Sequence[int], state: str,
                      now: dt.datetime) -> None:
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
            "UPDATE job_alerts SET state = 'dropped' WHERE guild_id = ? AND rhythm = 'quotidien' AND state = 'pending'"
            " AND offer_id IN (SELECT id FROM job_offers WHERE guild_id = ? AND status != 'published')",
            (guild_id, guild_id),
        )
        rows = await db.fetchall(
            f"SELECT a.user_id AS alert_user, {', '.join('o.' + c.strip() for c in _OFFER_COLUMNS.split(','))}"
            " FROM job_alerts a JOIN job_offers o ON o.id = a.offer_id"
            " WHERE a.guild_id = ? AND a.rhythm = 'quotidien' AND a.state = 'pending'"
            " ORDER BY a.user_id, o.id",
            (guild_id,),
        )
    grouped: dict[int, list[Offer]] = defaultdict(list)
    for row in rows:
        grouped[row["alert_user"]].append(_offer(row))
    return [Digest(user, tuple(offers)) for user, offers in grouped.items()]


def next_digest_time(now: dt.datetime, timezone: str, hour: int) -> dt.datetime:
    """The next ``hour``:00 local time strictly after ``now``."""
    tz = timeutil.zone(timezone)
    local = now.astimezone(tz)
    candidate = dt.datetime.combine(local.date(), dt.time(hour), tz)
    if candidate <= local:
        candidate = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(hour), tz)
    return candidate.astimezone(timeutil.UTC)


async def schedule_digest(timers: Any, guild_id: int, now: dt.datetime, timezone: str, hour: int) -> dt.datetime:
    due = next_digest_time(now, timezone, hour)
    await timers.schedule(guild_id, KIND_DIGEST, due, {}, key="jobs:digest")
    return due
