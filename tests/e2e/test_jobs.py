"""Job offers end to end on the Discord double: submit → modal → queue card → approve → announcement
→ subscriber DM → deadline passes (across a restart) → announcement edited to « Offre expirée »;
then every other /offre command (modifier, retirer, voir, alertes-off), the forum-post announcement
with tags, the region role ping's allowed_mentions and the daily digest."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest

from bot import jobs
from bot.core import timeutil
from bot.core.db import Database
from bot.core.timers import TimerService
from bot.sandbox.double.seed import RoleSpec, seed_guild
from tests.helpers import checked_sandbox, copy_config, eventually, fr, number_in

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
    async with checked_sandbox(tmp_path, environ=ENV) as running:
        yield running


def future_date(days: int = 20) -> str:
    return (dt.date.today() + dt.timedelta(days=days)).strftime("%d/%m/%Y")


async def submit(driver, who: str, *, contract: str = "CDD", fields: dict | None = None, **options):
    options.setdefault("intitule", "Travailleur·euse pair en équipe mobile")
    options.setdefault("employeur", "ASBL Horizon")
    options.setdefault("date_limite", future_date())
    options.setdefault("region", "Bruxelles")
    opened = await (await driver.slash(who, "offre publier", contrat=contract, **options)).wait()
    assert opened.modal is not None, opened.content
    return await (await driver.submit_modal(who, opened, fields or LONG_FIELDS)).wait()


def queue_cards(driver):
    return [m for m in driver.bot_messages("mod-log") if m.embeds and m.components]


async def test_offer_goes_from_submission_to_expiry(sandbox):
    driver = sandbox.driver
    subscribed = await (
        await driver.slash("noah", "offre alertes", regions="Bruxelles", rythme="immediat")
    ).wait()
    assert subscribed.ephemeral and "Bruxelles" in subscribed.content

    done = await submit(driver, "ines")
    assert done.ephemeral and "modération" in done.content
    card = await eventually(lambda: queue_cards(driver))
    card = card[-1]
    offer_id = number_in(card.embeds[0]["footer"]["text"])
    assert driver.bot_messages("offres-emploi") == []  # nothing announced before approval

    approved = await (await driver.click("sami", card, f"relais:jobs:publish:{offer_id}")).wait()
    assert approved.type == 7  # the card itself is updated
    announcement = (await eventually(lambda: driver.bot_messages("offres-emploi")))[-1]
    embed = announcement.embeds[0]
    assert embed["title"] == "Travailleur·euse pair en équipe mobile"
    assert [f["name"] for f in embed["fields"][:3]] == [
        "Contrat",
        "Temps de travail",
        "Rémunération et statut",
    ]
    assert f"<@{driver.user_id('ines')}>" in embed["description"]
    assert any("<t:" in f["value"] for f in embed["fields"] if f["name"] == "Date limite")

    dm = await eventually(lambda: [m for m in driver.dms("noah") if m.embeds])
    assert dm[-1].embeds[0]["title"] == embed["title"]
    assert any("publiée" in m.content for m in driver.dms("ines") if m.content)

    # The deadline passes while the bot is stopped; on restart the expiry fires once.
    await sandbox.stop_bot()

    db = await Database.open(sandbox.settings.database.path)
    past = timeutil.to_db(timeutil.now() - dt.timedelta(minutes=1))
    await db.execute(
        "UPDATE job_offers SET deadline = ?, expires_at = ? WHERE id = ?", (past, past, offer_id)
    )
    await TimerService(db).reschedule(
        sandbox.guild_id, f"jobs:expire:{offer_id}", timeutil.now() - dt.timedelta(seconds=1)
    )
    await db.close()
    await sandbox.start_bot()
    edited = await eventually(
        lambda: [
            m
            for m in driver.bot_messages("offres-emploi")
            if m.id == announcement.id and m.content and "Offre expirée" in m.content
        ]
    )
    assert "Offre expirée" in edited[0].embeds[0]["title"]
    offer = await jobs.get_offer(sandbox.bot.db, sandbox.guild_id, offer_id)
    assert offer.status == "expired" and offer.closure_shown
    listed = await (await driver.slash("noah", "offre liste")).wait()
    assert "Aucune offre ouverte" in listed.content


async def test_refusal_reason_reaches_the_submitter(sandbox):
    driver = sandbox.driver
    await submit(driver, "ines")
    card = (await eventually(lambda: queue_cards(driver)))[-1]
    offer_id = number_in(card.embeds[0]["footer"]["text"])
    opened = await (await driver.click("sami", card, f"relais:jobs:refuse:{offer_id}")).wait()
    answered = await (
        await driver.submit_modal("sami", opened, {"reason": "Merci d'indiquer le lieu exact."})
    ).wait()
    assert answered.ephemeral
    dm = await eventually(lambda: [m for m in driver.dms("ines") if m.content and "lieu exact" in m.content])
    assert "/offre publier" in dm[-1].content
    assert (await jobs.get_offer(sandbox.bot.db, sandbox.guild_id, offer_id)).status == "refused"
    assert driver.bot_messages("offres-emploi") == []


async def test_missing_pay_is_refused_kindly_and_nothing_is_stored(sandbox):
    driver = sandbox.driver
    fields = dict(LONG_FIELDS, pay_status="")
    opened = await (
        await driver.slash(
            "ines",
            "offre publier",
            intitule="Pair-aidant",
            employeur="CHU",
            region="Bruxelles",
            contrat="CDI",
        )
    ).wait()
    # the modal marks pay as required for a CDI; the double refuses an empty required input
    pay = [
        c
        for row in opened.modal["components"]
        for c in (row.get("components") or [row.get("component")])
        if c and c.get("custom_id") == "pay_status"
    ]
    assert pay and pay[0]["required"] is True
    bad_date = await (
        await driver.slash(
            "ines",
            "offre publier",
            intitule="X",
            employeur="Y",
            region="Bruxelles",
            contrat="CDD",
            date_limite="01/01/2001",
        )
    ).wait()
    assert bad_date.ephemeral and "déjà passée" in bad_date.content
    mention = await submit(
        driver, "ines", fields=dict(fields, pay_status="Barème", missions="Venez @everyone")
    )
    assert mention.ephemeral and "@everyone" in mention.content and mention.components  # « Corriger » button
    assert await sandbox.bot.db.fetchval("SELECT count(*) FROM job_offers") == 0


async def test_likely_duplicate_asks_before_storing(sandbox):
    driver = sandbox.driver
    await submit(driver, "sami", lien="https://horizon.example.org/offres/42")  # moderator: published at once
    await eventually(lambda: driver.bot_messages("offres-emploi"))
    warned = await submit(
        driver, "ines", intitule="Autre titre", lien="http://www.horizon.example.org/offres/42/"
    )
    assert warned.ephemeral and "ressemble" in warned.content
    assert await sandbox.bot.db.fetchval("SELECT count(*) FROM job_offers") == 1
    confirmed = await (await driver.click("ines", warned.message, "relais:jobs:confirm")).wait()
    assert "modération" in (confirmed.content or "")
    assert await sandbox.bot.db.fetchval("SELECT count(*) FROM job_offers") == 2


async def test_filled_offer_is_marked_on_its_announcement(sandbox):
    driver = sandbox.driver
    await submit(driver, "sami")
    announcement = (await eventually(lambda: driver.bot_messages("offres-emploi")))[-1]
    offer_id = number_in(announcement.embeds[0]["footer"]["text"])
    other = await (await driver.slash("noah", "offre pourvue", id=offer_id)).wait()
    assert other.ephemeral and "quelqu'un d'autre" in other.content
    done = await (await driver.slash("sami", "offre pourvue", id=offer_id)).wait_done()
    assert done.ephemeral
    await eventually(
        lambda: [
            m
            for m in driver.bot_messages("offres-emploi")
            if m.id == announcement.id and m.content and "Poste pourvu" in m.content
        ]
    )


async def test_closed_dms_are_recorded_and_not_retried(sandbox):
    driver = sandbox.driver
    await (await driver.slash("noah", "offre alertes", contrats="CDD")).wait()
    driver.refuse_dms("noah")
    await submit(driver, "sami")  # moderator: published at once, alert due at once
    db = sandbox.bot.db
    noah = driver.user_id("noah")

    async def failures():
        return await db.fetchval("SELECT dm_failures FROM job_subscriptions WHERE user_id = ?", (noah,))

    assert await eventually(failures) == 1
    assert await db.fetchval("SELECT state FROM job_alerts WHERE user_id = ?", (noah,)) == "failed"
    assert [m for m in driver.dms("noah") if m.embeds] == []


# -- helpers for the tests below ---------------------------------------------------------------------------
def offer_id_of(message) -> int:
    return number_in(message.embeds[0]["footer"]["text"])


async def published_by(sandbox, who: str, **options):
    """Submit as ``who``; if the offer waits in the queue, Sami approves it.
    Returns (offer id, announcement)."""
    driver = sandbox.driver
    before = {m.id for m in driver.bot_messages("offres-emploi")}
    done = await submit(driver, who, **options)
    offer_id = number_in(done.content)
    offer = await jobs.get_offer(sandbox.bot.db, sandbox.guild_id, offer_id)
    if offer.status == "pending":
        card = (await eventually(lambda: [c for c in queue_cards(driver) if offer_id_of(c) == offer_id]))[-1]
        await (await driver.click("sami", card, f"relais:jobs:publish:{offer_id}")).wait()
    announcement = await eventually(
        lambda: [
            m
            for m in driver.bot_messages("offres-emploi")
            if m.id not in before and m.embeds and offer_id_of(m) == offer_id
        ]
    )
    return offer_id, announcement[-1]


def field(embed: dict, name: str) -> str | None:
    return next((f["value"] for f in embed["fields"] if f["name"] == name), None)


@contextlib.asynccontextmanager
async def custom_sandbox(tmp_path, *, seed=None, config_dir=None):
    async with checked_sandbox(tmp_path, environ=ENV, seed=seed, config_dir=config_dir) as running:
        yield running


# -- /offre alertes-off ----------------------------------------------------------------------------------
async def test_alerts_off_stops_the_dms(sandbox):
    driver = sandbox.driver
    await (await driver.slash("noah", "offre alertes", regions="Bruxelles")).wait()
    await (
        await driver.slash("lea", "offre alertes", regions="Bruxelles")
    ).wait()  # a witness that alerts still go out

    off = await (await driver.slash("noah", "offre alertes-off")).wait()
    assert off.ephemeral
    shown = await (await driver.slash("noah", "offre alertes")).wait()
    assert shown.ephemeral and "Vous n'avez pas d'alerte" in shown.content
    again = await (await driver.slash("noah", "offre alertes-off")).wait()
    assert again.ephemeral and "Vous n'avez pas d'alerte" in again.content

    await submit(driver, "sami")  # moderator: published at once
    await eventually(lambda: [m for m in driver.dms("lea") if m.embeds])
    assert [m for m in driver.dms("noah") if m.embeds] == []
    noah = driver.user_id("noah")
    assert await sandbox.bot.db.fetchval("SELECT count(*) FROM job_alerts WHERE user_id = ?", (noah,)) == 0


async def test_alerts_off_confirms_in_french(sandbox):
    driver = sandbox.driver
    await (await driver.slash("noah", "offre alertes", regions="Bruxelles")).wait()
    off = await (await driver.slash("noah", "offre alertes-off")).wait()
    assert off.ephemeral and "Vos alertes d'offres sont supprimées" in off.content


# -- /offre modifier -------------------------------------------------------------------------------------
async def trust_peer_helpers(driver) -> None:
    """Make the « Pair-aidant » role (Inès, Noah) the trusted role: their edits go live directly
    (an untrusted member's edit of a published offer is reviewed first, tested further down)."""
    done = await (await driver.slash("camille", "config role", usage="confiance", role="pair-aidant")).wait()
    assert f"<@&{driver.role_id('pair-aidant')}>" in done.content, done.content


async def test_submitter_edits_through_the_prefilled_form_and_the_announcement_follows(sandbox):
    driver, db = sandbox.driver, sandbox.bot.db
    offer_id, announcement = await published_by(sandbox, "ines")
    await trust_peer_helpers(driver)

    refused = await (await driver.slash("noah", "offre modifier", id=offer_id, intitule="Piraté")).wait()
    assert refused.ephemeral and refused.modal is None and "quelqu'un d'autre" in refused.content
    newcomer = await (await driver.slash("lea", "offre modifier", id=offer_id)).wait()
    assert newcomer.ephemeral and newcomer.modal is None and "quelqu'un d'autre" in newcomer.content
    missing = await (await driver.slash("ines", "offre modifier", id=offer_id + 100)).wait()
    assert missing.ephemeral and fr(f"Je ne trouve pas d'offre n° {offer_id + 100}") in missing.content

    new_deadline = future_date(45)
    opened = await (
        await driver.slash(
            "ines",
            "offre modifier",
            id=offer_id,
            intitule="Pair-aidant·e en équipe mobile",
            date_limite=new_deadline,
        )
    ).wait()
    assert opened.modal is not None
    assert opened.modal_values == LONG_FIELDS  # what was written is there to change, not to retype
    done = await (await driver.submit_modal("ines", opened, {"working_time": "Temps plein"})).wait()
    assert done.ephemeral and fr(f"L'offre n° {offer_id} est mise à jour.") in done.content

    await eventually(lambda: announcement.embeds[0]["title"] == "Pair-aidant·e en équipe mobile")
    embed = announcement.embeds[0]
    assert field(embed, "Temps de travail") == "Temps plein"
    assert field(embed, "Missions") == LONG_FIELDS["missions"]
    assert len([m for m in driver.bot_messages("offres-emploi") if m.embeds]) == 1  # edited, not re-posted
    offer = await jobs.get_offer(db, sandbox.guild_id, offer_id)
    assert offer.title == "Pair-aidant·e en équipe mobile" and offer.working_time == "Temps plein"
    zone = timeutil.zone(sandbox.bot.timezone_name(await sandbox.bot.guild_config(sandbox.guild_id)))
    assert offer.deadline.astimezone(zone).date() == dt.date.today() + dt.timedelta(days=45)
    (expiry,) = [
        t
        for t in await sandbox.bot.timers.pending(sandbox.guild_id, jobs.KIND_EXPIRE)
        if t.payload["offer_id"] == offer_id
    ]
    assert expiry.due_at == offer.expires_at  # the expiry moved with the new deadline

    # a moderator may edit someone else's offer
    by_moderator = await (await driver.slash("sami", "offre modifier", id=offer_id, lieu="Schaerbeek")).wait()
    await (await driver.submit_modal("sami", by_moderator, {})).wait()
    await eventually(lambda: "Schaerbeek" in (field(announcement.embeds[0], "Lieu") or ""))


async def test_bad_edit_is_refused_in_french_and_nothing_changes(sandbox):
    driver, db = sandbox.driver, sandbox.bot.db
    offer_id, announcement = await published_by(sandbox, "ines")
    await trust_peer_helpers(driver)
    before = await jobs.get_offer(db, sandbox.guild_id, offer_id)

    bad_date = await (
        await driver.slash("ines", "offre modifier", id=offer_id, date_limite="01/01/2001")
    ).wait()
    assert bad_date.ephemeral and bad_date.modal is None and "déjà passée" in bad_date.content
    bad_link = await (await driver.slash("ines", "offre modifier", id=offer_id, lien="pas un lien")).wait()
    assert bad_link.ephemeral and bad_link.modal is None and "ni un lien web" in bad_link.content

    opened = await (await driver.slash("ines", "offre modifier", id=offer_id)).wait()
    mention = await (
        await driver.submit_modal("ines", opened, {"missions": "Venez @here", "pay_status": "Barème CP 332"})
    ).wait()
    assert mention.ephemeral and "@everyone, @here" in mention.content
    assert "Corriger le formulaire" in str(mention.components)
    assert await jobs.get_offer(db, sandbox.guild_id, offer_id) == before  # nothing written
    assert (
        announcement.edited_timestamp is None
        and field(announcement.embeds[0], "Missions") == LONG_FIELDS["missions"]
    )
    # the retry button reopens the form with what was typed, still tied to the same offer
    reopened = await (
        await driver.click("ines", mention.message, mention.components[0]["components"][0]["custom_id"])
    ).wait()
    assert reopened.modal_values["missions"] == "Venez @here"
    fixed = await (
        await driver.submit_modal("ines", reopened, {"missions": "Co-animer un groupe d'entraide."})
    ).wait()
    assert fixed.ephemeral and "mise à jour" in fixed.content
    await eventually(lambda: field(announcement.embeds[0], "Missions") == "Co-animer un groupe d'entraide.")
    after = await jobs.get_offer(db, sandbox.guild_id, offer_id)
    assert (after.deadline, after.link, after.title) == (before.deadline, before.link, before.title)


# -- /offre retirer --------------------------------------------------------------------------------------
async def test_withdrawal_by_submitter_marks_the_announcement_and_others_are_refused(sandbox):
    driver, db = sandbox.driver, sandbox.bot.db
    offer_id, announcement = await published_by(sandbox, "ines")

    for other in ("noah", "lea"):
        refused = await (await driver.slash(other, "offre retirer", id=offer_id)).wait()
        assert refused.ephemeral and "quelqu'un d'autre" in refused.content
    assert (await jobs.get_offer(db, sandbox.guild_id, offer_id)).status == "published"
    assert announcement.content in (None, "") and announcement.edited_timestamp is None

    done = await (await driver.slash("ines", "offre retirer", id=offer_id)).wait_done()
    assert (
        done.ephemeral
        and fr(f"L'offre n° {offer_id} est retirée ; son annonce l'indique désormais.") in done.content
    )
    await eventually(lambda: announcement.content == "**Offre retirée**")
    assert announcement.embeds[0]["title"] == "[Offre retirée] Travailleur·euse pair en équipe mobile"
    assert "url" not in announcement.embeds[0]  # no link to apply to a withdrawn offer
    assert await sandbox.bot.timers.pending(sandbox.guild_id, jobs.KIND_EXPIRE) == []
    listed = await (await driver.slash("noah", "offre liste")).wait()
    assert "Aucune offre ouverte" in listed.content

    again = await (await driver.slash("ines", "offre retirer", id=offer_id)).wait()
    assert again.ephemeral and fr("a été retirée : elle ne peut plus être changée") in again.content
    edit = await (await driver.slash("ines", "offre modifier", id=offer_id)).wait()
    assert edit.modal is None and "a été retirée" in edit.content


async def test_moderator_withdraws_an_offer_still_in_the_queue(sandbox):
    driver, db = sandbox.driver, sandbox.bot.db
    done = await submit(driver, "ines")
    offer_id = number_in(done.content)
    card = (await eventually(lambda: queue_cards(driver)))[-1]

    refused = await (await driver.slash("noah", "offre retirer", id=offer_id)).wait()
    assert refused.ephemeral and "quelqu'un d'autre" in refused.content
    withdrawn = await (await driver.slash("sami", "offre retirer", id=offer_id)).wait_done()
    assert withdrawn.ephemeral and "retirée" in withdrawn.content
    assert (await jobs.get_offer(db, sandbox.guild_id, offer_id)).status == "withdrawn"
    # the queue card shows it and its buttons no longer publish anything
    await eventually(lambda: all(b.get("disabled") for row in card.components for b in row["components"]))
    assert "retirée" in str(card.embeds[0]["fields"])
    assert driver.bot_messages("offres-emploi") == []


# -- /offre voir -----------------------------------------------------------------------------------------
async def test_show_offer_respects_who_may_see_it(sandbox):
    driver = sandbox.driver
    published_id, _ = await published_by(sandbox, "sami", intitule="Médiateur·rice pair")
    seen = await (await driver.slash("lea", "offre voir", id=published_id)).wait()
    assert seen.ephemeral and seen.embeds[0]["title"] == "Médiateur·rice pair"
    assert (
        field(seen.embeds[0], "Contrat") == "CDD"
        and fr(f"n° {published_id}") in seen.embeds[0]["footer"]["text"]
    )

    pending = await submit(driver, "ines", intitule="Pair-aidant·e en addictologie")
    pending_id = number_in(pending.content)
    hidden = await (await driver.slash("noah", "offre voir", id=pending_id)).wait()
    assert (
        hidden.ephemeral
        and not hidden.embeds
        and fr(f"Je ne trouve pas d'offre n° {pending_id}") in hidden.content
    )
    own = await (await driver.slash("ines", "offre voir", id=pending_id)).wait()
    assert own.ephemeral and own.embeds[0]["title"] == "Pair-aidant·e en addictologie"
    moderator = await (await driver.slash("sami", "offre voir", id=pending_id)).wait()
    assert moderator.ephemeral and field(moderator.embeds[0], "État") == "en attente de validation"

    unknown = await (await driver.slash("lea", "offre voir", id=9999)).wait()
    assert unknown.ephemeral and fr("Je ne trouve pas d'offre n° 9999") in unknown.content

    await (await driver.slash("sami", "offre pourvue", id=published_id)).wait_done()
    closed = await (await driver.slash("lea", "offre voir", id=published_id)).wait()
    assert closed.ephemeral and closed.embeds[0]["title"] == "[Poste pourvu] Médiateur·rice pair"


# -- announcement as a forum post, region role ping ------------------------------------------------------
def forum_seed():
    seed = seed_guild()
    forum = next(c for c in seed.channels if c.key == "entraide")
    forum.available_tags += [
        {
            "id": "1200000000000000492",
            "name": "bruxelles",
            "moderated": False,
            "emoji_id": None,
            "emoji_name": None,
        },
        {
            "id": "1200000000000000493",
            "name": "CDD",
            "moderated": False,
            "emoji_id": None,
            "emoji_name": None,
        },
        {
            "id": "1200000000000000494",
            "name": "Wallonie",
            "moderated": False,
            "emoji_id": None,
            "emoji_name": None,
        },
        {
            "id": "1200000000000000495",
            "name": "CDI",
            "moderated": False,
            "emoji_id": None,
            "emoji_name": None,
        },
    ]
    return seed


async def published_by_forum(sandbox, who: str, **options):
    driver = sandbox.driver
    done = await submit(driver, who, **options)
    assert done.ephemeral and "publiée" in done.content
    offer_id = number_in(done.content)
    posts = await eventually(lambda: driver.threads("entraide"))
    return offer_id, posts[-1]


async def test_forum_jobs_channel_gets_one_tagged_post_per_offer(tmp_path):
    async with custom_sandbox(tmp_path, seed=forum_seed()) as sandbox:
        driver = sandbox.driver
        configured = await (
            await driver.slash("camille", "config salon", usage="offres", salon="entraide")
        ).wait()
        assert configured.ephemeral and f"<#{driver.channel('entraide').id}>" in configured.content

        offer_id, _ = await published_by_forum(sandbox, "sami")
        (post,) = driver.threads("entraide")
        assert post.name == "Travailleur·euse pair en équipe mobile — ASBL Horizon"
        assert sorted(post.applied_tags) == [
            1200000000000000492,
            1200000000000000493,
        ]  # Bruxelles + CDD, by name
        starter = driver.message_obj(post.id)
        assert starter.embeds[0]["title"] == "Travailleur·euse pair en équipe mobile"
        assert driver.bot_messages("offres-emploi") == []

        # a moderator adds the « question » tag by hand in Discord; the bot hears THREAD_UPDATE
        question = int(
            next(t["id"] for t in driver.channel("entraide").available_tags if t["name"] == "question")
        )
        post.applied_tags.append(question)
        await driver.d.ops.emit_channel("THREAD_UPDATE", post)
        cached = lambda: sandbox.bot.get_channel(post.id)  # noqa: E731
        await eventually(lambda: question in [t.id for t in cached().applied_tags])

        # /offre modifier: the post shows the new title and region, and keeps the hand-added tag
        opened = await (
            await driver.slash(
                "sami",
                "offre modifier",
                id=offer_id,
                intitule="Pair-aidant·e",
                region="Wallonie",
                contrat="CDI",
            )
        ).wait()
        await (await driver.submit_modal("sami", opened, {})).wait()
        await eventually(lambda: starter.embeds[0]["title"] == "Pair-aidant·e")
        assert field(starter.embeds[0], "Lieu") == "Wallonie"
        await eventually(lambda: post.name == "Pair-aidant·e — ASBL Horizon")
        assert sorted(post.applied_tags) == sorted([1200000000000000494, 1200000000000000495, question])

        # /offre retirer: the post says so, and is archived and locked
        done = await (await driver.slash("sami", "offre retirer", id=offer_id)).wait_done()
        assert done.ephemeral and "retirée" in done.content
        await eventually(lambda: starter.content == "**Offre retirée**" and post.archived and post.locked)
        assert starter.embeds[0]["title"].startswith("[Offre retirée]")


def ping_config(tmp_path):
    config = copy_config(tmp_path)
    path = config / "jobs.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            "  - name: Bruxelles\n    ping_role: null", "  - name: Bruxelles\n    ping_role: Offres Bruxelles"
        ),
        encoding="utf-8",
    )
    assert "ping_role: Offres Bruxelles" in path.read_text(encoding="utf-8")
    return config


