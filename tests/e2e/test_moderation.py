"""Moderation end to end on the Discord double: warnings, timeouts, timed bans, reports, refusals."""

from __future__ import annotations

import asyncio
import datetime as dt

import discord
import pytest

from bot.core import timeutil
from bot.core.db import Database
from bot.core.timers import TimerService
from bot.moderation import cases as moderation
from tests.helpers import checked_sandbox, eventually, fr

# Only the cogs this area needs: the test does not depend on other areas being finished.
ENV = {"RELAIS_COGS__ENABLED": "[admin, moderation]"}


@pytest.fixture
async def sandbox(tmp_path):
    async with checked_sandbox(tmp_path, environ=ENV) as running:
        yield running


async def _settle(seconds: float = 0.3) -> None:
    await asyncio.sleep(seconds)


async def _cases(sandbox, member: str) -> list[moderation.Case]:
    return await moderation.member_cases(sandbox.bot.db, sandbox.guild_id, sandbox.driver.user_id(member))


async def test_warning_dm_names_the_article_and_how_to_contest(sandbox):
    driver = sandbox.driver
    result = await driver.slash(
        "sami",
        "mod avertir",
        membre="ines",
        article="questions_intrusives",
        raison="Question insistante sur le traitement de Noah",
    )
    reply = await result.wait_followup()
    assert fr("cas n° 1") in reply.content
    dm = driver.dms("ines")[-1].content
    article = sandbox.bot.get_cog("Moderation").charter.article("questions_intrusives")
    assert f"Article {article.number}" in dm and article.title in dm
    assert "Question insistante" in dm and "/recours" in dm and "1" in dm
    log = driver.bot_messages("mod-log")[-1]
    assert fr("Cas n° 1") in log.embeds[0]["title"]
    cases = await _cases(sandbox, "ines")
    assert [c.action for c in cases] == ["warn"] and cases[0].expires_at is not None


async def test_timeout_is_visible_on_the_member_and_revocable(sandbox):
    driver = sandbox.driver
    result = await driver.slash(
        "sami",
        "mod suspendre",
        membre="noah",
        duree="2h",
        article="bienveillance",
        raison="Propos blessants répétés",
    )
    await result.wait_followup()
    assert driver.is_timed_out("noah")
    assert "/recours" in driver.dms("noah")[-1].content
    number = (await _cases(sandbox, "noah"))[0].number
    lift = await driver.slash("sami", "mod lever", cas=number, raison="Échange apaisé")
    await lift.wait_followup()
    assert not driver.is_timed_out("noah")
    assert (await _cases(sandbox, "noah"))[0].revoked_at is not None


async def test_bad_duration_and_too_long_timeout_store_nothing(sandbox):
    driver = sandbox.driver
    bad = await (
        await driver.slash(
            "sami", "mod suspendre", membre="noah", duree="demain", article="bienveillance", raison="x"
        )
    ).wait()
    assert bad.ephemeral and "10m" in bad.content
    long = await (
        await driver.slash(
            "sami", "mod suspendre", membre="noah", duree="30j", article="bienveillance", raison="x"
        )
    ).wait()
    assert "28 jours" in long.content
    unknown = await (
        await driver.slash("sami", "mod avertir", membre="noah", article="inexistant", raison="x")
    ).wait()
    assert "inexistant" in unknown.content
    assert not driver.is_timed_out("noah") and await _cases(sandbox, "noah") == []


async def test_members_and_protected_targets_are_refused_without_a_case(sandbox):
    driver = sandbox.driver
    member = await (
        await driver.slash("ines", "mod avertir", membre="noah", article="bienveillance", raison="x")
    ).wait()
    assert member.ephemeral and "réservée" in member.content
    owner = await (
        await driver.slash("sami", "mod expulser", membre="camille", article="bienveillance", raison="x")
    ).wait()
    assert "propriétaire" in owner.content
    assert await _cases(sandbox, "noah") == [] and await _cases(sandbox, "camille") == []
    assert driver.member("camille") is not None


