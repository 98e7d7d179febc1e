"""``relais check``: validate every configuration file and list all problems with file and line."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from pathlib import Path

from bot.core import i18n, settings
from bot.core.yamlfile import ConfigError, Problem

# Feature areas add "module:function" entries; each function takes the config folder and
# returns a list of problems (it must never raise on bad input).
AREA_CHECKS: tuple[str, ...] = ("bot.charter:check_config", "bot.moderation:check_config", "bot.jobs:check_config", "bot.resources:check_config")


def _resolve(entry: str) -> Callable[[Path], list[Problem]]:
    module, _, function = entry.partition(":")
    return getattr(importlib.import_module(module), function)


def check_all(config_dir: Path, environ: Mapping[str, str]) -> list[Problem]:
    problems: list[Problem] = []
    try:
        settings.load(config_dir, environ)
    except ConfigError as exc:
        problems.extend(exc.problems)
    problems.extend(i18n.Catalog.load(config_dir).problems)
    for entry in AREA_CHECKS:
        problems.extend(_resolve(entry)(config_dir))
    return problems
