"""Intervisions end to end on the Discord double: plan → announcement → bookings → waitlist →
withdrawal → promotion DM → private thread → scheduled event → reminder DM → minutes → backlog."""

from __future__ import annotations

import asyncio

from bot import intervisions as iv
from bot import timeutil


async def settle(seconds: float = 0.3) -> None:
    await asyncio.sleep(seconds)


def announcement(driver, title):
    found = [m for m in driver.bot_messages("intervisions") if m.embeds and title in (m.embeds[0].get("title") or "")]
    assert found, "no announcement posted"
    return found[-1]


async def test_plan_book_waitlist_promote_remind_minutes(sandbox):
    driver, bot = sandbox.driver, sandbox.bot
    camille, ines, noah, sami = (driver.user_id(n) for n in ("camille", "ines", "noah", "sami"))
    planned = await (await driver.slash(
        "sami", "intervision planifier", titre="Réunion ouverte", date="2099-12-03 14:00", fin="16h30",
        lieu="Smes, Bruxelles", places=1, animation=ines)).wait_done()
    assert planned.ephemeral
    message = (planned.followups[-1].content if planned.followups else planned.content) or ""
    assert "planifiée" in message and "jeudi 3 décembre 2099 de 14h à 16h30" in message
    session = (await bot.get_cog("IntervisionsCog").domain.upcoming(sandbox.guild_id))[0]

    post = announcement(driver, "Réunion ouverte")
    ids = [c["custom_id"] for row in post.components for c in row["components"]]
    assert ids == [f"relais:intervisions:book:{session.id}", f"relais:intervisions:withdraw:{session.id}",
                   f"relais:intervisions:ics:{session.id}"]
    assert "<t:" in str(post.embeds[0]) and "1 place(s) libre(s) sur 1" in str(post.embeds[0])

    events = driver.scheduled_events()
    assert len(events) == 1 and events[0].name == "Réunion ouverte"

    threads = driver.threads("intervisions")
    assert len(threads) == 1
    thread = threads[0]

    # a member without the pair-aidant role is kindly refused
    lea = await (await driver.click("lea", post, f"relais:intervisions:book:{session.id}")).wait()
    assert lea.ephemeral and "pair-aidant" in lea.content

    booked = await (await driver.click("noah", post, f"relais:intervisions:book:{session.id}")).wait()
    assert booked.ephemeral and "place est réservée" in booked.content
    waiting = await (await driver.click("camille", post, f"relais:intervisions:book:{session.id}")).wait()
    assert "liste d'attente, position 1" in waiting.content
    await settle()
    assert noah in driver.thread_members(thread) and camille not in driver.thread_members(thread)
    assert ines in driver.thread_members(thread)  # the facilitator
    assert "Complet" in str(announcement(driver, "Réunion ouverte").embeds[0])

    withdrawn = await (await driver.click("noah", post, f"relais:intervisions:withdraw:{session.id}")).wait()
    assert "désistement" in withdrawn.content
    await settle()
    assert any("place s'est libérée" in m.content for m in driver.dms("camille"))
    members = driver.thread_members(thread)
    assert camille in members and noah not in members

    ics = await (await driver.click("noah", post, f"relais:intervisions:ics:{session.id}")).wait()
    assert ics.ephemeral

    # the 24 h reminder: bring it forward and let the real dispatcher fire it
    assert await bot.timers.reschedule(sandbox.guild_id, iv.reminder_key(session.id, 24), timeutil.now())
    for _ in range(50):
        if any("Petit rappel" in m.content for m in driver.dms("camille")):
            break
        await asyncio.sleep(0.1)
    assert any("Petit rappel" in m.content for m in driver.dms("camille"))
    assert any("Réunion ouverte" in m.content and "1/1" in m.content for m in driver.dms("ines"))

    # minutes by the facilitator, posted in the thread; topics join the backlog
    opened = await (await driver.slash("ines", "intervision compte-rendu", id=session.id)).wait()
    done = await (await driver.submit_modal("ines", opened, {
        "round": "7", "thematic": "La juste distance", "network": "Nouvelles du réseau",
        "later": "Supervision entre pairs\nTemps partiel et fatigue", "dates": "14/01, 18/02"})).wait()
    assert "Nouveaux sujets ajoutés à la liste : 2" in done.content
    await settle()
    assert any("Compte rendu" in m.content and "7 personne(s)" in m.content for m in driver.messages(thread))
    topics = await (await driver.slash("noah", "intervision sujet liste")).wait()
    assert "Supervision entre pairs" in topics.content and "Temps partiel et fatigue" in topics.content

    # the participants list is for the leads and moderators only
    refused = await (await driver.slash("noah", "intervision participants", id=session.id)).wait()
    assert "animation" in refused.content
    allowed = await (await driver.slash("sami", "intervision participants", id=session.id)).wait()
    assert "1/1" in allowed.content
    assert sami


async def test_bad_dates_are_refused_with_a_precise_message_and_store_nothing(sandbox):
    driver, bot = sandbox.driver, sandbox.bot
    past = await (await driver.slash("sami", "intervision planifier", titre="X", date="2020-01-01 14:00")).wait()
    assert past.ephemeral and "déjà passée" in past.content
    ambiguous = await (await driver.slash("sami", "intervision planifier", titre="X", date="25/10/2099 2h30")).wait()
    assert "UTC+2" in ambiguous.content and "UTC+1" in ambiguous.content
    places = await (await driver.slash("sami", "intervision planifier", titre="X", date="3/12/2099 14h", places=0)).wait()
    assert "entre 1 et 500" in places.content
    member = await (await driver.slash("noah", "intervision planifier", titre="X", date="3/12/2099 14h")).wait()
    assert "modération" in member.content
    assert await bot.get_cog("IntervisionsCog").domain.upcoming(sandbox.guild_id) == []


async def test_cancel_and_member_leaving(sandbox):
    driver, bot = sandbox.driver, sandbox.bot
    await (await driver.slash("sami", "intervision planifier", titre="Intervision", date="2099-06-03 14:00",
                              places=1)).wait_done()
    domain = bot.get_cog("IntervisionsCog").domain
    session = (await domain.upcoming(sandbox.guild_id))[0]
    post = announcement(driver, "Intervision")
    await (await driver.click("noah", post, f"relais:intervisions:book:{session.id}")).wait()
    await (await driver.click("ines", post, f"relais:intervisions:book:{session.id}")).wait()
    await driver.member_leave("noah")
    for _ in range(30):
        if (await domain.participants(sandbox.guild_id, session.id)).booked == (driver.user_id("ines"),):
            break
        await asyncio.sleep(0.1)
    assert (await domain.participants(sandbox.guild_id, session.id)).booked == (driver.user_id("ines"),)
    cancelled = await (await driver.slash("sami", "intervision annuler", id=session.id, raison="salle indisponible")).wait_done()
    assert cancelled.ephemeral
    await settle()
    assert (await domain.get(sandbox.guild_id, session.id)).status == "cancelled"
    assert [t for t in await bot.timers.pending(sandbox.guild_id) if t.kind.startswith("intervision")] == []
    assert any("annulée" in m.content for m in driver.dms("ines"))
    listing = await (await driver.slash("lea", "intervision liste")).wait()
    assert "Aucune séance" in listing.content