async def test_timed_ban_is_lifted_on_time_even_across_a_restart(sandbox):
    driver = sandbox.driver
    result = await driver.slash(
        "sami", "mod bannir", membre="lea", article="publicite", raison="Spam commercial", duree="3j"
    )
    await result.wait_followup()
    lea = driver.user_id("lea")
    assert lea in driver.bans()
    assert "/recours" in driver.dms("lea")[-1].content  # told before the ban, while still reachable
    case = (await _cases(sandbox, "lea"))[0]
    await sandbox.stop_bot()
    # Three days pass while the bot is down: its timer is now overdue.

    db = await Database.open(sandbox.settings.database.path)
    await TimerService(db).reschedule(
        sandbox.guild_id, case.timer_key, timeutil.now() - dt.timedelta(seconds=1)
    )
    await db.close()
    await sandbox.start_bot()
    await eventually(lambda: lea not in driver.bans())
    assert (await _cases(sandbox, "lea"))[0].ended_at is not None
    assert any("terme" in m.content for m in driver.bot_messages("mod-log") if m.content)


async def test_the_end_of_a_ban_reaches_the_mod_log_even_when_its_first_post_fails(sandbox):
    driver = sandbox.driver
    result = await driver.slash(
        "sami", "mod bannir", membre="lea", article="publicite", raison="Spam commercial", duree="3j"
    )
    await result.wait_followup()
    case = (await _cases(sandbox, "lea"))[0]
    lea = driver.user_id("lea")

    def end_lines() -> list:
        return [m for m in driver.bot_messages("mod-log") if m.content and "terme" in m.content]

    # Discord answers the mod-log post with 429s past discord.py's five tries: the post fails.
    modlog = driver.channel("mod-log").id
    refused = sandbox.double.faults.rate_limit(
        "POST", rf"/channels/{modlog}/messages$", times=5, retry_after=0.05
    )
    assert await sandbox.bot.timers.reschedule(sandbox.guild_id, case.timer_key, timeutil.now())
    await eventually(lambda: lea not in driver.bans())
    await eventually(lambda: refused.hits == 5)
    await _settle()
    assert end_lines() == []

    # The line is a timer of its own, tried again later (here: now) instead of lost.
    retry_key = f"moderation:case-ended-log:{case.id}"
    await eventually(lambda: sandbox.bot.timers.reschedule(sandbox.guild_id, retry_key, timeutil.now()))
    await eventually(end_lines)
    await _settle()
    assert len(end_lines()) == 1
    assert f"<@{lea}>" in end_lines()[0].content


async def test_report_is_handled_from_its_card(sandbox):
    driver = sandbox.driver
    offending = await driver.send_message(
        "lea", "ressources", "Achetez mes compléments miracle, lien en bio !"
    )
    await _settle()
    opened = await (await driver.message_context("noah", "Signaler à la modération", offending)).wait()
    submitted = await driver.submit_modal(
        "noah", opened, {"what": "Publicité pour des produits", "article": "publicite"}
    )
    await submitted.wait_followup()
    second = await (await driver.message_context("ines", "Signaler à la modération", offending)).wait()
    await (await driver.submit_modal("ines", second, {"what": "Pub", "anonymous": "yes"})).wait_followup()
    cards = [m for m in driver.bot_messages("signalements") if m.embeds]
    assert len(cards) == 1  # merged into one card
    card = cards[0]
    fields = {f["name"]: f["value"] for f in card.embeds[0]["fields"]}
    assert fields["Nombre de signalements"] == "2"
    assert f"<@{driver.user_id('noah')}>" in fields["Signalé par (visible de l'équipe seulement)"]
    assert "anonyme" in fields["Signalé par (visible de l'équipe seulement)"]
    assert all(driver.user_id("noah") != m.author_id for m in driver.dms("lea"))
    report_id = int(card.embeds[0]["title"].split("n°")[1])
    clicked = await driver.click("sami", card, f"relais:moderation:report:delete:{report_id}")
    await clicked.wait_followup()
    assert offending.id not in {m.id for m in driver.messages("ressources")}
    notices = driver.dms("noah")
    assert notices and "traité" in notices[-1].content
    assert not any("traité" in m.content for m in driver.dms("ines"))  # anonymous: nobody to tell
    # The reported member never learns who reported: no DM names the reporters.
    assert not any("noah" in m.content.lower() or "inès" in m.content.lower() for m in driver.dms("lea"))


