"""The community charter: loading and validating ``config/charter.yaml``, acceptances, version changes.

Discord-free. ``load_charter`` returns frozen dataclasses (articles with stable ids, automod
rules); every mistake in the file is reported with its line, all at once (``relais check``).
Acceptances are stored per ``(guild, member, version)``; when the charter's version changes,
``pending_notices`` lists the members who accepted an older version and were not yet told.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.charter import automod, care
from bot.charter.model import Article, Charter, Exemptions, Rule
from bot.core import timeutil, yamlfile
from bot.core.db import Database
from bot.core.yamlfile import ConfigError, Problem

CHARTER_FILE = "charter.yaml"
ARTICLE_ID = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
RULE_KINDS = (
    "keywords",
    "regex",
    "intrusive_question",
    "distress",
    "mass_mentions",
    "invite_links",
    "flood",
    "repeated_message",
)
ACTIONS = ("remind", "flag", "delete", "warn", "timeout", "care")
# Kinds whose patterns are optional: the engine brings tested French defaults.
KINDS_WITH_DEFAULT_PATTERNS = ("intrusive_question", "distress")
KINDS_WITH_PATTERNS = ("keywords", "regex", "intrusive_question", "distress")
KINDS_WITH_THRESHOLD = {"mass_mentions": 5, "flood": 6, "repeated_message": 3}
KINDS_WITH_WINDOW = {"flood": 10.0, "repeated_message": 120.0}
DURATION = re.compile(r"^\s*(\d+)\s*(s|m|min|h|j|d)\s*$", re.IGNORECASE)
DURATION_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "j": 86400, "d": 86400}
MAX_TIMEOUT_SECONDS = 28 * 86400
DEFAULT_TIMEOUT_SECONDS = 600


# -- parsing -----------------------------------------------------------------------------------------
def parse_duration(text: str | int) -> int | None:
    """``10m``, ``2h``, ``3j`` (or seconds as a number) → seconds; None when unreadable."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        return text if text > 0 else None
    match = DURATION.match(str(text))
    if not match:
        return None
    seconds = int(match.group(1)) * DURATION_UNITS[match.group(2).lower()]
    return seconds if seconds > 0 else None


class _Reader:
    """Reads one document, collecting problems instead of stopping at the first."""

    def __init__(self, doc: yamlfile.YamlDocument, problems: list[Problem]) -> None:
        self.doc = doc
        self.problems = problems

    def add(self, path: yamlfile.Path_, message: str, hint: str = "") -> None:
        self.problems.append(self.doc.problem(path, message, hint))

    def text(self, data: dict[str, Any], key: str, path: yamlfile.Path_, *, required: bool = True) -> str:
        value = data.get(key)
        if value is None:
            if required:
                self.add(path, f"il manque «{key}»", f'ajouter {key}: "…"')
            return ""
        if not isinstance(value, str) or not value.strip():
            self.add((*path, key), f"«{key}» doit être un texte non vide", "l'écrire entre guillemets")
            return ""
        return value.strip()

    def integer(
        self, data: dict[str, Any], key: str, path: yamlfile.Path_, default: int | None
    ) -> int | None:
        value = data.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            self.add(
                (*path, key), f"«{key}» doit être un nombre entier positif (reçu {value!r})", "par exemple 5"
            )
            return default
        return value

    def ids(self, data: dict[str, Any], key: str, path: yamlfile.Path_) -> tuple[str | int, ...]:
        value = data.get(key, [])
        if value is None:
            return ()
        if not isinstance(value, list) or not all(
            isinstance(v, str | int) and not isinstance(v, bool) for v in value
        ):
            self.add(
                (*path, key),
                f"«{key}» doit être une liste d'usages ou d'identifiants",
                "par exemple [moderation]",
            )
            return ()
        return tuple(value)


