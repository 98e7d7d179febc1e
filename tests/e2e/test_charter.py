"""The charter end to end on the Discord double: publication and acceptance, automod with its notices,
care for distress, /urgence, /charte tester, and the version-change notice after a restart."""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path

import pytest

from bot.charter import charter as charter_domain
from tests.helpers import checked_sandbox, eventually

REPO = Path(__file__).resolve().parents[2]
# Only the cogs this area needs (moderation gives automod's warn/timeout their cases).
ENV = {"RELAIS_COGS__ENABLED": "[admin, moderation, charter]"}


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(REPO / "config", target)
    return target


@pytest.fixture
async def sandbox(tmp_path, config_dir):
    async with checked_sandbox(tmp_path, config_dir=config_dir, environ=ENV) as running:
        yield running


@pytest.fixture
async def strict_sandbox(tmp_path, config_dir):
    """A charter whose admins chose deletion for insults and a public reminder for intrusive questions
    (the defaults are a card and a private reminder): both stay available per rule."""
    path = config_dir / "charter.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("kind: keywords\n      action: flag\n", "kind: keywords\n      action: delete\n", 1)
    text = text.replace(
        '      reminder: private\n      notice: "Petit rappel',
        '      reminder: public\n      notice: "Petit rappel',
        1,
    )
    path.write_text(text, encoding="utf-8")
    async with checked_sandbox(tmp_path, config_dir=config_dir, environ=ENV) as running:
        yield running


async def settle(seconds: float = 0.4) -> None:
    await asyncio.sleep(seconds)


def accept_id(sandbox) -> str:
    return f"relais:charter:accept:{sandbox.guild_id}"


async def test_publish_then_a_newcomer_accepts_and_gets_the_member_role(sandbox):
    driver = sandbox.driver
    result = await driver.slash("camille", "charte publier")
    reply = await result.wait_followup()
    assert "publiée" in reply.content
    posted = driver.bot_messages("charte")
    assert posted and posted[0].embeds[0]["title"].startswith("Charte")
    last = posted[-1]
    assert any(
        c.get("custom_id") == accept_id(sandbox) for row in last.components for c in row.get("components", [])
    )
    assert "Membre" not in driver.role_names("lea")
    click = await driver.click("lea", last.id, accept_id(sandbox))
    await click.wait()
    assert "Merci" in click.content and click.ephemeral
    await eventually(lambda: "Membre" in driver.role_names("lea"))
    assert await charter_domain.has_accepted(
        sandbox.bot.db,
        sandbox.guild_id,
        driver.user_id("lea"),
        sandbox.bot.get_cog("Charter").charter.version,
    )
    again = await driver.click("lea", last.id, accept_id(sandbox))
    await again.wait()
    assert "déjà" in again.content


async def test_publish_is_for_administrators_only(sandbox):
    result = await sandbox.driver.slash("ines", "charte publier")
    await result.wait()
    assert result.ephemeral and "administrateur" in result.content
    assert not sandbox.driver.bot_messages("charte")


async def test_insult_is_deleted_with_a_private_notice_naming_the_article(strict_sandbox):
    sandbox = strict_sandbox
    driver = sandbox.driver
    message = await driver.send_message("ines", "ressources", "Franchement, espèce de c0nn4rd.")
    await eventually(lambda: all(m.id != message.id for m in driver.messages("ressources")))
    await eventually(lambda: bool(driver.dms("ines")))
    dm = driver.dms("ines")[-1].content
    article = sandbox.bot.get_cog("Charter").charter.article("bienveillance")
    assert f"Article {article.number}" in dm and article.title in dm
    assert "c0nn4rd" in dm  # their own text, privately, to rephrase it


async def test_an_edit_that_adds_an_insult_is_caught(strict_sandbox):
    sandbox = strict_sandbox
    driver = sandbox.driver
    message = await driver.send_message("noah", "ressources", "Bonjour à toutes et à tous")
    await settle()
    assert any(m.id == message.id for m in driver.messages("ressources"))
    await driver.edit_message(message, "Bonjour bande de c o n n a r d s")
    await eventually(lambda: all(m.id != message.id for m in driver.messages("ressources")))