async def test_report_mentions_only_the_moderators_on_duty(sandbox):
    driver = sandbox.driver
    sami = driver.user_id("sami")
    plan = await driver.slash(
        "sami", "permanence planifier", moderateurs=f"<@{sami}>", periode="1 sem", debut="maintenant"
    )
    assert "Permanence enregistrée" in (await plan.wait()).content
    who = await (await driver.slash("lea", "permanence qui")).wait()
    assert f"<@{sami}>" in who.content
    result = await driver.slash("noah", "signaler", description="Un échange qui dérape dans entraide")
    opened = await result.wait()
    await (await driver.submit_modal("noah", opened, {})).wait_followup()
    card = [m for m in driver.bot_messages("signalements") if m.embeds][-1]
    assert card.content == fr(f"Nouveau signalement — permanence : <@{sami}>")
    request = [
        r
        for r in driver.requests
        if r.method == "POST" and r.path.endswith(f"/channels/{driver.channel('signalements').id}/messages")
    ][-1]
    assert [int(u) for u in request.json["allowed_mentions"]["users"]] == [sami]
    assert not request.json["allowed_mentions"].get("parse")


async def test_appeal_reaches_the_team_but_not_the_acting_moderator(sandbox):
    driver = sandbox.driver
    await (
        await driver.slash("sami", "mod avertir", membre="ines", article="bienveillance", raison="Ton sec")
    ).wait_followup()
    result = await (
        await driver.slash("ines", "recours", cas=1, texte="Je ne voulais blesser personne.")
    ).wait()
    assert result.ephemeral
    # Sami is the only moderator and acted: nobody else may read it, the mod-log says so.
    assert "personne d'autre" in driver.bot_messages("mod-log")[-1].content
    other = await (await driver.slash("noah", "recours", cas=1, texte="Moi aussi")).wait()
    assert "Je ne trouve pas" in other.content


async def test_appeal_opens_a_private_thread_without_the_acting_moderator(sandbox):
    driver, bot = sandbox.driver, sandbox.bot
    ines, sami = driver.user_id("ines"), driver.user_id("sami")
    await bot.http.add_role(sandbox.guild_id, ines, driver.role_id("moderation"))  # a second moderator

    def ines_is_a_moderator() -> bool:
        member = bot.get_guild(sandbox.guild_id).get_member(ines)
        return member is not None and any(r.id == driver.role_id("moderation") for r in member.roles)

    await eventually(ines_is_a_moderator)
    # A private thread only hides the appeal from Sami if he cannot open every private thread of the
    # channel (Manage Threads): here the team's role does without it (with it, see the DM route below).
    from bot.sandbox.double.seed import MODERATOR_PERMISSIONS
    from bot.sandbox.double.state import P

    role = driver.role_id("moderation")
    await bot.http.edit_role(
        sandbox.guild_id, role, permissions=str(MODERATOR_PERMISSIONS & ~P.MANAGE_THREADS)
    )
    await eventually(lambda: not bot.get_guild(sandbox.guild_id).get_role(role).permissions.manage_threads)
    await (
        await driver.slash("sami", "mod avertir", membre="noah", article="bienveillance", raison="Moqueries")
    ).wait_followup()
    result = await (
        await driver.slash("noah", "recours", cas=1, texte="C'était de l'humour entre nous.")
    ).wait()
    assert "transmis" in result.content
    await _settle()
    threads = [t for t in driver.threads("signalements") if fr("cas n° 1") in t.name]
    assert len(threads) == 1 and threads[0].type == 12  # private thread
    posted = driver.messages(threads[0])[-1]
    assert f"<@{ines}>" in posted.content and f"<@{sami}>" not in posted.content
    assert "humour" in posted.content
    assert sami not in driver.thread_members(threads[0])


def _reply(result) -> str:
    """The text of a (possibly deferred) ephemeral answer: after « thinking… » the followup edits it."""
    return (result.followups[-1].content if result.followups else result.content) or ""


async def _pending_keys(sandbox) -> list[str]:
    return [t.key for t in await sandbox.bot.timers.pending(sandbox.guild_id)]


