"""``relais data export|erase --guild G --member M``: operators answer requests made by e-mail with
the same code path as ``/mes-donnees`` (what must change on Discord is done by the bot's timers)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from bot import data_rights
from bot.core import timeutil
from bot.core.cli_options import add_config_options, load_settings
from bot.core.db import Database
from bot.core.member_data import ErasureChoices
from bot.core.timers import TimerService


async def _export(args: argparse.Namespace) -> str:
    settings = load_settings(args)
    db = await Database.open(settings.database.path)
    try:
        export = await data_rights.export(db, settings, args.guild, args.member, now=timeutil.now())
    finally:
        await db.close()
    return export.to_json()


def cmd_export(args: argparse.Namespace) -> int:
    text = asyncio.run(_export(args))
    if args.output is None:
        sys.stdout.write(text)
        return 0
    # Health-adjacent data: the file is readable by its owner only.
    fd = os.open(args.output, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    print(f"Export écrit dans {args.output} (lisible par vous seul·e).", file=sys.stderr)
    return 0


async def _erase(args: argparse.Namespace) -> data_rights.rights.ErasureReport:
    settings = load_settings(args)
    db = await Database.open(settings.database.path)
    try:
        return await data_rights.erase(
            db,
            TimerService(db),
            settings,
            args.guild,
            args.member,
            ErasureChoices(keep_resources=not args.delete_resources),
            now=timeutil.now(),
        )
    finally:
        await db.close()


def cmd_erase(args: argparse.Namespace) -> int:
    if not args.yes:
        print(
            "Relais : l'effacement ne peut pas être annulé ; relancez avec --yes pour confirmer.",
            file=sys.stderr,
        )
        return 2
    report = asyncio.run(_erase(args))
    print("Effacé :" if report.erased else "Rien à effacer.")
    for what, count in report.erased.items():
        print(f"  {what} : {count}")
    for what, until in report.kept.items():
        print(f"  gardé : {what}" + (f" jusqu'au {until.date().isoformat()}" if until else " (sans nom)"))
    if report.followups_scheduled:
        print(f"{report.followups_scheduled} mise(s) à jour sur Discord seront faites par le bot.")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    data = sub.add_parser("data", help="droits des membres : copie et effacement de leurs données")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    for name, func, help_text in (
        ("export", cmd_export, "tout ce que Relais garde sur un·e membre (JSON)"),
        ("erase", cmd_erase, "effacer les données d'un·e membre"),
    ):
        parser = data_sub.add_parser(name, help=help_text)
        parser.add_argument("--guild", type=int, required=True, help="identifiant du serveur Discord")
        parser.add_argument(
            "--member", type=int, required=True, help="identifiant Discord du ou de la membre"
        )
        add_config_options(parser)
        parser.set_defaults(func=func)
        if name == "export":
            parser.add_argument(
                "--output", type=Path, default=None, help="fichier à écrire (défaut : la sortie)"
            )
        else:
            parser.add_argument(
                "--delete-resources",
                action="store_true",
                help="supprimer aussi ses ressources (par défaut : gardées sans nom)",
            )
            parser.add_argument("--yes", action="store_true", help="confirmer l'effacement")
