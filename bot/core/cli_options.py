"""Options and settings loading shared by every ``relais`` sub-command.

Kept in the core (argparse and settings only, no discord.py) so that a capability's ``cli.py`` can
offer its sub-commands without depending on the application layer.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.core import settings as settings_module
from bot.core.yamlfile import ConfigError


def add_config_options(parser: argparse.ArgumentParser, *, db: bool = True) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="DIR",
        help="dossier de configuration (défaut : ./config)",
    )
    if db:
        parser.add_argument(
            "--db", type=Path, default=None, metavar="PATH", help="fichier SQLite (remplace database.path)"
        )


def load_settings(args: argparse.Namespace) -> settings_module.Settings:
    """Settings from --config, environment overrides, then --db; exits 2 listing every problem."""
    try:
        loaded = settings_module.load(args.config)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        raise SystemExit(2) from None
    if getattr(args, "db", None):
        loaded = loaded.with_database(args.db)
    return loaded
