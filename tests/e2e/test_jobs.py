"""Job offers end to end on the Discord double: submit → modal → queue card → approve → announcement
→ subscriber DM → deadline passes (across a restart) → announcement edited to « Offre expirée »."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot import jobs, timeutil
from bot.sandbox.harness import running_sandbox
from tests.helpers import eventually

ENV = {"RELAIS_COGS__ENABLED": "[admin, jobs]"}

LONG_FIELDS = {
    "missions": "Accompagner les personnes suivies par l'équipe mobile et co-animer un groupe d'entraide.",
    "profile": "Savoir expérientiel du rétablissement ; une formation en pair-aidance est un plus.",
    "working_time": "Mi-temps, 19 h par semaine",
    "pay_status": "Barème CP 332, contrat d'employé·e",
    "how_to_apply": "CV et quelques lignes de motivation par e-mail",
}


@pytest.fixture
async def sandbox(tmp_path):
    async with running_sandbox(tmp_path / "relais.db", environ=ENV) as running:
        yield running
        assert running.double.unknown_routes == [], "the bot called routes the double does not know"


def future_date(days: int = 20) -> str:
    return (dt.date.today() + dt.timedelta(days=days)).strftime("%d/%m/%Y")


async def submit(driver, who: str, *, contract: str = "CDD", fields: dict | None = None, **options):
    options.setdefault("intitule", "Travailleur·euse pair en équipe mobile")
    options.setdefault("employeur", "ASBL Horizon")
    options.setdefault("date_limite", future_date())
    opened = await (await driver.slash(who, "offre publier", region="Bruxelles", contrat=contract, **options)).wait()
    assert opened.modal is not None, opened.content
    return await (await driver.submit_modal(who, opened, fields or LONG_FIELDS)).wait()


def queue_cards(driver):
    return [m for m in driver.bot_messages("mod-log") if m.embeds and m.components]


async def test_offer_goes_from_submission_to_expiry(sandbox):
    driver = sandbox.driver
    subscribed = await (await driver.slash("noah", "offre alertes", regions="Bruxelles", rythme="immediat")).wait()
    assert subscribed.ephemeral and "Bruxelles" in subscribed.content

    done = await submit(driver, "ines")
    assert done.ephemeral and "modération" in done.content
    card = await eventually(lambda: queue_cards(driver))
    card = card[-1]
    offer_id = int(card.embeds[0]["footer"]["text"].split("n° ")[1].split(" ")[0])
    assert driver.bot_messages("offres-emploi") == []  # nothing announced before approval

    approved = await (await driver.click("sami", card, f"relais:jobs:publish:{offer_id}")).wait()
    assert approved.type == 7  # the card itself is updated
    announcement = (await eventually(lambda: driver.bot_messages("offres-emploi")))[-1]
    embed = announcement.embeds[0]
    assert embed["title"] == "Travailleur·euse pair en équipe mobile"
    assert [f["name"] for f in embed["fields"][:3]] == ["Contrat", "Temps de travail", "Rémunération et statut"]
    assert f"<@{driver.user_id('ines')}>" in embed["description"]
    assert any("<t:" in f["value"] for f in embed["fields"] if f["name"] == "Date limite")

    dm = await eventually(lambda: [m for m in driver.dms("noah") if m.embeds])
    assert dm[-1].embeds[0]["title"] == embed["title"]
    assert any("publiée" in m.content for m in driver.dms("ines") if m.content)

    # The deadline passes while the bot is stopped; on restart the expiry fires once.
    await sandbox.stop_bot()
    from bot.db import Database
    from bot.timers import TimerService

    db = await Database.open(sandbox.settings.database.path)
    past = timeutil.to_db(timeutil.now() - dt.timedelta(minutes=1))
    await db.execute("UPDATE job_offers SET deadline = ?, expires_at = ? WHERE id = ?", (past, past, offer_id))
    await TimerService(db).reschedule(sandbox.guild_id, f"jobs:expire:{offer_id}", timeutil.now() - dt.timedelta(seconds=1))
    await db.close()
    await sandbox.start_bot()
    edited = await eventually(lambda: [m for m in driver.bot_messages("offres-emploi")
                                       if m.id == announcement.id and m.content and "Offre expirée" in m.content])
    assert "Offre expirée" in edited[0].embeds[0]["title"]
    offer = await jobs.get_offer(sandbox.bot.db, sandbox.guild_id, offer_id)
    assert offer.status == "expired" and offer.closure_shown
    listed = await (await driver.slash("noah", "offre liste")).wait()
    assert "Aucune offre ouverte" in listed.content


async def test_refusal_reason_reaches_the_submitter(sandbox):
    driver = sandbox.driver
    await submit(driver, "ines")
    card = (await eventually(lambda: queue_cards(driver)))[-1]
    offer_id = int(card.embeds[0]["footer"]["text"].split("n° ")[1].split(" ")[0])
    opened = await (await driver.click("sami", card, f"relais:jobs:refuse:{offer_id}")).wait()
    answered = await (await driver.submit_modal("sami", opened, {"reason": "Merci d'indiquer le lieu exact."})).wait()
    assert answered.ephemeral
    dm = await eventually(lambda: [m for m in driver.dms("ines") if m.content and "lieu exact" in m.content])
    assert "/offre publier" in dm[-1].content
    assert (await jobs.get_offer(sandbox.bot.db, sandbox.guild_id, offer_id)).status == "refused"
    assert driver.bot_messages("offres-emploi") == []


async def test_missing_pay_is_refused_kindly_and_nothing_is_stored(sandbox):
    driver = sandbox.driver
    fields = dict(LONG_FIELDS, pay_status="")
    opened = await (await driver.slash("ines", "offre publier", intitule="Pair-aidant", employeur="CHU",
                                       region="Bruxelles", contrat="CDI")).wait()
    # the modal marks pay as required for a CDI; the double refuses an empty required input
    pay = [c for row in opened.modal["components"] for c in (row.get("components") or [row.get("component")])
           if c and c.get("custom_id") == "pay_status"]
    assert pay and pay[0]["required"] is True
    bad_date = await (await driver.slash("ines", "offre publier", intitule="X", employeur="Y", region="Bruxelles",
                                         contrat="CDD", date_limite="01/01/2001")).wait()
    assert bad_date.ephemeral and "déjà passée" in bad_date.content
    mention = await submit(driver, "ines", fields=dict(fields, pay_status="Barème", missions="Venez @everyone"))
    assert mention.ephemeral and "@everyone" in mention.content and mention.components  # « Corriger » button
    assert await sandbox.bot.db.fetchval("SELECT count(*) FROM job_offers") == 0


async def test_likely_duplicate_asks_before_storing(sandbox):
    driver = sandbox.driver
    await submit(driver, "sami", lien="https://horizon.example.org/offres/42")  # moderator: published at once
    await eventually(lambda: driver.bot_messages("offres-emploi"))
    warned = await submit(driver, "ines", intitule="Autre titre", lien="http://www.horizon.example.org/offres/42/")
    assert warned.ephemeral and "ressemble" in warned.content
    assert await sandbox.bot.db.fetchval("SELECT count(*) FROM job_offers") == 1
    confirmed = await (await driver.click("ines", warned.message, "relais:jobs:confirm")).wait()
    assert "modération" in (confirmed.content or "")
    assert await sandbox.bot.db.fetchval("SELECT count(*) FROM job_offers") == 2


async def test_filled_offer_is_marked_on_its_announcement(sandbox):
    driver = sandbox.driver
    await submit(driver, "sami")
    announcement = (await eventually(lambda: driver.bot_messages("offres-emploi")))[-1]
    offer_id = int(announcement.embeds[0]["footer"]["text"].split("n° ")[1].split(" ")[0])
    other = await (await driver.slash("noah", "offre pourvue", id=offer_id)).wait()
    assert other.ephemeral and "quelqu'un d'autre" in other.content
    done = await (await driver.slash("sami", "offre pourvue", id=offer_id)).wait_done()
    assert done.ephemeral
    await eventually(lambda: [m for m in driver.bot_messages("offres-emploi")
                              if m.id == announcement.id and m.content and "Poste pourvu" in m.content])


async def test_closed_dms_are_recorded_and_not_retried(sandbox):
    driver = sandbox.driver
    await (await driver.slash("noah", "offre alertes", contrats="CDD")).wait()
    driver.refuse_dms("noah")
    await submit(driver, "sami")  # moderator: published at once, alert due at once
    db = sandbox.bot.db
    noah = driver.user_id("noah")

    async def failures():
        return await db.fetchval("SELECT dm_failures FROM job_subscriptions WHERE user_id = ?", (noah,))

    for _ in range(100):
        if await failures():
            break
        await asyncio.sleep(0.05)
    assert await failures() == 1
    assert await db.fetchval("SELECT state FROM job_alerts WHERE user_id = ?", (noah,)) == "failed"
    assert [m for m in driver.dms("noah") if m.embeds] == []
