"""Small helpers shared by tests: settings pointing at temporary files."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot import settings as settings_module

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "config"


def copy_config(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(CONFIG, target)
    return target


def make_settings(tmp_path: Path, **env: str) -> settings_module.Settings:
    environ = {"RELAIS_DATABASE__PATH": str(tmp_path / "relais.db"), **env}
    return settings_module.load(CONFIG, environ)