def _read_article(reader: _Reader, item: Any, path: yamlfile.Path_) -> Article | None:
    if not isinstance(item, dict):
        reader.add(
            path, "un article doit être une table (id, number, title, text)", "voir les autres articles"
        )
        return None
    known = {"id", "number", "title", "text", "warning_expiry_days"}
    for key in item:
        if key not in known:
            reader.add(
                (*path, str(key)),
                f"clé inconnue «{key}» dans un article",
                "clés possibles : " + ", ".join(sorted(known)),
            )
    article_id = item.get("id")
    if not isinstance(article_id, str) or not ARTICLE_ID.match(article_id):
        reader.add(
            (*path, "id"),
            f"identifiant d'article invalide «{article_id}»",
            "minuscules, chiffres et _ ; par exemple confidentialite",
        )
        article_id = None
    number = reader.integer(item, "number", path, None)
    if number is None and "number" not in item:
        reader.add(path, "il manque «number»", "ajouter number: 1")
    title = reader.text(item, "title", path)
    text = reader.text(item, "text", path)
    expiry = reader.integer(item, "warning_expiry_days", path, None)
    if article_id is None or number is None or not title or not text:
        return None
    return Article(article_id, number, title, text, expiry)


def _read_rule(reader: _Reader, item: Any, path: yamlfile.Path_, article_ids: set[str]) -> Rule | None:
    if not isinstance(item, dict):
        reader.add(
            path,
            "une règle doit être une table (id, article, kind, action, notice…)",
            "voir les autres règles",
        )
        return None
    known = {
        "id",
        "article",
        "kind",
        "action",
        "notice",
        "patterns",
        "threshold",
        "seconds",
        "duration",
        "reminder",
        "exempt_roles",
        "exempt_channels",
        "allow",
    }
    for key in item:
        if key not in known:
            reader.add(
                (*path, str(key)),
                f"clé inconnue «{key}» dans une règle",
                "clés possibles : " + ", ".join(sorted(known)),
            )
    ok = True
    rule_id = item.get("id")
    if not isinstance(rule_id, str) or not ARTICLE_ID.match(rule_id):
        reader.add(
            (*path, "id"),
            f"identifiant de règle invalide «{rule_id}»",
            "minuscules, chiffres et _ ; par exemple insultes",
        )
        ok = False
    article = item.get("article")
    if not isinstance(article, str) or article not in article_ids:
        reader.add(
            (*path, "article"),
            f"article inconnu «{article}»",
            "citer l'id d'un article de la charte : " + ", ".join(sorted(article_ids)),
        )
        ok = False
    kind = item.get("kind")
    if kind not in RULE_KINDS:
        reader.add(
            (*path, "kind"), f"genre de règle inconnu «{kind}»", "choisir parmi " + ", ".join(RULE_KINDS)
        )
        ok = False
    action = item.get("action")
    if action not in ACTIONS:
        reader.add((*path, "action"), f"action inconnue «{action}»", "choisir parmi " + ", ".join(ACTIONS))
        ok = False
    elif kind == "distress" and action != "care":
        reader.add(
            (*path, "action"),
            f"une règle de détresse ne peut pas avoir l'action «{action}»",
            "écrire action: care (jamais de suppression ni de sanction)",
        )
        ok = False
    elif action == "care" and kind != "distress":
        reader.add(
            (*path, "action"),
            "l'action «care» est réservée aux règles de genre distress",
            "choisir remind ou flag",
        )
        ok = False
    notice = reader.text(item, "notice", path)
    if not notice:
        ok = False

    patterns: tuple[str, ...] = ()
    raw_patterns = item.get("patterns")
    if kind in KINDS_WITH_PATTERNS:
        if raw_patterns is None and kind not in KINDS_WITH_DEFAULT_PATTERNS:
            reader.add(path, "il manque «patterns»", "ajouter une liste de mots ou d'expressions")
            ok = False
        elif raw_patterns is not None:
            if not isinstance(raw_patterns, list) or not raw_patterns:
                reader.add(
                    (*path, "patterns"),
                    "«patterns» doit être une liste non vide",
                    "une ligne « - motif » par motif",
                )
                ok = False
            else:
                found: list[str] = []
                for index, pattern in enumerate(raw_patterns):
                    where = (*path, "patterns", index)
                    if not isinstance(pattern, str) or not pattern.strip():
                        reader.add(where, "motif vide ou qui n'est pas un texte", "l'écrire entre guillemets")
                        ok = False
                        continue
                    if kind != "keywords":
                        try:
                            re.compile(pattern, re.IGNORECASE)
                        except re.error as exc:
                            reader.add(
                                where,
                                f"expression régulière invalide «{pattern}» : {exc.msg} (position {exc.pos})",
                                "corriger l'expression ; la tester avec relais charter test",
                            )
                            ok = False
                            continue
                        risk = automod.pattern_risk(pattern)
                        if risk:
                            reader.add(
                                where,
                                f"expression régulière dangereuse «{pattern}» : {risk}",
                                "la réécrire sans répéter un groupe qui se répète déjà, par exemple "
                                "(a+)+ → a+ ou (\\w+\\s?)+ → [\\w\\s]+",
                            )
                            ok = False
                            continue
                    found.append(pattern)
                patterns = tuple(found)
    elif raw_patterns is not None:
        reader.add((*path, "patterns"), f"le genre «{kind}» n'utilise pas de motifs", "retirer patterns")

    threshold = 0
    seconds = 0.0
    if kind in KINDS_WITH_THRESHOLD:
        threshold = (
            reader.integer(item, "threshold", path, KINDS_WITH_THRESHOLD[kind]) or KINDS_WITH_THRESHOLD[kind]
        )
    if kind in KINDS_WITH_WINDOW:
        raw = item.get("seconds", KINDS_WITH_WINDOW[kind])
        if isinstance(raw, bool) or not isinstance(raw, int | float) or raw <= 0:
            reader.add(
                (*path, "seconds"), f"«seconds» doit être un nombre positif (reçu {raw!r})", "par exemple 10"
            )
            ok = False
        else:
            seconds = float(raw)

    duration: int | None = None
    if action == "timeout":
        raw = item.get("duration", DEFAULT_TIMEOUT_SECONDS)
        duration = parse_duration(raw)
        if duration is None or duration > MAX_TIMEOUT_SECONDS:
            reader.add(
                (*path, "duration"),
                f"durée invalide «{raw}»",
                "écrire par exemple 10m, 2h ou 3j (28 jours au plus)",
            )
            ok = False
    elif "duration" in item:
        reader.add((*path, "duration"), "«duration» ne sert qu'avec action: timeout", "retirer duration")

    reminder = item.get("reminder", "private")
    if reminder not in ("private", "public"):
        reader.add((*path, "reminder"), f"«reminder» inconnu «{reminder}»", "écrire private ou public")
        ok = False

    allow = item.get("allow", [])
    if not isinstance(allow, list) or not all(isinstance(a, str) for a in allow):
        reader.add(
            (*path, "allow"), "«allow» doit être une liste de codes d'invitation", "par exemple [pairaidance]"
        )
        allow = []

    if not ok:
        return None
    return Rule(
        id=rule_id,
        article=article,
        kind=kind,
        action=action,
        notice=notice,
        patterns=patterns,
        threshold=threshold,
        seconds=seconds,
        duration_seconds=duration,
        reminder=reminder,
        exempt_roles=reader.ids(item, "exempt_roles", path),
        exempt_channels=reader.ids(item, "exempt_channels", path),
        allow=tuple(a.strip().lower() for a in allow),
        line=reader.doc.line(path),
    )