def ping_seed():
    seed = seed_guild()
    seed.roles.append(RoleSpec("offres-bxl", 1200000000000000210, "Offres Bruxelles", 1, mentionable=True))
    return seed


async def test_region_role_is_the_only_mention_of_an_announcement(tmp_path):
    async with custom_sandbox(tmp_path, seed=ping_seed(), config_dir=ping_config(tmp_path)) as sandbox:
        driver = sandbox.driver
        role_id = driver.role_id("offres-bxl")
        jobs_channel = driver.channel("offres-emploi").id
        mark = len(driver.requests)
        offer_id, announcement = await published_by(sandbox, "sami")
        assert announcement.content == f"<@&{role_id}> — nouvelle offre en Bruxelles"
        assert announcement.mention_roles == [role_id] and not announcement.mention_everyone
        posted = [
            r
            for r in driver.requests[mark:]
            if r.method == "POST" and r.path == f"/channels/{jobs_channel}/messages"
        ]
        assert len(posted) == 1
        mentions = posted[0].json["allowed_mentions"]
        assert mentions["parse"] == [] and [int(r) for r in mentions["roles"]] == [role_id]
        assert "users" not in mentions or mentions["users"] == []

        # an edit keeps the region line but allows no mention (the role is not notified twice)
        mark = len(driver.requests)
        opened = await (await driver.slash("sami", "offre modifier", id=offer_id, lieu="Ixelles")).wait()
        await (await driver.submit_modal("sami", opened, {})).wait()
        await eventually(lambda: "Ixelles" in (field(announcement.embeds[0], "Lieu") or ""))
        assert announcement.content == f"<@&{role_id}> — nouvelle offre en Bruxelles"
        edits = [
            r
            for r in driver.requests[mark:]
            if r.method == "PATCH" and r.path == f"/channels/{jobs_channel}/messages/{announcement.id}"
        ]
        assert edits and not edits[-1].json["allowed_mentions"].get("roles")
        assert edits[-1].json["allowed_mentions"]["parse"] == []

        # another region has no role: nothing is mentioned at all
        mark = len(driver.requests)
        _, other = await published_by(
            sandbox, "sami", intitule="Pair-aidant·e", employeur="CHU de Liège", region="Wallonie"
        )
        assert not other.content and other.mention_roles == []
        posted = [
            r
            for r in driver.requests[mark:]
            if r.method == "POST" and r.path == f"/channels/{jobs_channel}/messages"
        ]
        assert posted[0].json["allowed_mentions"]["parse"] == []
        assert not posted[0].json["allowed_mentions"].get("roles")


