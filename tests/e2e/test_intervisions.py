"""Intervisions end to end on the Discord double: plan → announcement → bookings → waitlist →
withdrawal → promotion DM → private thread → scheduled event → reminder DM → minutes → backlog."""

from __future__ import annotations

import asyncio

import aiohttp
import icalendar

from bot.core import timeutil
from bot.intervisions import sessions as iv
from tests.helpers import eventually, fr


async def settle(seconds: float = 0.3) -> None:
    await asyncio.sleep(seconds)


def announcement(driver, title):
    found = [
        m
        for m in driver.bot_messages("intervisions")
        if m.embeds and title in (m.embeds[0].get("title") or "")
    ]
    assert found, "no announcement posted"
    return found[-1]


async def test_plan_book_waitlist_promote_remind_minutes(sandbox):
    driver, bot = sandbox.driver, sandbox.bot
    camille, ines, noah, sami = (driver.user_id(n) for n in ("camille", "ines", "noah", "sami"))
    planned = await (
        await driver.slash(
            "sami",
            "intervision planifier",
            titre="Réunion ouverte",
            date="2099-12-03 14:00",
            fin="16h30",
            lieu="Smes, Bruxelles",
            places=1,
            animation=ines,
        )
    ).wait_done()
    assert planned.ephemeral
    message = (planned.followups[-1].content if planned.followups else planned.content) or ""
    assert "planifiée" in message and "jeudi 3 décembre 2099 de 14h à 16h30" in message
    session = (await bot.get_cog("IntervisionsCog").domain.upcoming(sandbox.guild_id))[0]

    post = announcement(driver, "Réunion ouverte")
    ids = [c["custom_id"] for row in post.components for c in row["components"]]
    assert ids == [
        f"relais:intervisions:book:{session.id}",
        f"relais:intervisions:withdraw:{session.id}",
        f"relais:intervisions:ics:{session.id}",
    ]
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
    await eventually(lambda: any("Petit rappel" in m.content for m in driver.dms("camille")))
    assert any("Réunion ouverte" in m.content and "1/1" in m.content for m in driver.dms("ines"))

    # minutes by the facilitator, posted in the thread; topics join the backlog
    opened = await (await driver.slash("ines", "intervision compte-rendu", id=session.id)).wait()
    done = await (
        await driver.submit_modal(
            "ines",
            opened,
            {
                "round": "7",
                "thematic": "La juste distance",
                "network": "Nouvelles du réseau",
                "later": "Supervision entre pairs\nTemps partiel et fatigue",
                "dates": "14/01, 18/02",
            },
        )
    ).wait()
    assert fr("Nouveaux sujets notés : 2") in done.content
    await settle()
    assert any("Compte rendu" in m.content and "7 personne(s)" in m.content for m in driver.messages(thread))
    minutes = next(m for m in driver.messages(thread) if "Compte rendu" in m.content)
    publish = await (
        await driver.click("ines", minutes, f"relais:intervisions:publish_topics:{session.id}")
    ).wait()
    await publish.wait_followup()
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
    past = await (
        await driver.slash("sami", "intervision planifier", titre="X", date="2020-01-01 14:00")
    ).wait()
    assert past.ephemeral and "déjà passée" in past.content
    ambiguous = await (
        await driver.slash("sami", "intervision planifier", titre="X", date="25/10/2099 2h30")
    ).wait()
    assert "UTC+2" in ambiguous.content and "UTC+1" in ambiguous.content
    places = await (
        await driver.slash("sami", "intervision planifier", titre="X", date="3/12/2099 14h", places=0)
    ).wait()
    assert "entre 1 et 500" in places.content
    member = await (
        await driver.slash("noah", "intervision planifier", titre="X", date="3/12/2099 14h")
    ).wait()
    assert "modération" in member.content
    assert await bot.get_cog("IntervisionsCog").domain.upcoming(sandbox.guild_id) == []


async def test_cancel_and_member_leaving(sandbox):
    driver, bot = sandbox.driver, sandbox.bot
    await (
        await driver.slash(
            "sami", "intervision planifier", titre="Intervision", date="2099-06-03 14:00", places=1
        )
    ).wait_done()
    domain = bot.get_cog("IntervisionsCog").domain
    session = (await domain.upcoming(sandbox.guild_id))[0]
    post = announcement(driver, "Intervision")
    await (await driver.click("noah", post, f"relais:intervisions:book:{session.id}")).wait()
    await (await driver.click("ines", post, f"relais:intervisions:book:{session.id}")).wait()
    await driver.member_leave("noah")

    async def only_ines_booked() -> bool:
        return (await domain.participants(sandbox.guild_id, session.id)).booked == (driver.user_id("ines"),)

    await eventually(only_ines_booked)
    cancelled = await (
        await driver.slash("sami", "intervision annuler", id=session.id, raison="salle indisponible")
    ).wait_done()
    assert cancelled.ephemeral
    await settle()
    assert (await domain.get(sandbox.guild_id, session.id)).status == "cancelled"
    assert [t for t in await bot.timers.pending(sandbox.guild_id) if t.kind.startswith("intervision")] == []
    assert any("annulée" in m.content for m in driver.dms("ines"))
    listing = await (await driver.slash("lea", "intervision liste")).wait()
    assert "Aucune séance" in listing.content


# -- every other /intervision command, end to end ---------------------------------------------------

BRUSSELS = "Europe/Brussels"


def final_text(result) -> str:
    """The text the member finally reads: a deferred answer is edited in place by its followup."""
    return (result.followups[-1].content if result.followups else result.content) or ""


