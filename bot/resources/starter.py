"""The resource library as a file: ``config/resources.yaml`` (default themes and the starter
library), ``relais resources import`` (idempotent) and ``export`` (YAML or CSV).

The file is read through ``bot/yamlfile.py`` and ``bot/config_schema.py`` so each mistake is
reported as ``file:line: what is wrong — what to write``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.core import config_schema, timeutil, yamlfile
from bot.core.db import Database
from bot.core.errors import UserError
from bot.core.urls import validate_http_url
from bot.core.yamlfile import Problem
from bot.resources.library import (
    KIND_ALIASES,
    KINDS,
    MAX_DESCRIPTION,
    MAX_THEMES,
    MAX_TITLE,
    _insert,
    make_draft,
)
from bot.resources.search import fold

FALLBACK_THEMES = (
    "rétablissement",
    "stigmatisation",
    "emploi",
    "formation",
    "addictions",
    "précarité",
    "santé mentale",
    "droits",
    "témoignage",
    "intervision",
    "famille",
    "logement",
)


def _check_url(value: str) -> tuple[str, str] | None:
    try:
        validate_http_url(value)
    except UserError:
        return f"lien invalide «{value[:80]}»", "écrire une adresse complète qui commence par https://"
    return None


def _check_kind(value: str) -> tuple[str, str] | None:
    key = KIND_ALIASES.get(value.strip().lower(), value.strip().lower())
    if key in KINDS:
        return None
    return f"type inconnu «{value}»", "choisir parmi " + ", ".join(KINDS)


def _check_title(value: str) -> tuple[str, str] | None:
    if not value.strip():
        return "titre vide", "écrire un titre"
    if len(value) > MAX_TITLE:
        return f"titre trop long ({len(value)} caractères)", f"au plus {MAX_TITLE}"
    return None


def _check_description(value: str) -> tuple[str, str] | None:
    if len(value) > MAX_DESCRIPTION:
        return f"description trop longue ({len(value)} caractères)", f"au plus {MAX_DESCRIPTION}"
    return None


def _check_themes(value: tuple[str, ...]) -> tuple[str, str] | None:
    if len(value) > MAX_THEMES:
        return f"{len(value)} thèmes", f"au plus {MAX_THEMES} par ressource"
    return None


@dataclass(frozen=True, slots=True)
class LibraryEntry:
    url: str = field(metadata={"check": _check_url})
    title: str = field(metadata={"check": _check_title})
    type: str = field(default="article", metadata={"check": _check_kind})
    themes: tuple[str, ...] = field(default=(), metadata={"check": _check_themes})
    description: str = field(default="", metadata={"check": _check_description})


@dataclass(frozen=True, slots=True)
class LibraryFile:
    themes: tuple[str, ...] = FALLBACK_THEMES
    library: tuple[LibraryEntry, ...] = ()


def parse_library(text: str, name: str) -> tuple[LibraryFile, list[Problem]]:
    doc, problems = yamlfile.parse(text, name)
    return _build(doc, problems)


def load_library_file(path: Path) -> tuple[LibraryFile, list[Problem]]:
    doc, problems = yamlfile.load(path)
    return _build(doc, problems)


def _build(doc: yamlfile.YamlDocument, problems: list[Problem]) -> tuple[LibraryFile, list[Problem]]:
    if doc.data is None and problems:
        return LibraryFile(), problems
    built = config_schema.build(LibraryFile, doc.data, doc, (), problems)
    # Duplicates and member-level rules are checked on the raw entries, so they are reported even
    # when another entry has a schema mistake.
    raw = doc.data.get("library") if isinstance(doc.data, dict) else None
    seen: dict[str, int] = {}
    for index, entry in enumerate(raw if isinstance(raw, list) else []):
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("url"), str)
            or not isinstance(entry.get("title"), str)
        ):
            continue
        try:
            draft = make_draft(
                0,
                entry["url"],
                title=entry["title"],
                kind=str(entry.get("type") or "article"),
                themes=[str(t) for t in entry.get("themes") or []]
                if isinstance(entry.get("themes"), list)
                else None,
                description=str(entry.get("description") or ""),
            )
        except UserError as exc:
            start = doc.line(("library", index))
            end = doc.line(("library", index + 1)) if index + 1 < len(raw) else 10**9
            if not any(p.file == doc.file and start <= p.line < end for p in problems):  # not reported yet
                problems.append(
                    doc.problem(
                        ("library", index), f"entrée refusée ({exc.key})", "corriger le texte de cette entrée"
                    )
                )
            continue
        if draft.url_key in seen:
            problems.append(
                doc.problem(
                    ("library", index, "url"),
                    f"lien déjà présent dans l'entrée n°{seen[draft.url_key] + 1}",
                    "supprimer l'une des deux entrées",
                )
            )
        seen.setdefault(draft.url_key, index)
    if config_schema.is_missing(built):
        return LibraryFile(), problems
    return built, problems


def default_themes(config_dir: Path) -> tuple[str, ...]:
    library, problems = load_library_file(Path(config_dir) / "resources.yaml")
    return library.themes if library.themes else FALLBACK_THEMES


@dataclass(frozen=True, slots=True)
class ImportReport:
    added: int
    skipped: int


async def import_library(
    db: Database, guild_id: int, library: LibraryFile, *, now: dt.datetime | None = None
) -> ImportReport:
    """Add every entry whose link is not already in the guild's library; twice adds nothing."""
    now = now or timeutil.now()
    added = skipped = 0
    async with db.transaction():
        for entry in library.library:
            draft = make_draft(
                guild_id,
                entry.url,
                title=entry.title,
                kind=entry.type,
                themes=entry.themes,
                description=entry.description,
            )
            exists = await db.fetchval(
                "SELECT 1 FROM resources WHERE guild_id = ? AND url_key = ? AND removed_at IS NULL",
                (guild_id, draft.url_key),
            )
            if exists:
                skipped += 1
                continue
            await _insert(db, draft, draft.title or draft.url, draft.description, now, source="import")
            added += 1
    return ImportReport(added, skipped)


