"""Resource sharing end to end on the Discord double: share → announcement with buttons → vote →
restart → vote still works → search → page 2 → share to channel; context menu; duplicate;
removal by a moderator and refusal for another member."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from urllib.parse import urlsplit

import pytest

from bot.core import timeutil
from bot.resources import library as resources
from bot.sandbox.double.seed import seed_guild
from tests.helpers import checked_sandbox, eventually, fr

ENV = {"RELAIS_COGS__ENABLED": "[admin, resources]", "RELAIS_RESOURCES__SHARE_COOLDOWN_SECONDS": "0"}


@pytest.fixture
async def sandbox(tmp_path):
    async with checked_sandbox(tmp_path, environ=ENV) as running:
        yield running


def custom_ids(message) -> list[str]:
    return [c.get("custom_id") for row in message.components for c in row.get("components", [])]


def button(message, custom_id: str) -> dict:
    return next(
        c for row in message.components for c in row.get("components", []) if c.get("custom_id") == custom_id
    )


def announcements(driver):
    return [m for m in driver.bot_messages("ressources") if m.embeds]


async def share(driver, who="ines", **options):
    options.setdefault("url", "https://pat.support/")
    options.setdefault("titre", "PAT, le soutien aux équipes qui engagent des pairs")
    return await (await driver.slash(who, "ressource partager", **options)).wait()


async def test_share_announce_vote_restart_search_and_post(sandbox):
    driver = sandbox.driver
    reply = await share(
        driver, themes="emploi, rétablissement", type="projet", description="Formations et intervisions."
    )
    assert reply.ephemeral and fr("n° 1") in reply.content, reply.content
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
        draft = resources.make_draft(
            sandbox.guild_id,
            f"https://exemple.org/r{i}",
            title=f"Rétablissement, épisode {i}",
            author_id=driver.user_id("noah"),
        )
        await resources.share(db, draft, now=timeutil.now())
    found = await (await driver.slash("ines", "ressource chercher", requete="retablissement")).wait()
    assert found.ephemeral and found.embeds and "Page 1" in found.embeds[0]["footer"]["text"]
    next_id = next(
        c["custom_id"] for row in found.components for c in row["components"] if c.get("label") == "Suivant"
    )
    page_two = await driver.click("ines", found.message_id, next_id)
    edited = await page_two.wait()
    assert edited.type == 7 and "Page 2" in edited.embeds[0]["footer"]["text"]  # the same message, updated
    post_id = next(
        c["custom_id"]
        for row in edited.components
        for c in row["components"]
        if c["custom_id"].startswith("relais:resources:post:")
    )
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
    duplicate = await share(
        driver, who="noah", url="http://www.PAT.support/?utm_source=fb#x", titre="Encore PAT"
    )
    assert (
        duplicate.ephemeral
        and "déjà" in duplicate.content
        and f"<@{driver.user_id('ines')}>" in duplicate.content
    )
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
    message = await driver.send_message(
        "noah", "accueil", "Super podcast : https://entantquetelle.com/episode-3 !"
    )
    opened = await (await driver.message_context("ines", "Enregistrer comme ressource", message)).wait()
    assert opened.modal is not None
    done = await (
        await driver.submit_modal(
            "ines",
            opened,
            {"title": "En tant que telle, épisode 3", "kind": "podcast", "themes": "témoignage"},
        )
    ).wait()
    assert fr("n° 1") in done.content, done.content
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
    async with checked_sandbox(tmp_path, environ=env) as sandbox:
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
        assert any(
            c.get("custom_id", "").startswith("relais:moderation:report:")
            for row in cards[0].components
            for c in row["components"]
        )
        assert not driver.dms("ines"), "the person who shared is not told who reported"
        assert sandbox.double.unknown_routes == []


def card_of(driver, resource_id: int):
    return next(m for m in announcements(driver) if f"relais:resources:useful:{resource_id}" in custom_ids(m))


async def test_edit_by_author_and_moderator_updates_the_announcement_others_refused(sandbox):
    driver, db, guild_id = sandbox.driver, sandbox.bot.db, sandbox.guild_id
    await share(driver, type="projet", themes="emploi", description="Formations et intervisions.")
    card = await eventually(lambda: announcements(driver))
    card_id = card[0].id

    refused = await (await driver.slash("noah", "ressource modifier", id=1)).wait()
    assert refused.modal is None
    assert refused.ephemeral and fr("Seule la personne qui a partagé la ressource n° 1") in refused.content
    missing = await (await driver.slash("ines", "ressource modifier", id=99)).wait()
    assert (
        missing.modal is None
        and missing.ephemeral
        and fr("Je ne trouve pas de ressource n° 99") in missing.content
    )

    opened = await (await driver.slash("ines", "ressource modifier", id=1)).wait()
    assert opened.modal is not None and opened.modal["title"] == fr("Modifier la ressource n° 1")
    assert opened.modal_values == {
        "title": "PAT, le soutien aux équipes qui engagent des pairs",
        "kind": "projet",
        "themes": "emploi",
        "description": "Formations et intervisions.",
    }
    done = await (
        await driver.submit_modal(
            "ines",
            opened,
            {
                "title": "PAT : soutenir les équipes pair-aidantes",
                "kind": "formation",
                "themes": "Emploi, Supervision",
                "description": "Cycle de formations pour les équipes.",
            },
        )
    ).wait()
    assert done.ephemeral and done.content == fr("La ressource n° 1 est mise à jour.")
    # The public announcement is the same message, edited in place.
    edited = await eventually(
        lambda: (
            "soutenir les équipes" in (driver.message_obj(card_id).embeds[0].get("title") or "")
            and driver.message_obj(card_id)
        )
    )
    fields = {f["name"]: f["value"] for f in edited.embeds[0]["fields"]}
    assert fields["Type"] == "Formation" and fields["Thèmes"] == "emploi, supervision"
    assert edited.embeds[0]["description"] == "Cycle de formations pour les équipes."
    assert custom_ids(edited) == ["relais:resources:useful:1", "relais:resources:report:1"]
    assert len(announcements(driver)) == 1
    saved = await resources.get(db, guild_id, 1)
    assert (saved.title, saved.kind, saved.themes) == (
        "PAT : soutenir les équipes pair-aidantes",
        "formation",
        ("emploi", "supervision"),
    )
    found = await (
        await driver.slash("lea", "ressource chercher", requete="pair aidantes", theme="supervision")
    ).wait()
    assert found.embeds and "soutenir les équipes" in found.embeds[0]["description"], (
        "search sees the new text"
    )

    # A moderator may correct someone else's resource, through the same form.
    by_moderator = await (await driver.slash("sami", "ressource modifier", id=1)).wait()
    assert by_moderator.modal_values["title"] == "PAT : soutenir les équipes pair-aidantes"
    fixed = await (
        await driver.submit_modal("sami", by_moderator, {"description": "Formations, intervisions, outils."})
    ).wait()
    assert fixed.ephemeral and fr("n° 1 est mise à jour") in fixed.content
    await eventually(
        lambda: (
            driver.message_obj(card_id).embeds[0].get("description") == "Formations, intervisions, outils."
        )
    )
    assert (await resources.get(db, guild_id, 1)).title == "PAT : soutenir les équipes pair-aidantes"


async def test_edit_with_bad_input_explains_and_changes_nothing(sandbox):
    driver, db, guild_id = sandbox.driver, sandbox.bot.db, sandbox.guild_id
    await share(driver, themes="emploi")
    card_id = (await eventually(lambda: announcements(driver)))[0].id
    before = await resources.get(db, guild_id, 1)
    before_embed = driver.message_obj(card_id).embeds
    edits_before = [r for r in driver.requests if r.method == "PATCH" and str(card_id) in r.path]

    cases = [
        ({"title": "@everyone regardez ça"}, "Le titre ne peut pas contenir de mention"),
        ({"title": "   "}, "Le titre ne peut pas être vide"),
        ({"kind": "roman-photo"}, fr("Je ne connais pas le type « roman-photo »")),
        ({"themes": "<@&1200000000000000202>"}, "Les thèmes ne peuvent pas contenir de mention"),
    ]
    for values, expected in cases:
        opened = await (await driver.slash("ines", "ressource modifier", id=1)).wait()
        refused = await (await driver.submit_modal("ines", opened, values)).wait()
        assert refused.ephemeral and expected in refused.content, (values, refused.content)
        assert "Traceback" not in refused.content
    assert await resources.get(db, guild_id, 1) == before
    assert driver.message_obj(card_id).embeds == before_embed
    assert [r for r in driver.requests if r.method == "PATCH" and str(card_id) in r.path] == edits_before


def listed_ids(embed) -> list[int]:
    return [int(n) for n in re.findall(r"`n° ?(\d+)`", embed["description"])]


async def test_recent_and_popular_with_their_period(sandbox):
    driver, db = sandbox.driver, sandbox.bot.db
    empty = await (await driver.slash("lea", "ressource recentes")).wait()
    assert empty.ephemeral and "La bibliothèque est encore vide" in empty.content
    no_votes = await (await driver.slash("lea", "ressource populaires")).wait()
    assert no_votes.ephemeral and "Aucune ressource n'a encore reçu de vote" in no_votes.content

    for i, (url, title) in enumerate(
        [
            ("https://exemple.org/guide", "Guide du rétablissement"),
            ("https://exemple.org/podcast", "Podcast entre pairs"),
            ("https://exemple.org/outil", "Outil de planification"),
            ("https://exemple.org/retire", "Lien retiré"),
        ]
    ):
        await share(driver, who=("ines", "noah")[i % 2], url=url, titre=title)
    await eventually(lambda: len(announcements(driver)) == 4)
    await (await driver.slash("sami", "ressource retirer", id=4)).wait()

    recent = await (await driver.slash("lea", "ressource recentes")).wait()
    assert recent.ephemeral and recent.embeds[0]["title"] == "Les dernières ressources partagées"
    assert listed_ids(recent.embeds[0]) == [3, 2, 1], "newest first, removed ones left out"
    assert "[Outil de planification](https://exemple.org/outil)" in recent.embeds[0]["description"]

    # Votes: n°2 twice (one of them long ago), n°1 once, this week.
    for who, resource_id in (("noah", 1), ("lea", 2), ("camille", 2)):
        await (
            await driver.click(who, card_of(driver, resource_id), f"relais:resources:useful:{resource_id}")
        ).wait_followup()
    await db.execute(
        "UPDATE resource_votes SET created_at = created_at - ? WHERE user_id = ?",
        (20 * 86400, driver.user_id("camille")),
    )

    week = await (await driver.slash("lea", "ressource populaires", periode="Cette semaine")).wait()
    assert week.ephemeral and week.embeds[0]["title"] == "Les ressources les plus utiles cette semaine"
    assert listed_ids(week.embeds[0]) == [2, 1]
    assert "👍 1" in week.embeds[0]["description"] and "👍 2" not in week.embeds[0]["description"]
    month = await (await driver.slash("lea", "ressource populaires", periode="mois")).wait()
    assert month.embeds[0]["title"] == "Les ressources les plus utiles ce mois-ci"
    assert listed_ids(month.embeds[0]) == [2, 1]
    lines = month.embeds[0]["description"].splitlines()
    assert "👍 2" in lines[0] and "👍 1" in lines[1]
    default = await (await driver.slash("lea", "ressource populaires")).wait()
    assert default.embeds[0]["title"] == month.embeds[0]["title"], "the month is the default period"
    # The vote cast three weeks ago no longer counts for the week, but does since the start.
    await db.execute(
        "UPDATE resource_votes SET created_at = created_at - ? WHERE user_id IN (?, ?)",
        (20 * 86400, driver.user_id("noah"), driver.user_id("lea")),
    )
    none_this_week = await (await driver.slash("lea", "ressource populaires", periode="semaine")).wait()
    assert "Aucune ressource n'a encore reçu de vote" in none_this_week.content
    ever = await (await driver.slash("lea", "ressource populaires", periode="Depuis le début")).wait()
    assert ever.embeds[0]["title"] == "Les ressources les plus utiles depuis le début"
    assert listed_ids(ever.embeds[0]) == [2, 1]


FORUM_TAGS = {"podcast": 1200000000000000492, "rétablissement": 1200000000000000493}


@pytest.fixture
async def forum_sandbox(tmp_path):
    """The seed's « entraide » forum, with tags named like a type and a theme, as an administrator
    would add."""
    seed = seed_guild()
    forum = next(c for c in seed.channels if c.key == "entraide")
    forum.available_tags += [
        {
            "id": str(FORUM_TAGS["podcast"]),
            "name": "Podcast",
            "moderated": False,
            "emoji_id": None,
            "emoji_name": "🎧",
        },
        {
            "id": str(FORUM_TAGS["rétablissement"]),
            "name": "Rétablissement",
            "moderated": False,
            "emoji_id": None,
            "emoji_name": None,
        },
    ]
    async with checked_sandbox(tmp_path, environ=ENV, seed=seed) as running:
        yield running


async def test_forum_channel_gets_one_tagged_post_per_resource(forum_sandbox):
    sandbox = forum_sandbox
    driver = sandbox.driver
    forum = driver.channel("entraide")
    configured = await (
        await driver.slash("camille", "config salon", usage="ressources", salon="entraide")
    ).wait()
    assert configured.ephemeral and f"<#{forum.id}>" in configured.content

    reply = await share(
        driver,
        url="https://entantquetelle.com/episode-3",
        titre="En tant que telle, épisode 3",
        type="podcast",
        themes="retablissement, témoignage",
    )
    assert reply.ephemeral and fr("n° 1") in reply.content
    post = (await eventually(lambda: driver.threads("entraide")))[0]
    assert post.name == "En tant que telle, épisode 3"
    assert sorted(post.applied_tags) == sorted([FORUM_TAGS["podcast"], FORUM_TAGS["rétablissement"]])
    assert f"https://discord.com/channels/{sandbox.guild_id}/{post.id}" in reply.content
    starter = (await eventually(lambda: driver.bot_messages(post)))[0]
    assert "En tant que telle" in starter.embeds[0]["title"]
    assert custom_ids(starter) == ["relais:resources:useful:1", "relais:resources:report:1"]
    assert driver.bot_messages("ressources") == [], "nothing goes to the old text channel"

    # Votes land on the post's first message; an edit renames and re-tags the post too.
    await (await driver.click("noah", starter, "relais:resources:useful:1")).wait_followup()
    assert button(driver.message_obj(starter.id), "relais:resources:useful:1")["label"].endswith("1")
    opened = await (await driver.slash("ines", "ressource modifier", id=1)).wait()
    edited = await (
        await driver.submit_modal(
            "ines", opened, {"title": "En tant que telle, épisode 3 (rediffusion)", "themes": "témoignage"}
        )
    ).wait()
    assert fr("n° 1 est mise à jour") in edited.content
    await eventually(lambda: "rediffusion" in driver.message_obj(starter.id).embeds[0]["title"])
    await eventually(lambda: post.name == "En tant que telle, épisode 3 (rediffusion)")
    await eventually(lambda: post.applied_tags == [FORUM_TAGS["podcast"]])
    assert button(driver.message_obj(starter.id), "relais:resources:useful:1")["label"].endswith("1")

    # A post archived by Discord after a quiet week leaves discord.py's cache; an edit still reaches it.
    thread = sandbox.bot.get_channel(post.id)
    await thread.edit(archived=True)
    await eventually(lambda: sandbox.bot.get_channel(post.id) is None)
    opened = await (await driver.slash("ines", "ressource modifier", id=1)).wait()
    await (
        await driver.submit_modal("ines", opened, {"title": "En tant que telle, épisode 3 (archives)"})
    ).wait()
    await eventually(lambda: "(archives)" in driver.message_obj(starter.id).embeds[0]["title"])
    await eventually(lambda: post.name == "En tant que telle, épisode 3 (archives)" and not post.archived)

    # A resource without a matching tag is still posted, without tags.
    await share(driver, who="noah", url="https://exemple.org/guide", titre="Guide pratique", type="guide")
    second = await eventually(lambda: [t for t in driver.threads("entraide") if t.name == "Guide pratique"])
    assert second[0].applied_tags == []

    # The weekly digest is a post of its own.
    assert await sandbox.bot.timers.reschedule(
        sandbox.guild_id, f"resources:digest:{sandbox.guild_id}", timeutil.now()
    )
    digest_post = (
        await eventually(
            lambda: [
                t for t in driver.threads("entraide") if t.name.startswith("Les ressources de la semaine")
            ]
        )
    )[0]
    first = (await eventually(lambda: driver.bot_messages(digest_post)))[0]
    assert listed_ids(first.embeds[0]) == [1, 2]

    # Removal deletes the post.
    await (await driver.slash("sami", "ressource retirer", id=1)).wait()
    await eventually(lambda: post.id not in [t.id for t in driver.threads("entraide")])


def digests(driver, channel="ressources"):
    return [
        m
        for m in driver.bot_messages(channel)
        if m.embeds and (m.embeds[0].get("title") or "").startswith("📚 Les ressources de la semaine")
    ]


async def test_weekly_digest_is_posted_once_when_its_timer_fires(sandbox):
    driver, bot, guild_id = sandbox.driver, sandbox.bot, sandbox.guild_id
    key = f"resources:digest:{guild_id}"
    now = timeutil.now()
    old = resources.make_draft(
        guild_id,
        "https://exemple.org/ancien",
        title="Ressource du mois dernier",
        author_id=driver.user_id("noah"),
    )
    await resources.share(bot.db, old, now=now - dt.timedelta(days=10))
    await share(driver, url="https://exemple.org/guide", titre="Guide du rétablissement", type="guide")
    await share(
        driver, who="noah", url="https://exemple.org/podcast", titre="Podcast entre pairs", type="podcast"
    )
    await share(driver, who="noah", url="https://exemple.org/retire", titre="Lien retiré")
    await eventually(lambda: len(announcements(driver)) == 3)
    await (await driver.slash("noah", "ressource retirer", id=4)).wait()
    await (await driver.click("ines", card_of(driver, 3), "relais:resources:useful:3")).wait_followup()

    pending = await bot.timers.pending(guild_id, resources.DIGEST_KIND)
    assert len(pending) == 1 and pending[0].key == key and pending[0].due_at > now
    assert digests(driver) == []

    async def next_digest_scheduled():
        later = await bot.timers.pending(guild_id, resources.DIGEST_KIND)
        return later and later[0].due_at > timeutil.now() + dt.timedelta(hours=1) and later[0]

    assert await bot.timers.reschedule(guild_id, key, timeutil.now())
    posted = (await eventually(lambda: digests(driver)))[0]
    embed = posted.embeds[0]
    assert "Voici les nouveautés de la bibliothèque" in embed["description"]
    assert listed_ids(embed) == [3, 2], (
        "the week's new resources, most useful first; old and removed ones left out"
    )
    assert "👍 1" in embed["description"].splitlines()[-2]
    following = await eventually(next_digest_scheduled)
    local = following.due_at.astimezone(timeutil.zone("Europe/Brussels"))
    assert (local.weekday(), local.hour, local.minute) == (0, 9, 0), "next Monday at 9:00, the server's time"

    # The timer firing again for the same week (a crash, a restart) does not post it twice.
    assert await bot.timers.reschedule(guild_id, key, timeutil.now())
    await eventually(next_digest_scheduled)
    assert len(digests(driver)) == 1


MARKDOWN_PAYLOAD = "https://example.org/a)**[Mot de passe](https://evil.example/login)**"
MASKED_LINK = re.compile(r"\[[^\]\n]*\]\([^)\s]*\)")


def assert_one_masked_link_per_line(text: str) -> None:
    for line in text.splitlines():
        if "n°" in line:
            links = MASKED_LINK.findall(line)
            target = links[0].split("](")[-1].rstrip(")") if links else ""
            assert len(links) == 1 and urlsplit(target).hostname != "evil.example", line
            assert not re.search(r"(?<!\\)\*\*", line), f"unescaped bold in {line}"


async def test_links_and_titles_never_render_a_second_masked_link(sandbox):
    driver, bot, guild_id = sandbox.driver, sandbox.bot, sandbox.guild_id
    braille = await share(driver, url=MARKDOWN_PAYLOAD.replace(" ", "\u2800"), titre="Piège")
    assert braille.ephemeral and "invisibles" in braille.content
    accepted = await share(driver, url=MARKDOWN_PAYLOAD.replace(" ", ""), titre="Lien à parenthèses")
    assert fr("n° 1") in accepted.content, accepted.content
    await share(
        driver,
        who="noah",
        url="https://exemple.org/titre",
        titre="**[Mot de passe](https://evil.example/login)**",
    )
    # A link stored before the validator refused such characters still renders as one link.
    await share(driver, who="noah", url="https://exemple.org/ancien", titre="Ancien lien")
    await bot.db.execute(
        "UPDATE resources SET url = ? WHERE id = 3", (MARKDOWN_PAYLOAD.replace(" ", "\u2800"),)
    )
    await eventually(lambda: len(announcements(driver)) == 3)

    recent = await (await driver.slash("lea", "ressource recentes")).wait()
    description = recent.embeds[0]["description"]
    assert listed_ids(recent.embeds[0]) == [3, 2, 1]
    assert_one_masked_link_per_line(description)

    assert await bot.timers.reschedule(guild_id, f"resources:digest:{guild_id}", timeutil.now())
    posted = (await eventually(lambda: digests(driver)))[0]
    assert_one_masked_link_per_line(posted.embeds[0]["description"])
    assert sorted(listed_ids(posted.embeds[0])) == [1, 2, 3]


def public_cards(driver, channel):
    return [
        m for m in driver.bot_messages(channel) if m.embeds and "partage cette ressource" in (m.content or "")
    ]


async def click_post(driver, who, channel, resource_id=1):
    shown = await (await driver.slash(who, "ressource voir", channel=channel, id=resource_id)).wait()
    return await driver.click(who, shown.message_id, f"relais:resources:post:{resource_id}")


async def test_post_button_is_throttled_and_not_repeated_in_a_channel(sandbox):
    driver = sandbox.driver
    await share(driver)
    await share(driver, who="noah", url="https://exemple.org/deux", titre="Deuxième ressource")
    await eventually(lambda: len(announcements(driver)) == 2)

    first = await click_post(driver, "ines", "accueil")
    assert "partagé" in (await first.wait_followup()).content
    again = await (await click_post(driver, "ines", "accueil", resource_id=2)).wait()
    assert again.ephemeral and "attendez encore" in again.content
    repeated = await (await click_post(driver, "noah", "accueil")).wait()
    assert repeated.ephemeral and "déjà d'être partagée" in repeated.content
    assert len(public_cards(driver, "accueil")) == 1, "one card, whatever the clicks"

    elsewhere = await click_post(driver, "noah", "intervisions")
    await elsewhere.wait_followup()
    assert len(public_cards(driver, "intervisions")) == 1


async def test_post_button_respects_send_permission_and_slowmode(sandbox):
    driver, bot = sandbox.driver, sandbox.bot
    await share(driver)
    await eventually(lambda: len(announcements(driver)) == 1)
    guild = bot.get_guild(sandbox.guild_id)

    readonly = bot.get_channel(driver.channel("charte").id)
    await readonly.set_permissions(guild.default_role, send_messages=False, view_channel=True)
    muted = await (await click_post(driver, "lea", "charte")).wait()
    assert muted.ephemeral and "ne pouvez pas écrire" in muted.content
    assert public_cards(driver, "charte") == []

    slow = bot.get_channel(driver.channel("offres-emploi").id)
    await slow.edit(slowmode_delay=60)
    await eventually(lambda: bot.get_channel(slow.id).slowmode_delay == 60)
    refused = await (await click_post(driver, "noah", "offres-emploi")).wait()
    assert refused.ephemeral and "mode lent" in refused.content
    assert public_cards(driver, "offres-emploi") == []
    # Moderators are exempt from slowmode on Discord: the card is posted for them.
    exempt = await click_post(driver, "sami", "offres-emploi")
    await exempt.wait_followup()
    assert len(public_cards(driver, "offres-emploi")) == 1
