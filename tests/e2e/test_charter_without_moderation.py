"""The charter with the moderation capability switched off: the fallbacks documented on
``bot.services.ModerationService`` (the moderation role is « on duty »; a rule that would warn or
time out becomes a card for the moderators, and nothing is applied to the member)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from tests.helpers import checked_sandbox, eventually

REPO = Path(__file__).resolve().parents[2]
ENV = {"RELAIS_COGS__ENABLED": "[admin, charter]"}


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(REPO / "config", target)
    # The insults rule warns instead of flagging (the default since issue 15): a sanction only
    # moderation could apply.
    charter_file = target / "charter.yaml"
    text = charter_file.read_text(encoding="utf-8")
    rule = "    - id: insultes\n      article: bienveillance\n      kind: keywords\n      action: flag\n"
    assert rule in text
    charter_file.write_text(
        text.replace(rule, rule.replace("action: flag", "action: warn")), encoding="utf-8"
    )
    return target


@pytest.fixture
async def sandbox(tmp_path, config_dir):
    async with checked_sandbox(tmp_path, config_dir=config_dir, environ=ENV) as running:
        yield running


async def test_urgence_names_the_moderation_role_members_as_on_duty(sandbox):
    driver = sandbox.driver
    result = await driver.slash("lea", "urgence", pays="fr")
    await result.wait()
    assert result.ephemeral
    duty = " ".join(str(f.get("value", "")) for f in result.embeds[0]["fields"])
    assert f"<@{driver.user_id('sami')}>" in duty
    assert f"<@{driver.user_id('ines')}>" not in duty


async def test_a_warning_rule_becomes_a_card_for_the_moderators(sandbox):
    driver = sandbox.driver
    message = await driver.send_message("ines", "ressources", "Franchement, espèce de connard.")
    await eventually(lambda: bool(driver.bot_messages("signalements")))
    card = driver.bot_messages("signalements")[-1]
    assert "insultes" in card.embeds[0]["title"]
    await asyncio.sleep(0.3)
    assert any(m.id == message.id for m in driver.messages("ressources"))  # nothing applied to the member
    assert not driver.dms("ines")  # no case, so no case notice
    assert not driver.bot_messages("mod-log")