# -- daily digest ----------------------------------------------------------------------------------------
async def test_daily_digest_is_one_dm_when_its_timer_fires(sandbox):
    driver, db, bot = sandbox.driver, sandbox.bot.db, sandbox.bot
    subscribed = await (
        await driver.slash("noah", "offre alertes", regions="Bruxelles", rythme="quotidien")
    ).wait()
    assert subscribed.ephemeral and "un résumé par jour" in subscribed.content

    kept, _ = await published_by(sandbox, "sami", intitule="Pair-aidant·e en psychiatrie")
    gone, _ = await published_by(sandbox, "sami", intitule="Pair-aidant·e en addictologie")
    await published_by(sandbox, "sami", intitule="Médiateur·rice santé", region="Wallonie")
    await (await driver.slash("sami", "offre retirer", id=gone)).wait_done()

    (digest,) = await bot.timers.pending(sandbox.guild_id, jobs.KIND_DIGEST)
    zone = timeutil.zone(bot.timezone_name(await bot.guild_config(sandbox.guild_id)))
    assert (
        digest.due_at > timeutil.now()
        and digest.due_at.astimezone(zone).hour == bot.settings.jobs.digest_hour
    )
    assert driver.dms("noah") == []  # nothing before the digest hour, and no immediate alert

    assert await bot.timers.reschedule(sandbox.guild_id, "jobs:digest", timeutil.now())
    dm = (await eventually(lambda: driver.dms("noah")))[-1]
    assert fr("Résumé du jour : 1 nouvelle(s) offre(s) sur Relais — bac à sable") in dm.content
    assert fr(f"n° {kept}** Pair-aidant·e en psychiatrie — ASBL Horizon · Bruxelles · CDD") in dm.content
    assert "addictologie" not in dm.content and "Médiateur" not in dm.content  # withdrawn; other region
    assert "/offre alertes-off" in dm.content

    async def states():
        rows = await db.fetchall(
            "SELECT offer_id, state FROM job_alerts WHERE user_id = ? ORDER BY offer_id",
            (driver.user_id("noah"),),
        )
        return [tuple(r) for r in rows]

    async def first_sent() -> bool:
        return (await states())[0][1] == "sent"

    await eventually(first_sent)
    assert await states() == [(kept, "sent"), (gone, "dropped")]
    assert await bot.timers.pending(sandbox.guild_id, jobs.KIND_DIGEST) == []
    assert len(driver.dms("noah")) == 1