def announcement_of(driver, session_id: int):
    """The announcement of one session (its footer names the session number)."""
    found = [
        m
        for m in driver.bot_messages("intervisions")
        if m.embeds
        and fr(f"Séance n° {session_id} ") in ((m.embeds[0].get("footer") or {}).get("text") or "")
    ]
    assert len(found) == 1, f"expected one announcement of session {session_id}, got {len(found)}"
    return found[0]


def embed_text(message) -> str:
    embed = message.embeds[0]
    parts = [embed.get("title") or "", embed.get("description") or ""]
    parts += [f"{f.get('name')}: {f.get('value')}" for f in embed.get("fields") or []]
    return "\n".join(parts)


def button_ids(message) -> list[str]:
    return [c.get("custom_id") for row in message.components for c in row.get("components", [])]


def button_by_label(message, label: str) -> str:
    found = [
        c["custom_id"]
        for row in message.components
        for c in row.get("components", [])
        if c.get("label") == label
    ]
    assert len(found) == 1, f"no single button {label!r} on message {message.id}: {message.components}"
    return found[0]


async def plan(sandbox, who: str = "sami", **options):
    """Plan one session through the real command and return it as stored."""
    domain = sandbox.bot.get_cog("IntervisionsCog").domain
    before = {s.id for s in await domain.upcoming(sandbox.guild_id, limit=100)}
    done = await (await sandbox.driver.slash(who, "intervision planifier", **options)).wait_done(timeout=10)
    assert "planifiée" in final_text(done), final_text(done)
    created = [s for s in await domain.upcoming(sandbox.guild_id, limit=100) if s.id not in before]
    assert len(created) == 1
    # publish() stores the announcement, thread and event ids before the answer is sent
    return await domain.get(sandbox.guild_id, created[0].id)


async def download(url: str) -> bytes:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200
        return await response.read()


async def test_voir_shows_the_session_and_your_own_status(sandbox):
    driver = sandbox.driver
    session = await plan(
        sandbox,
        titre="Intervision de décembre",
        date="2099-12-03 14:00",
        fin="16h30",
        lieu="Smes, Bruxelles",
        places=1,
        animation=driver.user_id("ines"),
    )
    post = announcement_of(driver, session.id)
    await (await driver.click("noah", post, f"relais:intervisions:book:{session.id}")).wait()
    await (await driver.click("camille", post, f"relais:intervisions:book:{session.id}")).wait()

    seen = await (await driver.slash("noah", "intervision voir", id=session.id)).wait()
    assert seen.ephemeral
    text = embed_text(seen.message)
    assert "Intervision de décembre" in text and "jeudi 3 décembre 2099 de 14h à 16h30" in text
    assert "Smes, Bruxelles" in text and f"<@{driver.user_id('ines')}>" in text
    assert "✅ Vous avez une place." in text
    assert button_ids(seen.message) == [
        f"relais:intervisions:book:{session.id}",
        f"relais:intervisions:withdraw:{session.id}",
        f"relais:intervisions:ics:{session.id}",
    ]

    waiting = await (await driver.slash("camille", "intervision voir", id=session.id)).wait()
    assert "⏳ Vous êtes en liste d'attente (position 1)." in embed_text(waiting.message)
    assert "Complet (1 places) — 1 personne(s) en liste d'attente" in embed_text(waiting.message)

    outsider = await (await driver.slash("lea", "intervision voir", id=session.id)).wait()
    assert outsider.ephemeral and "Vous avez une place" not in embed_text(outsider.message)
    assert "liste d'attente (position" not in embed_text(outsider.message)

    # the buttons of the private answer work like the announcement's
    withdrawn = await (
        await driver.click("noah", seen.message, f"relais:intervisions:withdraw:{session.id}")
    ).wait()
    assert "désistement" in withdrawn.content
    await eventually(lambda: any("place s'est libérée" in m.content for m in driver.dms("camille")))

    unknown = await (await driver.slash("noah", "intervision voir", id=9999)).wait()
    assert unknown.ephemeral and fr("Je ne trouve pas de séance n° 9999") in unknown.content
    assert not unknown.embeds


async def test_calendrier_gives_a_parseable_ics_of_the_upcoming_sessions(sandbox):
    driver = sandbox.driver
    winter = await plan(
        sandbox, titre="Intervision d'hiver", date="2099-12-03 14:00", fin="16h30", lieu="Smes, Bruxelles"
    )
    summer = await plan(sandbox, titre="Intervision d'été", date="2099-07-02 14:00", fin="16h")
    gone = await plan(sandbox, titre="Séance annulée", date="2099-09-10 10:00")
    cancelled = await (
        await driver.slash("sami", "intervision annuler", id=gone.id, raison="salle prise")
    ).wait_done()
    assert "1 séance(s) annulée(s)" in final_text(cancelled)

    result = await (await driver.slash("lea", "intervision calendrier")).wait()
    assert result.ephemeral
    assert "Voici les 2 prochaine(s) séance(s) en fichier agenda." in result.content
    attachments = result.message.attachments
    assert [a["filename"] for a in attachments] == ["intervisions.ics"]
    calendar = icalendar.Calendar.from_ical(await download(attachments[0]["url"]))

    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == [BRUSSELS]
    events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"Intervision d'hiver", "Intervision d'été"}  # the cancelled one is left out
    for event, session in ((events["Intervision d'hiver"], winter), (events["Intervision d'été"], summer)):
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert event["DTSTART"].params["TZID"] == BRUSSELS
        assert start == session.starts_at and end == session.ends_at
        assert (start.hour, start.minute) == (14, 0)  # 14h on the wall in winter and in summer
        assert str(event["UID"]).startswith(f"intervision-{sandbox.guild_id}-{session.id}@")
        assert str(event["STATUS"]) == "CONFIRMED"
    assert events["Intervision d'hiver"].decoded("DTEND").hour == 16
    assert events["Intervision d'hiver"].decoded("DTEND").minute == 30
    assert str(events["Intervision d'hiver"]["LOCATION"]) == "Smes, Bruxelles"
    assert events["Intervision d'été"].decoded("DTSTART").utcoffset().total_seconds() == 7200
    assert events["Intervision d'hiver"].decoded("DTSTART").utcoffset().total_seconds() == 3600