def parse_charter(doc: yamlfile.YamlDocument, problems: list[Problem]) -> Charter | None:
    reader = _Reader(doc, problems)
    data = doc.data
    if not isinstance(data, dict):
        reader.add(
            (),
            "la charte doit être une table (version, title, preamble, articles, automod)",
            "voir la documentation",
        )
        return None
    known = {"version", "title", "preamble", "articles", "automod"}
    for key in data:
        if key not in known:
            reader.add((str(key),), f"clé inconnue «{key}»", "clés possibles : " + ", ".join(sorted(known)))

    version = data.get("version")
    if isinstance(version, int) and not isinstance(version, bool):
        version = str(version)
    if isinstance(version, float):
        reader.add(
            ("version",),
            f"version écrite comme un nombre ({version})",
            f'l\'écrire entre guillemets : "{version}"',
        )
        version = None
    elif not isinstance(version, str) or not version.strip():
        reader.add(("version",), "il manque «version»", 'ajouter version: "2025-01"')
        version = None
    title = reader.text(data, "title", ())
    preamble = reader.text(data, "preamble", ())

    articles: list[Article] = []
    raw_articles = data.get("articles")
    if not isinstance(raw_articles, list) or not raw_articles:
        reader.add(("articles",), "il manque la liste «articles»", "ajouter au moins un article")
        raw_articles = []
    seen_ids: dict[str, int] = {}
    seen_numbers: set[int] = set()
    for index, item in enumerate(raw_articles):
        article = _read_article(reader, item, ("articles", index))
        if article is None:
            continue
        if article.id in seen_ids:
            reader.add(
                ("articles", index, "id"),
                f"l'article «{article.id}» existe déjà",
                "chaque id doit être unique",
            )
            continue
        if article.number in seen_numbers:
            reader.add(
                ("articles", index, "number"),
                f"le numéro {article.number} est déjà pris",
                "numéroter sans doublon",
            )
            continue
        seen_ids[article.id] = index
        seen_numbers.add(article.number)
        articles.append(article)
    article_ids = {a.id for a in articles}
    if isinstance(raw_articles, list):
        # A rule citing an article that failed to parse must not add a second, confusing problem.
        article_ids |= {
            str(i.get("id")) for i in raw_articles if isinstance(i, dict) and isinstance(i.get("id"), str)
        }

    rules: list[Rule] = []
    exempt = Exemptions()
    automod = data.get("automod", {}) or {}
    if not isinstance(automod, dict):
        reader.add(("automod",), "«automod» doit être une table (exempt, rules)", "voir la documentation")
        automod = {}
    for key in automod:
        if key not in ("exempt", "rules"):
            reader.add(("automod", str(key)), f"clé inconnue «{key}»", "clés possibles : exempt, rules")
    raw_exempt = automod.get("exempt", {}) or {}
    if isinstance(raw_exempt, dict):
        exempt = Exemptions(
            reader.ids(raw_exempt, "roles", ("automod", "exempt")),
            reader.ids(raw_exempt, "channels", ("automod", "exempt")),
        )
    else:
        reader.add(
            ("automod", "exempt"), "«exempt» doit être une table (roles, channels)", "voir la documentation"
        )
    raw_rules = automod.get("rules", []) or []
    if not isinstance(raw_rules, list):
        reader.add(("automod", "rules"), "«rules» doit être une liste", "une entrée « - id: … » par règle")
        raw_rules = []
    seen_rules: set[str] = set()
    for index, item in enumerate(raw_rules):
        rule = _read_rule(reader, item, ("automod", "rules", index), article_ids)
        if rule is None:
            continue
        if rule.id in seen_rules:
            reader.add(
                ("automod", "rules", index, "id"),
                f"la règle «{rule.id}» existe déjà",
                "chaque id doit être unique",
            )
            continue
        seen_rules.add(rule.id)
        rules.append(rule)

    if version is None or not title or not preamble or not articles:
        return None
    articles.sort(key=lambda a: a.number)
    return Charter(version.strip(), title, preamble, tuple(articles), tuple(rules), exempt)