EXPORT_FIELDS = (
    "id",
    "url",
    "title",
    "type",
    "themes",
    "description",
    "site",
    "author_id",
    "created_at",
    "useful",
)


async def export_rows(db: Database, guild_id: int | None = None) -> list[dict]:
    sql = (
        "SELECT id, guild_id, url, title, kind, themes, description, site, author_id, created_at, "
        "useful_count "
        "FROM resources WHERE removed_at IS NULL"
    )
    params: tuple = ()
    if guild_id is not None:
        sql += " AND guild_id = ?"
        params = (guild_id,)
    rows = await db.fetchall(sql + " ORDER BY guild_id, id", params)
    return [
        {
            "id": r["id"],
            "guild_id": r["guild_id"],
            "url": r["url"],
            "title": r["title"],
            "type": r["kind"],
            "themes": [t.strip() for t in r["themes"].split(",") if t.strip()],
            "description": r["description"],
            "site": r["site"],
            "author_id": r["author_id"],
            "created_at": timeutil.from_db(r["created_at"]).isoformat(timespec="seconds"),
            "useful": r["useful_count"],
        }
        for r in rows
    ]


def to_yaml(rows: list[dict]) -> str:
    """Re-importable: the ``library`` entries keep only the fields the import reads."""
    entries = []
    for row in rows:
        entry = {"url": row["url"], "title": row["title"], "type": row["type"]}
        if row["themes"]:
            entry["themes"] = row["themes"]
        if row["description"]:
            entry["description"] = row["description"]
        entries.append(entry)
    return yaml.safe_dump({"library": entries}, allow_unicode=True, sort_keys=False, width=100)


def to_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("guild_id", *EXPORT_FIELDS))
    for row in rows:
        values = [row["guild_id"]] + [", ".join(row[f]) if f == "themes" else row[f] for f in EXPORT_FIELDS]
        # A cell starting with = + - @ is a formula in spreadsheets: neutralise it.
        writer.writerow(
            ["'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v for v in values]
        )
    return out.getvalue()


def theme_key(theme: str) -> str:
    return fold(theme)


# -- configuration check ----------------------------------------------------------------------------
def check_config(config_dir: Path) -> list[Problem]:
    """``relais check``: validate config/resources.yaml (file:line for every mistake)."""
    _, problems = load_library_file(Path(config_dir) / "resources.yaml")
    return problems