async def test_unban_lifts_the_ban_on_discord_and_cancels_its_timer(sandbox):
    driver = sandbox.driver
    lea = driver.user_id("lea")
    await (
        await driver.slash(
            "sami", "mod bannir", membre="lea", article="publicite", raison="Spam commercial", duree="3j"
        )
    ).wait_followup()
    assert lea in driver.bans()
    ban = (await _cases(sandbox, "lea"))[0]
    assert ban.timer_key in await _pending_keys(sandbox)

    refused = await (
        await driver.slash("noah", "mod debannir", utilisateur="lea", raison="Je la connais")
    ).wait_done()
    assert refused.ephemeral and "réservée à l'équipe de modération" in _reply(refused)
    assert lea in driver.bans() and len(await _cases(sandbox, "lea")) == 1

    result = await driver.slash(
        "sami", "mod debannir", utilisateur="lea", raison="Échange apaisé par courriel"
    )
    done = await result.wait_followup()
    assert (
        result.ephemeral
        and "le bannissement de" in done.content
        and fr("est levé (cas n° 2)") in done.content
    )
    assert lea not in driver.bans()
    by_action = {c.action: c for c in await _cases(sandbox, "lea")}
    assert sorted(by_action) == ["ban", "unban"] and by_action["unban"].number == 2
    ban = by_action["ban"]
    assert ban.ended_at is not None
    assert ban.timer_key not in await _pending_keys(sandbox), "the 3-day timer must not fire on a lifted ban"
    log = [m for m in driver.bot_messages("mod-log") if m.embeds][-1].embeds[0]
    assert log["title"] == fr("Cas n° 2 — Levée de bannissement") and "Échange apaisé" in str(log["fields"])
    await driver.member_join("lea")  # she can come back
    assert driver.member("lea") is not None

    not_banned = await (
        await driver.slash("sami", "mod debannir", utilisateur="noah", raison="x")
    ).wait_done()
    assert not_banned.ephemeral and "n'est pas banni·e de ce serveur" in _reply(not_banned)
    assert await _cases(sandbox, "noah") == [], "nothing recorded when Discord had no ban to lift"


async def test_note_is_private_and_shows_in_the_dossier(sandbox):
    driver = sandbox.driver
    result = await (
        await driver.slash(
            "sami", "mod note", membre="noah", texte="A demandé un temps d'échange après la réunion."
        )
    ).wait_done()
    assert result.ephemeral
    assert _reply(result).startswith("Note ajoutée au dossier de") and fr("(cas n° 1)") in _reply(result)
    assert "Le membre n'est pas prévenu" in _reply(result)
    assert driver.dms("noah") == [], "a note is never sent to the member"
    log = [m for m in driver.bot_messages("mod-log") if m.embeds][-1].embeds[0]
    assert log["title"] == fr("Cas n° 1 — Note privée")

    dossier = await (await driver.slash("sami", "mod dossier", membre="noah")).wait_done()
    assert dossier.ephemeral
    embed = dossier.embeds[0] if dossier.embeds else dossier.followups[-1].embeds[0]
    assert "1 cas au total, dont 0 avertissement(s) encore actif(s)" in embed["description"]
    field = embed["fields"][0]
    assert (
        field["name"].startswith(fr("n° 1 · Note privée"))
        and "A demandé un temps d'échange" in field["value"]
    )

    for who in ("ines", "lea"):
        member = await (await driver.slash(who, "mod note", membre="noah", texte="Je note aussi")).wait_done()
        assert member.ephemeral and "réservée à l'équipe de modération" in _reply(member)
    peek = await (await driver.slash("ines", "mod dossier", membre="noah")).wait_done()
    assert "réservée" in _reply(peek) and not peek.embeds
    blank = await (await driver.slash("sami", "mod note", membre="noah", texte="   ")).wait_done()
    assert blank.ephemeral and "Écrivez une raison" in _reply(blank)
    assert [c.number for c in await _cases(sandbox, "noah")] == [1]