async def test_calendrier_with_no_session_is_an_empty_but_valid_calendar(sandbox):
    result = await (await sandbox.driver.slash("noah", "intervision calendrier")).wait()
    assert result.ephemeral and "Voici les 0 prochaine(s) séance(s)" in result.content
    calendar = icalendar.Calendar.from_ical(await download(result.message.attachments[0]["url"]))
    assert calendar.walk("VEVENT") == []


async def test_deplacer_moves_announcement_event_reminders_and_tells_members(sandbox):
    driver, bot = sandbox.driver, sandbox.bot
    domain = bot.get_cog("IntervisionsCog").domain
    session = await plan(
        sandbox,
        titre="Intervision",
        date="2099-12-03 14:00",
        fin="16h30",
        places=1,
        animation=driver.user_id("ines"),
    )
    post = announcement_of(driver, session.id)
    await (await driver.click("noah", post, f"relais:intervisions:book:{session.id}")).wait()
    await (await driver.click("camille", post, f"relais:intervisions:book:{session.id}")).wait()

    # a member who does not organise cannot move it; nothing changes
    refused = await (
        await driver.slash("noah", "intervision deplacer", id=session.id, date="17/12/2099 10h")
    ).wait()
    assert refused.ephemeral and "Seules les personnes qui organisent ou animent" in refused.content
    # bad dates: a clear French refusal, nothing written
    bad = await (
        await driver.slash("sami", "intervision deplacer", id=session.id, date="31/02/2099 14h")
    ).wait()
    assert bad.ephemeral and "Ce jour n'existe pas" in bad.content
    past = await (
        await driver.slash("sami", "intervision deplacer", id=session.id, date="2020-01-01 14:00")
    ).wait()
    assert past.ephemeral and "déjà passée" in past.content
    unchanged = await domain.get(sandbox.guild_id, session.id)
    assert (unchanged.starts_at, unchanged.ends_at) == (session.starts_at, session.ends_at)
    assert not any("change de date" in m.content for m in driver.dms("noah"))

    # the facilitator moves it
    moved = await (
        await driver.slash("ines", "intervision deplacer", id=session.id, date="17/12/2099 10h-12h")
    ).wait_done()
    assert moved.ephemeral
    assert fr("« Intervision » est déplacée : jeudi 17 décembre 2099 de 10h à 12h.") in final_text(moved)
    stored = await domain.get(sandbox.guild_id, session.id)
    assert stored.starts_at.isoformat() == "2099-12-17T09:00:00+00:00"
    assert stored.ends_at.isoformat() == "2099-12-17T11:00:00+00:00"

    # the announcement, the scheduled event, the reminders follow; members are told by DM
    await eventually(
        lambda: "jeudi 17 décembre 2099 de 10h à 12h" in embed_text(announcement_of(driver, session.id))
    )
    event = next(e for e in driver.scheduled_events() if e.id == session.event_id)
    assert event.scheduled_start_time.startswith("2099-12-17T09:00:00")
    assert event.scheduled_end_time.startswith("2099-12-17T11:00:00")
    for who in ("noah", "camille"):
        await eventually(
            lambda who=who: any(
                fr("« Intervision » change de date : jeudi 17 décembre 2099 de 10h à 12h") in m.content
                for m in driver.dms(who)
            )
        )
    due = {
        t.key: t.due_at
        for t in await bot.timers.pending(sandbox.guild_id)
        if t.key.startswith("intervision:")
    }
    assert due[iv.reminder_key(session.id, 24)].isoformat() == "2099-12-16T09:00:00+00:00"
    assert due[iv.reminder_key(session.id, 1)].isoformat() == "2099-12-17T08:00:00+00:00"

    # only the date given: the hour and the duration are kept
    again = await (
        await driver.slash("sami", "intervision deplacer", id=session.id, date="18/12/2099")
    ).wait_done()
    assert "vendredi 18 décembre 2099 de 10h à 12h" in final_text(again)

    # a cancelled session cannot be moved
    await (
        await driver.slash("sami", "intervision annuler", id=session.id, raison="plus de salle")
    ).wait_done()
    refused = await (
        await driver.slash("sami", "intervision deplacer", id=session.id, date="20/12/2099 10h")
    ).wait()
    assert refused.ephemeral and fr("est annulée : rien n'a été changé") in refused.content
    assert (
        await domain.get(sandbox.guild_id, session.id)
    ).starts_at.isoformat() == "2099-12-18T09:00:00+00:00"