# -- modals are bound to their opening --------------------------------------------------------------------
async def test_refusal_forms_opened_on_two_offers_each_refuse_their_own(sandbox):
    driver, db = sandbox.driver, sandbox.bot.db
    await submit(driver, "ines", intitule="Pair-aidant·e A")
    await submit(driver, "noah", intitule="Pair-aidant·e B")
    cards = await eventually(lambda: len(queue_cards(driver)) >= 2 and queue_cards(driver))
    first, second = (offer_id_of(c) for c in cards[-2:])
    by_sami = await (await driver.click("sami", cards[-2], f"relais:jobs:refuse:{first}")).wait()
    by_camille = await (await driver.click("camille", cards[-1], f"relais:jobs:refuse:{second}")).wait()
    assert by_sami.modal["custom_id"] != by_camille.modal["custom_id"]
    stolen = await (await driver.submit_modal("camille", by_sami, {"reason": "Je refuse tout"})).wait()
    assert stolen.ephemeral and "quelqu'un d'autre" in stolen.content
    assert (await jobs.get_offer(db, sandbox.guild_id, first)).status == "pending"
    await (await driver.submit_modal("sami", by_sami, {"reason": "Raison A"})).wait()
    await (await driver.submit_modal("camille", by_camille, {"reason": "Raison B"})).wait()
    a = await jobs.get_offer(db, sandbox.guild_id, first)
    b = await jobs.get_offer(db, sandbox.guild_id, second)
    assert (a.status, a.refusal_reason, a.moderator_id) == ("refused", "Raison A", driver.user_id("sami"))
    assert (b.status, b.refusal_reason, b.moderator_id) == ("refused", "Raison B", driver.user_id("camille"))


