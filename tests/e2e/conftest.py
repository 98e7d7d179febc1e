"""End-to-end fixtures: the real RelaisBot on the local Discord double, on a temporary database.

``sandbox`` gives a running bot in the seeded guild, already configured (channels and roles set
as an administrator would with /config). Use ``sandbox.driver`` to act as members
("camille" owner, "sami" moderator, "ines" and "noah" pair-aidants, "lea" newcomer),
``sandbox.bot`` to reach the bot, and ``await sandbox.restart_bot()`` to restart it on the same
database and double.
"""

from __future__ import annotations

import pytest

from tests.helpers import checked_sandbox

CLEAN_ENV: dict[str, str] = {}


@pytest.fixture
async def sandbox(tmp_path):
    async with checked_sandbox(tmp_path, environ=CLEAN_ENV) as running:
        yield running


@pytest.fixture
async def unconfigured_sandbox(tmp_path):
    async with checked_sandbox(tmp_path, environ=CLEAN_ENV, configure=False) as running:
        yield running