async def test_moderators_messages_are_never_deleted(sandbox):
    driver = sandbox.driver
    message = await driver.send_message("sami", "ressources", "Je cite le message retiré : « connard ».")
    await settle()
    assert any(m.id == message.id for m in driver.messages("ressources"))


async def test_intrusive_question_gets_a_gentle_public_reminder(strict_sandbox):
    sandbox = strict_sandbox
    driver = sandbox.driver
    message = await driver.send_message("ines", "ressources", "Noah, c'est quoi ton diagnostic exactement ?")
    await eventually(
        lambda: any(m.author_id != driver.user_id("ines") for m in driver.messages("ressources"))
    )
    assert any(m.id == message.id for m in driver.messages("ressources"))  # not deleted
    reminder = driver.bot_messages("ressources")[-1].content
    assert "Petit rappel" in reminder and "article 5" in reminder.lower()


async def test_distress_gets_a_private_care_message_and_nothing_else(sandbox):
    driver = sandbox.driver
    message = await driver.send_message("noah", "ressources", "Je n'ai plus envie de vivre, je suis épuisé.")
    await eventually(lambda: bool(driver.dms("noah")))
    dm = driver.dms("noah")[-1]
    text = " ".join(str(f.get("value", "")) for f in dm.embeds[0]["fields"])
    assert "0800 32 123" in text and "3114" in text
    assert any(m.id == message.id for m in driver.messages("ressources"))
    assert not driver.bot_messages("signalements") and not driver.bot_messages("mod-log")
    assert not driver.dms("sami")  # the moderator alert is off by default


async def test_urgence_is_private_and_lists_the_lines(sandbox):
    result = await sandbox.driver.slash("lea", "urgence", pays="fr")
    await result.wait()
    assert result.ephemeral
    text = " ".join(str(f.get("value", "")) for f in result.embeds[0]["fields"])
    assert "3114" in text


async def test_charter_test_for_moderators_only(sandbox):
    driver = sandbox.driver
    result = await driver.slash("sami", "charte tester", texte="tu es vraiment rétabli ?")
    await result.wait()
    assert result.ephemeral and "questions_intrusives" in result.content
    refused = await driver.slash("ines", "charte tester", texte="bonjour")
    await refused.wait()
    assert "modération" in refused.content


async def test_charter_view_article_and_pages(sandbox):
    result = await sandbox.driver.slash("lea", "charte voir", article="confidentialite")
    await result.wait()
    assert result.ephemeral and "Confidentialité" in result.embeds[0]["title"]
    whole = await sandbox.driver.slash("lea", "charte voir")
    await whole.wait()
    assert whole.components  # the pager


async def test_version_change_notice_after_restart(sandbox, config_dir):
    driver = sandbox.driver
    publish = await driver.slash("camille", "charte publier")
    await publish.wait_followup()
    last = driver.bot_messages("charte")[-1]
    await (await driver.click("ines", last.id, accept_id(sandbox))).wait()
    await (await driver.click("noah", last.id, accept_id(sandbox))).wait()
    driver.refuse_dms("noah")
    charter_file = config_dir / "charter.yaml"
    charter_file.write_text(
        charter_file.read_text(encoding="utf-8").replace('version: "2025-01"', 'version: "2025-02"'),
        encoding="utf-8",
    )
    before = len(driver.dms("ines"))
    await sandbox.restart_bot()
    await eventually(lambda: len(driver.dms("ines")) > before)
    notice = driver.dms("ines")[-1]
    assert "2025-02" in notice.content
    # Noah refuses DMs: told once in the charter channel instead
    await eventually(lambda: any("2025-02" in (m.content or "") for m in driver.bot_messages("charte")))
    assert "Membre" in driver.role_names("ines")  # nobody removed by default
    # re-accepting from the DM records the new version
    await (await driver.click("ines", notice.id, accept_id(sandbox))).wait()
    assert await charter_domain.has_accepted(
        sandbox.bot.db, sandbox.guild_id, driver.user_id("ines"), "2025-02"
    )
    # a second restart tells nobody again
    count = len(driver.dms("ines"))
    await sandbox.restart_bot()
    await settle(0.8)
    assert len(driver.dms("ines")) == count


