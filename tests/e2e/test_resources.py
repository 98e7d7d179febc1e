"""Resource sharing end to end on the Discord double: share → announcement with buttons → vote →
restart → vote still works → search → page 2 → share to channel; context menu; duplicate;
removal by a moderator and refusal for another member."""

from __future__ import annotations

import asyncio

import pytest

from bot import resources, timeutil
from bot.sandbox.harness import running_sandbox
from tests.helpers import eventually

ENV = {"RELAIS_COGS__ENABLED": "[admin, resources]", "RELAIS_RESOURCES__SHARE_COOLDOWN_SECONDS": "0"}


@pytest.fixture
async def sandbox(tmp_path):
    async with running_sandbox(tmp_path / "relais.db", environ=ENV) as running:
        yield running
        assert running.double.unknown_routes == [], "the bot called routes the double does not know"


def custom_ids(message) -> list[str]:
    return [c.get("custom_id") for row in message.components for c in row.get("components", [])]


def button(message, custom_id: str) -> dict:
    return next(c for row in message.components for c in row.get("components", []) if c.get("custom_id") == custom_id)


def announcements(driver):
    return [m for m in driver.bot_messages("ressources") if m.embeds]


async def share(driver, who="ines", **options):
    options.setdefault("url", "https://pat.support/")
    options.setdefault("titre", "PAT, le soutien aux équipes qui engagent des pairs")
    return await (await driver.slash(who, "ressource partager", **options)).wait()


async def test_share_announce_vote_restart_search_and_post(sandbox):
    driver = sandbox.driver
    reply = await share(driver, themes="emploi, rétablissement", type="projet", description="Formations et intervisions.")
    assert reply.ephemeral and "n°1" in reply.content, reply.content
    card = (await eventually(lambda: announcements(driver)))[0]
    embed = card.embeds[0]
    assert "PAT, le soutien" in embed["title"] and embed["url"] == "https://pat.support/"
    assert "Projet" in str(embed["fields"]) and "emploi, rétablissement" in str(embed["fields"])
    assert f"<@{driver.user_id('ines')}>" in str(embed["fields"])
    assert custom_ids(card) == ["relais:resources:useful:1", "relais:resources:report:1"]

    vote = await driver.click("noah", card, "relais:resources:useful:1")
    await vote.wait_followup()
    assert "1" in button(driver.message_obj(card.id), "relais:resources:useful:1")["label"]

    await sandbox.restart_bot()
    again = await driver.click("lea", card.id, "relais:resources:useful:1")
    followup = await again.wait_followup()
    assert "2 au total" in followup.content
    assert button(driver.message_obj(card.id), "relais:resources:useful:1")["label"].endswith("2")
    # Pressing again takes the vote back.
    back = await (await driver.click("lea", card.id, "relais:resources:useful:1")).wait_followup()
    assert "retiré" in back.content

    db = sandbox.bot.db
    for i in range(7):
        draft = resources.make_draft(sandbox.guild_id, f"https://exemple.org/r{i}", title=f"Rétablissement, épisode {i}", author_id=driver.user_id("noah"))
        await resources.share(db, draft, now=timeutil.now())
    found = await (await driver.slash("ines", "ressource chercher", requete="retablissement")).wait()
    assert found.ephemeral and found.embeds and "Page 1" in found.embeds[0]["footer"]["text"]
    next_id = next(c["custom_id"] for row in found.components for c in row["components"] if c.get("label") == "Suivant")
    page_two = await driver.click("ines", found.message_id, next_id)
    edited = await page_two.wait()
    assert edited.type == 7 and "Page 2" in edited.embeds[0]["footer"]["text"]  # the same message, updated
    post_id = next(c["custom_id"] for row in edited.components for c in row["components"]
                   if c["custom_id"].startswith("relais:resources:post:"))
    posted = await driver.click("ines", found.message_id, post_id)
    await posted.wait_followup()
    public = await eventually(lambda: [m for m in driver.bot_messages(driver.channel("accueil")) if m.embeds])
    assert f"<@{driver.user_id('ines')}>" in public[-1].content and public[-1].mentions == []

    reported = await (await driver.click("noah", card.id, "relais:resources:report:1")).wait()
    assert reported.ephemeral and "modération" in reported.content
    modlog = await eventually(lambda: [m for m in driver.bot_messages("mod-log") if m.embeds])
    assert str(driver.user_id("noah")) in modlog[-1].embeds[0]["description"]