async def test_offer_forms_opened_by_two_members_each_submit_their_own(sandbox):
    driver, db = sandbox.driver, sandbox.bot.db
    by_ines = await (
        await driver.slash(
            "ines",
            "offre publier",
            intitule="Offre d'Inès",
            employeur="ASBL Horizon",
            region="Bruxelles",
            contrat="CDD",
            date_limite=future_date(),
        )
    ).wait()
    by_noah = await (
        await driver.slash(
            "noah",
            "offre publier",
            intitule="Offre de Noah",
            employeur="CHU",
            region="Bruxelles",
            contrat="CDD",
            date_limite=future_date(),
        )
    ).wait()
    assert by_ines.modal["custom_id"] != by_noah.modal["custom_id"]
    stolen = await (await driver.submit_modal("lea", by_ines, LONG_FIELDS)).wait()
    assert stolen.ephemeral and "quelqu'un d'autre" in stolen.content
    assert await db.fetchval("SELECT count(*) FROM job_offers") == 0
    await (await driver.submit_modal("ines", by_ines, LONG_FIELDS)).wait()
    await (await driver.submit_modal("noah", by_noah, LONG_FIELDS)).wait()
    rows = await db.fetchall("SELECT title, submitter_id FROM job_offers ORDER BY id")
    assert {(r["title"], r["submitter_id"]) for r in rows} == {
        ("Offre d'Inès", driver.user_id("ines")),
        ("Offre de Noah", driver.user_id("noah")),
    }

    # editing: the queue's « Modifier » and /offre modifier, opened on two offers, edit their own
    ines_offer, noah_offer = (r["id"] for r in await db.fetchall("SELECT id FROM job_offers ORDER BY id"))
    card = (await eventually(lambda: [c for c in queue_cards(driver) if offer_id_of(c) == noah_offer]))[-1]
    edit_ines = await (await driver.slash("ines", "offre modifier", id=ines_offer)).wait()
    edit_noah = await (await driver.click("sami", card, f"relais:jobs:edit:{noah_offer}")).wait()
    await (await driver.submit_modal("ines", edit_ines, {"working_time": "Temps plein"})).wait()
    await (await driver.submit_modal("sami", edit_noah, {"working_time": "Quart temps"})).wait()
    assert (await jobs.get_offer(db, sandbox.guild_id, ines_offer)).working_time == "Temps plein"
    assert (await jobs.get_offer(db, sandbox.guild_id, noah_offer)).working_time == "Quart temps"