async def test_recusal_blocks_actions_and_report_pings_until_withdrawn(sandbox):
    driver = sandbox.driver
    sami, noah = driver.user_id("sami"), driver.user_id("noah")
    declared = await (await driver.slash("sami", "mod recusation", membre="noah")).wait_done()
    assert declared.ephemeral and "vous ne traiterez rien qui concerne" in _reply(declared)
    assert any(
        m.content == f"<@{sami}> se récuse pour tout ce qui concerne <@{noah}>."
        for m in driver.bot_messages("mod-log")
    )
    again = await (await driver.slash("sami", "mod recusation", membre="noah")).wait_done()
    assert "Vous êtes déjà récusé·e pour" in _reply(again)

    for path, options in (
        ("mod avertir", {"article": "bienveillance", "raison": "Ton sec"}),
        ("mod note", {"texte": "Observation"}),
        ("mod dossier", {}),
    ):
        refused = await (await driver.slash("sami", path, membre="noah", **options)).wait_done()
        assert refused.ephemeral and "Vous vous êtes récusé·e pour cette personne" in _reply(refused), path
    assert await _cases(sandbox, "noah") == []

    # Reports about Noah neither ping Sami (on duty) nor let Sami handle them.
    await (
        await driver.slash(
            "sami", "permanence planifier", moderateurs=f"<@{sami}>", periode="1 sem", debut="maintenant"
        )
    ).wait()
    opened = await (
        await driver.slash("ines", "signaler", description="Remarques blessantes", membre="noah")
    ).wait()
    await (await driver.submit_modal("ines", opened, {})).wait_followup()
    card = [m for m in driver.bot_messages("signalements") if m.embeds][-1]
    assert f"<@{sami}>" not in card.content
    posted = [
        r
        for r in driver.requests
        if r.method == "POST" and r.path.endswith(f"/channels/{driver.channel('signalements').id}/messages")
    ][-1]
    assert str(sami) not in [str(u) for u in posted.json["allowed_mentions"].get("users", [])]
    report_id = int(card.embeds[0]["title"].split("n°")[1])
    claim = await (
        await driver.click("sami", card, f"relais:moderation:report:claim:{report_id}")
    ).wait_done()
    assert "récusé·e" in _reply(claim)

    self_recusal = await (await driver.slash("sami", "mod recusation", membre="sami")).wait_done()
    assert "vis-à-vis de vous-même" in _reply(self_recusal)
    member = await (await driver.slash("lea", "mod recusation", membre="noah")).wait_done()
    assert "réservée à l'équipe de modération" in _reply(member)

    withdrawn = await (await driver.slash("sami", "mod recusation", membre="noah", retirer=True)).wait_done()
    assert "vous n'êtes plus récusé·e pour" in _reply(withdrawn)
    assert any(
        m.content == f"<@{sami}> ne se récuse plus pour <@{noah}>." for m in driver.bot_messages("mod-log")
    )
    warned = await driver.slash(
        "sami", "mod avertir", membre="noah", article="bienveillance", raison="Ton sec"
    )
    assert fr("cas n° 1") in (await warned.wait_followup()).content
    none_left = await (await driver.slash("sami", "mod recusation", membre="noah", retirer=True)).wait_done()
    assert "Vous n'étiez pas récusé·e pour" in _reply(none_left)


async def test_cases_left_pending_by_a_crash_are_settled_from_discord_at_restart(sandbox):
    """A crash between Discord accepting a sanction and its confirmation must not lose the case,
    and a case whose action never reached Discord must not be recorded."""
    driver, bot, guild_id = sandbox.driver, sandbox.bot, sandbox.guild_id
    sami, noah, ines, lea = (driver.user_id(n) for n in ("sami", "noah", "ines", "lea"))
    before_crash = timeutil.now() - dt.timedelta(seconds=1)  # restarted at once, as the supervisor does

    async def pending(member_id: int, action: str, expires: dt.datetime | None) -> moderation.Case:
        return await moderation.begin_case(
            bot.db,
            guild_id,
            member_id=member_id,
            moderator_id=sami,
            action=action,
            article="bienveillance",
            reason="Propos blessants",
            now=before_crash,
            expires_at=expires,
        )

    guild = bot.get_guild(guild_id)
    until = timeutil.now() + dt.timedelta(hours=2)
    timed_out = await pending(noah, "timeout", until)
    await guild.get_member(noah).timeout(until)  # Discord accepted, then the crash
    banned = await pending(lea, "ban", None)
    await guild.ban(discord.Object(lea))  # Discord accepted, then the crash
    never_sent = await pending(ines, "kick", None)  # the crash came before the Discord call
    mark = len(driver.bot_messages("mod-log"))

    await sandbox.restart_bot()
    bot = sandbox.bot

    def restored() -> list:
        return [
            m
            for m in driver.bot_messages("mod-log")[mark:]
            if "rétabli au redémarrage" in (m.embeds[0].get("footer") or {}).get("text", "")
        ]

    await eventually(lambda: len(restored()) == 2)
    assert {m.embeds[0]["title"].split(" ")[0] for m in restored()} == {"Cas"}
    assert [c.number for c in await _cases(sandbox, "noah")] == [timed_out.number]
    assert [c.number for c in await _cases(sandbox, "lea")] == [banned.number]
    assert await _cases(sandbox, "ines") == []
    assert await bot.db.fetchval("SELECT COUNT(*) FROM mod_cases WHERE state = 'pending'") == 0
    assert never_sent.number not in {c.number for c in await _cases(sandbox, "ines")}
    # the timeout's end is scheduled and the member is told, as after a normal sanction
    assert [t.key for t in await bot.timers.pending(guild_id, moderation.CASE_TIMER)] == [timed_out.timer_key]
    assert any(
        fr(f"n° {timed_out.number}") in m.content and "/recours" in m.content for m in driver.dms("noah")
    )