async def test_duplicate_bad_input_and_mentions(sandbox):
    driver = sandbox.driver
    await share(driver)
    duplicate = await share(driver, who="noah", url="http://www.PAT.support/?utm_source=fb#x", titre="Encore PAT")
    assert duplicate.ephemeral and "déjà" in duplicate.content and f"<@{driver.user_id('ines')}>" in duplicate.content
    bad = await share(driver, who="noah", url="javascript:alert(1)", titre="x")
    assert bad.ephemeral and "http" in bad.content
    mention = await share(driver, who="noah", url="https://psycom.org", titre="@everyone regardez")
    assert mention.ephemeral and "mention" in mention.content
    empty = await (await driver.slash("noah", "ressource chercher", requete="  ")).wait()
    assert empty.ephemeral and "au moins un mot" in empty.content
    assert len(announcements(driver)) == 1
    assert await sandbox.bot.db.fetchval("SELECT COUNT(*) FROM resources") == 1


async def test_context_menu_credits_the_message_author(sandbox):
    driver = sandbox.driver
    message = await driver.send_message("noah", "accueil", "Super podcast : https://entantquetelle.com/episode-3 !")
    opened = await (await driver.message_context("ines", "Enregistrer comme ressource", message)).wait()
    assert opened.modal is not None
    done = await (await driver.submit_modal(
        "ines", opened, {"title": "En tant que telle, épisode 3", "kind": "podcast", "themes": "témoignage"}
    )).wait()
    assert "n°1" in done.content, done.content
    saved = await resources.get(sandbox.bot.db, sandbox.guild_id, 1)
    assert saved.url == "https://entantquetelle.com/episode-3"
    assert saved.author_id == driver.user_id("noah") and saved.shared_by == driver.user_id("ines")
    assert saved.kind == "podcast"
    no_link = await driver.send_message("noah", "accueil", "Pas de lien ici")
    refused = await (await driver.message_context("ines", "Enregistrer comme ressource", no_link)).wait()
    assert refused.ephemeral and "lien" in refused.content


async def test_removal_by_moderator_and_refusal_for_another_member(sandbox):
    driver = sandbox.driver
    await share(driver)
    card = (await eventually(lambda: announcements(driver)))[0]
    refused = await (await driver.slash("noah", "ressource retirer", id=1)).wait()
    assert refused.ephemeral and "Seule la personne" in refused.content
    assert (await resources.get(sandbox.bot.db, sandbox.guild_id, 1)).live
    removed = await (await driver.slash("sami", "ressource retirer", id=1)).wait()
    assert removed.ephemeral and "retirée" in removed.content
    await eventually(lambda: card.id not in [m.id for m in driver.bot_messages("ressources")])
    gone = await (await driver.slash("ines", "ressource voir", id=1)).wait()
    assert "Je ne trouve pas" in gone.content


async def test_report_button_feeds_the_moderation_queue_when_it_is_loaded(tmp_path):
    env = {**ENV, "RELAIS_COGS__ENABLED": "[admin, moderation, resources]"}
    async with running_sandbox(tmp_path / "relais.db", environ=env) as sandbox:
        driver = sandbox.driver
        await share(driver)
        card = (await eventually(lambda: announcements(driver)))[-1]
        for who in ("noah", "lea"):
            reported = await (await driver.click(who, card.id, "relais:resources:report:1")).wait()
            assert reported.ephemeral and "modération" in reported.content
        cards = await eventually(lambda: [m for m in driver.bot_messages("signalements") if m.embeds])
        await asyncio.sleep(0.3)
        cards = [m for m in driver.bot_messages("signalements") if m.embeds]
        assert len(cards) == 1, "two reports of one announcement merge into one card"
        fields = {f["name"]: f["value"] for f in cards[0].embeds[0].get("fields", [])}
        assert "2" in " ".join(fields.values())
        assert any(c.get("custom_id", "").startswith("relais:moderation:report:")
                   for row in cards[0].components for c in row["components"])
        assert not driver.dms("ines"), "the person who shared is not told who reported"
        assert sandbox.double.unknown_routes == []