# -- /offre publier has a per-member cooldown -------------------------------------------------------------
async def test_a_member_waits_between_two_offers(sandbox):
    driver, db = sandbox.driver, sandbox.bot.db
    first = await (
        await driver.slash(
            "ines",
            "offre publier",
            intitule="Première",
            employeur="ASBL Horizon",
            region="Bruxelles",
            contrat="CDD",
            date_limite=future_date(),
        )
    ).wait()
    second = await (
        await driver.slash(
            "ines",
            "offre publier",
            intitule="Deuxième",
            employeur="ASBL Horizon",
            region="Bruxelles",
            contrat="CDD",
            date_limite=future_date(),
        )
    ).wait()
    await (await driver.submit_modal("ines", first, LONG_FIELDS)).wait()
    # a form opened before the first offer was stored cannot be used to post a second one
    late = await (await driver.submit_modal("ines", second, LONG_FIELDS)).wait()
    assert late.ephemeral and "Doucement 🙂" in late.content
    again = await (
        await driver.slash(
            "ines",
            "offre publier",
            intitule="Troisième",
            employeur="ASBL Horizon",
            region="Bruxelles",
            contrat="CDD",
            date_limite=future_date(),
        )
    ).wait()
    assert again.ephemeral and again.modal is None and "Doucement 🙂" in again.content
    assert await db.fetchval("SELECT count(*) FROM job_offers") == 1
    assert len(queue_cards(driver)) == 1
    # someone else is not slowed down, nor are moderators
    assert (await submit(driver, "noah")).ephemeral
    await submit(driver, "sami", intitule="Offre relayée 1")
    await submit(driver, "sami", intitule="Offre relayée 2")
    assert await db.fetchval("SELECT count(*) FROM job_offers") == 4


