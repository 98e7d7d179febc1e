"""``relais check``: validate every configuration file and list all problems with file and line."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path

from bot.core import i18n, settings, yamlfile
from bot.core.yamlfile import ConfigError, Problem

# Feature areas add "module:function" entries; each function takes the config folder and
# returns a list of problems (it must never raise on bad input).
AREA_CHECKS: tuple[str, ...] = (
    "bot.charter:check_config",
    "bot.moderation:check_config",
    "bot.jobs:check_config",
    "bot.resources:check_config",
)


# Facts a person must still check (crisis lines whose source says « À VÉRIFIER »): listed by
# ``relais check`` after the problems, without failing it.
AREA_NOTICES: tuple[str, ...] = ("bot.charter.care:unverified_notices",)


def notices_all(config_dir: Path) -> list[Problem]:
    out: list[Problem] = []
    for entry in AREA_NOTICES:
        out.extend(_resolve(entry)(config_dir))
    return out


def _resolve(entry: str) -> Callable[[Path], list[Problem]]:
    module, _, function = entry.partition(":")
    return getattr(importlib.import_module(module), function)


def check_all(config_dir: Path, environ: Mapping[str, str]) -> list[Problem]:
    problems: list[Problem] = []
    try:
        loaded = settings.load(config_dir, environ)
    except ConfigError as exc:
        problems.extend(exc.problems)
    else:
        problems.extend(report_key_problems(loaded, environ))
    problems.extend(i18n.Catalog.load(config_dir).problems)
    for entry in AREA_CHECKS:
        problems.extend(_resolve(entry)(config_dir))
    return problems


# -- the anonymous reports' key ----------------------------------------------------------------------
KEY_ENV = "RELAIS_MODERATION__REPORT_KEY_FILE"
DB_ENV = "RELAIS_DATABASE__PATH"
KEY_PROBLEM = "la clé des signalements anonymes"


def refuses_to_start(problems: list[Problem]) -> bool:
    """A problem ``relais run`` refuses to start with (exit 78) rather than one it would report."""
    return any(p.message.startswith(KEY_PROBLEM) for p in problems)


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def report_key_problems(
    loaded: settings.Settings, environ: Mapping[str, str], *, db_option: bool = False
) -> list[Problem]:
    """The key that unmasks anonymous reporters must not sit in the database's folder: one copy of
    that folder (a backup, a move to another machine) would then tell who reported whom.

    ``db_option``: the database path came from ``--db`` (named as the origin when it is to blame).
    """
    if loaded.moderation.report_key_in_database_folder or loaded.database.path in ("", ":memory:"):
        return []
    key = Path(os.path.expanduser(loaded.moderation.report_key_file)).resolve()
    db_folder = Path(os.path.expanduser(loaded.database.path)).resolve().parent
    if not _inside(key, db_folder):
        return []
    doc, _ = yamlfile.load(Path(loaded.config_dir) / "settings.yaml")
    data = doc.data if isinstance(doc.data, dict) else {}
    moderation = data.get("moderation") if isinstance(data.get("moderation"), dict) else {}
    if environ.get(KEY_ENV, "").strip():
        where = Problem(KEY_ENV, 0, "")
    elif "report_key_file" in moderation:
        where = Problem(doc.file, doc.line(("moderation", "report_key_file")), "")
    elif db_option:
        where = Problem("--db", 0, "")
    elif environ.get(DB_ENV, "").strip():
        where = Problem(DB_ENV, 0, "")
    else:
        where = Problem(doc.file, doc.line(("database", "path")), "")
    return [
        Problem(
            where.file,
            where.line,
            f"{KEY_PROBLEM} ({key}) est dans le dossier de la base ({db_folder}) : "
            "une copie de ce dossier suffirait à retrouver qui a signalé",
            "la placer ailleurs avec moderation.report_key_file (par défaut "
            "~/.config/relais/report-hmac.key) "
            "et la sauvegarder à part, ou écrire moderation.report_key_in_database_folder: true pour "
            "l'accepter",
        )
    ]
