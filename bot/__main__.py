"""The ``relais`` command line (also ``python -m bot``)."""

from __future__ import annotations

import argparse
import importlib
import sys

import bot

# Each module adds its sub-commands with ``register(subparsers)``.
CLI_MODULES = (
    "bot.cli",
    "bot.sandbox.cli",
    "bot.jobs.cli",
    "bot.resources.cli",
    "bot.charter.cli",
    "bot.data_cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="relais", description="Relais — bot Discord de la communauté des pair-aidant·es"
    )
    parser.add_argument("--version", action="version", version=f"relais {bot.__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in CLI_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
