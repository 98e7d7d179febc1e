"""The command tree Relais syncs is the interface members and moderators use: it must not move.

The snapshot holds every command's translated payload (names, localisations, descriptions,
options, choices, permissions, contexts). Regenerate it only for an intended interface change:
``RELAIS_UPDATE_SNAPSHOT=1 python -m pytest tests/unit/core/test_command_tree_snapshot.py``.
"""

from __future__ import annotations

import json
import os

from bot.client import RelaisBot
from tests.helpers import REPO, make_settings

SNAPSHOT = REPO / "tests" / "data" / "command_tree.json"
ALL_COGS = "[admin, moderation, intervisions, jobs, resources, charter, privacy]"


def _canonical(payload: list[dict]) -> list[dict]:
    return sorted(payload, key=lambda command: (command.get("type", 1), command["name"]))


async def test_synced_command_tree_equals_the_snapshot(tmp_path):
    bot = RelaisBot(make_settings(tmp_path, RELAIS_COGS__ENABLED=ALL_COGS))
    await bot.prepare()
    try:
        payload = _canonical(await bot.tree_payload())
    finally:
        await bot.db.close()
    text = json.dumps(payload, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if os.environ.get("RELAIS_UPDATE_SNAPSHOT") == "1":
        SNAPSHOT.write_text(text, encoding="utf-8")
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert payload == expected
