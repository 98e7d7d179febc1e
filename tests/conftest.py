"""Shared fixtures: a real, migrated SQLite file per test (no database mocks)."""

from __future__ import annotations

import os

import pytest

from bot.core.db import Database


@pytest.fixture(autouse=True, scope="session")
def _report_key_outside_home(tmp_path_factory):
    """The anonymous reports' key defaults to $XDG_CONFIG_HOME/relais/: never the tester's real one."""
    saved = os.environ.get("XDG_CONFIG_HOME")
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("xdg-config"))
    yield
    if saved is None:
        os.environ.pop("XDG_CONFIG_HOME", None)
    else:
        os.environ["XDG_CONFIG_HOME"] = saved


@pytest.fixture
async def db(tmp_path):
    database = await Database.open(tmp_path / "relais.db")
    try:
        yield database
    finally:
        await database.close()


def pytest_collection_modifyitems(config, items):
    """The long drills (``RELAIS_DRILL_FULL=1``) run ten minutes each: they get an hour, not five."""
    if os.environ.get("RELAIS_DRILL_FULL") != "1":
        return
    for item in items:
        if "tests/reliability/" in item.nodeid:
            item.add_marker(pytest.mark.timeout(3600))
