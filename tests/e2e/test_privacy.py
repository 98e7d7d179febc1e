"""/mes-donnees on the double: the export file, erasure with its choice, and members who leave."""

from __future__ import annotations

import json

from bot.core import timeutil
from tests.e2e.test_intervisions import announcement_of, button_by_label, download, plan
from tests.helpers import eventually, fr


def book_id(session_id: int) -> str:
    return f"relais:intervisions:book:{session_id}"


async def book(sandbox, who: str, session) -> None:
    message = announcement_of(sandbox.driver, session.id)
    await (await sandbox.driver.click(who, message.id, book_id(session.id))).wait()


async def test_export_is_a_private_json_file_with_a_readable_summary(sandbox):
    driver = sandbox.driver
    session = await plan(sandbox, titre="Intervision de janvier", date="2099-01-14 14:00", places=3)
    await book(sandbox, "ines", session)
    result = await (await driver.slash("ines", "mes-donnees exporter")).wait_done(timeout=10)
    reply = result.followups[-1]
    assert result.ephemeral
    summary = reply.embeds[0]["description"]
    assert fr("inscriptions aux intervisions : 1") in summary
    assert "signalements vous concernant" in summary  # what is withheld is named, with why
    assert [a["filename"] for a in reply.attachments] == ["mes-donnees-relais.json"]
    document = json.loads(await download(reply.attachments[0]["url"]))
    assert document["member_id"] == str(driver.user_id("ines"))
    assert [b["title"] for b in document["data"]["intervisions"]["bookings"]] == ["Intervision de janvier"]


async def test_erasure_asks_first_then_frees_the_seat_and_says_what_is_kept(sandbox):
    driver = sandbox.driver
    session = await plan(sandbox, titre="Intervision complète", date="2099-02-18 14:00", places=1)
    await book(sandbox, "ines", session)
    await book(sandbox, "noah", session)  # waitlisted
    asked = await (await driver.slash("ines", "mes-donnees supprimer")).wait()
    assert asked.ephemeral and "ne peut pas être annulé" in asked.content
    click = await driver.click(
        "ines",
        asked.message_id,
        button_by_label(asked.message, "Effacer, garder mes ressources sans mon nom"),
    )
    done = await click.wait_edit(timeout=10)
    assert "C'est fait" in done.embeds[0]["description"]
    assert fr("inscriptions aux prochaines intervisions : 1") in done.embeds[0]["description"]
    domain = sandbox.bot.get_cog("IntervisionsCog").domain
    participants = await domain.participants(sandbox.guild_id, session.id)
    assert driver.user_id("ines") not in participants.booked
    assert participants.booked == (driver.user_id("noah"),)
    # The promotion reaches Noah as for any withdrawal, through the durable timer.
    await eventually(lambda: any("Intervision complète" in (m.content or "") for m in driver.dms("noah")), 10)
    export = await (await driver.slash("ines", "mes-donnees exporter")).wait_done(timeout=10)
    assert "inscriptions" not in export.followups[-1].embeds[0]["description"]


async def test_cancel_erases_nothing(sandbox):
    driver = sandbox.driver
    session = await plan(sandbox, titre="Intervision de mars", date="2099-03-18 14:00")
    await book(sandbox, "ines", session)
    asked = await (await driver.slash("ines", "mes-donnees supprimer")).wait()
    click = await driver.click("ines", asked.message_id, button_by_label(asked.message, "Annuler"))
    answered = await click.wait()
    assert "Rien n'a été effacé" in answered.content
    domain = sandbox.bot.get_cog("IntervisionsCog").domain
    assert (await domain.participants(sandbox.guild_id, session.id)).booked == (driver.user_id("ines"),)


async def test_a_member_who_leaves_is_erased_later_unless_they_come_back(sandbox):
    driver = sandbox.driver
    timers = sandbox.bot.timers
    await driver.member_leave("noah")
    await eventually(lambda: timers.pending(sandbox.guild_id, "privacy.erase_member"), seconds=5)
    [timer] = await timers.pending(sandbox.guild_id, "privacy.erase_member")
    assert timer.payload["member_id"] == driver.user_id("noah")
    assert 29.9 < (timer.due_at - timeutil.now()).total_seconds() / 86400 <= 30
    await driver.member_join("noah")

    async def cancelled() -> bool:
        return not await timers.pending(sandbox.guild_id, "privacy.erase_member")

    await eventually(cancelled, seconds=5)


def resource_cards(driver):
    return [m for m in driver.bot_messages("ressources") if m.embeds]


async def erase(driver, who: str, choice: str):
    asked = await (await driver.slash(who, "mes-donnees supprimer")).wait()
    click = await driver.click(who, asked.message_id, button_by_label(asked.message, choice))
    return await click.wait_edit(timeout=10)


async def test_erasure_keeping_resources_shows_them_as_shared_by_a_former_member(sandbox):
    driver = sandbox.driver
    await (await driver.slash("ines", "ressource partager", url="https://pat.support/", titre="PAT")).wait()
    card = (await eventually(lambda: resource_cards(driver)))[0]
    assert f"<@{driver.user_id('ines')}>" in str(card.embeds[0]["fields"])
    done = await erase(driver, "ines", "Effacer, garder mes ressources sans mon nom")
    assert "ressources partagées — sans votre nom" in done.embeds[0]["description"]
    await eventually(lambda: "membre parti·e" in str(driver.message_obj(card.id).embeds[0]["fields"]), 10)
    assert f"<@{driver.user_id('ines')}>" not in str(driver.message_obj(card.id).embeds[0]["fields"])


async def test_erasure_deleting_resources_removes_their_announcement(sandbox):
    driver = sandbox.driver
    await (await driver.slash("ines", "ressource partager", url="https://pat.support/", titre="PAT")).wait()
    await eventually(lambda: resource_cards(driver))
    done = await erase(driver, "ines", "Effacer, y compris mes ressources")
    assert fr("ressources partagées : 1") in done.embeds[0]["description"]
    await eventually(lambda: not resource_cards(driver), 10)
    assert await sandbox.bot.db.fetchval("SELECT COUNT(*) FROM resources") == 0