def load_charter(config_dir: Path) -> Charter:
    """The charter of ``config_dir``; raises ``ConfigError`` listing every problem with its line."""
    path = Path(config_dir) / CHARTER_FILE
    doc, problems = yamlfile.load(path)
    charter = parse_charter(doc, problems) if doc.data is not None or not problems else None
    if problems or charter is None:
        raise ConfigError(problems or [Problem(str(path), 1, "charte vide", "voir la documentation")])
    # What only the engine knows (a keyword empty once normalised, a pattern matching empty text).
    engine_problems = automod.check_rules(charter, str(path), doc)
    if engine_problems:
        raise ConfigError(engine_problems)
    return charter


def check_config(config_dir: Path) -> list[Problem]:
    """``relais check``: the charter and the crisis lines, every problem with file and line."""
    problems: list[Problem] = []
    try:
        load_charter(config_dir)
    except ConfigError as exc:
        problems.extend(exc.problems)
    problems.extend(care.check_config(config_dir))
    return problems


# -- acceptances and versions -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Acceptance:
    guild_id: int
    user_id: int
    version: str
    accepted_at: float


async def record_acceptance(
    db: Database, guild_id: int, user_id: int, version: str, at: float | None = None
) -> bool:
    """Record that a member accepted ``version``; False when it was already recorded (a double click)."""
    at = timeutil.to_db(timeutil.now()) if at is None else at
    result = await db.execute(
        "INSERT INTO charter_acceptances (guild_id, user_id, version, accepted_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (guild_id, user_id, version) DO NOTHING",
        (guild_id, user_id, version, at),
    )
    return result.rowcount == 1


