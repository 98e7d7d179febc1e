"""The checks of ``relais doctor`` that need no network: configuration, token file, database, disk,
timers, backups. Each is a plain function returning ``Check`` lines."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import sqlite3
import stat
from collections.abc import Mapping
from pathlib import Path

from bot import config_check
from bot.core import backups, run_lock, timers
from bot.core import settings as settings_module
from bot.core.db import Database, load_migrations
from bot.core.yamlfile import ConfigError
from bot.doctor.report import Check, Level, error, ok, warning

MIB = 1024 * 1024
# Free space: the next daily copy needs as much room as the database itself, and SQLite needs some
# more for its WAL and a migration's rewrites. Below this margin beyond one copy, writes may fail.
FREE_SPACE_MARGIN = 100 * MIB
# Below this (beyond three copies), it is time to make room before it becomes urgent.
FREE_SPACE_COMFORT = 500 * MIB
# A timer this late while a bot runs means the dispatcher is stuck (timers are normally on time).
TIMER_LATE_AFTER = dt.timedelta(minutes=10)
# The newest daily copy older than this: at least one daily backup was missed.
BACKUP_TOO_OLD = dt.timedelta(hours=36)


def _size(n: float) -> str:
    if n < MIB:
        return f"{n / 1024:.0f} Ko"
    return f"{n / MIB:.0f} Mo" if n < 1024 * MIB else f"{n / (1024 * MIB):.1f} Go"


def _ago(delta: dt.timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} jours"


# -- configuration -----------------------------------------------------------------------------------
def check_configuration(config_dir: Path, environ: Mapping[str, str]) -> list[Check]:
    problems = config_check.check_all(config_dir, environ)
    if problems:
        return [
            error(f"configuration : {p.file}{f':{p.line}' if p.line else ''}: {p.message}", p.hint or "")
            for p in problems
        ]
    checks = [ok(f"configuration valide ({config_dir})")]
    notices = config_check.notices_all(config_dir)
    if notices:
        checks.append(
            warning(
                f"{len(notices)} information(s) à vérifier par une personne (lignes d'écoute…)",
                "relais check les liste une à une",
            )
        )
    return checks


def check_token(settings: settings_module.Settings, environ: Mapping[str, str]) -> list[Check]:
    """Where the token comes from and who can read its file; the token itself is never shown."""
    checks: list[Check] = []
    from_env = bool(environ.get("DISCORD_TOKEN", "").strip())
    token_file = settings.discord.token_file
    if token_file:
        path = Path(os.path.expanduser(token_file))
        try:
            info = path.stat()
        except OSError as exc:
            checks.append(
                error(
                    f"fichier du jeton {path} introuvable ({exc.strerror})",
                    "créez-le avec le jeton seul sur une ligne, puis chmod 600 " + str(path),
                )
            )
        else:
            mode = stat.S_IMODE(info.st_mode)
            if mode & 0o077:
                checks.append(
                    error(
                        f"fichier du jeton {path} accessible à d'autres comptes (mode {mode:04o}) : "
                        "qui le lit peut se faire passer pour le bot",
                        f"chmod 600 {path}, puis régénérez le jeton sur le portail des développeurs "
                        "s'il a pu être lu",
                    )
                )
            elif not os.access(path, os.R_OK):
                checks.append(
                    error(
                        f"fichier du jeton {path} illisible pour ce compte",
                        "lancez relais avec le compte propriétaire du fichier",
                    )
                )
            elif not from_env and not path.read_text(encoding="utf-8", errors="replace").strip():
                checks.append(error(f"fichier du jeton {path} vide", "écrivez-y le jeton du bot"))
            else:
                checks.append(ok(f"fichier du jeton {path} lisible par son seul propriétaire"))
    if from_env:
        checks.append(ok("jeton fourni par la variable DISCORD_TOKEN"))
    elif not token_file:
        checks.append(
            warning(
                "aucun jeton (DISCORD_TOKEN ou discord.token_file) : serveurs Discord non vérifiés",
                "relancez relais doctor avec le jeton du bot pour vérifier aussi chaque serveur",
            )
        )
    return checks


# -- database ----------------------------------------------------------------------------------------
def check_database_file(path: Path) -> tuple[list[Check], bool]:
    """Existence, integrity and schema version; the flag says whether the file can be opened."""
    if not path.exists():
        return [
            error(
                f"base de données {path} introuvable",
                "vérifiez database.path (ou RELAIS_DATABASE__PATH) ; "
                "pour une installation neuve : relais db upgrade",
            )
        ], False
    checks: list[Check] = []
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        checks.append(
            warning(
                f"base {path} lisible par d'autres comptes (mode {mode:04o}), "
                "alors qu'elle contient des signalements",
                f"chmod 600 {path}",
            )
        )
    problem = backups.check_file(path, read_only=False)  # a live WAL database: read its WAL too
    if problem is not None:
        checks.append(
            error(
                f"base {path} abîmée (PRAGMA quick_check : {problem[:200]})",
                "arrêtez le bot et restaurez la dernière sauvegarde : relais db restore FICHIER",
            )
        )
        return checks, False
    try:
        version = backups.schema_version(path, read_only=False)
    except sqlite3.Error as exc:
        checks.append(error(f"base {path} illisible ({exc})", "vérifiez le fichier et ses droits"))
        return checks, False
    known = len(load_migrations())
    if version > known:
        checks.append(
            error(
                f"base au schéma {version}, plus récent que ce Relais (qui connaît {known})",
                "mettez Relais à jour, ou restaurez une sauvegarde faite par cette version",
            )
        )
        return checks, False
    if version < known:
        checks.append(
            warning(
                f"base intègre, {known - version} migration(s) en attente (schéma {version} sur {known})",
                "lancez relais db upgrade (relais run les applique aussi au démarrage)",
            )
        )
    else:
        checks.append(ok(f"base {path} intègre, schéma à jour ({version})"))
    return checks, True


def check_disk(path: Path, backup_folder: Path | None = None) -> list[Check]:
    """Free space beside the database, and beside the backups when they live on another disk."""
    folder = path.parent if path.parent.exists() else Path(".")
    size = path.stat().st_size if path.exists() else 0
    wal = path.with_name(path.name + "-wal")
    size += wal.stat().st_size if wal.exists() else 0
    checks = [_free_space(folder, size, f"espace libre près de la base : {{free}} (base : {_size(size)})")]
    if (
        backup_folder is not None
        and backup_folder.is_dir()
        and backup_folder.stat().st_dev != folder.stat().st_dev
    ):
        checks.append(_free_space(backup_folder, size, "espace libre pour les sauvegardes : {free}"))
    return checks


def _free_space(folder: Path, size: int, what: str) -> Check:
    free = shutil.disk_usage(folder).free
    what = what.format(free=_size(free))
    if free < size + FREE_SPACE_MARGIN:
        return error(
            what + " : la prochaine sauvegarde ou écriture peut échouer",
            f"libérez de la place dans {folder.resolve()} (anciennes sauvegardes, journaux)",
        )
    if free < 3 * size + FREE_SPACE_COMFORT:
        return warning(what, f"prévoyez de libérer de la place dans {folder.resolve()}")
    return ok(what)


def check_report_key(settings: settings_module.Settings) -> list[Check]:
    """The key that links anonymous reports to their authors: nobody else may read it."""
    key = Path(settings.moderation.report_key_file)
    try:
        mode = stat.S_IMODE(key.stat().st_mode)
    except OSError:
        return []  # created at the first anonymous report
    if mode & 0o077:
        return [
            error(
                f"clé des signalements anonymes {key} accessible à d'autres comptes (mode {mode:04o}) : "
                "qui la lit avec la base retrouve qui a signalé",
                f"chmod 600 {key}",
            )
        ]
    return [ok(f"clé des signalements anonymes {key} lisible par son seul propriétaire")]


def check_running(path: Path) -> Check:
    if run_lock.bot_running(path):
        return ok("un bot Relais tourne sur cette base")
    return warning(
        "aucun bot Relais ne tourne sur cette base",
        "démarrez-le (systemctl start relais, ou relais run) si ce n'est pas voulu",
    )


async def check_timers(db: Database, now: dt.datetime, *, bot_running: bool) -> list[Check]:
    health = await timers.health(db, now, overdue_after=TIMER_LATE_AFTER)
    checks: list[Check] = []
    if health.overdue:
        late = _ago(dt.timedelta(seconds=health.oldest_overdue_seconds))
        what = f"{health.overdue} action(s) programmée(s) en retard (la plus ancienne de {late})"
        if bot_running:
            checks.append(
                error(what, "le bot tourne mais ne les traite pas : relancez-le et lisez ses journaux")
            )
        else:
            checks.append(warning(what, "elles seront faites au démarrage du bot"))
    if health.failed_recently:
        checks.append(
            warning(
                f"{health.failed_recently} action(s) programmée(s) en échec ces 7 derniers jours ("
                + " ; ".join(e[:120] for e in health.last_errors)
                + ")",
                "lisez les journaux du bot autour de ces erreurs",
            )
        )
    if not checks:
        checks.append(ok(f"actions programmées à l'heure ({health.pending} en attente)"))
    return checks


def check_backup_folder(folder: Path) -> list[Check]:
    """Can the bot write there? (The first existing folder on the way, when it is not created yet.)"""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing.is_dir() and os.access(existing, os.W_OK | os.X_OK):
        return []
    return [
        error(
            f"dossier des sauvegardes {folder} impossible à écrire pour ce compte",
            "créez-le et donnez-le au compte du bot (chown, chmod 700), ou changez backup.folder",
        )
    ]


async def check_backups(db: Database, settings: settings_module.Settings, now: dt.datetime) -> list[Check]:
    folder = backups.folder_for(settings)
    if not settings.backup.enabled:
        return [
            warning(
                "sauvegardes quotidiennes désactivées (backup.enabled: false)",
                "sauvegardez autrement (relais db backup FICHIER), ou activez-les",
            )
        ]
    checks = check_backup_folder(folder)
    state = await backups.status(db)
    if state.failing and state.last_failure_at is not None:
        checks.append(
            error(
                f"la dernière sauvegarde a échoué (il y a {_ago(now - state.last_failure_at)} : "
                f"{(state.last_error or '?')[:200]})",
                f"vérifiez la place et les droits de {folder} ; nouvel essai demain, ou tout de suite : "
                "relais db backup FICHIER",
            )
        )
    copies = backups.dated_backups(folder)
    if not copies:
        checks.append(
            warning(
                f"aucune sauvegarde quotidienne dans {folder} pour l'instant",
                f"la première sera faite à {settings.backup.hour} h par le bot ; "
                "en attendant : relais db backup FICHIER",
            )
        )
        return checks
    _, newest = copies[-1]
    info = newest.stat()
    age = now - dt.datetime.fromtimestamp(info.st_mtime, dt.UTC)
    what = (
        f"dernière sauvegarde {newest.name} il y a {_ago(age)} ({_size(info.st_size)}, {len(copies)} gardées)"
    )
    if age > BACKUP_TOO_OLD:
        checks.append(
            error(what, "une sauvegarde quotidienne a été manquée : le bot tourne-t-il ? lisez ses journaux")
        )
    elif not checks:
        checks.append(ok(what))
    return checks


def database_path(settings: settings_module.Settings) -> Path:
    return Path(os.path.expanduser(settings.database.path))


# -- everything ----------------------------------------------------------------------------------------
@dataclasses.dataclass(slots=True)
class HostReport:
    checks: list[Check]
    settings: settings_module.Settings | None  # None: the settings could not be read
    database_usable: bool = False  # sound, and a schema this code knows


async def host_checks(
    config_dir: Path,
    environ: Mapping[str, str],
    now: dt.datetime,
    *,
    database: Path | None = None,
) -> HostReport:
    """Every check that needs no network."""
    checks = check_configuration(config_dir, environ)
    try:
        settings = settings_module.load(config_dir, environ)
    except ConfigError:
        checks.append(
            error(
                "réglages illisibles : la base et les sauvegardes ne sont pas vérifiées",
                "corrigez d'abord la configuration (relais check)",
            )
        )
        return HostReport(checks, None)
    if database is not None:
        settings = settings.with_database(database)
    checks += check_token(settings, environ)
    path = database_path(settings)
    file_checks, usable = check_database_file(path)
    checks += file_checks
    checks += check_report_key(settings)
    checks += check_disk(path, backups.folder_for(settings) if settings.backup.enabled else None)
    if not usable:
        return HostReport(checks, settings)
    running = check_running(path)
    checks.append(running)
    db = await Database.open(path, migrate=False)
    try:
        checks += await check_timers(db, now, bot_running=running.level is Level.OK)
        checks += await check_backups(db, settings, now)
    finally:
        await db.close()
    return HostReport(checks, settings, database_usable=True)