async def test_places_promotes_the_waitlist_and_refuses_going_below_the_booked(sandbox):
    driver, bot = sandbox.driver, sandbox.bot
    domain = bot.get_cog("IntervisionsCog").domain
    session = await plan(sandbox, titre="Intervision", date="2099-12-03 14:00", places=1)
    post = announcement_of(driver, session.id)
    await (await driver.click("noah", post, f"relais:intervisions:book:{session.id}")).wait()
    await (await driver.click("camille", post, f"relais:intervisions:book:{session.id}")).wait()
    await (await driver.click("ines", post, f"relais:intervisions:book:{session.id}")).wait()
    thread = driver.channel(session.thread_id)
    await eventually(
        lambda: "Complet (1 places) — 2 personne(s)" in embed_text(announcement_of(driver, session.id))
    )

    # not an organiser: refused, nothing changed
    refused = await (await driver.slash("noah", "intervision places", id=session.id, places=5)).wait()
    assert refused.ephemeral and "Seules les personnes qui organisent" in refused.content
    out_of_range = await (await driver.slash("sami", "intervision places", id=session.id, places=0)).wait()
    assert out_of_range.ephemeral and fr("entre 1 et 500 (reçu : 0)") in out_of_range.content
    too_many = await (await driver.slash("sami", "intervision places", id=session.id, places=501)).wait()
    assert too_many.ephemeral and "entre 1 et 500" in too_many.content
    assert (await domain.get(sandbox.guild_id, session.id)).capacity == 1

    # one more place: the first waitlisted member gets it at once (DM, private thread, announcement)
    more = await (await driver.slash("sami", "intervision places", id=session.id, places=2)).wait()
    assert more.ephemeral
    assert (
        fr("« Intervision » compte maintenant 2 places. Personnes sorties de la liste d'attente : 1.")
        in more.content
    )
    camille, ines = driver.user_id("camille"), driver.user_id("ines")
    await eventually(lambda: any("place s'est libérée" in m.content for m in driver.dms("camille")))
    await eventually(lambda: camille in driver.thread_members(thread))
    assert ines not in driver.thread_members(thread)
    assert not any("place s'est libérée" in m.content for m in driver.dms("ines"))
    await eventually(
        lambda: "Complet (2 places) — 1 personne(s)" in embed_text(announcement_of(driver, session.id))
    )
    people = await domain.participants(sandbox.guild_id, session.id)
    assert people.booked == (driver.user_id("noah"), camille) and people.waitlist == (ines,)

    # fewer places than members booked: refused, naming the number booked; nobody loses a seat
    fewer = await (await driver.slash("sami", "intervision places", id=session.id, places=1)).wait()
    assert fewer.ephemeral
    assert fr("2 personnes ont déjà une place : on ne peut pas descendre à 1.") in fewer.content
    assert (await domain.get(sandbox.guild_id, session.id)).capacity == 2
    assert await domain.participants(sandbox.guild_id, session.id) == people

    # the creator of the session may change it too, and a larger number empties the waitlist
    last = await (await driver.slash("sami", "intervision places", id=session.id, places=10)).wait()
    assert fr("compte maintenant 10 places. Personnes sorties de la liste d'attente : 1.") in last.content
    await eventually(lambda: "7 place(s) libre(s) sur 10" in embed_text(announcement_of(driver, session.id)))
    await eventually(lambda: ines in driver.thread_members(thread))


async def test_proposer_accueil_and_animation_tell_the_organisers_once(sandbox):
    driver, bot = sandbox.driver, sandbox.bot
    domain = bot.get_cog("IntervisionsCog").domain
    session = await plan(
        sandbox, titre="Intervision de mars", date="2099-03-05 14:00", animation=driver.user_id("ines")
    )

    host = await (await driver.slash("noah", "intervision proposer accueil", id=session.id)).wait()
    assert host.ephemeral
    assert host.content == (
        fr("Merci ! Votre proposition d'accueillir « Intervision de mars » est transmise à l'organisation.")
    )
    wanted = fr(f"Noah propose d'accueillir la séance n° {session.id} « Intervision de mars ».")
    for organiser in ("sami", "ines"):  # the creator and the facilitator
        await eventually(lambda who=organiser: [m.content for m in driver.dms(who)].count(wanted) == 1)
    assert driver.dms("noah") == [] and driver.dms("camille") == []

    again = await (await driver.slash("noah", "intervision proposer accueil", id=session.id)).wait()
    assert (
        again.ephemeral
        and fr("Votre proposition pour « Intervision de mars » est déjà enregistrée.") in again.content
    )

    lead = await (await driver.slash("lea", "intervision proposer animation", id=session.id)).wait()
    assert lead.ephemeral
    assert fr("Votre proposition d'animer « Intervision de mars » est transmise") in lead.content
    wanted_lead = fr(f"Léa propose d'animer la séance n° {session.id} « Intervision de mars ».")
    for organiser in ("sami", "ines"):
        await eventually(lambda who=organiser: [m.content for m in driver.dms(who)].count(wanted_lead) == 1)
    # the repeated offer sent nothing more
    assert [m.content for m in driver.dms("sami")].count(wanted) == 1

    rows = await domain.db.fetchall(
        "SELECT user_id, kind FROM intervision_offers WHERE session_id = ? ORDER BY kind", (session.id,)
    )
    assert [(r["user_id"], r["kind"]) for r in rows] == [
        (driver.user_id("noah"), "accueil"),
        (driver.user_id("lea"), "animation"),
    ]

    unknown = await (await driver.slash("noah", "intervision proposer animation", id=4242)).wait()
    assert unknown.ephemeral and fr("Je ne trouve pas de séance n° 4242") in unknown.content
    await (await driver.slash("sami", "intervision annuler", id=session.id, raison="report")).wait_done()
    late = await (await driver.slash("noah", "intervision proposer animation", id=session.id)).wait()
    assert late.ephemeral and fr("« Intervision de mars » est annulée") in late.content
    count = await domain.db.fetchval(
        "SELECT COUNT(*) FROM intervision_offers WHERE session_id = ?", (session.id,)
    )
    assert count == 2