# -- audit: modals, anonymity, reports and appeals about moderators, case numbers -----------------
async def _make_moderator(sandbox, name: str) -> int:
    driver, bot = sandbox.driver, sandbox.bot
    user_id = driver.user_id(name)
    await bot.http.add_role(sandbox.guild_id, user_id, driver.role_id("moderation"))

    def promoted() -> bool:
        member = bot.get_guild(sandbox.guild_id).get_member(user_id)
        return member is not None and any(r.id == driver.role_id("moderation") for r in member.roles)

    await eventually(promoted)
    return user_id


async def _report(driver, reporter: str, message, values: dict) -> None:
    opened = await (await driver.message_context(reporter, "Signaler à la modération", message)).wait()
    await (await driver.submit_modal(reporter, opened, values)).wait_followup()


async def _card_of(sandbox, message_id: int):
    from bot.moderation import reports

    live = await reports.open_reports(sandbox.bot.db, sandbox.guild_id)
    report = next(r for r in live if r.message_id == message_id)
    return report, sandbox.driver.message_obj(report.card_message_id)


def _readable_by(sandbox, name: str) -> list:
    """Every message the bot posted that this person can read: guild channels and threads through
    the double's permission model (a private thread: its members and Manage Threads holders), and DMs."""
    from bot.sandbox.double.state import P

    driver, guild = sandbox.driver, sandbox.double.guild
    user_id = driver.user_id(name)
    readable = list(driver.dms(name))
    for channel in guild.channels.values():
        perms = guild.permissions_in(user_id, channel)
        if not perms & P.VIEW_CHANNEL:
            continue
        if channel.type == 12 and user_id not in channel.members and not perms & P.MANAGE_THREADS:
            continue
        readable += [
            m
            for m in sandbox.double.world.channel_messages(channel.id)
            if m.author_id == sandbox.double.world.bot_user_id
        ]
    return readable


def _new(messages: list, before: set[int]) -> list:
    return [m for m in messages if m.id not in before]


def _text(message) -> str:
    import json

    return (message.content or "") + json.dumps(message.embeds or [], ensure_ascii=False)


async def test_warn_modals_opened_on_two_cards_each_warn_their_own_member(sandbox):
    driver = sandbox.driver
    ines = await _make_moderator(sandbox, "ines")
    spam = await driver.send_message("lea", "ressources", "Achetez mes compléments miracle !")
    rude = await driver.send_message("noah", "ressources", "Franchement t'es nul·le")
    await _settle()
    await _report(driver, "ines", spam, {"what": "Publicité", "article": "publicite"})
    await _report(driver, "camille", rude, {"what": "Insulte", "article": "bienveillance"})
    spam_report, spam_card = await _card_of(sandbox, spam.id)
    rude_report, rude_card = await _card_of(sandbox, rude.id)
    by_sami = await (
        await driver.click("sami", spam_card, f"relais:moderation:report:warn:{spam_report.id}")
    ).wait()
    by_ines = await (
        await driver.click("ines", rude_card, f"relais:moderation:report:warn:{rude_report.id}")
    ).wait()
    assert by_sami.modal["custom_id"] != by_ines.modal["custom_id"]
    # Somebody else cannot submit a modal they did not open.
    stolen = await (
        await driver.submit_modal("ines", by_sami, {"article": "publicite", "reason": "Vol"})
    ).wait_done()
    assert stolen.ephemeral and await _cases(sandbox, "lea") == []
    # Submitted in the crossed order: each warning goes to its own card's member, by its moderator.
    first = await driver.submit_modal(
        "sami", by_sami, {"article": "publicite", "reason": "Publicité répétée"}
    )
    await first.wait_followup()
    second = await driver.submit_modal(
        "ines", by_ines, {"article": "bienveillance", "reason": "Propos blessants"}
    )
    await second.wait_followup()
    [lea_case] = await _cases(sandbox, "lea")
    [noah_case] = await _cases(sandbox, "noah")
    assert (lea_case.moderator_id, lea_case.reason) == (driver.user_id("sami"), "Publicité répétée")
    assert (noah_case.moderator_id, noah_case.reason) == (ines, "Propos blessants")


