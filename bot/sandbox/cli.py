"""``relais sandbox``: the real bot against the local Discord double, with a guided tour."""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import os
import shlex
import sys
import tempfile
from pathlib import Path

from bot import logging_setup
from bot.core.cli_options import add_config_options
from bot.core.yamlfile import ConfigError

INTRO = """\
Relais — bac à sable : le vrai bot, face à un double local de Discord (aucun jeton, aucune connexion).
"""
INTERACTIVE_HELP = """\
Tapez une commande au nom d'un membre, par exemple :
  lea /aide
  ines /ressource chercher requete:podcast
  camille /config fuseau fuseau:"Europe/Paris"
Membres : camille (administratrice), sami (modération), ines, noah (pair-aidant·es), lea (nouvelle).
« quitter » pour sortir.
"""


def parse_line(line: str) -> tuple[str, str, dict[str, str]]:
    """``member /group sub option:value …`` → (member, "group sub", options)."""
    words = shlex.split(line)
    if len(words) < 2 or not words[1].startswith("/"):
        raise ValueError("écrivez : membre /commande option:valeur")
    member, path, options = words[0], [words[1][1:]], {}
    for word in words[2:]:
        if ":" in word:
            key, _, value = word.partition(":")
            options[key] = value
        else:
            path.append(word)
    return member, " ".join(path), options


async def _interactive(sandbox, tour) -> None:
    print(INTERACTIVE_HELP)
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, lambda: input("relais> "))
        if line.strip().lower() in ("quitter", "exit", "quit"):
            return
        if not line.strip():
            continue
        try:
            member, path, options = parse_line(line)
            await tour.act(
                member, f"tape /{path}", functools.partial(sandbox.driver.slash, member, path, **options)
            )
        except Exception as exc:  # a typo must not end the session
            print(f"  ⚠ {exc}")


async def _run(args: argparse.Namespace) -> int:
    from bot.sandbox.harness import running_sandbox
    from bot.sandbox.tour import Tour, play_all

    with tempfile.TemporaryDirectory(prefix="relais-sandbox-") as scratch:
        db_path = Path(args.db) if args.db else Path(scratch) / "relais.db"
        async with running_sandbox(db_path, config_dir=args.config) as sandbox:
            print(INTRO)
            tour = await play_all(sandbox)
            unknown = sandbox.double.unknown_routes
            if args.interactive:
                await _interactive(sandbox, Tour(sandbox))
        if unknown:
            print(f"\n⚠ routes inconnues du double : {unknown}", file=sys.stderr)
            return 1
    print("\nFin de la visite. Tout s'est déroulé hors ligne, sur une base temporaire.")
    return 0 if tour else 1


def cmd_sandbox(args: argparse.Namespace) -> int:
    # The transcript is the output; library chatter would drown it.
    logging_setup.setup(os.environ.get("RELAIS_LOGGING__LEVEL", "WARNING"))
    logging.getLogger("discord").setLevel(logging.ERROR)
    try:
        return asyncio.run(_run(args))
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 2
    except (KeyboardInterrupt, EOFError):
        return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("sandbox", help="essayer Relais hors ligne, contre un double local de Discord")
    add_config_options(parser)
    parser.add_argument(
        "--interactive", action="store_true", help="après la visite, taper des commandes au nom d'un membre"
    )
    parser.set_defaults(func=cmd_sandbox)