# -- Discord's embed limits ---------------------------------------------------------------------------------
def words(limit: int, seed: str) -> str:
    """Ordinary words up to exactly ``limit`` characters (the cut must fall between words)."""
    text = ""
    while len(text) < limit:
        text += f"{seed} pair-aidance rétablissement accompagnement "
    return text[:limit].rstrip() + "x" * (limit - len(text[:limit].rstrip()))


async def test_a_maximal_offer_with_every_flag_is_shown_everywhere(sandbox):
    driver, db = sandbox.driver, sandbox.bot.db
    long_fields = {
        # a paid internship for a peer role asking for a diagnosis: every fair-work flag the form allows
        "missions": words(1024, "Poste de pair-aidant"),
        "profile": (ask := "Précisez votre diagnostic. ") + words(1024 - len(ask), "Profil"),
        "working_time": words(1024, "Temps"),
        "pay_status": (unpaid := "Non rémunéré. ") + words(1024 - len(unpaid), "Statut"),
        "how_to_apply": words(5500 - 4 * 1024 - 3 * 256 - 40, "Candidater"),
    }
    link = "https://horizon.example.org/offres/aaa"
    await submit(driver, "sami", lien=link)  # published at once: a likely duplicate, listed on the card
    opened = await (
        await driver.slash(
            "ines",
            "offre publier",
            intitule=words(256, "Titre"),
            employeur=words(256, "Employeur"),
            region="Bruxelles",
            contrat="stage",
            date_limite=future_date(),
            lieu=words(256, "Lieu"),
            lien=link,
        )
    ).wait()
    assert opened.modal is not None, opened.content
    warned = await (await driver.submit_modal("ines", opened, long_fields)).wait()
    assert "ressemble" in warned.content
    done = await (await driver.click("ines", warned.message, "relais:jobs:confirm")).wait()
    assert "modération" in done.content, done.content
    offer_id = number_in(done.content)
    offer = await jobs.get_offer(db, sandbox.guild_id, offer_id)
    assert set(offer.flags) == {jobs.FLAG_UNPAID_PEER_ROLE, jobs.FLAG_ASKS_DIAGNOSIS}

    cards = await eventually(lambda: [c for c in queue_cards(driver) if offer_id_of(c) == offer_id])
    card = cards[-1].embeds[0]
    assert card["fields"][0]["name"] == "Points d'attention (travail équitable)"
    assert any(f["name"] == "Offres semblables" for f in card["fields"])
    assert any(f["value"].endswith("…") for f in card["fields"])  # cut, between words

    # every flag, including the one only imported offers get
    await db.execute("UPDATE job_offers SET flags = ? WHERE id = ?", (",".join(jobs.FLAGS), offer_id))
    shown = await (await driver.slash("sami", "offre voir", id=offer_id)).wait()
    assert shown.ephemeral and shown.embeds, shown.content
    assert len(shown.embeds[0]["fields"][0]["value"].splitlines()) == len(jobs.FLAGS)
    approved = await (await driver.click("sami", cards[-1], f"relais:jobs:publish:{offer_id}")).wait()
    assert approved.type == 7  # the card, updated to « Publiée », was accepted too
    await eventually(
        lambda: [m for m in driver.bot_messages("offres-emploi") if m.embeds and offer_id_of(m) == offer_id]
    )
    public = await (await driver.slash("noah", "offre voir", id=offer_id)).wait()
    assert public.ephemeral and public.embeds, public.content