async def test_report_modals_opened_on_two_messages_each_report_their_own_message(sandbox):
    from bot.moderation import reports

    driver, db = sandbox.driver, sandbox.bot.db
    spam = await driver.send_message("lea", "ressources", "Achetez mes compléments miracle !")
    rude = await driver.send_message("noah", "ressources", "Franchement t'es nul·le")
    await _settle()
    by_noah = await (await driver.message_context("noah", "Signaler à la modération", spam)).wait()
    by_ines = await (await driver.message_context("ines", "Signaler à la modération", rude)).wait()
    assert by_noah.modal["custom_id"] != by_ines.modal["custom_id"]
    stolen = await (await driver.submit_modal("ines", by_noah, {"what": "Pas le mien"})).wait_done()
    assert stolen.ephemeral and await reports.open_reports(db, sandbox.guild_id) == []
    await (await driver.submit_modal("noah", by_noah, {"what": "Publicité"})).wait_followup()
    await (await driver.submit_modal("ines", by_ines, {"what": "Insulte"})).wait_followup()
    spam_report, _ = await _card_of(sandbox, spam.id)
    rude_report, _ = await _card_of(sandbox, rude.id)
    assert (spam_report.target_id, (await reports.reporters(db, spam_report.id)).named) == (
        driver.user_id("lea"),
        (driver.user_id("noah"),),
    )
    assert (rude_report.target_id, (await reports.reporters(db, rude_report.id)).named) == (
        driver.user_id("noah"),
        (driver.user_id("ines"),),
    )


async def test_an_anonymous_report_leaves_the_reporter_in_no_log_line(sandbox, caplog):
    import logging

    from bot.core.logs import ContextAndRedactionFilter

    driver = sandbox.driver
    noah = str(driver.user_id("noah"))
    offending = await driver.send_message("lea", "ressources", "Achetez mes compléments miracle !")
    await _settle()
    # caplog's handler is shared by every test: the filter is taken off again below.
    context = ContextAndRedactionFilter()
    caplog.handler.addFilter(context)  # each record gets its [guild= user= cmd=] context
    try:
        caplog.set_level(logging.INFO)
        caplog.set_level(logging.DEBUG, logger="bot")
        caplog.set_level(logging.DEBUG, logger="cogs")
        mark = len(driver.requests)
        await _report(driver, "noah", offending, {"what": "Publicité", "anonymous": "yes"})
        await _settle()
        card = [m for m in driver.bot_messages("signalements") if m.embeds][-1]
        assert "anonyme" in _text(card)
        assert any("filed" in r.getMessage() for r in caplog.records), "the filing is logged"
        leaks = [
            f"{getattr(r, 'ctx', '')}{r.getMessage()}"
            for r in caplog.records
            if noah in f"{getattr(r, 'ctx', '')}{r.getMessage()}"
        ]
    finally:
        caplog.handler.removeFilter(context)
    assert leaks == []
    # Nor does anything the bot sent to Discord (card, pings, DMs, timers' messages) carry the id.
    assert not [r.path for r in driver.requests[mark:] if r.json is not None and noah in str(r.json)]


async def test_warn_from_a_card_does_not_prefill_the_reporters_words(sandbox):
    driver = sandbox.driver
    offending = await driver.send_message("lea", "ressources", "Tu ne comprends rien, comme d'habitude.")
    await _settle()
    words = "Elle me rabaisse depuis que je lui ai parlé de mon hospitalisation"
    await _report(driver, "noah", offending, {"what": words, "article": "bienveillance"})
    report, card = await _card_of(sandbox, offending.id)
    opened = await (await driver.click("sami", card, f"relais:moderation:report:warn:{report.id}")).wait()
    assert "hospitalisation" not in opened.modal_values.get("reason", "")
    await (await driver.submit_modal("sami", opened, {"reason": "Propos rabaissants"})).wait_followup()
    assert not any("hospitalisation" in m.content for m in driver.dms("lea"))
    assert [c.reason for c in await _cases(sandbox, "lea")] == ["Propos rabaissants"]


