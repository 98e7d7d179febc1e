"""Survival on real features: persistent buttons after a restart, duplicate gateway deliveries,
and automod sanctions that go through the moderators' own code path."""

from __future__ import annotations

import asyncio
import logging

from bot.moderation import cases as moderation
from tests.helpers import eventually

ACCEPT = "relais:charter:accept:{guild}"


async def test_persistent_button_still_works_after_a_restart(sandbox):
    driver = sandbox.driver
    await (await driver.slash("camille", "charte publier")).wait_followup()
    announcement = driver.bot_messages("charte")[-1]
    await sandbox.restart_bot()
    click = await driver.click("lea", announcement.id, ACCEPT.format(guild=sandbox.guild_id))
    await click.wait()
    assert click.ephemeral and "Merci" in click.content
    await eventually(lambda: "Membre" in driver.role_names("lea"))


async def test_a_message_delivered_twice_is_acted_on_once(sandbox):
    driver = sandbox.driver
    before = len(driver.bot_messages("signalements"))
    message = await driver.send_message(
        "noah", "accueil", "Profitez du code promo RELAIS pour ma formation !"
    )
    await eventually(lambda: len(driver.bot_messages("signalements")) == before + 1)
    sent = await sandbox.double.gateway.redeliver("MESSAGE_CREATE", lambda d: d["id"] == str(message.id))
    assert sent >= 1
    await asyncio.sleep(0.5)
    assert len(driver.bot_messages("signalements")) == before + 1, "a replayed event must not write twice"


async def test_a_replay_after_resume_is_acted_on_once(sandbox):
    driver = sandbox.driver
    await sandbox.double.drop_connections(resumable=True)
    await driver.send_message("ines", "accueil", "Investis en crypto, rendement garanti")
    await eventually(lambda: len(driver.bot_messages("signalements")) == 1)
    await sandbox.double.drop_connections(resumable=True)
    await asyncio.sleep(0.5)
    assert len(driver.bot_messages("signalements")) == 1


async def test_automod_timeout_is_a_real_case_like_a_moderators(sandbox):
    driver = sandbox.driver
    # Since issue 15 only copy-spam across channels (or invites) times out by default; a burst in
    # one channel gets a private reminder.
    for channel in ("accueil", "ressources", "entraide"):
        await driver.send_message("noah", channel, "Achetez mes formations, lien en message privé !")
    await eventually(lambda: driver.is_timed_out("noah"), seconds=8)
    cases = await moderation.member_cases(sandbox.bot.db, sandbox.guild_id, driver.user_id("noah"))
    assert [c.action for c in cases] == ["timeout"]
    assert cases[0].article == "tour_de_parole"
    await eventually(lambda: any("tour" in m.content.lower() or m.embeds for m in driver.dms("noah")))


async def test_an_interaction_delivered_twice_is_acted_on_once(sandbox):
    """A RESUME replay can deliver the same INTERACTION_CREATE twice: pressing « Utile » once must not
    count the vote then take it back, nor answer the member twice."""
    driver = sandbox.driver
    shared = await (
        await driver.slash(
            "ines", "ressource partager", url="https://exemple.org/deux-fois", titre="Deux fois"
        )
    ).wait()
    assert "n°" in shared.content
    card = await eventually(lambda: [m for m in driver.bot_messages("ressources") if m.embeds])
    custom_id = next(c["custom_id"] for row in card[-1].components for c in row["components"])
    vote = await driver.click("noah", card[-1], custom_id)
    sent = await sandbox.double.gateway.redeliver(
        "INTERACTION_CREATE", lambda d: d["id"] == str(vote.record.id)
    )
    assert sent == 1
    followup = await vote.wait_followup()
    assert "1 au total" in followup.content
    await asyncio.sleep(0.5)
    assert len(vote.callbacks) == 1 and len(vote.record.followup_ids) == 1
    resource_id = int(custom_id.rsplit(":", 1)[1])
    assert (
        await sandbox.bot.db.fetchval("SELECT useful_count FROM resources WHERE id = ?", (resource_id,)) == 1
    )


async def test_a_command_caught_by_a_stop_leaves_one_quiet_line_not_a_traceback(sandbox, caplog):
    """SIGTERM (systemd, an update) while a command is still being worked on: the bot closes its
    connection to Discord, so that command cannot be answered any more. Nothing to tell the member,
    nothing for the coordination to investigate."""
    bot = sandbox.bot
    holding, release = asyncio.Event(), asyncio.Event()
    read_config = bot.guild_config

    async def slow_config(guild_id: int):
        holding.set()
        await release.wait()
        return await read_config(guild_id)

    bot.guild_config = slow_config
    await sandbox.driver.slash("camille", "config voir")
    await asyncio.wait_for(holding.wait(), 5)
    caplog.clear()
    caplog.set_level(logging.INFO, logger="bot.client")
    await bot.close()
    release.set()
    await asyncio.sleep(0.5)
    problems = [
        r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith(("bot", "cogs"))
    ]
    tracebacks = [r for r in caplog.records if r.exc_info and r.levelno >= logging.WARNING]
    assert not tracebacks, [r.getMessage() for r in tracebacks]
    assert not problems, [r.getMessage() for r in problems]
    assert any("stopping" in r.getMessage() for r in caplog.records), [r.getMessage() for r in caplog.records]