async def test_rappels_off_skips_the_member_and_on_brings_them_back(sandbox):
    driver, bot = sandbox.driver, sandbox.bot
    session = await plan(sandbox, titre="Intervision", date="2099-12-03 14:00", places=5)
    post = announcement_of(driver, session.id)
    # noah books first: the reminders go out in booking order, so once ines has hers noah's turn has passed
    await (await driver.click("noah", post, f"relais:intervisions:book:{session.id}")).wait()
    await (await driver.click("ines", post, f"relais:intervisions:book:{session.id}")).wait()

    off = await (await driver.slash("noah", "intervision rappels", actif=False)).wait()
    assert off.ephemeral
    assert off.content == (
        "Rappels désactivés. Vous pouvez les réactiver quand vous voulez avec `/intervision rappels`."
    )
    assert await bot.timers.reschedule(sandbox.guild_id, iv.reminder_key(session.id, 24), timeutil.now())
    await eventually(lambda: any("Petit rappel" in m.content for m in driver.dms("ines")))
    assert not any("Petit rappel" in m.content for m in driver.dms("noah"))

    on = await (await driver.slash("noah", "intervision rappels", actif=True)).wait()
    assert on.ephemeral and on.content == fr("Rappels activés : je vous écrirai avant vos séances.")
    assert await bot.timers.reschedule(sandbox.guild_id, iv.reminder_key(session.id, 1), timeutil.now())
    await eventually(lambda: any("Petit rappel" in m.content for m in driver.dms("noah")))
    reminder = next(m.content for m in driver.dms("noah") if "Petit rappel" in m.content)
    assert fr("« Intervision », jeudi 3 décembre 2099") in reminder
    await eventually(lambda: sum("Petit rappel" in m.content for m in driver.dms("ines")) == 2)


SERIES_DATES = "3/12/2099, 14/01/2100, 18/02/2100, 18/03/2100 de 14h à 16h30"


async def test_serie_preview_then_confirm_creates_every_session(sandbox):
    driver, bot = sandbox.driver, sandbox.bot
    domain = bot.get_cog("IntervisionsCog").domain

    refused = await (
        await driver.slash("noah", "intervision serie", titre="Cycle", dates=SERIES_DATES)
    ).wait()
    assert refused.ephemeral and "réservée à la modération" in refused.content
    bad = await (
        await driver.slash("sami", "intervision serie", titre="Cycle", dates="3/12/2099, 31/02/2100")
    ).wait()
    assert bad.ephemeral and "Ce jour n'existe pas" in bad.content and not bad.components
    too_many = await (
        await driver.slash(
            "sami", "intervision serie", titre="Cycle", dates="toutes les semaines le lundi à 14h, 60 fois"
        )
    ).wait()
    assert too_many.ephemeral and "au-delà de la limite de 52" in too_many.content

    preview = await (
        await driver.slash(
            "sami",
            "intervision serie",
            titre="Cycle",
            dates=SERIES_DATES,
            lieu="Smes, Bruxelles",
            places=8,
            animation=driver.user_id("ines"),
        )
    ).wait()
    assert preview.ephemeral
    assert preview.content.startswith(fr("**Cycle** — 4 séance(s) :\n"))
    for line in (
        "• jeudi 3 décembre 2099 de 14h à 16h30",
        "• jeudi 14 janvier 2100 de 14h à 16h30",
        "• jeudi 18 février 2100 de 14h à 16h30",
        "• jeudi 18 mars 2100 de 14h à 16h30",
    ):
        assert line in preview.content
    assert preview.content.endswith(fr("On crée tout ça ?"))
    # nothing is written before the confirmation
    assert await domain.upcoming(sandbox.guild_id) == []
    assert driver.bot_messages("intervisions") == [] and driver.scheduled_events() == []

    # « Annuler » on another preview creates nothing
    other = await (
        await driver.slash("sami", "intervision serie", titre="Autre", dates="3/12/2099, 4/12/2099")
    ).wait()
    aborted = await (
        await driver.click("sami", other.message, button_by_label(other.message, "Annuler"))
    ).wait()
    assert aborted.type == 7  # the preview itself is edited
    await eventually(
        lambda: other.message.content == "D'accord, rien n'a été créé." and not other.message.components
    )

    confirm = await (
        await driver.click("sami", preview.message, button_by_label(preview.message, "Créer la série"))
    ).wait()
    assert confirm.type == 7
    assert preview.message.content == "Création en cours…" and not preview.message.components
    done = await confirm.wait_followup(timeout=20)
    assert done.ephemeral
    sessions = await domain.upcoming(sandbox.guild_id)
    assert (
        len(sessions) == 4 and len({s.series_id for s in sessions}) == 1 and sessions[0].series_id is not None
    )
    assert done.content.startswith(fr(f"4 séance(s) créée(s) : {', '.join(f'n° {s.id}' for s in sessions)}."))
    assert [s.starts_at.isoformat() for s in sessions] == [
        "2099-12-03T13:00:00+00:00",
        "2100-01-14T13:00:00+00:00",
        "2100-02-18T13:00:00+00:00",
        "2100-03-18T13:00:00+00:00",
    ]
    assert all(
        (s.title, s.place, s.capacity, s.facilitator_id)
        == ("Cycle", "Smes, Bruxelles", 8, driver.user_id("ines"))
        for s in sessions
    )
    # each occurrence is published like a single session: announcement, private thread, scheduled event
    for session in sessions:
        assert "8 place(s) libre(s) sur 8" in embed_text(announcement_of(driver, session.id))
    assert len(driver.threads("intervisions")) == 4
    assert sorted(e.scheduled_start_time[:16] for e in driver.scheduled_events()) == [
        "2099-12-03T13:00",
        "2100-01-14T13:00",
        "2100-02-18T13:00",
        "2100-03-18T13:00",
    ]
    assert all(driver.user_id("ines") in driver.thread_members(t) for t in driver.threads("intervisions"))
    assert len(await bot.timers.pending(sandbox.guild_id)) >= 4 * 3  # 2 reminders + archive each

    # moving one occurrence never moves its siblings
    moved = await (
        await driver.slash("sami", "intervision deplacer", id=sessions[1].id, date="21/01/2100")
    ).wait_done()
    assert "jeudi 21 janvier 2100 de 14h à 16h30" in final_text(moved)
    after = await domain.upcoming(sandbox.guild_id)
    assert [s.starts_at for s in after if s.id != sessions[1].id] == [
        s.starts_at for s in sessions if s.id != sessions[1].id
    ]


