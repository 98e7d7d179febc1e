"""Shared fixtures: a real, migrated SQLite file per test (no database mocks)."""

from __future__ import annotations

import pytest

from bot.core.db import Database


@pytest.fixture
async def db(tmp_path):
    database = await Database.open(tmp_path / "relais.db")
    try:
        yield database
    finally:
        await database.close()
