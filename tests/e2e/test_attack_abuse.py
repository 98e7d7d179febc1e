"""Abuse: a button clicked 100 times at once changes the state once, and everyone gets an answer."""

from __future__ import annotations

import asyncio

from tests.e2e.test_intervisions import announcement_of, plan
from tests.helpers import eventually

CLICKS = 100


async def burst(driver, who: str, message, custom_id: str) -> list:
    clicks = await asyncio.gather(*(driver.click(who, message, custom_id) for _ in range(CLICKS)))
    return await asyncio.gather(*(click.wait(timeout=15) for click in clicks))


async def test_a_hundred_booking_clicks_book_one_seat(sandbox):
    driver = sandbox.driver
    session = await plan(sandbox, titre="Intervision très demandée", date="2099-04-08 14:00", places=2)
    post = announcement_of(driver, session.id)
    answers = await burst(driver, "ines", post, f"relais:intervisions:book:{session.id}")
    assert len(answers) == CLICKS and all(a.ephemeral for a in answers)
    rows = await sandbox.bot.db.fetchall(
        "SELECT user_id, status FROM intervision_bookings WHERE session_id = ?", (session.id,)
    )
    assert [(r["user_id"], r["status"]) for r in rows] == [(driver.user_id("ines"), "booked")]


async def test_a_hundred_acceptance_clicks_record_one_acceptance(sandbox):
    driver = sandbox.driver
    await (await driver.slash("camille", "charte publier")).wait_followup()
    charter = driver.bot_messages("charte")[-1]
    custom_id = f"relais:charter:accept:{sandbox.guild_id}"
    answers = await burst(driver, "lea", charter, custom_id)
    assert all(a.ephemeral for a in answers)
    await eventually(lambda: "Membre" in driver.role_names("lea"))
    count = await sandbox.bot.db.fetchval(
        "SELECT COUNT(*) FROM charter_acceptances WHERE user_id = ?", (driver.user_id("lea"),)
    )
    assert count == 1
    welcomes = [r for r in driver.requests if r.method == "PUT" and "/roles/" in r.path]
    assert len(welcomes) == 1  # the role was given once, not a hundred times


async def test_a_hundred_claim_clicks_claim_the_report_once(sandbox):
    driver = sandbox.driver
    offending = await driver.send_message("lea", "ressources", "Achetez mes compléments miracle !")
    opened = await (await driver.message_context("noah", "Signaler à la modération", offending)).wait()
    await (await driver.submit_modal("noah", opened, {"what": "Publicité"})).wait_followup()
    card = [m for m in driver.bot_messages("signalements") if m.embeds][0]
    report_id = int(card.embeds[0]["title"].split("n°")[1])
    answers = await burst(driver, "sami", card, f"relais:moderation:report:claim:{report_id}")
    assert len(answers) == CLICKS
    row = await sandbox.bot.db.fetchone(
        "SELECT status, handler_id FROM mod_reports WHERE id = ?", (report_id,)
    )
    assert (row["status"], row["handler_id"]) == ("claimed", driver.user_id("sami"))