async def test_annuler_on_a_series_occurrence_asks_this_one_or_the_whole_series(sandbox):
    driver, bot = sandbox.driver, sandbox.bot
    domain = bot.get_cog("IntervisionsCog").domain
    preview = await (
        await driver.slash("sami", "intervision serie", titre="Cycle", dates=SERIES_DATES)
    ).wait()
    confirm = await (
        await driver.click("sami", preview.message, button_by_label(preview.message, "Créer la série"))
    ).wait()
    await confirm.wait_followup(timeout=20)
    first, second, third, fourth = await domain.upcoming(sandbox.guild_id)
    for session in (second, third, fourth):
        post = announcement_of(driver, session.id)
        await (await driver.click("noah", post, f"relais:intervisions:book:{session.id}")).wait()

    # a member who does not organise is refused at once, not asked a question they cannot answer
    refused = await (await driver.slash("noah", "intervision annuler", id=third.id, raison="x")).wait()
    assert refused.ephemeral and not refused.components
    assert "Seules les personnes qui organisent ou animent cette séance" in refused.content

    question = await (
        await driver.slash("sami", "intervision annuler", id=third.id, raison="formatrice malade")
    ).wait()
    assert question.ephemeral
    assert question.content == (
        fr(
            "« Cycle » fait partie d'une série. Annuler cette séance ou toute la série "
            "(cette séance et les suivantes) ?"
        )
    )
    assert [c["label"] for row in question.components for c in row["components"]] == [
        "Cette séance",
        "Toute la série",
    ]
    # nothing is cancelled until a choice is made
    assert [s.status for s in await domain.series_sessions(sandbox.guild_id, first.series_id)] == [
        "scheduled"
    ] * 4

    # « Cette séance »: only this occurrence
    one = await (
        await driver.click("sami", question.message, button_by_label(question.message, "Cette séance"))
    ).wait()
    assert one.type == 7
    done = await one.wait_followup(timeout=10)
    assert done.ephemeral and done.content.startswith("1 séance(s) annulée(s).")
    statuses = {s.id: s.status for s in await domain.series_sessions(sandbox.guild_id, first.series_id)}
    assert statuses == {
        first.id: "scheduled",
        second.id: "scheduled",
        third.id: "cancelled",
        fourth.id: "scheduled",
    }
    await eventually(lambda: embed_text(announcement_of(driver, third.id)).startswith("Annulée — Cycle"))
    assert "formatrice malade" in embed_text(announcement_of(driver, third.id))
    assert button_ids(announcement_of(driver, third.id)) == [f"relais:intervisions:ics:{third.id}"]
    events = {e.id: e for e in driver.scheduled_events()}
    assert events[third.event_id].status == 4 and events[second.event_id].status == 1
    await eventually(
        lambda: (
            [m.content for m in driver.dms("noah") if "annulée" in m.content]
            == [
                fr("« Cycle » (jeudi 18 février 2100 de 14h à 16h30) est annulée. Raison : formatrice malade")
            ]
        )
    )

    # an occurrence already cancelled: refused at once, no question
    again = await (await driver.slash("sami", "intervision annuler", id=third.id, raison="encore")).wait()
    assert again.ephemeral and not again.components
    assert fr("La séance « Cycle » est annulée : rien n'a été changé.") in again.content

    # « Toute la série » from the second: the second and the ones after it, not the first
    ask = await (
        await driver.slash("sami", "intervision annuler", id=second.id, raison="fin du cycle")
    ).wait()
    whole = await (
        await driver.click("sami", ask.message, button_by_label(ask.message, "Toute la série"))
    ).wait()
    done = await whole.wait_followup(timeout=10)
    assert done.content.startswith("2 séance(s) annulée(s).")
    statuses = {s.id: s.status for s in await domain.series_sessions(sandbox.guild_id, first.series_id)}
    assert statuses == {
        first.id: "scheduled",
        second.id: "cancelled",
        third.id: "cancelled",
        fourth.id: "cancelled",
    }
    for session in (second, fourth):
        await eventually(
            lambda s=session: embed_text(announcement_of(driver, s.id)).startswith("Annulée — Cycle")
        )
    assert not embed_text(announcement_of(driver, first.id)).startswith("Annulée")
    events = {e.id: e for e in driver.scheduled_events()}
    assert [events[s.event_id].status for s in (first, second, third, fourth)] == [1, 4, 4, 4]
    await eventually(lambda: sum("est annulée" in m.content for m in driver.dms("noah")) == 3)
    assert sum("(jeudi 18 février 2100" in m.content for m in driver.dms("noah")) == 1  # not told twice
    pending = {t.key for t in await bot.timers.pending(sandbox.guild_id)}
    assert all(not k.startswith(f"intervision:{s.id}:") for k in pending for s in (second, third, fourth))
    assert any(k.startswith(f"intervision:{first.id}:") for k in pending)


