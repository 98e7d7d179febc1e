"""``relais resources import FILE`` (idempotent) and ``relais resources export --format yaml|csv``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.core.cli_options import add_config_options, load_settings


async def _guilds(db) -> list[int]:
    rows = await db.fetchall(
        "SELECT guild_id FROM guild_settings UNION SELECT guild_id FROM guild_channels "
        "UNION SELECT guild_id FROM guild_roles UNION SELECT guild_id FROM resources"
    )
    return sorted(r[0] for r in rows)


async def _import(db_path: str, file: Path, guild_id: int | None) -> tuple[int, int, int] | str:
    from bot.core.db import Database
    from bot.resources.starter import import_library, load_library_file

    library, problems = load_library_file(file)
    if problems:
        return "\n".join(str(p) for p in problems)
    db = await Database.open(db_path)
    try:
        if guild_id is None:
            known = await _guilds(db)
            if len(known) != 1:
                return "indiquez le serveur avec --guild ID (identifiant du serveur Discord) : " + (
                    "aucun serveur connu dans la base"
                    if not known
                    else "serveurs connus : " + ", ".join(map(str, known))
                )
            guild_id = known[0]
        report = await import_library(db, guild_id, library)
    finally:
        await db.close()
    return guild_id, report.added, report.skipped


def cmd_import(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    if not args.file.is_file():
        print(f"Relais : fichier introuvable : {args.file}", file=sys.stderr)
        return 1
    outcome = asyncio.run(_import(settings.database.path, args.file, args.guild))
    if isinstance(outcome, str):
        print(f"Relais : {outcome}", file=sys.stderr)
        return 1
    guild_id, added, skipped = outcome
    print(f"Serveur {guild_id} : {added} ressource(s) ajoutée(s), {skipped} déjà présente(s).")
    return 0


async def _export(db_path: str, guild_id: int | None, fmt: str) -> str:
    from bot.core.db import Database
    from bot.resources.starter import export_rows, to_csv, to_yaml

    db = await Database.open(db_path)
    try:
        rows = await export_rows(db, guild_id)
    finally:
        await db.close()
    return to_csv(rows) if fmt == "csv" else to_yaml(rows)


def cmd_export(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    if not Path(settings.database.path).exists():
        print(f"Relais : {settings.database.path} n'existe pas", file=sys.stderr)
        return 1
    text = asyncio.run(_export(settings.database.path, args.guild, args.format))
    if args.output:
        if args.output.exists():
            print(f"Relais : {args.output} existe déjà ; choisissez un autre nom", file=sys.stderr)
            return 1
        args.output.write_text(text, encoding="utf-8")
        print(f"Export écrit : {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("resources", help="bibliothèque de ressources : import et export")
    resources_sub = parser.add_subparsers(dest="resources_command", required=True)

    imp = resources_sub.add_parser("import", help="ajouter les ressources d'un fichier YAML (sans doublon)")
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.add_argument(
        "--guild", type=int, default=None, help="identifiant du serveur (inutile s'il n'y en a qu'un)"
    )
    add_config_options(imp)
    imp.set_defaults(func=cmd_import)

    exp = resources_sub.add_parser("export", help="exporter la bibliothèque (YAML réimportable, ou CSV)")
    exp.add_argument("--format", choices=("yaml", "csv"), default="yaml")
    exp.add_argument("--guild", type=int, default=None, help="un seul serveur (par défaut : tous)")
    exp.add_argument(
        "--output", type=Path, default=None, metavar="FILE", help="fichier à écrire (défaut : la sortie)"
    )
    add_config_options(exp)
    exp.set_defaults(func=cmd_export)
