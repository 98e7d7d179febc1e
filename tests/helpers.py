"""Small helpers shared by tests: settings pointing at temporary files."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bot.core import settings as settings_module
from bot.sandbox.harness import Sandbox, running_sandbox

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "config"


def copy_config(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(CONFIG, target)
    return target


def make_settings(tmp_path: Path, **env: str) -> settings_module.Settings:
    environ = {"RELAIS_DATABASE__PATH": str(tmp_path / "relais.db"), **env}
    return settings_module.load(CONFIG, environ)


async def eventually(check, seconds: float = 5.0):
    """Poll ``check`` until it returns something truthy (returned), failing after ``seconds``:
    end-to-end tests wait on state the bot changes in its own tasks. ``check`` may be a
    coroutine function (state read from the database)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def checked_sandbox(tmp_path: Path, **options: Any) -> AsyncIterator[Sandbox]:
    """``running_sandbox`` on ``tmp_path/relais.db`` that fails the test if the bot called a
    route the double does not know (a gap must not pass silently)."""
    # The diagnostic's mod-log summary at start-up would add a message to every test's mod-log (the
    # seeded charter is not yet published); tests/e2e/test_diagnostic.py turns it on to test it.
    environ = options.get("environ")
    options["environ"] = {
        "RELAIS_FEATURES__DIAGNOSTIC_SUMMARY": "false",
        **(dict(os.environ) if environ is None else environ),
    }
    async with running_sandbox(tmp_path / "relais.db", **options) as running:
        yield running
        assert running.double.unknown_routes == [], "the bot called routes the double does not know"