def topic_post(driver, topic_id: int):
    found = [
        m
        for m in driver.bot_messages("intervisions")
        if m.content.startswith(fr(f"**Sujet n° {topic_id}** — "))
    ]
    assert len(found) == 1, f"expected one post of topic {topic_id}, got {len(found)}"
    return found[0]


async def test_sujet_proposer_posts_the_topic_with_a_vote_button_that_toggles(sandbox):
    driver, bot = sandbox.driver, sandbox.bot
    domain = bot.get_cog("IntervisionsCog").domain

    proposed = await (
        await driver.slash("noah", "intervision sujet proposer", texte="La  juste   distance")
    ).wait()
    assert proposed.ephemeral
    topic = (await domain.topics(sandbox.guild_id))[0]
    assert topic.text == "La juste distance" and topic.proposed_by == driver.user_id("noah")
    assert proposed.content == (
        fr(f"Merci, votre sujet est ajouté à la liste (n° {topic.id}). Les autres peuvent voter pour lui.")
    )
    post = await eventually(lambda: topic_post(driver, topic.id))
    assert post.content == fr(f"**Sujet n° {topic.id}** — La juste distance")
    vote_id = f"relais:intervisions:vote:{topic.id}"
    assert button_ids(post) == [vote_id]
    assert post.components[0]["components"][0]["label"] == "👍 0"

    # a topic of blanks is refused in French; nothing is written or posted
    blank = await (await driver.slash("noah", "intervision sujet proposer", texte="    ")).wait()
    assert blank.ephemeral and "Le sujet est trop court" in blank.content
    assert len(await domain.topics(sandbox.guild_id)) == 1
    assert len([m for m in driver.bot_messages("intervisions") if m.content.startswith("**Sujet")]) == 1

    voted = await (await driver.click("ines", post, vote_id)).wait()
    assert voted.type == 7  # the post itself is updated
    assert (await voted.wait_followup()).content == "Votre vote est compté."
    assert topic_post(driver, topic.id).components[0]["components"][0]["label"] == "👍 1"
    lea = await (await driver.click("lea", post, vote_id)).wait()
    assert (await lea.wait_followup()).ephemeral
    assert topic_post(driver, topic.id).components[0]["components"][0]["label"] == "👍 2"
    # a second click takes the vote back
    unvoted = await (await driver.click("ines", post, vote_id)).wait()
    followup = await unvoted.wait_followup()
    assert followup.ephemeral and followup.content == "Votre vote est retiré."
    assert topic_post(driver, topic.id).components[0]["components"][0]["label"] == "👍 1"
    assert (await domain.topic(sandbox.guild_id, topic.id)).votes == 1

    # the backlog orders by votes
    await (await driver.slash("ines", "intervision sujet proposer", texte="Temps partiel et fatigue")).wait()
    listing = await (await driver.slash("sami", "intervision sujet liste")).wait()
    assert listing.ephemeral
    lines = listing.content.splitlines()
    assert lines[1] == f"`n° {topic.id}` La juste distance — 1 vote(s)"
    assert lines[2].endswith("Temps partiel et fatigue — 0 vote(s)")
    # the list's own vote buttons: voting from it keeps every topic's button, with its number
    second = next(t for t in await domain.topics(sandbox.guild_id) if t.text == "Temps partiel et fatigue")
    labels = [c["label"] for row in listing.message.components for c in row["components"]]
    assert labels == [f"#{topic.id} · 👍 1", f"#{second.id} · 👍 0"]
    from_list = await (
        await driver.click("sami", listing.message, f"relais:intervisions:vote:{second.id}")
    ).wait()
    assert (await from_list.wait_followup()).content == "Votre vote est compté."
    labels = [c["label"] for row in listing.message.components for c in row["components"]]
    assert labels == [f"#{topic.id} · 👍 1", f"#{second.id} · 👍 1"]
    assert listing.message.content.splitlines()[1:] == [
        f"`n° {topic.id}` La juste distance — 1 vote(s)",
        f"`n° {second.id}` Temps partiel et fatigue — 1 vote(s)",
    ]
    # and the topic's public post shows the new count too
    await eventually(lambda: topic_post(driver, second.id).components[0]["components"][0]["label"] == "👍 1")
    assert topic_post(driver, topic.id).components[0]["components"][0]["label"] == "👍 1"


