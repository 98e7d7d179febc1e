"""Core sub-commands of the ``relais`` command line: run, check, db, invite-url."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from bot import config_check, logging_setup
from bot.core import logs
from bot.core import settings as settings_module
from bot.core.cli_options import add_config_options, load_settings
from bot.core.yamlfile import ConfigError

log = logging.getLogger("relais")

NO_TOKEN_MESSAGE = """\
Relais : aucun jeton de bot trouvé (variable DISCORD_TOKEN, ou discord.token_file dans settings.yaml).
  1. Créez une application sur le portail des développeurs Discord, onglet « Bot » → « Reset Token ».
  2. Activez les intents « Server Members » et « Message Content » sur la même page.
  3. Lancez : DISCORD_TOKEN=… relais run
Sans jeton, essayez Relais hors ligne avec le bac à sable : relais sandbox

Relais: no bot token found (DISCORD_TOKEN, or discord.token_file in settings.yaml).
Create an application in the Discord developer portal (Bot → Reset Token), enable the
Server Members and Message Content intents, then run DISCORD_TOKEN=… relais run.
To try Relais offline without a token: relais sandbox
"""

# Gateway close codes after which Discord refuses the same connection again: a restart would only
# spend IDENTIFYs (1,000 a day before the token is reset). 4014 is discord.py's
# PrivilegedIntentsRequired, handled on its own.
GATEWAY_REFUSALS = {
    4004: "the token was refused: create a new one in the developer portal",
    4010: "invalid shard: check discord.shard_count in settings.yaml",
    4011: "the bot is in too many servers for one connection: set discord.shard_count "
    "(0 lets Discord choose) in settings.yaml",
    4012: "gateway version refused: update Relais and discord.py",
    4013: "invalid intents: update Relais",
}


# -- run -------------------------------------------------------------------------------------------
def cmd_run(args: argparse.Namespace) -> int:
    from bot import supervisor

    settings = load_settings(args)
    key_problems = config_check.report_key_problems(settings, os.environ, db_option=bool(args.db))
    if key_problems:
        from bot.supervisor import EXIT_DO_NOT_RETRY

        for problem in key_problems:
            print(problem, file=sys.stderr)
        return EXIT_DO_NOT_RETRY
    try:
        settings_module.load_token(settings)
    except settings_module.MissingToken as exc:
        if str(exc) != "no token":
            print(f"Relais : {exc}", file=sys.stderr)
        print(NO_TOKEN_MESSAGE, file=sys.stderr, end="")
        return 2
    if settings.supervisor.restart and not args.no_supervisor:
        from bot.core import run_lock

        logging_setup.setup(settings.logging.level)
        argv = ["run"]
        if args.config:
            argv += ["--config", str(args.config)]
        if args.db:
            argv += ["--db", str(args.db)]
        # Held between two restarts of the bot too: a restore must not slip into the back-off wait.
        try:
            lock = run_lock.RunLock.acquire(settings.database.path)
        except run_lock.DatabaseInUse as exc:
            log.error("%s", exc)
            return 1
        try:
            return supervisor.supervise(supervisor.child_command(argv), settings.supervisor)
        finally:
            lock.release()
    return run_bot(settings)


def run_bot(settings: settings_module.Settings) -> int:
    import sqlite3

    import discord

    from bot.client import create_bot, run_until_stopped
    from bot.core.db import DatabaseTooNew, explain_unusable
    from bot.core.run_lock import DatabaseInUse
    from bot.supervisor import EXIT_DO_NOT_RETRY

    token = settings_module.load_token(settings)
    logs.add_secret(token)
    logging_setup.setup(settings.logging.level)
    try:
        asyncio.run(run_until_stopped(create_bot(settings), token))
    except discord.LoginFailure:
        log.error("Discord refused the token: create a new one in the developer portal (not retried)")
        return EXIT_DO_NOT_RETRY
    except discord.PrivilegedIntentsRequired:
        log.error(
            "a privileged intent is not enabled: turn on Server Members and Message Content "
            "in the developer portal, Bot page (not retried)"
        )
        return EXIT_DO_NOT_RETRY
    except discord.ConnectionClosed as exc:
        refusal = GATEWAY_REFUSALS.get(exc.code)
        if refusal is None:
            raise  # a crash like another: the supervisor restarts it, slower and slower
        log.error("Discord closed the connection (code %s): %s (not retried)", exc.code, refusal)
        return EXIT_DO_NOT_RETRY
    except (DatabaseTooNew, ConfigError) as exc:
        log.error("%s", exc)
        return EXIT_DO_NOT_RETRY
    except DatabaseInUse as exc:
        log.error("%s", exc)
        return 1
    except sqlite3.DatabaseError as exc:
        # Only the start-up lets a database error out (corrupt file, another process's lock, disk
        # full): restarting in a loop would fail the same way, so say what to do and stop.
        log.error("%s (not retried)", explain_unusable(settings.database.path, exc))
        return EXIT_DO_NOT_RETRY
    return 0


# -- check -----------------------------------------------------------------------------------------
def cmd_check(args: argparse.Namespace) -> int:
    config_dir = args.config or settings_module.default_config_dir()
    problems = config_check.check_all(config_dir, os.environ)
    for problem in problems:
        print(problem)
    notices = config_check.notices_all(config_dir)
    if notices:
        print(f"À vérifier par une personne ({len(notices)}) :")
        for notice in notices:
            print(f"  {notice}")
    if problems:
        print(f"{len(problems)} problème(s) dans {config_dir}.", file=sys.stderr)
        if config_check.refuses_to_start(problems):
            from bot.supervisor import EXIT_DO_NOT_RETRY

            return EXIT_DO_NOT_RETRY  # relais run would refuse to start: the same exit code
        return 1
    print(f"Configuration valide ({config_dir}).")
    return 0


# -- db --------------------------------------------------------------------------------------------
async def _db_upgrade(path: str) -> list[int]:
    from bot.core.db import Database

    db = await Database.open(path, migrate=False)
    try:
        return await db.migrate()
    finally:
        await db.close()


async def _db_backup(path: str, destination: Path) -> Path:
    from bot.core.db import Database

    db = await Database.open(path, migrate=False)
    try:
        return await db.backup(destination)
    finally:
        await db.close()


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from bot.core import backups, run_lock
    from bot.core.db import DatabaseTooNew, load_migrations

    settings = load_settings(args)
    path = Path(os.path.expanduser(settings.database.path))
    # A running bot keeps the SQL of its own version: it must not find a new schema under its feet.
    # Held for the whole upgrade, the lock also makes a bot starting meanwhile wait for the end.
    with run_lock.exclusive_or_none(path) as nobody_runs:
        if not nobody_runs:
            if path.exists() and backups.schema_version(path) < len(load_migrations()):
                print(
                    f"Relais : un bot Relais tourne sur {path} — arrêtez-le d'abord "
                    "(systemctl stop relais) : relais run applique lui-même les migrations en attente "
                    "à son démarrage.",
                    file=sys.stderr,
                )
                return 1
            print(f"{settings.database.path} : déjà à jour")
            return 0
        try:
            applied = asyncio.run(_db_upgrade(settings.database.path))
        except DatabaseTooNew as exc:
            print(f"Relais : {exc}", file=sys.stderr)
            return 1
    print(f"{settings.database.path} : " + (f"migrations appliquées {applied}" if applied else "déjà à jour"))
    return 0


def cmd_db_backup(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    if not Path(settings.database.path).exists():
        print(f"Relais : {settings.database.path} n'existe pas", file=sys.stderr)
        return 1
    try:
        written = asyncio.run(_db_backup(settings.database.path, args.path))
    except FileExistsError as exc:
        print(f"Relais : {exc}", file=sys.stderr)
        return 1
    print(f"Sauvegarde écrite : {written}")
    return 0


def cmd_db_restore(args: argparse.Namespace) -> int:
    from bot.core import backups, timeutil

    settings = load_settings(args)
    database = Path(os.path.expanduser(settings.database.path))
    try:
        report = backups.restore(args.path, database, timeutil.now())
    except backups.RestoreRefused as exc:
        print(f"Relais : restauration refusée : {exc}", file=sys.stderr)
        return 1
    print(f"Base {report.database} restaurée depuis {report.source} (intégrité vérifiée).")
    if report.previous_copy is not None:
        print(f"L'ancienne base est gardée dans {report.previous_copy}.")
    if report.removed:
        print(
            "Fichiers de journal de l'ancienne base supprimés : " + ", ".join(p.name for p in report.removed)
        )
    if report.schema_version < report.known_version:
        print(
            f"Cette sauvegarde est au schéma {report.schema_version} (ce Relais : {report.known_version}) : "
            "relais db upgrade, ou relais run, appliquera les migrations."
        )
    print("Vous pouvez redémarrer le bot (systemctl start relais, ou relais run).")
    return 0


# -- doctor ----------------------------------------------------------------------------------------
def cmd_doctor(args: argparse.Namespace) -> int:
    from bot import doctor
    from bot.core import timeutil

    config_dir = args.config or settings_module.default_config_dir()
    checks = asyncio.run(
        doctor.all_checks(
            config_dir, os.environ, timeutil.now(), database=args.db, discord=not args.no_discord
        )
    )
    print(doctor.render(checks, as_json=args.json))
    return doctor.exit_code(checks)


# -- invite-url ------------------------------------------------------------------------------------
def cmd_invite_url(args: argparse.Namespace) -> int:
    from bot import invite

    client_id = args.client_id or invite.client_id_from_token(os.environ.get("DISCORD_TOKEN", ""))
    if not client_id:
        print(
            "Relais : indiquez --client-id (l'« Application ID » du portail des développeurs) "
            "ou définissez DISCORD_TOKEN.",
            file=sys.stderr,
        )
        return 2
    print(invite.invite_url(client_id))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", help="se connecter à Discord et faire tourner le bot")
    add_config_options(run)
    run.add_argument(
        "--no-supervisor", action="store_true", help="ne pas relancer automatiquement après un plantage"
    )
    run.set_defaults(func=cmd_run)

    check = sub.add_parser("check", help="valider tous les fichiers de configuration")
    add_config_options(check, db=False)
    check.set_defaults(func=cmd_check)

    db = sub.add_parser("db", help="base de données : migrations et sauvegardes")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_sub.add_parser("upgrade", help="appliquer les migrations en attente")
    add_config_options(upgrade)
    upgrade.set_defaults(func=cmd_db_upgrade)
    backup = db_sub.add_parser("backup", help="copie cohérente, même pendant que le bot tourne")
    backup.add_argument("path", type=Path, metavar="PATH")
    add_config_options(backup)
    backup.set_defaults(func=cmd_db_backup)
    restore = db_sub.add_parser(
        "restore", help="remplacer la base par une sauvegarde (bot arrêté ; l'ancienne est gardée)"
    )
    restore.add_argument("path", type=Path, metavar="FICHIER")
    add_config_options(restore)
    restore.set_defaults(func=cmd_db_restore)

    doc = sub.add_parser(
        "doctor", help="vérifier l'installation (configuration, jeton, base, disque, sauvegardes, serveurs)"
    )
    add_config_options(doc)
    doc.add_argument("--json", action="store_true", help="résultat en JSON (pour une supervision)")
    doc.add_argument("--no-discord", action="store_true", help="ne pas interroger Discord")
    doc.set_defaults(func=cmd_doctor)

    inv = sub.add_parser("invite-url", help="l'adresse pour inviter le bot, avec ses permissions")
    inv.add_argument("--client-id", type=int, default=None)
    inv.set_defaults(func=cmd_invite_url)
