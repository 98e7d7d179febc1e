"""Buttons posted before an upgrade keep working: every persistent ``custom_id`` format is frozen.

Each id below is written exactly as earlier layouts of Relais posted it (not built from today's
code), on a message injected into the double as if it had been posted before the restart. A click
must reach a handler, which answers (here: a kind « not found » or « not allowed » for an unknown
object) instead of leaving Discord's « interaction failed »."""

from __future__ import annotations

import pytest

from bot.sandbox.double.state import Message
from tests.helpers import checked_sandbox

ENV = {"RELAIS_COGS__ENABLED": "[admin, moderation, intervisions, jobs, resources, charter]"}
MISSING = 987654  # an object id that exists nowhere

LEGACY_IDS = [
    f"relais:resources:useful:{MISSING}",
    f"relais:resources:report:{MISSING}",
    f"relais:resources:post:{MISSING}",
    f"relais:jobs:publish:{MISSING}",
    f"relais:jobs:refuse:{MISSING}",
    f"relais:jobs:edit:{MISSING}",
    f"relais:moderation:report:claim:{MISSING}",
    f"relais:moderation:report:dismiss:{MISSING}",
    f"relais:moderation:report:delete:{MISSING}",
    f"relais:moderation:report:warn:{MISSING}",
    f"relais:intervisions:book:{MISSING}",
    f"relais:intervisions:withdraw:{MISSING}",
    f"relais:intervisions:ics:{MISSING}",
    f"relais:intervisions:vote:{MISSING}",
    f"relais:intervisions:publish_topics:{MISSING}",
]


@pytest.fixture
async def sandbox(tmp_path):
    async with checked_sandbox(tmp_path, environ=ENV) as running:
        yield running


def _old_message(sandbox, custom_id: str) -> Message:
    world = sandbox.double.world
    channel = sandbox.driver.channel("entraide")
    message = Message(
        id=world.next_id(),
        channel_id=channel.id,
        author_id=world.bot_user_id,
        guild_id=sandbox.guild_id,
        content="Publié par une version précédente de Relais",
        components=[
            {"type": 1, "components": [{"type": 2, "style": 1, "label": "Bouton", "custom_id": custom_id}]}
        ],
    )
    world.messages[message.id] = message
    return message


async def test_every_legacy_button_format_reaches_its_handler(sandbox):
    driver = sandbox.driver
    unanswered = []
    for custom_id in LEGACY_IDS:
        message = _old_message(sandbox, custom_id)
        click = await driver.click("camille", message.id, custom_id)
        try:
            await click.wait()
        except Exception:
            unanswered.append(custom_id)
    assert unanswered == []


async def test_legacy_charter_button_still_accepts(sandbox):
    driver = sandbox.driver
    publish = await driver.slash("camille", "charte publier")
    await publish.wait_followup()
    custom_id = f"relais:charter:accept:{sandbox.guild_id}"
    message = _old_message(sandbox, custom_id)
    click = await driver.click("lea", message.id, custom_id)
    await click.wait()
    assert click.ephemeral and "Merci" in click.content


async def test_a_button_of_a_disabled_capability_answers_that_it_is_off(tmp_path):
    """Buttons posted while jobs and resources ran keep answering after they are switched off:
    kindly, in private, instead of Discord's « échec de l'interaction »."""
    environ = {"RELAIS_COGS__ENABLED": "[admin, moderation, intervisions, charter]"}
    async with checked_sandbox(tmp_path, environ=environ) as sandbox:
        for custom_id in ("relais:jobs:publish:1", "relais:resources:useful:1", "relais:resources:post:1"):
            message = _old_message(sandbox, custom_id)
            click = await (await sandbox.driver.click("camille", message.id, custom_id)).wait()
            assert click.ephemeral and "n'est pas activée sur ce serveur" in click.content, custom_id