async def test_sujet_retenir_is_for_the_facilitator_and_tells_the_private_thread(sandbox):
    driver, bot = sandbox.driver, sandbox.bot
    domain = bot.get_cog("IntervisionsCog").domain
    session = await plan(
        sandbox, titre="Intervision", date="2099-12-03 14:00", animation=driver.user_id("ines")
    )
    await (await driver.slash("noah", "intervision sujet proposer", texte="La juste distance")).wait()
    topic = (await domain.topics(sandbox.guild_id))[0]

    refused = await (
        await driver.slash("noah", "intervision sujet retenir", id=topic.id, session=session.id)
    ).wait()
    assert refused.ephemeral
    assert (
        "Seule la personne qui anime cette séance (ou la modération) peut y retenir un sujet."
        in refused.content
    )
    unknown = await (
        await driver.slash("ines", "intervision sujet retenir", id=999, session=session.id)
    ).wait()
    assert unknown.ephemeral and fr("Je ne trouve pas de sujet n° 999") in unknown.content
    nowhere = await (await driver.slash("ines", "intervision sujet retenir", id=topic.id, session=999)).wait()
    assert nowhere.ephemeral and fr("Je ne trouve pas de séance n° 999") in nowhere.content
    assert (await domain.topic(sandbox.guild_id, topic.id)).status == "open"
    assert not any("Sujet retenu" in m.content for m in driver.messages(session.thread_id))

    retained = await (
        await driver.slash("ines", "intervision sujet retenir", id=topic.id, session=session.id)
    ).wait()
    assert retained.ephemeral
    assert retained.content == fr("Le sujet « La juste distance » est retenu pour « Intervision ».")
    await eventually(
        lambda: any(
            m.content == fr("Sujet retenu pour cette séance : La juste distance")
            for m in driver.bot_messages(session.thread_id)
        )
    )
    stored = await domain.topic(sandbox.guild_id, topic.id)
    assert (stored.status, stored.session_id) == ("retained", session.id)
    # it leaves the open backlog
    listing = await (await driver.slash("noah", "intervision sujet liste")).wait()
    assert "Aucun sujet en attente" in listing.content

    # a moderator may retain too, but not for a cancelled session
    await (await driver.slash("lea", "intervision sujet proposer", texte="Supervision entre pairs")).wait()
    other = next(t for t in await domain.topics(sandbox.guild_id) if t.text == "Supervision entre pairs")
    await (await driver.slash("sami", "intervision annuler", id=session.id, raison="report")).wait_done()
    late = await (
        await driver.slash("sami", "intervision sujet retenir", id=other.id, session=session.id)
    ).wait()
    assert late.ephemeral and fr("« Intervision » est annulée") in late.content
    assert (await domain.topic(sandbox.guild_id, other.id)).status == "open"


async def test_sujet_proposer_twice_in_a_row_is_refused_kindly_and_posts_nothing(sandbox):
    driver, bot = sandbox.driver, sandbox.bot
    domain = bot.get_cog("IntervisionsCog").domain
    first = await (await driver.slash("noah", "intervision sujet proposer", texte="La juste distance")).wait()
    assert "Merci" in first.content
    await eventually(
        lambda: len([m for m in driver.bot_messages("intervisions") if m.content.startswith("**Sujet")]) == 1
    )
    second = await (await driver.slash("noah", "intervision sujet proposer", texte="Encore un sujet")).wait()
    assert second.ephemeral and second.content.startswith("Doucement 🙂")
    await settle()
    assert [t.text for t in await domain.topics(sandbox.guild_id)] == ["La juste distance"]
    assert len([m for m in driver.bot_messages("intervisions") if m.content.startswith("**Sujet")]) == 1
    # somebody else is not slowed down
    other = await (
        await driver.slash("lea", "intervision sujet proposer", texte="Supervision entre pairs")
    ).wait()
    assert "Merci" in other.content


async def test_later_topics_of_the_minutes_stay_in_the_private_thread_until_published(sandbox):
    driver, bot = sandbox.driver, sandbox.bot
    await (
        await driver.slash(
            "sami",
            "intervision planifier",
            titre="Séance confidentielle",
            date="2099-12-03 14:00",
            fin="16h",
            lieu="Smes",
            places=4,
            animation="ines",
        )
    ).wait_done()
    session = (await bot.get_cog("IntervisionsCog").domain.upcoming(sandbox.guild_id))[0]
    thread = driver.threads("intervisions")[0]

    def public_topics() -> list[str]:
        return [m.content for m in driver.bot_messages("intervisions") if m.content.startswith("**Sujet")]

    opened = await (await driver.slash("ines", "intervision compte-rendu", id=session.id)).wait()
    done = await (
        await driver.submit_modal(
            "ines",
            opened,
            {
                "round": "5",
                "thematic": "T",
                "network": "R",
                "later": "Le deuil d'un proche accompagné\nQuand un pair rechute",
                "dates": "",
            },
        )
    ).wait()
    assert fr("Nouveaux sujets notés : 2") in done.content
    minutes = await eventually(
        lambda: next((m for m in driver.messages(thread) if "Compte rendu" in m.content), None)
    )
    await settle()
    assert public_topics() == []  # nothing leaves the private thread on its own
    backlog = await (await driver.slash("noah", "intervision sujet liste")).wait()
    assert "Le deuil d'un proche" not in backlog.content  # nor reaches the backlog everyone reads
    publish_id = f"relais:intervisions:publish_topics:{session.id}"
    assert publish_id in button_ids(minutes)

    # another member of the thread may not publish them
    refused = await (await driver.click("noah", minutes, publish_id)).wait()
    assert refused.ephemeral and "animation" in refused.content
    await settle()
    assert public_topics() == []

    # the facilitator publishes them
    published = await (await driver.click("ines", minutes, publish_id)).wait()
    told = await published.wait_followup()
    assert told.ephemeral and "2 sujet(s) publié(s)" in told.content
    await eventually(lambda: len(public_topics()) == 2)
    assert any("Le deuil d'un proche accompagné" in c for c in public_topics())
    # a second click does not post them twice
    again = await (await driver.click("ines", minutes, publish_id)).wait()
    assert again.ephemeral
    await settle()
    assert len(public_topics()) == 2
