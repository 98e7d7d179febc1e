"""Care that does no harm, end to end on the Discord double (issue 15): a burst with a distress
sentence brings care and no sanction; a quoted question brings nothing; the intrusive-question
reminder is private; the care DM tells the truth; the handoff thread opens only on click, with the
people on duty only, and its author can close it."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from bot.core import guild_config
from tests.helpers import checked_sandbox, eventually

REPO = Path(__file__).resolve().parents[2]
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


async def settle(seconds: float = 0.5) -> None:
    await asyncio.sleep(seconds)


def care_dm(driver, member: str):
    found = [m for m in driver.dms(member) if m.embeds and "pour vous" in m.embeds[0].get("title", "")]
    return found[0] if found else None


def handoff_id(sandbox) -> str:
    return f"relais:charter:handoff:{sandbox.guild_id}"


def has_button(message, custom_id: str) -> bool:
    buttons = [c for row in message.components for c in row.get("components", [])]
    return any(c.get("custom_id") == custom_id for c in buttons)


async def test_a_burst_with_a_distress_sentence_brings_care_and_no_sanction(sandbox):
    driver = sandbox.driver
    burst = [
        "je suis là",
        "désolé",
        "je sais pas",
        "ça va pas",
        "vraiment pas",
        "Je n'en peux plus, j'ai envie d'en finir avec tout ça",
        "pardon",
        "je suis désolé",
        "voilà",
    ]
    for text in burst:
        await driver.send_message("noah", "ressources", text)
    await eventually(lambda: care_dm(driver, "noah") is not None)
    await settle()
    assert not driver.is_timed_out("noah")
    assert [m for m in driver.dms("noah") if not m.embeds] == []  # no sanction, no flood reminder
    kept = {m.content for m in driver.messages("ressources")}
    assert all(text in kept for text in burst)  # nothing deleted
    assert not driver.bot_messages("signalements") and not driver.bot_messages("mod-log")


async def test_a_burst_without_distress_gets_a_private_reminder_not_a_timeout(sandbox):
    driver = sandbox.driver
    for i in range(8):
        await driver.send_message("ines", "ressources", f"message numéro {i}")
    await eventually(lambda: any("souffler" in m.content for m in driver.dms("ines")))
    await settle()
    assert not driver.is_timed_out("ines")
    assert not driver.bot_messages("ressources")


async def test_a_quoted_or_reported_intrusive_question_brings_nothing(sandbox):
    driver = sandbox.driver
    for text in (
        "En entretien on m'a demandé : quelle est votre pathologie ?",
        "Ne jamais demander « tu es vraiment rétabli ? », c'est dans la charte.",
    ):
        await driver.send_message("ines", "ressources", text)
    await driver.send_message("ines", "ressources", "Tu prends quoi comme pause le midi ?")
    await settle(0.8)
    assert not driver.bot_messages("ressources")
    assert not driver.dms("ines")


async def test_an_intrusive_question_gets_a_private_reminder(sandbox):
    driver = sandbox.driver
    message = await driver.send_message("ines", "ressources", "Noah, c'est quoi ton diagnostic exactement ?")
    await eventually(lambda: any("Petit rappel" in m.content for m in driver.dms("ines")))
    assert any(m.id == message.id for m in driver.messages("ressources"))
    assert not driver.bot_messages("ressources")


async def test_with_closed_dms_the_reminder_is_one_short_public_line(sandbox):
    driver = sandbox.driver
    driver.refuse_dms("ines")
    await driver.send_message("ines", "ressources", "Noah, c'est quoi ton diagnostic exactement ?")
    await eventually(lambda: bool(driver.bot_messages("ressources")))
    line = driver.bot_messages("ressources")[-1].content
    assert "article 5" in line and "diagnostic" not in line


async def test_a_discussed_word_is_not_deleted(sandbox):
    driver = sandbox.driver
    text = "Le mot « pute » est stigmatisant, on en parle ?"
    message = await driver.send_message("ines", "ressources", text)
    await settle(0.8)
    assert any(m.id == message.id for m in driver.messages("ressources"))
    assert not driver.dms("ines")


async def test_the_care_dm_says_nobody_else_was_told_and_offers_the_handoff(sandbox):
    driver = sandbox.driver
    await driver.send_message("noah", "ressources", "je pense au suicide tous les soirs")
    await eventually(lambda: care_dm(driver, "noah") is not None)
    dm = care_dm(driver, "noah")
    assert "personne d'autre n'a été prévenu" in dm.embeds[0]["description"]
    assert has_button(dm, handoff_id(sandbox))
    assert not driver.threads()  # nothing opens without the click
    assert not driver.dms("sami")


async def test_the_care_dm_says_the_duty_team_was_told_when_the_alert_is_on(tmp_path, config_dir):
    environ = {**ENV, "RELAIS_MODERATION__DISTRESS_ALERT_MODERATORS": "true"}
    async with checked_sandbox(tmp_path, config_dir=config_dir, environ=environ) as sandbox:
        driver = sandbox.driver
        await driver.send_message("noah", "ressources", "je pense au suicide tous les soirs")
        await eventually(lambda: care_dm(driver, "noah") is not None and bool(driver.dms("sami")))
        description = care_dm(driver, "noah").embeds[0]["description"]
        assert "personne d'autre n'a été prévenu" not in description
        assert "l'équipe de modération de permanence reçoit aussi" in description


async def plan_duty(driver, moderator: str) -> None:
    uid = driver.user_id(moderator)
    plan = await driver.slash(
        moderator, "permanence planifier", moderateurs=f"<@{uid}>", periode="1 sem", debut="maintenant"
    )
    assert "Permanence enregistrée" in (await plan.wait()).content


async def test_the_handoff_opens_a_private_thread_with_the_people_on_duty_only_on_click(sandbox):
    driver = sandbox.driver
    await plan_duty(driver, "sami")
    await driver.send_message("noah", "ressources", "je veux plus être là")
    await eventually(lambda: care_dm(driver, "noah") is not None)
    await settle()
    assert not driver.threads()
    before = len(driver.requests)
    click = await driver.click("noah", care_dm(driver, "noah").id, handoff_id(sandbox))
    reply = await click.wait_followup()
    threads = driver.threads("accueil")
    assert len(threads) == 1
    thread = threads[0]
    assert thread.type == 12  # private thread
    assert thread.id == int(reply.content.split("<#")[1].split(">")[0])
    people = set(driver.thread_members(thread)) - {driver.world.bot_user_id}
    assert people == {driver.user_id("noah"), driver.user_id("sami")}
    welcome = driver.bot_messages(thread)[-1]
    assert f"<@{driver.user_id('sami')}>" in welcome.content
    # The duty team is pinged there and nowhere else.
    pinged = [
        r
        for r in driver.requests[before:]
        if r.method == "POST"
        and r.path.endswith("/messages")
        and (r.json or {}).get("allowed_mentions", {}).get("users")
    ]
    assert pinged and all(r.path.endswith(f"/channels/{thread.id}/messages") for r in pinged)
    assert [int(u) for u in pinged[0].json["allowed_mentions"]["users"]] == [driver.user_id("sami")]
    # The same click again: the open thread, not a second one.
    again = await driver.click("noah", care_dm(driver, "noah").id, handoff_id(sandbox))
    assert "déjà ouvert" in (await again.wait_followup()).content
    assert len(driver.threads("accueil")) == 1
    # Only noah may close it; closing archives it.
    close_id = f"relais:charter:handoff_close:{thread.id}"
    refused = await driver.click("sami", welcome.id, close_id)
    await refused.wait()
    assert refused.ephemeral and "Seule la personne" in refused.content
    closed = await driver.click("noah", welcome.id, close_id)
    await closed.wait()
    await eventually(lambda: driver.channel(thread.id).archived)
    query = "SELECT closed_at FROM care_handoffs WHERE thread_id = ?"
    assert await sandbox.bot.db.fetchval(query, (thread.id,))


async def test_in_the_private_thread_only_care_acts_and_nothing_is_copied(sandbox):
    driver = sandbox.driver
    await plan_duty(driver, "sami")
    result = await driver.slash("noah", "urgence")
    await result.wait()
    assert has_button(result.message, handoff_id(sandbox))
    click = await driver.click("noah", result.message, handoff_id(sandbox))
    await click.wait_followup()
    thread = driver.threads("accueil")[0]
    logged = len(driver.bot_messages("mod-log"))
    text = "franchement, sale connard de boulot, quelle est ta pathologie à toi ?"
    await driver.send_message("noah", thread, text)
    await settle(0.8)
    assert len(driver.bot_messages(thread)) == 1  # the welcome only: no reminder
    assert not driver.bot_messages("signalements") and len(driver.bot_messages("mod-log")) == logged
    assert not any("connard" in m.content or "pathologie" in m.content for m in driver.dms("noah"))


async def test_a_recused_moderator_is_not_reached_the_listening_role_is(sandbox):
    driver = sandbox.driver
    await plan_duty(driver, "sami")
    recuse = await driver.slash("sami", "mod recusation", membre="noah")
    await recuse.wait()
    await guild_config.set_role(sandbox.bot.db, sandbox.guild_id, "ecoute", driver.role_id("pair-aidant"))
    result = await driver.slash("noah", "urgence")
    await result.wait()
    click = await driver.click("noah", result.message, handoff_id(sandbox))
    await click.wait_followup()
    thread = driver.threads("accueil")[0]
    members = set(driver.thread_members(thread))
    assert driver.user_id("sami") not in members
    assert driver.user_id("ines") in members and driver.user_id("noah") in members