async def latest_acceptance(db: Database, guild_id: int, user_id: int) -> Acceptance | None:
    row = await db.fetchone(
        "SELECT guild_id, user_id, version, accepted_at FROM charter_acceptances "
        "WHERE guild_id = ? AND user_id = ? ORDER BY accepted_at DESC, rowid DESC LIMIT 1",
        (guild_id, user_id),
    )
    return (
        None
        if row is None
        else Acceptance(row["guild_id"], row["user_id"], row["version"], row["accepted_at"])
    )


async def has_accepted(db: Database, guild_id: int, user_id: int, version: str) -> bool:
    return bool(
        await db.fetchval(
            "SELECT 1 FROM charter_acceptances WHERE guild_id = ? AND user_id = ? AND version = ?",
            (guild_id, user_id, version),
        )
    )


async def observe_version(db: Database, guild_id: int, version: str) -> str | None:
    """Remember the charter version now in force for a guild.

    Returns the previous version when it changed (a bump: members must be told), else None — also
    the first time a guild is seen, when nobody can have accepted an older version through Relais.
    """
    async with db.transaction():
        previous = await db.fetchval("SELECT version FROM charter_state WHERE guild_id = ?", (guild_id,))
        if previous == version:
            return None
        await db.execute(
            "INSERT INTO charter_state (guild_id, version, changed_at) VALUES (?, ?, ?) "
            "ON CONFLICT (guild_id) DO UPDATE SET version = excluded.version, changed_at = "
            "excluded.changed_at",
            (guild_id, version, timeutil.to_db(timeutil.now())),
        )
    return previous


async def pending_notices(db: Database, guild_id: int, version: str) -> list[int]:
    """Members who accepted another version, not this one, and were not yet told about it."""
    rows = await db.fetchall(
        "SELECT DISTINCT a.user_id FROM charter_acceptances a "
        "WHERE a.guild_id = ? AND a.version <> ? "
        "AND NOT EXISTS (SELECT 1 FROM charter_acceptances b "
        "                WHERE b.guild_id = a.guild_id AND b.user_id = a.user_id AND b.version = ?) "
        "AND NOT EXISTS (SELECT 1 FROM charter_notices n "
        "                WHERE n.guild_id = a.guild_id AND n.user_id = a.user_id AND n.version = ?) "
        "ORDER BY a.user_id",
        (guild_id, version, version, version),
    )
    return [r["user_id"] for r in rows]


async def claim_notice(db: Database, guild_id: int, user_id: int, version: str) -> bool:
    """Reserve the one notice a member gets for ``version``; False if someone already sent it.

    Claimed *before* sending: after a crash a member may miss the notice (they still see the
    charter channel), but is never told twice.
    """
    result = await db.execute(
        "INSERT INTO charter_notices (guild_id, user_id, version, notified_at, via) VALUES (?, ?, ?, ?, "
        "'pending') "
        "ON CONFLICT (guild_id, user_id, version) DO NOTHING",
        (guild_id, user_id, version, timeutil.to_db(timeutil.now())),
    )
    return result.rowcount == 1