async def test_the_care_flow_logs_nothing_that_names_the_member(sandbox, caplog):
    """A log line pairing a user id with a care message is a health inference: none may exist, neither
    in the message nor in the guild/user context prefix."""
    from bot.core import logs

    lines: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(f"{getattr(record, 'ctx', '')}{record.getMessage()}")

    handler = Capture(logging.INFO)  # the bot's level (discord.py's HTTP debug lines are not for production)
    handler.addFilter(logs.ContextAndRedactionFilter())
    logging.getLogger().addHandler(handler)
    caplog.set_level(logging.INFO)
    driver = sandbox.driver
    noah = str(driver.user_id("noah"))
    try:
        driver.refuse_dms("noah")  # the care message cannot be delivered: the line that named him
        await driver.send_message("noah", "ressources", "Je n'ai plus envie de vivre, je suis épuisé.")
        await eventually(lambda: any("care message" in line for line in lines))
        await settle(0.3)
    finally:
        logging.getLogger().removeHandler(handler)
    assert not [line for line in lines if noah in line]
    assert not [r for r in caplog.records if r.levelno >= logging.INFO and noah in r.getMessage()]


async def moderator_removes_role(sandbox, member: str, role: str = "membre") -> None:
    """What a moderator does in Discord's member panel: the role goes, Discord tells the bot."""
    double = sandbox.double
    target = sandbox.driver.member(member)
    target.roles.remove(sandbox.driver.role_id(role))
    await double.ops.emit_member_update(double.guild, target)


async def test_the_accept_button_does_not_give_back_a_role_moderators_removed(tmp_path, config_dir):
    environ = {**ENV, "RELAIS_MODERATION__REMOVE_ON_CHARTER_CHANGE": "true"}
    async with checked_sandbox(tmp_path, config_dir=config_dir, environ=environ) as sandbox:
        await _accept_button_and_removed_role(sandbox, config_dir)


async def _accept_button_and_removed_role(sandbox, config_dir):
    driver = sandbox.driver
    await (await driver.slash("camille", "charte publier")).wait_followup()
    last = driver.bot_messages("charte")[-1]
    first = await (await driver.click("lea", last.id, accept_id(sandbox))).wait()
    assert "Merci" in first.content
    await eventually(lambda: "Membre" in driver.role_names("lea"))

    await moderator_removes_role(sandbox, "lea")  # e.g. after a sanction
    await settle()
    again = await (await driver.click("lea", last.id, accept_id(sandbox))).wait()
    assert again.ephemeral and "équipe de modération" in again.content
    await settle()
    assert "Membre" not in driver.role_names("lea")

    # a first acceptance by somebody else still works
    noah = await (await driver.click("noah", last.id, accept_id(sandbox))).wait()
    assert "Merci" in noah.content
    await eventually(lambda: "Membre" in driver.role_names("noah"))

    # and so does accepting a new version after the bot itself removed the role for it
    charter_file = config_dir / "charter.yaml"
    charter_file.write_text(
        charter_file.read_text(encoding="utf-8").replace('version: "2025-01"', 'version: "2025-02"'),
        encoding="utf-8",
    )
    await sandbox.restart_bot()  # the bot removes the role until the new version is accepted
    await eventually(lambda: "Membre" not in driver.role_names("noah"))
    notice = await eventually(lambda: next((m for m in driver.dms("noah") if "2025-02" in m.content), None))
    await settle()
    renewed = await (await driver.click("noah", notice.id, accept_id(sandbox))).wait()
    assert "Merci" in renewed.content
    await eventually(lambda: "Membre" in driver.role_names("noah"))


async def test_the_charter_pages_turn_for_the_reader_only(sandbox):
    driver = sandbox.driver
    shown = await (await driver.slash("lea", "charte voir")).wait()
    labels = {c.get("label"): c["custom_id"] for row in shown.components for c in row.get("components", [])}
    assert shown.ephemeral and len(labels) == 2, "the charter fits several pages"
    first = shown.embeds[0]
    next_id = next(cid for label, cid in labels.items() if "uivant" in (label or "") or label == "▶")
    turned = await (await driver.click("lea", shown.message_id, next_id)).wait()
    assert turned.embeds and turned.embeds[0] != first