async def test_a_report_about_a_moderator_is_unreadable_by_that_moderator(sandbox):
    driver = sandbox.driver
    ines = await _make_moderator(sandbox, "ines")
    sami = driver.user_id("sami")
    await (
        await driver.slash(
            "sami",
            "permanence planifier",
            moderateurs=f"<@{sami}> <@{ines}>",
            periode="1 sem",
            debut="maintenant",
        )
    ).wait()
    offending = await driver.send_message("sami", "ressources", "Les gens comme toi n'ont rien à faire ici.")
    await _settle()
    mark = {name: {m.id for m in _readable_by(sandbox, name)} for name in ("sami", "ines")}
    await _report(driver, "noah", offending, {"what": "Un modérateur m'a humilié·e publiquement"})
    await _settle()
    assert not [m for m in _new(_readable_by(sandbox, "sami"), mark["sami"]) if "humilié" in _text(m)]
    assert [m for m in _new(_readable_by(sandbox, "ines"), mark["ines"]) if "humilié" in _text(m)]
    assert not [m for m in driver.bot_messages("signalements") if "humilié" in _text(m)]


async def test_an_appeal_is_unreadable_by_the_moderator_who_decided(sandbox):
    driver = sandbox.driver
    await _make_moderator(sandbox, "ines")
    await (
        await driver.slash("sami", "mod avertir", membre="noah", article="bienveillance", raison="Moqueries")
    ).wait_followup()
    mark = {name: {m.id for m in _readable_by(sandbox, name)} for name in ("sami", "ines")}
    result = await (
        await driver.slash("noah", "recours", cas=1, texte="C'était de l'humour entre nous.")
    ).wait()
    assert "transmis" in result.content
    await _settle()
    assert not [m for m in _new(_readable_by(sandbox, "sami"), mark["sami"]) if "humour" in _text(m)]
    assert [m for m in _new(_readable_by(sandbox, "ines"), mark["ines"]) if "humour" in _text(m)]


async def test_a_refused_ban_never_frees_its_case_number(sandbox):
    from bot.sandbox.double.state import P

    driver = sandbox.driver
    # Discord refuses the ban (403) although Relais' cache still believes it may ban.
    sandbox.double.guild.roles[driver.role_id("relais")].permissions &= ~P.BAN_MEMBERS
    refused = await (
        await driver.slash("sami", "mod bannir", membre="lea", article="publicite", raison="Spam commercial")
    ).wait_done()
    assert "refusé" in _reply(refused)
    assert driver.user_id("lea") not in driver.bans() and await _cases(sandbox, "lea") == []
    announced = [m.content for m in driver.dms("lea") if fr("cas n° 1") in m.content]
    warned = await driver.slash(
        "sami", "mod avertir", membre="noah", article="bienveillance", raison="Ton sec"
    )
    await warned.wait_followup()
    [case] = await _cases(sandbox, "noah")
    assert case.number != 1, "the number announced to Léa must never name someone else's case"
    # Léa was told of case n°1 before Discord refused (afterwards she could not have been reached):
    # she is told it did not happen.
    assert announced and "pas été appliquée" in driver.dms("lea")[-1].content


async def test_a_report_about_a_moderator_goes_to_a_private_thread_of_the_others(sandbox):
    """When the team's role does without Manage Threads, a private thread with only the other
    moderators hides the card from the moderator concerned, and its buttons still work."""
    from bot.sandbox.double.seed import MODERATOR_PERMISSIONS
    from bot.sandbox.double.state import P

    driver, bot = sandbox.driver, sandbox.bot
    ines = await _make_moderator(sandbox, "ines")
    sami = driver.user_id("sami")
    role = driver.role_id("moderation")
    await bot.http.edit_role(
        sandbox.guild_id, role, permissions=str(MODERATOR_PERMISSIONS & ~P.MANAGE_THREADS)
    )
    await eventually(lambda: not bot.get_guild(sandbox.guild_id).get_role(role).permissions.manage_threads)
    offending = await driver.send_message("sami", "ressources", "Les gens comme toi n'ont rien à faire ici.")
    await _settle()
    mark = {name: {m.id for m in _readable_by(sandbox, name)} for name in ("sami", "ines")}
    await _report(driver, "noah", offending, {"what": "Un modérateur m'a humilié·e publiquement"})
    await _settle()
    assert not [m for m in _new(_readable_by(sandbox, "sami"), mark["sami"]) if "humilié" in _text(m)]
    [thread] = [t for t in driver.threads("signalements") if t.type == 12]
    assert ines in driver.thread_members(thread) and sami not in driver.thread_members(thread)
    report, card = await _card_of(sandbox, offending.id)
    assert card.channel_id == thread.id and "humilié" in _text(card)
    claimed = await (
        await driver.click("ines", card, f"relais:moderation:report:claim:{report.id}")
    ).wait_done()
    assert "vous vous occupez" in _reply(claimed)