async def set_notice_channel(db: Database, guild_id: int, user_id: int, version: str, via: str) -> None:
    """How the notice reached the member: ``dm``, ``channel`` or ``failed``."""
    await db.execute(
        "UPDATE charter_notices SET via = ? WHERE guild_id = ? AND user_id = ? AND version = ?",
        (via, guild_id, user_id, version),
    )


# A member whose ``membre`` role a moderator removed: the acceptance button must not give it back.
async def hold_member_role(db: Database, guild_id: int, user_id: int) -> None:
    """Moderators removed the member role: remember it until somebody gives the role back."""
    await db.execute(
        "INSERT INTO charter_role_holds (guild_id, user_id, held_at) VALUES (?, ?, ?) "
        "ON CONFLICT (guild_id, user_id) DO UPDATE SET held_at = excluded.held_at",
        (guild_id, user_id, timeutil.to_db(timeutil.now())),
    )


async def release_member_role(db: Database, guild_id: int, user_id: int) -> None:
    await db.execute("DELETE FROM charter_role_holds WHERE guild_id = ? AND user_id = ?", (guild_id, user_id))


async def member_role_held(db: Database, guild_id: int, user_id: int) -> bool:
    return bool(
        await db.fetchval(
            "SELECT 1 FROM charter_role_holds WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )
    )


async def record_publication(
    db: Database, guild_id: int, version: str, channel_id: int, message_id: int
) -> None:
    await db.execute(
        "INSERT INTO charter_publications (guild_id, version, channel_id, message_id, published_at) VALUES "
        "(?, ?, ?, ?, ?)",
        (guild_id, version, channel_id, message_id, timeutil.to_db(timeutil.now())),
    )


async def last_published_version(db: Database, guild_id: int) -> str | None:
    """The version of the charter last published in this guild (None: never published)."""
    return await db.fetchval(
        "SELECT version FROM charter_publications WHERE guild_id = ? "
        "ORDER BY published_at DESC, id DESC LIMIT 1",
        (guild_id,),
    )


async def claim_welcome(db: Database, guild_id: int, user_id: int) -> bool:
    """One welcome message per member and guild, even if they leave and come back, or the event repeats."""
    result = await db.execute(
        "INSERT INTO charter_welcomes (guild_id, user_id, sent_at) VALUES (?, ?, ?) "
        "ON CONFLICT (guild_id, user_id) DO NOTHING",
        (guild_id, user_id, timeutil.to_db(timeutil.now())),
    )
    return result.rowcount == 1


async def claim_automod_action(
    db: Database, guild_id: int, message_id: int, rule_id: str, user_id: int, channel_id: int, action: str
) -> bool:
    """Act at most once per (message, rule): an edit re-checks the message, Discord may repeat an event."""
    result = await db.execute(
        "INSERT INTO automod_actions (guild_id, message_id, rule_id, user_id, channel_id, action, acted_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, message_id, rule_id) DO NOTHING",
        (guild_id, message_id, rule_id, user_id, channel_id, action, timeutil.to_db(timeutil.now())),
    )
    return result.rowcount == 1


async def acceptance_counts(db: Database, guild_id: int) -> dict[str, int]:
    rows = await db.fetchall(
        "SELECT version, COUNT(*) AS n FROM charter_acceptances WHERE guild_id = ? GROUP BY version",
        (guild_id,),
    )
    return {r["version"]: r["n"] for r in rows}


def pages(charter: Charter, per_page: int = 3) -> list[tuple[Article, ...]]:
    """Articles grouped for paginated display (an embed holds a few articles comfortably)."""
    items = list(charter.articles)
    return [tuple(items[i : i + per_page]) for i in range(0, len(items), per_page)] or [()]


def find_articles(charter: Charter, query: str) -> list[Article]:
    """Articles whose id, number or title contains ``query`` (for /charte voir article and autocomplete)."""
    query = query.strip().lower()
    if not query:
        return list(charter.articles)
    return [
        a for a in charter.articles if query in a.id or query == str(a.number) or query in a.title.lower()
    ]


def ids(items: Iterable[Article]) -> list[str]:
    return [a.id for a in items]