# -- edits of a published offer by an untrusted member are reviewed -------------------------------------
def revision_cards(driver, offer_id: int):
    return [
        m
        for m in queue_cards(driver)
        if offer_id_of(m) == offer_id
        and any(
            c["custom_id"].startswith("relais:jobs:revision_")
            for row in m.components
            for c in row["components"]
        )
    ]


async def test_an_untrusted_edit_of_a_published_offer_waits_for_a_moderator(sandbox):
    driver, db = sandbox.driver, sandbox.bot.db
    offer_id, announcement = await published_by(sandbox, "ines")
    before = await jobs.get_offer(db, sandbox.guild_id, offer_id)

    opened = await (
        await driver.slash(
            "ines",
            "offre modifier",
            id=offer_id,
            intitule="Offre changée",
            lien="https://arnaque.example.com",
        )
    ).wait()
    done = await (await driver.submit_modal("ines", opened, {"working_time": "Temps plein"})).wait()
    assert done.ephemeral and "modération" in done.content and "reste en ligne" in done.content
    # nothing changed in public: the approved version stays up
    assert await jobs.get_offer(db, sandbox.guild_id, offer_id) == before
    assert announcement.edited_timestamp is None and announcement.embeds[0]["title"] == before.title
    card = (await eventually(lambda: revision_cards(driver, offer_id)))[-1]
    assert (
        card.embeds[0]["title"] == "Offre changée"
        and field(card.embeds[0], "Temps de travail") == "Temps plein"
    )

    # a moderator approves: the announcement follows
    approved = await (await driver.click("sami", card, f"relais:jobs:revision_publish:{offer_id}")).wait()
    assert approved.type == 7
    await eventually(lambda: announcement.embeds[0]["title"] == "Offre changée")
    assert field(announcement.embeds[0], "Temps de travail") == "Temps plein"
    after = await jobs.get_offer(db, sandbox.guild_id, offer_id)
    assert (after.title, after.link, after.status) == (
        "Offre changée",
        "https://arnaque.example.com",
        "published",
    )
    await eventually(lambda: [m for m in driver.dms("ines") if m.content and "modification" in m.content])

    # a second edit is refused: the approved version stays, the submitter is told why
    opened = await (
        await driver.slash("ines", "offre modifier", id=offer_id, intitule="Encore changée")
    ).wait()
    await (await driver.submit_modal("ines", opened, {"missions": "Autre chose"})).wait()
    card = (
        await eventually(
            lambda: [c for c in revision_cards(driver, offer_id) if c.embeds[0]["title"] == "Encore changée"]
        )
    )[-1]
    refused = await (await driver.click("sami", card, f"relais:jobs:revision_refuse:{offer_id}")).wait()
    await (
        await driver.submit_modal("sami", refused, {"reason": "Le titre doit rester celui du poste."})
    ).wait()
    dm = await eventually(
        lambda: [m for m in driver.dms("ines") if m.content and "rester celui du poste" in m.content]
    )
    assert "Offre changée" in dm[-1].content
    assert (await jobs.get_offer(db, sandbox.guild_id, offer_id)).title == "Offre changée"
    assert announcement.embeds[0]["title"] == "Offre changée"
    assert await db.fetchval("SELECT count(*) FROM job_offer_revisions") == 0
